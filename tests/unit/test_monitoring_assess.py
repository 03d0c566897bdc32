"""Drift per column against a baseline (PSI with the documented binning, KS as scipy's
ks_2samp) and the retrain rule, on hand-computed reference values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import ks_2samp

from lakestep.models.baseline import CategoricalSummary, NumericSummary
from lakestep.models.specs import MonitoringSpec
from lakestep.monitoring.assess import FeatureDrift, Thresholds, decide, drift_of, drifted
from lakestep.monitoring.drift import numeric_proportions
from lakestep.monitoring.profile import ColumnProfile, categorical_counts, numeric_counts
from lakestep.monitoring.quality import QualityResult
from lakestep.preprocessing import NULL, UNSEEN

# Training values 1..10 binned at their quartiles: edges 3.25, 5.5, 7.75, bins closed on the
# right — (-inf, 3.25] {1,2,3}, (3.25, 5.5] {4,5}, (5.5, 7.75] {6,7}, (7.75, inf) {8,9,10}.
TRAINING = np.arange(1.0, 11.0)
# Scored: 5.5 sits exactly on an edge and belongs to the bin it closes; two nulls.
SCORED = np.array([1.0, 2.0, 5.5, 6.0, 7.0, 9.0, 10.0, 11.0, np.nan, np.nan])
EXPECTED = [0.3, 0.2, 0.2, 0.3, 0.0]  # value bins, then the null bin
ACTUAL = [0.2, 0.1, 0.2, 0.3, 0.2]


def test_numeric_psi_matches_a_hand_computed_value_with_the_documented_binning():
    summary = NumericSummary.of(TRAINING, bins=4)
    assert summary.bin_edges == (3.25, 5.5, 7.75)
    # The Spark side counts rows ≤ each edge, then present rows, then all rows.
    counts = numeric_counts([2, 3, 5, 8, 10])
    assert counts == (2, 1, 2, 3, 2)
    assert numeric_proportions(SCORED, summary.bin_edges).tolist() == pytest.approx(ACTUAL)
    drift = drift_of("x", summary, ColumnProfile("x", counts))
    assert drift.expected == pytest.approx(EXPECTED)
    assert drift.actual == pytest.approx(ACTUAL)
    # Empty bins are clipped to 1e-4 on both sides.
    reference = ((0.2 - 0.3) * math.log(0.2 / 0.3) + (0.1 - 0.2) * math.log(0.1 / 0.2)
                 + (0.2 - 1e-4) * math.log(0.2 / 1e-4))
    assert drift.psi == pytest.approx(reference, rel=1e-12)
    assert drift.psi == pytest.approx(0.0405 + 0.0693 + 1.5194, abs=1e-4)
    assert drift.bins == ("≤ 3.25", "(3.25, 5.5]", "(5.5, 7.75]", "> 7.75", "null")
    assert (drift.null_fraction, drift.training_null_fraction, drift.rows) == (0.2, 0.0, 10)


def test_training_nulls_are_their_own_bin_on_the_expected_side():
    summary = NumericSummary.of(np.array([*TRAINING, np.nan, np.nan, np.nan, np.nan, np.nan]),
                                bins=4)
    drift = drift_of("x", summary, ColumnProfile("x", (2, 1, 2, 3, 2)))
    # 10 of 15 training rows had a value: the value bins share 2/3, the null bin 1/3.
    assert drift.expected == pytest.approx([0.2, 0.4 / 3, 0.4 / 3, 0.2, 1 / 3])


def test_categorical_psi_has_vocabulary_unseen_and_null_bins():
    training = CategoricalSummary(count=8, null_fraction=0.2,
                                  frequencies={"desktop": 0.5, "mobile": 0.3, UNSEEN: 0.0,
                                               NULL: 0.2})
    # 10 scored rows: 3 desktop, 5 mobile, 1 unseen ("tablet"), 1 null.
    counts = categorical_counts([3, 5, 9, 10])
    assert counts == (3, 5, 1, 1)
    drift = drift_of("device", training, ColumnProfile("device", counts))
    assert drift.bins == ("desktop", "mobile", UNSEEN, NULL)
    reference = ((0.3 - 0.5) * math.log(0.3 / 0.5) + (0.5 - 0.3) * math.log(0.5 / 0.3)
                 + (0.1 - 1e-4) * math.log(0.1 / 1e-4) + (0.1 - 0.2) * math.log(0.1 / 0.2))
    assert drift.psi == pytest.approx(reference, rel=1e-12)
    assert drift.ks_statistic is None and drift.kind == "categorical"


@settings(max_examples=40, deadline=None)
@given(training=st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=60),
       scored=st.lists(st.one_of(st.floats(-1e3, 1e3), st.just(math.nan)), min_size=1,
                       max_size=60))
def test_ks_is_scipy_ks_2samp_on_the_stored_sample_and_the_present_scored_values(
        training, scored):
    summary = NumericSummary.of(np.asarray(training))
    values = np.asarray(scored)
    drift = drift_of("x", summary, ColumnProfile("x", (len(values),)), values)
    present = values[~np.isnan(values)]
    if present.size == 0:
        assert drift.ks_statistic is None and drift.ks_pvalue is None
        return
    reference = ks_2samp(np.asarray(training), present)
    assert drift.ks_statistic == reference.statistic
    assert drift.ks_pvalue == reference.pvalue


def _drift(column: str = "x", *, psi: float = 0.0, ks: tuple[float, float] | None = None,
           nulls: tuple[float, float] = (0.0, 0.0), output: bool = False) -> FeatureDrift:
    statistic, pvalue = ks if ks is not None else (None, None)
    return FeatureDrift(column=column, output=output, kind="numeric", bins=("a", "null"),
                        expected=(1.0, 0.0), actual=(1.0, 0.0), psi=psi,
                        ks_statistic=statistic, ks_pvalue=pvalue, null_fraction=nulls[1],
                        training_null_fraction=nulls[0], rows=100)


def _quality(success: bool, critical: bool) -> QualityResult:
    return QualityResult("main.gold.t", "c", "expect_column_values_to_not_be_null", success,
                         None, 0 if success else 3, 10, critical)


THRESHOLDS = Thresholds.from_spec(MonitoringSpec(psi_threshold=0.2, ks_pvalue=0.001,
                                                 max_null_fraction=0.1,
                                                 drifted_features_for_retrain=2))


def test_thresholds_come_from_the_spec():
    t = THRESHOLDS
    assert (t.psi, t.ks_pvalue, t.ks_statistic, t.null_increase, t.drifted_features) == (
        0.2, 0.001, 0.2, 0.1, 2)


def test_psi_drifts_only_above_the_threshold():
    assert not drifted(_drift(psi=0.2), THRESHOLDS)
    assert drifted(_drift(psi=0.2001), THRESHOLDS)


def test_ks_drifts_only_when_significant_and_large():
    assert not drifted(_drift(ks=(0.5, 0.01)), THRESHOLDS)  # large but not significant
    assert not drifted(_drift(ks=(0.05, 1e-9)), THRESHOLDS)  # significant but tiny
    assert not drifted(_drift(ks=(0.15, 1e-9)), THRESHOLDS)  # below the default effect size
    assert drifted(_drift(ks=(0.2, 0.0009)), THRESHOLDS)


def test_retrain_needs_as_many_drifted_features_as_the_spec_says():
    one = decide([_drift("a", psi=0.5), _drift("b", psi=0.01)], [], THRESHOLDS)
    assert not one.retrain_needed and one.reasons == ()
    assert one.drifted_features == ("a",)
    two = decide([_drift("a", psi=0.5), _drift("b", ks=(0.3, 1e-6))], [], THRESHOLDS)
    assert two.retrain_needed and two.drifted_features == ("a", "b")
    assert two.reasons == ("2 drifted feature(s), threshold 2: a (PSI 0.500), "
                           "b (PSI 0.000, KS D 0.300)",)


def test_a_drifted_output_alone_raises_the_signal():
    decision = decide([_drift("prediction", psi=0.3, output=True)], [], THRESHOLDS)
    assert decision.retrain_needed and decision.drifted_features == ()
    assert decision.reasons == ("prediction drift: output.prediction (PSI 0.300)",)


def test_nulls_may_rise_by_max_null_fraction_over_training():
    assert not decide([_drift(nulls=(0.3, 0.4))], [], THRESHOLDS).retrain_needed
    decision = decide([_drift("sparse", nulls=(0.3, 0.41))], [], THRESHOLDS)
    assert decision.reasons == ("null fraction rose above training + 0.1: sparse 0.30 → 0.41",)


def test_only_critical_quality_failures_raise_the_signal():
    assert not decide([], [_quality(False, critical=False), _quality(True, critical=True)],
                      THRESHOLDS).retrain_needed
    decision = decide([], [_quality(False, critical=True)], THRESHOLDS)
    assert decision.reasons == ("critical data check(s) failed: main.gold.t.c "
                                "expect_column_values_to_not_be_null: 3 unexpected",)
