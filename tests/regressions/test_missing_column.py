"""A column missing at scoring must be an error naming it, never a silent 0 or null."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from lakestep.errors import SignatureMismatch
from lakestep.models.packaging import PackagedModel
from lakestep.preprocessing import fit, infer_spec

TRAIN = pd.DataFrame({"nights": [1, 2, 3], "guests": [2, 1, 4], "country": ["DE", "FR", "DE"]})


def test_the_packaged_model_names_every_missing_column():
    fitted = fit(TRAIN, infer_spec(TRAIN))
    estimator = LinearRegression().fit(fitted.transform(TRAIN), [1.0, 2.0, 3.0])
    model = PackagedModel(estimator, fitted, kind="regression", name="main.ml.demand")
    with pytest.raises(SignatureMismatch, match=r"model main\.ml\.demand in 2 column\(s\):\n  "
                                                r"guests: expected double, got missing column\n"
                                                r"  country: expected string, got missing"):
        model.predict(TRAIN[["nights"]])
