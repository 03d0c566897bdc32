"""Drift per column against the training baseline, and the retrain rule.

The rule (thresholds from the model spec's ``monitoring`` section):

* a column **drifts** when its PSI is above ``psi_threshold``, or when KS rejects "same
  distribution" at ``ks_pvalue`` AND its statistic D is at least
  :data:`KS_MIN_STATISTIC` — on tens of thousands of rows a p-value falls below any
  threshold for shifts too small to matter, so significance alone is not drift; D is the
  largest gap between the two cumulative distributions, and 0.1 (ten percentage points of
  rows on one side of some value) is a shift worth a retrain;
* a retrain is **needed** when at least ``drifted_features_for_retrain`` input features
  drift, or any model output (``prediction``, ``probability``) drifts, or a critical data
  check fails: a critical great-expectations result, or a feature whose null fraction rose
  by more than ``max_null_fraction`` over its training null fraction (an absolute cap would
  flag a feature that was sparse at training on every run).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from lakestep.errors import cap_list
from lakestep.models.baseline import NumericSummary, Summary
from lakestep.monitoring.drift import (
    expected_categorical,
    expected_numeric,
    ks,
    numeric_bin_labels,
    psi,
    vocabulary_of,
)
from lakestep.preprocessing import NULL, UNSEEN

if TYPE_CHECKING:
    from lakestep.models.specs import MonitoringSpec
    from lakestep.monitoring.profile import ColumnProfile
    from lakestep.monitoring.quality import QualityResult

KS_MIN_STATISTIC = 0.2
OUTPUT_PREFIX = "output."


@dataclass(frozen=True)
class FeatureDrift:
    """Training vs scored distribution of one input feature or model output."""

    column: str
    output: bool  # a model output (prediction, probability), not an input feature
    kind: Literal["numeric", "categorical"]
    bins: tuple[str, ...]
    expected: tuple[float, ...]  # training share per bin, null bin last
    actual: tuple[float, ...]  # scored share per bin, null bin last
    psi: float
    ks_statistic: float | None
    ks_pvalue: float | None
    null_fraction: float
    training_null_fraction: float
    rows: int

    @property
    def name(self) -> str:
        """``output.<column>`` for model outputs (no column name has a dot), else the column."""
        return f"{OUTPUT_PREFIX}{self.column}" if self.output else self.column


def drift_of(column: str, summary: Summary, profile: ColumnProfile,
             scored_sample: np.ndarray | None = None, *, output: bool = False) -> FeatureDrift:
    """PSI over the baseline's bins and (numeric columns with a stored sample) KS."""
    statistic = pvalue = None
    if isinstance(summary, NumericSummary):
        kind: Literal["numeric", "categorical"] = "numeric"
        expected, bins = expected_numeric(summary), numeric_bin_labels(summary.bin_edges)
        training_nulls = summary.null_fraction
        if summary.sample and scored_sample is not None:
            result = ks(summary.sample, scored_sample)
            if result is not None:
                statistic, pvalue = result.statistic, result.pvalue
    else:
        kind = "categorical"
        expected = expected_categorical(summary)
        bins = [*vocabulary_of(summary), UNSEEN, NULL]
        training_nulls = summary.null_fraction
    actual = profile.proportions
    return FeatureDrift(
        column=column, output=output, kind=kind, bins=tuple(bins),
        expected=tuple(float(v) for v in expected), actual=tuple(float(v) for v in actual),
        psi=psi(expected, actual) if profile.rows else 0.0,
        ks_statistic=statistic, ks_pvalue=pvalue,
        null_fraction=profile.null_fraction, training_null_fraction=float(training_nulls),
        rows=profile.rows,
    )


@dataclass(frozen=True)
class Thresholds:
    """The spec's monitoring thresholds, plus the fixed KS effect size."""

    psi: float = 0.25
    ks_pvalue: float = 0.001
    ks_statistic: float = KS_MIN_STATISTIC
    null_increase: float = 0.1
    drifted_features: int = 1
    ignored: frozenset[str] = frozenset()

    @classmethod
    def from_spec(cls, monitoring: MonitoringSpec) -> Thresholds:
        return cls(psi=monitoring.psi_threshold, ks_pvalue=monitoring.ks_pvalue,
                   ks_statistic=monitoring.ks_statistic,
                   null_increase=monitoring.max_null_fraction,
                   drifted_features=monitoring.drifted_features_for_retrain,
                   ignored=frozenset(monitoring.ignore_features))


def psi_breached(drift: FeatureDrift, thresholds: Thresholds) -> bool:
    return drift.psi > thresholds.psi


def ks_breached(drift: FeatureDrift, thresholds: Thresholds) -> bool:
    if drift.ks_pvalue is None or drift.ks_statistic is None:
        return False
    return drift.ks_pvalue < thresholds.ks_pvalue and drift.ks_statistic >= thresholds.ks_statistic


def null_limit(drift: FeatureDrift, thresholds: Thresholds) -> float:
    """The highest null fraction allowed: training null fraction + ``max_null_fraction``."""
    return min(1.0, drift.training_null_fraction + thresholds.null_increase)


def null_breached(drift: FeatureDrift, thresholds: Thresholds) -> bool:
    return drift.null_fraction > null_limit(drift, thresholds)


def drifted(drift: FeatureDrift, thresholds: Thresholds) -> bool:
    if drift.column in thresholds.ignored:
        return False
    return psi_breached(drift, thresholds) or ks_breached(drift, thresholds)


@dataclass(frozen=True)
class Decision:
    """Whether to retrain, and why (one reason per rule that fired)."""

    retrain_needed: bool
    reasons: tuple[str, ...]
    drifted_features: tuple[str, ...]


def decide(drifts: Sequence[FeatureDrift], quality: Iterable[QualityResult],
           thresholds: Thresholds) -> Decision:
    """Apply the retrain rule of this module's docstring."""
    inputs = [d for d in drifts if not d.output and drifted(d, thresholds)]
    outputs = [d for d in drifts if d.output and drifted(d, thresholds)]
    reasons = []
    if inputs and len(inputs) >= thresholds.drifted_features:
        reasons.append(f"{len(inputs)} drifted feature(s), threshold "
                       f"{thresholds.drifted_features}: {_describe(inputs, thresholds)}")
    if outputs:
        reasons.append(f"prediction drift: {_describe(outputs, thresholds)}")
    nulls = [d for d in drifts if null_breached(d, thresholds)]
    if nulls:
        reasons.append("null fraction rose above training + "
                       f"{thresholds.null_increase:g}: " + cap_list(
                           f"{d.name} {d.training_null_fraction:.2f} → {d.null_fraction:.2f}"
                           for d in nulls))
    failed = [q for q in quality if q.critical and not q.success]
    if failed:
        reasons.append("critical data check(s) failed: " + cap_list(q.describe() for q in failed))
    return Decision(bool(reasons), tuple(reasons), tuple(d.column for d in inputs))


def _describe(drifts: Sequence[FeatureDrift], thresholds: Thresholds) -> str:
    ranked = sorted(drifts, key=lambda d: -d.psi)

    def one(drift: FeatureDrift) -> str:
        parts = [f"PSI {drift.psi:.3f}"]
        if ks_breached(drift, thresholds):
            parts.append(f"KS D {drift.ks_statistic:.3f}")
        return f"{drift.name} ({', '.join(parts)})"

    return cap_list(one(d) for d in ranked)
