"""MAPE with zero targets divides by zero: inf, NaN or a crash. lakestep leaves zero targets
out of MAPE, says how many rows it used, and gives None when none is left."""

from __future__ import annotations

import math

from lakestep.models.metrics import regression_metrics


def test_zero_targets_are_left_out_of_mape():
    metrics = regression_metrics([0.0, 10.0, 20.0], [1.0, 11.0, 18.0])
    assert math.isclose(metrics["mape"], (0.1 + 0.1) / 2)
    assert metrics["mape_rows"] == 2
    assert math.isclose(metrics["mae"], 4 / 3)


def test_all_zero_targets_give_no_mape_instead_of_inf():
    metrics = regression_metrics([0.0, 0.0], [1.0, 2.0])
    assert metrics["mape"] is None and metrics["mape_rows"] == 0
    assert math.isfinite(metrics["rmse"])
