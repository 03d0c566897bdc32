"""What a packaged estimator predicts per kind: classification labels taken from the one
predict_proba call are exactly the estimator's own predict, also after a save and load."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from xgboost import XGBClassifier

from lakestep.models.estimators import load_estimator, predict_outputs, save_estimator


def _data(classes: int, rows: int = 3000) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(classes)
    matrix = pd.DataFrame(rng.normal(size=(rows, 5)), columns=[f"f{i}" for i in range(5)])
    score = matrix["f0"] * 2 + matrix["f1"] - matrix["f2"] + rng.normal(scale=0.8, size=rows)
    labels = np.digitize(score, np.quantile(score, np.linspace(0, 1, classes + 1)[1:-1]))
    return matrix, labels


@pytest.mark.parametrize("classes", [2, 3])
@pytest.mark.parametrize("estimator", ["xgboost", "sklearn"])
def test_classification_prediction_is_the_estimators_own_predict(classes, estimator, tmp_path):
    matrix, labels = _data(classes)
    model = (XGBClassifier(n_estimators=30, max_depth=3) if estimator == "xgboost"
             else LogisticRegression(max_iter=500)).fit(matrix, labels)
    reloaded = load_estimator(tmp_path, save_estimator(model, tmp_path, "m"))

    for fitted in (model, reloaded):
        outputs = predict_outputs(fitted, matrix, "classification")
        np.testing.assert_array_equal(outputs["prediction"].to_numpy(), model.predict(matrix))
        proba = model.predict_proba(matrix)
        expected = proba[:, 1] if classes == 2 else proba.max(axis=1)
        np.testing.assert_array_equal(outputs["probability"].to_numpy(), expected)
        assert outputs["prediction"].dtype == "int64"
        assert len(set(outputs["prediction"])) == classes  # a real decision, not one class


def test_an_unknown_kind_is_refused():
    matrix, labels = _data(2, rows=200)
    model = XGBClassifier(n_estimators=2).fit(matrix, labels)
    with pytest.raises(Exception, match="unknown model kind"):
        predict_outputs(model, matrix, "ranking")
