"""int64 → float64: a column that had nulls at training (float64) has none today (int64);
MLflow's enforcement refuses it. lakestep conforms it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlflow.exceptions import MlflowException
from mlflow.models import validate_schema
from mlflow.types.schema import ColSpec, DataType, Schema

from lakestep.signature import Conversion, conform

SCHEMA = Schema([ColSpec(DataType.double, "nights")])


def test_int64_is_accepted_for_a_double_column_and_reported():
    frame = pd.DataFrame({"nights": np.array([3, 14], dtype="int64")})
    with pytest.raises(MlflowException, match="Can not safely convert int64 to float64"):
        validate_schema(frame, SCHEMA)
    result = conform(frame, SCHEMA)
    assert result.frame["nights"].tolist() == [3.0, 14.0]
    assert result.conversions == (Conversion("nights", "int64", "double", "cast"),)


def test_a_long_column_that_came_back_as_float64_with_nulls_conforms():
    back_from_spark = pd.DataFrame({"nights": [3.0, np.nan]})
    long_schema = Schema([ColSpec(DataType.long, "nights")])
    assert conform(back_from_spark, long_schema).frame["nights"].dtype == "Int64"
