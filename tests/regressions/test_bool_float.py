"""bool ↔ float64: MLflow refuses a bool column for a double input, and pandas turns any
number into True. lakestep converts bool → double, and numbers → bool only when 0/1."""

from __future__ import annotations

import pandas as pd
import pytest
from mlflow.exceptions import MlflowException
from mlflow.models import validate_schema
from mlflow.types.schema import ColSpec, DataType, Schema

from lakestep.errors import SignatureMismatch
from lakestep.signature import conform

AS_DOUBLE = Schema([ColSpec(DataType.double, "member")])
AS_BOOL = Schema([ColSpec(DataType.boolean, "member")])


def test_bool_is_accepted_for_a_double_column():
    frame = pd.DataFrame({"member": [True, False]})
    with pytest.raises(MlflowException, match="Incompatible input types for column member"):
        validate_schema(frame, AS_DOUBLE)
    assert conform(frame, AS_DOUBLE).frame["member"].tolist() == [1.0, 0.0]


def test_a_float_flag_becomes_bool_only_when_it_is_zero_or_one():
    assert conform(pd.DataFrame({"member": [1.0, 0.0]}), AS_BOOL).frame["member"].tolist() == [
        True, False]
    with pytest.raises(SignatureMismatch, match=r"member: expected boolean, got float64 "
                                                r"\(values other than 0/1\), e\.g\. 0\.7"):
        conform(pd.DataFrame({"member": [1.0, 0.7]}), AS_BOOL)
