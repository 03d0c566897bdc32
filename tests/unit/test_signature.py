"""conform on pandas frames: columns, order, errors, and what MLflow then accepts."""

from __future__ import annotations

import decimal

import numpy as np
import pandas as pd
import pytest
from mlflow.models import validate_schema
from mlflow.types.schema import AnyType, Array, ColSpec, DataType, Schema, TensorSpec

from lakestep.errors import LakestepError, SignatureMismatch
from lakestep.signature import Conversion, conform

SCHEMA = Schema([
    ColSpec(DataType.double, "amount"),
    ColSpec(DataType.long, "nights"),
    ColSpec(DataType.boolean, "member"),
    ColSpec(DataType.string, "country"),
])


def frame(**overrides):
    base = {
        "country": ["DE", "FR"],
        "amount": [decimal.Decimal("10.50"), decimal.Decimal("3")],
        "nights": np.array([2, 3], dtype="int32"),
        "member": [1, 0],
        "extra": ["ignored", "too"],
    }
    return pd.DataFrame({**base, **overrides})


def test_columns_come_out_in_schema_order_with_schema_types_and_extras_ignored():
    result = conform(frame(), SCHEMA)
    assert list(result.frame.columns) == ["amount", "nights", "member", "country"]
    assert result.frame.dtypes.astype(str).tolist() == ["float64", "int64", "bool", "object"]
    assert result.frame["amount"].tolist() == [10.5, 3.0]
    assert result.ignored == ("extra",)
    assert result.conversions == (
        Conversion("amount", "decimal", "double", "cast if in range"),
        Conversion("nights", "int32", "long", "cast"),
        Conversion("member", "int64", "boolean", "cast if 0/1"),
    )


def test_conformed_frame_passes_mlflows_own_enforcement():
    raw = frame(nights=np.array([2, 3], dtype="int64"), amount=np.array([1, 2], dtype="int64"))
    with pytest.raises(Exception, match="Incompatible input types for column amount"):
        validate_schema(raw, SCHEMA)  # MLflow alone refuses int64 → double
    validate_schema(conform(raw, SCHEMA).frame, SCHEMA)


def test_every_offending_column_is_named_once_with_one_sample():
    bad = frame(amount=["1.5", "x"], nights=[1.5, 2.0], member=[2, 0]).drop(columns="country")
    with pytest.raises(SignatureMismatch) as caught:
        conform(bad, SCHEMA, model="main.ml.demand")
    error = caught.value
    assert error.columns == ["amount", "nights", "member", "country"]
    message = str(error)
    assert "model main.ml.demand in 4 column(s)" in message
    assert "amount: expected double, got object[str], e.g. '1.5'" in message
    assert "nights: expected long, got float64 (fractional or non-finite values), e.g. 1.5" in message
    assert "member: expected boolean, got int64 (values other than 0/1), e.g. 2" in message
    assert "country: expected string, got missing column" in message
    assert "'x'" not in message  # one sample per column, never the column


def test_a_missing_required_column_is_an_error_never_a_zero():
    with pytest.raises(SignatureMismatch, match="nights: expected long, got missing column"):
        conform(frame().drop(columns="nights"), SCHEMA)


def test_optional_columns_may_be_absent_and_any_columns_pass_through():
    schema = Schema([ColSpec(DataType.double, "amount"),
                     ColSpec(DataType.double, "discount", required=False),
                     ColSpec(AnyType(), "extra")])
    result = conform(frame(), schema)
    assert list(result.frame.columns) == ["amount", "extra"]
    assert result.frame["extra"].tolist() == ["ignored", "too"]


def test_long_lists_of_mismatches_are_capped():
    wide = pd.DataFrame({f"c{i}": ["x"] for i in range(15)})
    schema = Schema([ColSpec(DataType.double, f"c{i}") for i in range(15)])
    with pytest.raises(SignatureMismatch, match=r"(?s)in 15 column\(s\).*… and 5 more") as caught:
        conform(wide, schema)
    assert len(caught.value.columns) == 15


def test_long_sample_values_are_cut():
    with pytest.raises(SignatureMismatch, match=r"e\.g\. 'y{30,38}…") as caught:
        conform(pd.DataFrame({"a": ["y" * 500]}), Schema([ColSpec(DataType.double, "a")]))
    assert "y" * 60 not in str(caught.value)


def test_duplicated_input_columns_are_refused():
    duplicated = pd.DataFrame([[1.0, 2.0]], columns=["amount", "amount"])
    with pytest.raises(SignatureMismatch, match="amount: expected one column, got duplicated"):
        conform(duplicated, Schema([ColSpec(DataType.double, "amount")]))


def test_empty_frames_conform_to_empty_typed_frames():
    empty = frame().iloc[:0]
    result = conform(empty, SCHEMA)
    assert len(result.frame) == 0
    assert list(result.frame.columns) == ["amount", "nights", "member", "country"]


def test_index_is_kept_even_when_duplicated():
    raw = frame().set_axis([7, 7])
    assert conform(raw, SCHEMA).frame.index.tolist() == [7, 7]


def test_timestamps_with_time_zones_become_naive_utc():
    stamps = pd.Series(pd.to_datetime(["2024-06-01 12:00"]).tz_localize("Europe/Berlin"))
    result = conform(pd.DataFrame({"t": stamps}), Schema([ColSpec(DataType.datetime, "t")]))
    assert result.frame["t"].tolist() == [pd.Timestamp("2024-06-01 10:00")]


def test_schemas_conform_cannot_use_are_refused_clearly():
    with pytest.raises(LakestepError, match="column-based schema"):
        conform(frame(), Schema([TensorSpec(np.dtype("float64"), (-1, 2))]))
    with pytest.raises(LakestepError, match="'tags' has schema type .*Array"):
        conform(frame(), Schema([ColSpec(Array(DataType.string), "tags")]))
    with pytest.raises(LakestepError, match="pandas or Spark DataFrame, got list"):
        conform([[1]], SCHEMA)
