"""float64 → bool: astype(bool) makes 0.5 and NaN True. lakestep keeps NaN a null and
refuses anything but 0 and 1."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mlflow.types.schema import ColSpec, DataType, Schema

from lakestep.errors import SignatureMismatch
from lakestep.signature import conform

SCHEMA = Schema([ColSpec(DataType.boolean, "cancelled")])


def test_nulls_stay_null_and_fractions_are_refused():
    frame = pd.DataFrame({"cancelled": [1.0, 0.0, np.nan]})
    assert frame["cancelled"].astype(bool).tolist() == [True, False, True]  # the trap
    assert conform(frame, SCHEMA).frame["cancelled"].tolist() == [True, False, None]
    with pytest.raises(SignatureMismatch, match=r"cancelled: expected boolean, got float64 "
                                                r"\(values other than 0/1\), e\.g\. 0\.5"):
        conform(pd.DataFrame({"cancelled": [0.5]}), SCHEMA)
