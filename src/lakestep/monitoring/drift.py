"""Drift statistics: PSI with documented binning, and the two-sample KS test.

PSI (population stability index) compares the share of rows per bin:
``PSI = Σ (actual_i - expected_i) · ln(actual_i / expected_i)``.

Binning, fixed at training time and stored in the model's baseline:

* numeric: edges at the training deciles (duplicates removed), with open-ended first and
  last bins (``-inf``, ``+inf``), so every future value lands in a bin; nulls are their
  own extra bin;
* categorical: one bin per training vocabulary value plus one for unseen values and one
  for nulls.

Empty bins are clipped to ``EPSILON`` (1e-4) on both sides before the logarithm, the usual
convention, so one empty bin cannot make PSI infinite. Rule of thumb: < 0.1 stable,
0.1 to 0.2 moderate, > 0.2 significant drift (the default retrain threshold).

KS is ``scipy.stats.ks_2samp`` between the baseline's stored sample of training values and
the scored values (nulls dropped).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

EPSILON = 1e-4
DECILES = np.linspace(0.1, 0.9, 9)


def numeric_edges(values: Sequence[float] | np.ndarray) -> list[float]:
    """Inner bin edges: the distinct training deciles (the outer bins are open-ended)."""
    clean = np.asarray(values, dtype=float)
    clean = clean[~np.isnan(clean)]
    if clean.size == 0:
        return []
    return [float(edge) for edge in np.unique(np.quantile(clean, DECILES))]


def numeric_proportions(values: Sequence[float] | np.ndarray, edges: Sequence[float]
                        ) -> np.ndarray:
    """Share of rows per bin: len(edges) + 1 value bins, then one null bin."""
    array = np.asarray(values, dtype=float)
    nulls = np.isnan(array)
    counts = np.bincount(np.searchsorted(np.asarray(edges, dtype=float), array[~nulls],
                                         side="right"), minlength=len(edges) + 1)
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
    left, right = left[~np.isnan(left)], right[~np.isnan(right)]
    if left.size == 0 or right.size == 0:
        return None
    result = ks_2samp(left, right)
    return KsResult(float(result.statistic), float(result.pvalue))
