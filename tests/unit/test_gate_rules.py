"""The gate's rules on plain numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lakestep.gate_rules import (
    champion_check,
    data_checks,
    decide,
    signature_check,
    threshold_checks,
)


def test_thresholds_pass_and_fail_with_reasons():
    checks = threshold_checks({"r2": 0.5, "rmse": 12.0}, {"r2": {"min": 0.3}, "rmse": {"max": 10}})
    assert [c.passed for c in checks] == [True, False]
    assert "rmse = 12 misses rmse <= 10" in checks[1].reason


def test_missing_metric_fails():
    (check,) = threshold_checks({}, {"auc": {"min": 0.7}})
    assert not check.passed and "auc was not computed" in check.reason


@pytest.mark.parametrize(
    ("metric", "challenger", "champion", "passed"),
    [
        ("r2", 0.80, 0.80, True),      # equal: promoted
        ("r2", 0.792, 0.80, True),     # within 1% tolerance: promoted
        ("r2", 0.791, 0.80, False),    # beyond tolerance: refused
        ("rmse", 10.1, 10.0, True),    # lower is better, within tolerance
        ("rmse", 10.2, 10.0, False),
        ("auc", 0.9, None, True),      # no champion yet
    ],
)
def test_champion_comparison_is_relative_with_tolerance(metric, challenger, champion, passed):
    assert champion_check(metric, challenger, champion, tolerance=0.01).passed is passed


@given(st.floats(0.01, 1e6), st.floats(0, 0.5))
def test_equal_to_champion_always_passes(value, tolerance):
    for metric in ("r2", "rmse"):
        assert champion_check(metric, value, value, tolerance).passed


def test_leaked_feature_is_caught():
    rng = np.random.default_rng(0)
    label = pd.Series(rng.normal(size=200))
    features = pd.DataFrame({"honest": rng.normal(size=200), "leak": label * 3 + 1})
    checks = {c.name: c for c in data_checks(features, label, kind="regression", min_rows=10,
                                             min_class_fraction=0.01)}
    assert not checks["no label leakage"].passed
    assert "leak" in checks["no label leakage"].reason and "honest" not in \
        checks["no label leakage"].reason


def test_constant_all_null_and_class_balance():
    features = pd.DataFrame({"c": [1.0] * 100, "n": [np.nan] * 100,
                             "ok": np.arange(100, dtype=float)})
    label = pd.Series([0] * 99 + [1])
    checks = {c.name: c for c in data_checks(features, label, kind="classification",
                                             min_rows=10, min_class_fraction=0.05)}
    assert not checks["no constant feature"].passed and "c" in checks["no constant feature"].reason
    assert not checks["no all-null feature"].passed
    assert not checks["class balance"].passed
    assert checks["rows"].passed


def test_decision_fails_when_any_check_fails():
    decision = decide("m", "3", [signature_check(True, False), *threshold_checks({"r2": 0.9}, {"r2": {"min": 0.5}})])
    assert not decision.passed
    assert decision.reasons == ["signature lacks outputs"]
    assert decision.to_dict()["passed"] is False
