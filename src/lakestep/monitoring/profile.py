"""Profiles of scored data, computed in Spark: counts per baseline bin, and a KS sample.

Nothing here collects a table. :func:`bin_counts` runs ONE aggregation that counts, for
every profiled column at once, the rows in each bin the model's baseline defines (see
:mod:`lakestep.monitoring.drift` for the binning); only those counts come back to the
driver. :func:`sample_values` brings back at most :data:`KS_SAMPLE_ROWS` rows of the
numeric columns for the KS test.

The Spark expressions read values exactly as the model's preprocessor does
(:meth:`FittedPreprocessor.clean_columns`): numeric and boolean columns as doubles
(true = 1.0), with null, NaN and ±inf counted as missing; categorical columns as strings,
bucketed into a vocabulary value, *unseen* or *null*.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from lakestep.errors import MonitoringError, cap_list
from lakestep.models.baseline import NumericSummary, Summary
from lakestep.monitoring.drift import vocabulary_of

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

# Scored values per numeric column handed to ks_2samp. With 2,000 training values on the
# other side, a larger scored sample hardly sharpens the test (its resolution is bound by
# the smaller side) but costs driver memory: 20,000 rows × 50 columns is 8 MB.
KS_SAMPLE_ROWS = 20_000
KS_SAMPLE_SEED = 17


@dataclass(frozen=True)
class ColumnProfile:
    """Rows per bin of one column; the last bin is the null bin."""

    column: str
    counts: tuple[int, ...]

    @property
    def rows(self) -> int:
        return int(sum(self.counts))

    @property
    def proportions(self) -> np.ndarray:
        counts = np.asarray(self.counts, dtype=float)
        return counts / counts.sum() if counts.sum() else counts

    @property
    def null_fraction(self) -> float:
        return float(self.counts[-1]) / self.rows if self.rows else 0.0


def numeric_value(column: str) -> Column:
    """The column as a double, null when missing, NaN or infinite (the baseline's view)."""
    from pyspark.sql import functions as F

    value = F.col(column).cast("double")
    finite = ~F.isnan(value) & (F.abs(value) != F.lit(float("inf")))
    return F.when(finite, value)


def categorical_value(column: str) -> Column:
    """The column as a string, as the preprocessor reads a categorical column."""
    from pyspark.sql import functions as F

    return F.col(column).cast("string")


def _count_where(condition: Column) -> Column:
    from pyspark.sql import functions as F

    return F.sum(F.when(condition, 1).otherwise(0))


def numeric_measures(column: str, edges: Sequence[float]) -> list[Column]:
    """Rows ≤ each edge, then rows with a value, then all rows (cumulative, one pass).

    Bins are ``(e_{i-1}, e_i]``, so bin i holds ``count(≤ e_i) − count(≤ e_{i-1})``:
    one comparison per edge instead of one range test per bin.
    """
    from pyspark.sql import functions as F

    value = numeric_value(column)
    return [*(_count_where(value <= F.lit(float(edge))) for edge in edges),
            F.count(value), F.count(F.lit(1))]


def numeric_counts(measured: Sequence[int]) -> tuple[int, ...]:
    """Per-bin counts (value bins, then null) from :func:`numeric_measures` results."""
    *at_most, present, total = (int(v or 0) for v in measured)
    bounds = [0, *at_most, present]
    values = [high - low for low, high in itertools.pairwise(bounds)]
    return (*values, total - present)


def categorical_measures(column: str, vocabulary: Sequence[str]) -> list[Column]:
    """Rows per vocabulary value, then non-null rows, then all rows."""
    from pyspark.sql import functions as F

    value = categorical_value(column)
    return [*(_count_where(value == F.lit(word)) for word in vocabulary),
            F.count(value), F.count(F.lit(1))]


def categorical_counts(measured: Sequence[int]) -> tuple[int, ...]:
    """Per-bin counts (vocabulary, unseen, null) from :func:`categorical_measures` results."""
    *known, present, total = (int(v or 0) for v in measured)
    return (*known, present - sum(known), total - present)


def bin_counts(df: DataFrame, summaries: Mapping[str, Summary], *, table: str
               ) -> dict[str, ColumnProfile]:
    """Rows per baseline bin for every column of ``summaries``, in one Spark aggregation.

    ``table`` names the data in errors (e.g. the predictions table).
    """
    missing = [column for column in summaries if column not in df.columns]
    if missing:
        raise MonitoringError(
            f"{table} has no column(s) {cap_list(missing)} that the model's baseline profiles",
            f"its columns are {cap_list(df.columns, 30)}; monitor with the model that scored",
        )
    plan: list[tuple[str, Summary, int, int]] = []
    measures: list[Column] = []
    for column, summary in summaries.items():
        if isinstance(summary, NumericSummary):
            found = numeric_measures(column, summary.bin_edges)
        else:
            found = categorical_measures(column, vocabulary_of(summary))
        plan.append((column, summary, len(measures), len(measures) + len(found)))
        measures += found
    if not measures:
        return {}
    row = df.agg(*(m.alias(f"m{i}") for i, m in enumerate(measures))).collect()[0]
    result = {}
    for column, summary, start, end in plan:
        measured = [row[f"m{i}"] for i in range(start, end)]
        counts = (numeric_counts(measured) if isinstance(summary, NumericSummary)
                  else categorical_counts(measured))
        result[column] = ColumnProfile(column, counts)
    return result


def sample_values(df: DataFrame, columns: Sequence[str], rows: int, *,
                  size: int = KS_SAMPLE_ROWS, seed: int = KS_SAMPLE_SEED) -> pd.DataFrame:
    """At most ``size`` rows of ``columns`` as float64 (NaN where missing), for KS.

    ``rows`` is the frame's row count (known from :func:`bin_counts`). When it is at most
    ``size`` every row is taken, so KS is exactly ``ks_2samp`` against all scored values;
    otherwise a seeded Bernoulli sample a little larger than ``size``, cut to ``size``.
    """
    if not columns or rows == 0:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
    selected = df.select(*(numeric_value(c).alias(c) for c in columns))
    if rows > size:
        fraction = min(1.0, 1.2 * size / rows)  # 20 % headroom: a Bernoulli sample varies
        selected = selected.sample(withReplacement=False, fraction=fraction, seed=seed)
    frame = cast(pd.DataFrame, selected.limit(size).toPandas())
    return frame.astype("float64")
