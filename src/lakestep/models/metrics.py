"""Evaluation metrics with the guards that bite in production.

* MAPE divides by the target: rows whose ``|y_true|`` is below ``zero_guard`` (default
  1e-9) are left out of it, and MAPE is None (not inf, not a crash) when no row is left.
  ``mape_rows`` says how many rows it used.
* Classification metrics need both classes in ``y_true``: a single-class holdout makes AUC
  undefined, so it is refused with a clear error instead of sklearn's warning and NaN.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lakestep.errors import LakestepError

ZERO_GUARD = 1e-9


def _arrays(y_true: Any, y_pred: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
    truth = np.asarray(y_true, dtype="float64").ravel()
    predicted = np.asarray(y_pred, dtype="float64").ravel()
    if len(truth) != len(predicted) or not len(truth):
        raise LakestepError(
            f"{what} metrics need equally long, non-empty y_true and predictions "
            f"(got {len(truth)} and {len(predicted)})",
            "evaluate on a non-empty holdout",
        )
    if not (np.isfinite(truth).all() and np.isfinite(predicted).all()):
        raise LakestepError(f"{what} metrics got NaN or infinite values",
                            "drop rows without a label before evaluating")
    return truth, predicted


def regression_metrics(y_true: Any, y_pred: Any, *, zero_guard: float = ZERO_GUARD
                       ) -> dict[str, float | int | None]:
    """rmse, mae, r2 and mape (a fraction, rows with |y_true| < zero_guard left out)."""
    truth, predicted = _arrays(y_true, y_pred, "regression")
    errors = predicted - truth
    total = float(((truth - truth.mean()) ** 2).sum())
    usable = np.abs(truth) >= zero_guard
    mape = float(np.mean(np.abs(errors[usable] / truth[usable]))) if usable.any() else None
    return {
        "rmse": float(math.sqrt(float(np.mean(errors**2)))),
        "mae": float(np.mean(np.abs(errors))),
        # r2 of a constant target is undefined; 0.0 says "no better than the mean".
        "r2": 1.0 - float((errors**2).sum()) / total if total > 0 else 0.0,
        "mape": mape,
        "mape_rows": int(usable.sum()),
    }


def classification_metrics(y_true: Any, proba: Any, threshold: float = 0.5
                           ) -> dict[str, float]:
    """auc, f1, precision, recall, log_loss and accuracy of binary probabilities."""
    from sklearn import metrics

    truth, probability = _arrays(y_true, proba, "classification")
    classes = np.unique(truth)
    if not set(classes) <= {0.0, 1.0}:
        raise LakestepError(f"classification metrics need 0/1 labels, got {classes[:5].tolist()}",
                            "encode the positive class as 1")
    if len(classes) < 2:
        raise LakestepError(
            f"classification metrics need both classes, but every label is {int(classes[0])}",
            "evaluate on a holdout with positive and negative rows (check the split)",
        )
    predicted = (probability >= threshold).astype(int)
    return {
        "auc": float(metrics.roc_auc_score(truth, probability)),
        "f1": float(metrics.f1_score(truth, predicted, zero_division=0)),
        "precision": float(metrics.precision_score(truth, predicted, zero_division=0)),
        "recall": float(metrics.recall_score(truth, predicted, zero_division=0)),
        "log_loss": float(metrics.log_loss(truth, np.clip(probability, 1e-15, 1 - 1e-15),
                                           labels=[0, 1])),
        "accuracy": float(metrics.accuracy_score(truth, predicted)),
    }
