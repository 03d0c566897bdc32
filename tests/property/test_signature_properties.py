"""conform never changes a value beyond float32 rounding, and refuses exactly what it must.

For a column of any dtype the strategies draw and any schema type, conform either refuses
— and then an independent check of the values (0/1, whole numbers, ranges) or the table
says it had to — or keeps every null a null and every value equal to the original (a
float32 target rounds once, to float32).
"""

from __future__ import annotations

import datetime as dt
import decimal
import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from mlflow.types.schema import ColSpec, DataType, Schema
from strategies import EXTRA_KINDS, KINDS, column

from lakestep.conversions import MATRIX, TARGETS, dtype_label
from lakestep.errors import SignatureMismatch
from lakestep.signature import conform

F32_MAX = float(np.finfo("float32").max)
_INT_RANGE = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


def _finite(value) -> bool:
    return not (isinstance(value, decimal.Decimal) and value.is_infinite()) and math.isfinite(
        float(value)) if not isinstance(value, (int, bool, np.integer)) else True


def must_refuse(values: list, row: str, target: str) -> bool:
    """The oracle: does the table, or one of the non-null values, rule the column out?"""
    outcome = MATRIX[row][target]
    if outcome == "refuse":
        return True
    if not outcome.startswith("cast if"):
        return False
    if target == "boolean":
        return any(v not in (0, 1) for v in values)
    if target in _INT_RANGE:
        low, high = _INT_RANGE[target]
        return any(not _finite(v) or int(v) != v or not low <= int(v) <= high for v in values)
    if target == "float":
        return any(_finite(v) and abs(float(v)) > F32_MAX for v in values)
    if target == "double":
        return any(_finite(v) and math.isinf(float(v)) for v in values)
    if outcome.endswith("ISO 8601"):
        return not all(_iso(v) for v in values)
    return any(not pd.Timestamp.min <= pd.Timestamp(v) <= pd.Timestamp.max for v in values)


def _iso(text: str) -> bool:
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def same_value(original, converted, target: str) -> bool:
    if target == "boolean":
        return bool(converted) == bool(original) and original in (0, 1)
    if target in _INT_RANGE:
        return int(converted) == original
    if target == "float":
        return np.float32(float(original)) == converted or (
            np.isnan(np.float32(float(original))) and np.isnan(converted))
    if target == "double":
        return float(original) == converted
    if target == "datetime":
        return pd.Timestamp(original) == converted
    return converted == original


@settings(max_examples=400, deadline=None)
@given(data=st.data(), kind=st.sampled_from(KINDS + EXTRA_KINDS),
       target=st.sampled_from(TARGETS), rows=st.integers(0, 8))
def test_conform_keeps_values_or_refuses_what_it_must(data, kind, target, rows):
    series = data.draw(column(kind, rows))
    row = dtype_label(series)
    present = series.notna().to_numpy()
    values = [v for v, keep in zip(series.astype(object), present, strict=True) if keep]
    schema = Schema([ColSpec(DataType[target], "x")])
    try:
        converted = conform(pd.DataFrame({"x": series}), schema).frame["x"]
    except SignatureMismatch as refused:
        assert refused.columns == ["x"]
        assert must_refuse(values, row, target), f"{row} → {target} refused {values!r}"
        return
    assert not must_refuse(values, row, target), f"{row} → {target} accepted {values!r}"
    assert converted.notna().tolist() == present.tolist()
    kept = converted[present].tolist()
    for original, new in zip(values, kept, strict=True):
        assert same_value(original, new, target), (row, target, original, new)


@settings(max_examples=100, deadline=None)
@given(data=st.data(), kind=st.sampled_from(KINDS), rows=st.integers(1, 8))
def test_conform_is_idempotent(data, kind, rows):
    series = data.draw(column(kind, rows))
    target = {"decimal": "double", "bool": "boolean", "boolean": "boolean",
              "object_bool": "boolean", "string": "string", "object_str": "string",
              "datetime": "datetime"}.get(kind, "double")
    schema = Schema([ColSpec(DataType[target], "x")])
    once = conform(pd.DataFrame({"x": series}), schema)
    twice = conform(once.frame, schema)
    assert twice.conversions == ()
    pd.testing.assert_frame_equal(twice.frame, once.frame)
