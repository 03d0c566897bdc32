"""The training baseline a packaged model carries for drift monitoring.

Per input column, computed on the preprocessor's own view of the training frame
(:meth:`FittedPreprocessor.clean_columns`, so scoring-time profiles read columns exactly
as training did):

* numeric and boolean columns: count, null fraction, mean, std, min, max, quantiles, a
  histogram — bin edges at the training deciles with the open-ended outer bins
  ``(-inf, e0]`` … ``(e_last, +inf)`` — whose proportions feed PSI, and a bounded sample of
  the training values (at most :data:`SAMPLE_SIZE`, drawn with a fixed seed, sorted) that
  the two-sample KS test compares scored values with;
* categorical columns: the share of each vocabulary value, of unseen values and of nulls.

Date/timestamp columns get no summary: their values move with time by design, so a shift
is not drift. The outputs (``prediction``, ``probability``) are summarised like numeric
columns.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from lakestep.errors import MonitoringError
from lakestep.preprocessing import NULL, UNSEEN, FittedPreprocessor

BASELINE_VERSION = 1
# KS needs values, not a histogram. 2,000 values keep package.json small (~40 KB per column)
# while resolving a KS statistic of about 0.05 at p = 0.001 against a large scored sample.
SAMPLE_SIZE = 2_000
SAMPLE_SEED = 20_240_601
QUANTILES = {"p01": 0.01, "p05": 0.05, "p25": 0.25, "p50": 0.5, "p75": 0.75, "p95": 0.95,
             "p99": 0.99}


def _number(value: float) -> float | None:
    """JSON has no NaN: a statistic of no values is None."""
    return None if value is None or not math.isfinite(value) else float(value)


@dataclass(frozen=True)
class NumericSummary:
    count: int
    null_fraction: float
    mean: float | None
    std: float | None
    min: float | None
    max: float | None
    quantiles: Mapping[str, float | None]
    bin_edges: tuple[float, ...]
    bin_proportions: tuple[float, ...]
    # Sorted training values for KS; empty for baselines written before it was added.
    sample: tuple[float, ...] = ()

    @classmethod
    def of(cls, values: pd.Series | np.ndarray, bins: int = 10) -> NumericSummary:
        numbers = np.asarray(values, dtype="float64")
        present = numbers[np.isfinite(numbers)]
        total = len(numbers)
        null_fraction = float(1 - len(present) / total) if total else 0.0
        if not len(present):
            return cls(0, null_fraction, None, None, None, None,
                       dict.fromkeys(QUANTILES), (), ())
        inner = np.quantile(present, [i / bins for i in range(1, bins)])
        edges = tuple(float(e) for e in np.unique(inner))
        summary = cls(
            count=len(present),
            null_fraction=null_fraction,
            mean=_number(float(present.mean())),
            std=_number(float(present.std(ddof=1))) if len(present) > 1 else 0.0,
            min=float(present.min()),
            max=float(present.max()),
            quantiles={k: float(np.quantile(present, q)) for k, q in QUANTILES.items()},
            bin_edges=edges,
            bin_proportions=(),
            sample=training_sample(present),
        )
        return _replace_proportions(summary, summary.proportions_of(present))

    def proportions_of(self, values: pd.Series | np.ndarray) -> tuple[float, ...]:
        """Share of the non-null ``values`` in each baseline bin (for PSI)."""
        numbers = np.asarray(values, dtype="float64")
        present = numbers[np.isfinite(numbers)]
        if not len(present):
            return tuple(0.0 for _ in range(len(self.bin_edges) + 1))
        bins = np.searchsorted(np.asarray(self.bin_edges), present, side="left")
        counts = np.bincount(bins, minlength=len(self.bin_edges) + 1)
        return tuple(float(c) for c in counts / len(present))


def training_sample(present: np.ndarray, size: int = SAMPLE_SIZE) -> tuple[float, ...]:
    """At most ``size`` of the (finite) values, drawn without replacement with a fixed seed.

    Deterministic: the same values in the same order give the same sample, so a re-logged
    model carries the same baseline. Sorted, because KS does not depend on order.
    """
    if len(present) > size:
        present = np.random.default_rng(SAMPLE_SEED).choice(present, size, replace=False)
    return tuple(float(v) for v in np.sort(present))


def _replace_proportions(summary: NumericSummary, proportions: tuple[float, ...]) -> NumericSummary:
    return NumericSummary(**{**asdict(summary), "bin_proportions": proportions})


@dataclass(frozen=True)
class CategoricalSummary:
    count: int
    null_fraction: float
    frequencies: Mapping[str, float]

    @classmethod
    def of(cls, buckets: pd.Series, vocabulary: tuple[str, ...]) -> CategoricalSummary:
        proportions = cls.proportions_of(buckets, vocabulary)
        return cls(int(buckets.ne(NULL).sum()), proportions[NULL], proportions)

    @staticmethod
    def proportions_of(buckets: pd.Series, vocabulary: tuple[str, ...]) -> dict[str, float]:
        """Share of each vocabulary value, UNSEEN and NULL among ``buckets``."""
        counts = buckets.value_counts()
        total = max(len(buckets), 1)
        return {k: float(counts.get(k, 0)) / total for k in (*vocabulary, UNSEEN, NULL)}


Summary = NumericSummary | CategoricalSummary


@dataclass(frozen=True)
class TrainingBaseline:
    """Summaries of the training inputs (``features``) and model outputs (``outputs``)."""

    row_count: int
    features: Mapping[str, Summary]
    outputs: Mapping[str, NumericSummary]
    version: int = BASELINE_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "row_count": self.row_count,
            "features": {k: _summary_dict(v) for k, v in self.features.items()},
            "outputs": {k: _summary_dict(v) for k, v in self.outputs.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainingBaseline:
        if data.get("version") != BASELINE_VERSION:
            raise MonitoringError(
                f"training baseline version {data.get('version')!r} is not supported; this "
                f"lakestep reads version {BASELINE_VERSION}",
                "log the model again with this lakestep",
            )
        return cls(
            row_count=int(data["row_count"]),
            features={k: _summary_from(v) for k, v in data["features"].items()},
            outputs={k: _summary_from(v) for k, v in data["outputs"].items()},  # type: ignore[misc]
        )


def _summary_dict(summary: Summary) -> dict[str, Any]:
    kind = "numeric" if isinstance(summary, NumericSummary) else "categorical"
    values = asdict(summary)
    for key in ("bin_edges", "bin_proportions", "sample"):
        if key in values:
            values[key] = list(values[key])
    return {"type": kind, **values}


def _summary_from(data: Mapping[str, Any]) -> Summary:
    values = {k: v for k, v in data.items() if k != "type"}
    if data.get("type") == "categorical":
        return CategoricalSummary(**values)
    values["bin_edges"] = tuple(values["bin_edges"])
    values["bin_proportions"] = tuple(values["bin_proportions"])
    values["sample"] = tuple(values.get("sample", ()))
    return NumericSummary(**values)


def compute_baseline(
    fitted_preprocessor: FittedPreprocessor,
    frame: pd.DataFrame,
    outputs: pd.DataFrame | None = None,
    *,
    bins: int = 10,
) -> TrainingBaseline:
    """Summaries of ``frame``'s input columns and of the model ``outputs`` on it."""
    clean = fitted_preprocessor.clean_columns(frame)
    features: dict[str, Summary] = {}
    for column, role in fitted_preprocessor.spec.input_columns():
        if role in ("numeric", "boolean"):
            features[column] = NumericSummary.of(clean[column], bins)
        elif role == "categorical":
            features[column] = CategoricalSummary.of(
                clean[column], fitted_preprocessor.vocabularies[column])
    summaries: dict[str, NumericSummary] = {}
    if outputs is not None:
        summaries = {c: NumericSummary.of(outputs[c], bins) for c in outputs.columns}
    return TrainingBaseline(len(frame), features, summaries)
