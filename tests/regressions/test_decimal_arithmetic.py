"""Spark returns DECIMAL columns as Python Decimal objects: arithmetic with floats fails,
and MLflow casts them silently. lakestep reads them as float64 by one rule, and refuses
values a double cannot hold."""

from __future__ import annotations

import decimal

import pandas as pd
import pytest
from mlflow.types.schema import ColSpec, DataType, Schema

from lakestep.errors import SignatureMismatch
from lakestep.preprocessing import PreprocessingSpec, fit
from lakestep.signature import conform

D = decimal.Decimal


def test_decimal_columns_become_float64_features():
    prices = pd.DataFrame({"price": [D("19.99"), None, D("0.10")]})
    with pytest.raises(TypeError, match="unsupported operand"):
        prices["price"] * 1.1  # what a hand-written feature step hits
    fitted = fit(prices, PreprocessingSpec(numeric=["price"]))
    assert fitted.transform(prices)["price"].tolist() == [19.99, 10.045, 0.1]


def test_decimals_a_double_cannot_hold_are_refused():
    huge = pd.DataFrame({"price": [D("1e400")]})
    with pytest.raises(SignatureMismatch, match=r"price: expected double, got decimal \(values "
                                                r"outside the double range\), e\.g\. "
                                                r"Decimal\('1E\+400'\)"):
        conform(huge, Schema([ColSpec(DataType.double, "price")]))
