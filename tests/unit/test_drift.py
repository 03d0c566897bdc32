"""PSI and KS against independent reference values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lakestep.monitoring.drift import (
    categorical_proportions,
    ks,
    numeric_edges,
    numeric_proportions,
    psi,
)


def test_psi_matches_a_hand_computed_value():
    expected = [0.25, 0.25, 0.25, 0.25]
    actual = [0.10, 0.20, 0.30, 0.40]
    reference = sum((a - e) * math.log(a / e) for a, e in zip(actual, expected, strict=True))
    assert psi(expected, actual) == pytest.approx(reference, rel=1e-12)
    assert psi(expected, actual) == pytest.approx(0.22822, abs=1e-5)


def test_psi_clips_empty_bins():
    assert math.isfinite(psi([0.5, 0.5, 0.0], [0.4, 0.4, 0.2]))


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=300))
def test_same_distribution_has_zero_psi(values):
    edges = numeric_edges(values)
    proportions = numeric_proportions(values, edges)
    assert proportions.sum() == pytest.approx(1.0)
    assert psi(proportions, proportions) == pytest.approx(0.0, abs=1e-12)


def test_numeric_binning_is_open_ended_with_a_null_bin():
    edges = numeric_edges(np.arange(100.0))
    proportions = numeric_proportions([-1e9, 1e9, float("nan"), 50.0], edges)
    assert len(proportions) == len(edges) + 2
    assert proportions[0] == proportions[-2] == proportions[-1] == 0.25


def test_categorical_binning_has_unseen_and_null_bins():
    proportions = categorical_proportions(["a", "b", "zzz", None], ["a", "b"])
    assert proportions.tolist() == [0.25, 0.25, 0.25, 0.25]


def test_shifted_distribution_drifts():
    rng = np.random.default_rng(1)
    train = rng.normal(0, 1, 5000)
    edges = numeric_edges(train)
    same = psi(numeric_proportions(train, edges), numeric_proportions(rng.normal(0, 1, 5000), edges))
    shifted = psi(numeric_proportions(train, edges),
                  numeric_proportions(rng.normal(1, 1, 5000), edges))
    assert same < 0.02 < 0.2 < shifted


def test_ks_matches_scipy_and_a_known_value():
    from scipy.stats import ks_2samp

    a, b = [1.0, 2.0, 3.0, 4.0], [3.0, 4.0, 5.0, 6.0, float("nan")]
    result = ks(a, b)
    reference = ks_2samp(a, [3.0, 4.0, 5.0, 6.0])
    assert result.statistic == reference.statistic == 0.5
    assert result.pvalue == pytest.approx(reference.pvalue)
    assert ks([], [1.0]) is None
