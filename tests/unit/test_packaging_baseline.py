"""The training baseline: statistics, PSI-ready histograms, categorical shares, JSON."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from lakestep.errors import MonitoringError
from lakestep.models.baseline import (
    CategoricalSummary,
    NumericSummary,
    TrainingBaseline,
    compute_baseline,
)
from lakestep.preprocessing import NULL, UNSEEN, PreprocessingSpec, fit

FRAME = pd.DataFrame({
    "price": [float(v) for v in range(1, 101)],
    "member": [True, False] * 50,
    "country": ["DE"] * 60 + ["FR"] * 30 + [None] * 10,
    "checkin": pd.date_range("2024-01-01", periods=100),
})
SPEC = PreprocessingSpec(numeric=["price"], boolean=["member"], categorical=["country"],
                         datetime={"checkin": ("month",)})


def test_numeric_summary_statistics_and_deciles():
    summary = NumericSummary.of(pd.Series([*range(1, 101), None], dtype="float64"))
    assert (summary.count, summary.min, summary.max, summary.mean) == (100, 1.0, 100.0, 50.5)
    assert summary.null_fraction == pytest.approx(1 / 101)
    assert summary.quantiles["p50"] == 50.5
    assert len(summary.bin_edges) == 9
    assert summary.bin_proportions == pytest.approx((0.1,) * 10)
    assert sum(summary.proportions_of([-1e9, 1e9])) == pytest.approx(1.0)
    assert summary.proportions_of([-1e9, 1e9])[0] == 0.5  # open-ended outer bins


def test_constant_and_empty_columns_do_not_break_the_summary():
    constant = NumericSummary.of(np.full(5, 3.0))
    assert constant.bin_edges == (3.0,) and constant.std == 0.0
    empty = NumericSummary.of(np.array([np.nan, np.nan]))
    assert (empty.count, empty.null_fraction, empty.mean) == (0, 1.0, None)


def test_baseline_covers_inputs_by_role_and_outputs():
    fitted = fit(FRAME, SPEC)
    outputs = pd.DataFrame({"prediction": np.linspace(0, 1, 100)})
    baseline = compute_baseline(fitted, FRAME, outputs)
    assert set(baseline.features) == {"price", "member", "country"}  # no date drift
    assert baseline.features["member"].mean == 0.5
    country = baseline.features["country"]
    assert isinstance(country, CategoricalSummary)
    assert country.frequencies == {"DE": 0.6, "FR": 0.3, UNSEEN: 0.0, NULL: 0.1}
    assert baseline.outputs["prediction"].max == 1.0
    assert baseline.row_count == 100


def test_json_round_trip_and_version_check():
    fitted = fit(FRAME, SPEC)
    baseline = compute_baseline(fitted, FRAME, pd.DataFrame({"prediction": np.ones(100)}))
    text = json.dumps(baseline.to_dict(), allow_nan=False)
    assert TrainingBaseline.from_dict(json.loads(text)) == baseline
    with pytest.raises(MonitoringError, match="baseline version 9 is not supported"):
        TrainingBaseline.from_dict({**baseline.to_dict(), "version": 9})
