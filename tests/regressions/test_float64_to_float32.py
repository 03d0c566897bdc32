"""float64 → float32: values beyond float32 become inf without a word. lakestep casts
within range and refuses the rest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlflow.types.schema import ColSpec, DataType, Schema

from lakestep.errors import SignatureMismatch
from lakestep.signature import conform

SCHEMA = Schema([ColSpec(DataType.float, "amount")])


def test_values_in_range_are_rounded_to_float32():
    result = conform(pd.DataFrame({"amount": [0.1, np.nan]}), SCHEMA).frame["amount"]
    assert result.dtype == "float32" and result.iloc[0] == np.float32(0.1)


def test_values_beyond_float32_are_refused_not_turned_into_inf():
    with np.errstate(over="ignore"):
        assert np.isinf(np.float32(1e39))  # what a plain astype does
    with pytest.raises(SignatureMismatch, match=r"amount: expected float, got float64 \(values "
                                                r"outside the float range\), e\.g\. 1e\+39"):
        conform(pd.DataFrame({"amount": [1.0, 1e39]}), SCHEMA)
