"""An input example whose dtypes differ from training (int64 where training saw float64,
Decimal, strings) used to make the logged signature disagree with the model. lakestep
conforms the example to the model's typed input schema, or refuses it."""

from __future__ import annotations

import decimal

import mlflow
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from lakestep.errors import SignatureMismatch
from lakestep.models.packaging import load, log_model
from lakestep.preprocessing import PreprocessingSpec, fit

TRAIN = pd.DataFrame({"price": [10.5, np.nan, 30.0], "nights": [1.0, 2.0, 3.0]})
SPEC = PreprocessingSpec(numeric=["price", "nights"])


def test_a_safely_different_example_is_conformed(mlflow_uri):
    fitted = fit(TRAIN, SPEC)
    estimator = LinearRegression().fit(fitted.transform(TRAIN), [1.0, 2.0, 3.0])
    example = pd.DataFrame({"price": [decimal.Decimal("10.50")],
                            "nights": np.array([2], dtype="int64")})
    info = log_model(estimator, fitted, kind="regression", raw_input_example=example)
    local = mlflow.artifacts.download_artifacts(info.model_uri)
    stored = mlflow.models.Model.load(info.model_uri).load_input_example(local)
    assert stored.dtypes.astype(str).tolist() == ["float64", "float64"]
    assert load(info.model_uri).predict(example)["prediction"].notna().all()


def test_an_incompatible_example_is_refused_before_anything_is_logged():
    fitted = fit(TRAIN, SPEC)
    estimator = LinearRegression().fit(fitted.transform(TRAIN), [1.0, 2.0, 3.0])
    bad = pd.DataFrame({"price": ["10.50"], "nights": [2]})
    with pytest.raises(SignatureMismatch, match=r"model demand in 1 column\(s\):\n  price: "
                                                r"expected double, got object\[str\]"):
        log_model(estimator, fitted, kind="regression", raw_input_example=bad, name="demand")
