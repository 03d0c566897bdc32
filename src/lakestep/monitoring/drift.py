"""Drift statistics: PSI with documented binning, and the two-sample KS test.

PSI (population stability index) compares the share of rows per bin:
``PSI = Σ (actual_i - expected_i) · ln(actual_i / expected_i)``.

Binning, fixed at training time and stored in the model's baseline:

* numeric: edges at the training deciles (duplicates removed), with open-ended first and
  last bins (``-inf``, ``+inf``), so every future value lands in a bin; bins are closed on
  the right — ``(-inf, e0]``, ``(e0, e1]`` … ``(e_last, +inf)`` — exactly as the model's
  baseline (:meth:`lakestep.models.baseline.NumericSummary.proportions_of`) counts them, so
  a value equal to an edge (common for integer features) lands in the same bin at training
  and at scoring; nulls (and NaN, ±inf) are their own extra bin;
* categorical: one bin per training vocabulary value plus one for unseen values and one
  for nulls.

Empty bins are clipped to ``EPSILON`` (1e-4) on both sides before the logarithm, the usual
convention, so one empty bin cannot make PSI infinite. Rule of thumb: < 0.1 stable,
0.1 to 0.2 moderate, > 0.2 significant drift (the default retrain threshold).

KS is ``scipy.stats.ks_2samp`` between the baseline's stored sample of training values and
the scored values (missing and infinite values dropped).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lakestep.models.baseline import CategoricalSummary, NumericSummary
from lakestep.preprocessing import NULL, UNSEEN

EPSILON = 1e-4
DECILES = np.linspace(0.1, 0.9, 9)


def numeric_edges(values: Sequence[float] | np.ndarray) -> list[float]:
    """Inner bin edges: the distinct training deciles (the outer bins are open-ended)."""
    clean = np.asarray(values, dtype=float)
    clean = clean[np.isfinite(clean)]
    if clean.size == 0:
        return []
    return [float(edge) for edge in np.unique(np.quantile(clean, DECILES))]


def numeric_proportions(values: Sequence[float] | np.ndarray, edges: Sequence[float]
                        ) -> np.ndarray:
    """Share of rows per bin: len(edges) + 1 value bins, then one null bin."""
    array = np.asarray(values, dtype=float)
    nulls = ~np.isfinite(array)
    # side="left": a value equal to edge i belongs to bin i, i.e. bins are (e_{i-1}, e_i].
    counts = np.bincount(np.searchsorted(np.asarray(edges, dtype=float), array[~nulls],
                                         side="left"), minlength=len(edges) + 1)
    counts = np.append(counts, nulls.sum()).astype(float)
    total = counts.sum()
    return counts / total if total else counts


def categorical_proportions(values: Sequence[object] | pd.Series, vocabulary: Sequence[str]
                            ) -> np.ndarray:
    """Share of rows per vocabulary value, then unseen, then null."""
    series = pd.Series(values, dtype=object)
    nulls = series.isna()
    known = series[~nulls].astype(str)
    index = {value: i for i, value in enumerate(vocabulary)}
    counts = np.zeros(len(vocabulary) + 2)
    for value, count in known.value_counts().items():
        counts[index.get(value, len(vocabulary))] += count
    counts[-1] = nulls.sum()
    total = counts.sum()
    return counts / total if total else counts


def psi(expected: Sequence[float] | np.ndarray, actual: Sequence[float] | np.ndarray) -> float:
    """``Σ (actual - expected) · ln(actual / expected)`` over bins, empty bins clipped."""
    e = np.clip(np.asarray(expected, dtype=float), EPSILON, None)
    a = np.clip(np.asarray(actual, dtype=float), EPSILON, None)
    return float(np.sum((a - e) * np.log(a / e)))


@dataclass(frozen=True)
class KsResult:
    statistic: float
    pvalue: float


def ks(baseline_sample: Sequence[float] | np.ndarray, values: Sequence[float] | np.ndarray
       ) -> KsResult | None:
    """Two-sample KS (scipy's ``ks_2samp``, two-sided); None when a side has no values."""
    from scipy.stats import ks_2samp

    left = np.asarray(baseline_sample, dtype=float)
    right = np.asarray(values, dtype=float)
    # Missing and infinite values are dropped, as the baseline sample drops them.
    left, right = left[np.isfinite(left)], right[np.isfinite(right)]
    if left.size == 0 or right.size == 0:
        return None
    result = ks_2samp(left, right)
    return KsResult(float(result.statistic), float(result.pvalue))


# -- the training side, from the baseline stored in the model ------------------------------

def expected_numeric(summary: NumericSummary) -> np.ndarray:
    """Training share per bin of a numeric baseline, value bins then the null bin.

    The baseline keeps the value-bin shares among non-null rows and the null fraction
    apart; PSI compares shares of all rows, so the value bins are scaled by the non-null
    share. A column that had no value at training has only its null bin filled.
    """
    values = np.asarray(summary.bin_proportions, dtype=float)
    if values.size != len(summary.bin_edges) + 1:
        values = np.zeros(len(summary.bin_edges) + 1)
    return np.append(values * (1.0 - summary.null_fraction), summary.null_fraction)


def vocabulary_of(summary: CategoricalSummary) -> list[str]:
    """The training vocabulary of a categorical baseline (without the unseen/null buckets)."""
    return [value for value in summary.frequencies if value not in (UNSEEN, NULL)]


def expected_categorical(summary: CategoricalSummary) -> np.ndarray:
    """Training share per vocabulary value, then unseen, then null."""
    shares = summary.frequencies
    keys = [*vocabulary_of(summary), UNSEEN, NULL]
    return np.asarray([shares.get(key, 0.0) for key in keys], dtype=float)


def numeric_bin_labels(edges: Sequence[float]) -> list[str]:
    """Readable bin names for reports: ``≤ e0``, ``(e0, e1]`` … ``> e_last``, ``null``."""
    if not edges:
        return ["all values", "null"]
    shown = [f"{edge:.4g}" for edge in edges]
    inner = [f"({low}, {high}]" for low, high in itertools.pairwise(shown)]
    return [f"≤ {shown[0]}", *inner, f"> {shown[-1]}", "null"]
