"""Evaluation metrics and their guards."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lakestep.errors import LakestepError
from lakestep.models.metrics import classification_metrics, regression_metrics


def test_regression_metrics():
    metrics = regression_metrics([1.0, 2.0, 3.0], [1.0, 2.0, 5.0])
    assert metrics["rmse"] == pytest.approx(math.sqrt(4 / 3))
    assert metrics["mae"] == pytest.approx(2 / 3)
    assert metrics["r2"] == pytest.approx(1 - 4 / 2)
    assert metrics["mape"] == pytest.approx((2 / 3) / 3)


def test_classification_metrics():
    metrics = classification_metrics([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
    assert metrics["auc"] == 0.75
    assert (metrics["precision"], metrics["recall"], metrics["accuracy"]) == (0.5, 0.5, 0.5)
    assert metrics["log_loss"] > 0


@pytest.mark.parametrize(("call", "message"), [
    (lambda: regression_metrics([], []), "non-empty"),
    (lambda: regression_metrics([1.0, np.nan], [1.0, 2.0]), "NaN or infinite"),
    (lambda: classification_metrics([0, 2], [0.1, 0.2]), "need 0/1 labels"),
    (lambda: classification_metrics([0, 0], [0.1, 0.2]), "every label is 0"),
])
def test_guards(call, message):
    with pytest.raises(LakestepError, match=message):
        call()
