"""docs/conversion-matrix.md is the conversion table, and conform does what it says.

Every (input dtype, schema type) cell of the markdown table is parsed and checked: the
table equals ``lakestep.conversions.MATRIX``, and conform on a sample column of that dtype
keeps it (``same``), converts it (``cast``), converts good values and refuses a bad one
(``cast if …``) or refuses it (``refuse``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlflow.types.schema import ColSpec, DataType, Schema

from lakestep.conversions import MATRIX, OUTCOMES, TARGETS, dtype_label
from lakestep.errors import SignatureMismatch
from lakestep.signature import conform

DOC = Path(__file__).resolve().parents[2] / "docs" / "conversion-matrix.md"
D = decimal.Decimal


def parse_matrix(text: str) -> dict[str, dict[str, str]]:
    """The first markdown table whose header starts with 'input dtype'."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| input dtype |"))
    header = [c.strip() for c in lines[start].strip("|").split("|")][1:]
    table = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        table[cells[0].strip("`")] = dict(zip(header, cells[1:], strict=True))
    return table


DOC_MATRIX = parse_matrix(DOC.read_text())


def _ints(dtype):
    return pd.Series(np.array([0, 1], dtype=dtype))


def _nullable(dtype, values=(0, None, 1)):
    return pd.Series(pd.array(list(values), dtype=dtype))


def _datetimes(unit):
    return pd.Series(pd.to_datetime(["2024-01-01 10:00", None]).as_unit(unit))


# A column of each row's dtype whose values pass every conditional rule.
GOOD = {
    "bool": pd.Series([True, False]),
    "boolean": _nullable("boolean", (True, None, False)),
    "object[bool]": pd.Series([True, None], dtype=object),
    **{k: _ints(k) for k in ("int8", "int16", "int32", "int64",
                             "uint8", "uint16", "uint32", "uint64")},
    **{k: _nullable(k) for k in ("Int8", "Int16", "Int32", "Int64",
                                 "UInt8", "UInt16", "UInt32", "UInt64")},
    "object[int]": pd.Series([0, None, 1], dtype=object),
    "float32": pd.Series([0.0, np.nan, 1.0], dtype="float32"),
    "float64": pd.Series([0.0, np.nan, 1.0]),
    "Float32": _nullable("Float32", (0.0, None, 1.0)),
    "Float64": _nullable("Float64", (0.0, None, 1.0)),
    "object[float]": pd.Series([0.0, None, 1], dtype=object),
    "decimal": pd.Series([D("0"), None, D("1.00")], dtype=object),
    "object[str]": pd.Series(["2024-01-01T10:00:00", None], dtype=object),
    "string": _nullable("string", ("2024-01-01", None)),
    "bytes": pd.Series([b"a", None], dtype=object),
    "date": pd.Series([dt.date(2024, 1, 1), None], dtype=object),
    "object[datetime]": pd.Series([dt.datetime(2024, 1, 1, 10), None], dtype=object),
    "datetime64[ns]": _datetimes("ns"),
    "datetime64[us]": _datetimes("us"),
    "datetime64[ms]": _datetimes("ms"),
    "datetime64[s]": _datetimes("s"),
    "datetime64[tz]": _datetimes("ns").dt.tz_localize("Europe/Berlin"),
    "null": pd.Series([None, None], dtype=object),
    "object[mixed]": pd.Series([1, "a"], dtype=object),
    "timedelta64": pd.Series(pd.to_timedelta([1, 2], unit="D")),
    "other": pd.Series([1 + 2j]),
}

_FAR = np.array(["3000-01-01"], dtype="datetime64[us]")
_BIG = {"integer": 2**40, "long": 2**70}


def bad_value_column(row: str, target: str, outcome: str) -> pd.Series:
    """A column of the same dtype with one value the conditional rule must refuse."""
    if outcome.endswith("0/1"):
        return _replace(row, 2)
    if outcome.endswith("integral"):
        return _replace(row, 1.5)
    if outcome.endswith("ISO 8601"):
        return GOOD[row].where(GOOD[row].isna(), "not a date")
    if target == "datetime":  # in range
        if row == "date":
            return pd.Series([dt.date(3000, 1, 1)], dtype=object)
        if row == "object[datetime]":
            return pd.Series([dt.datetime(3000, 1, 1)], dtype=object)
        far = pd.Series(_FAR.astype(f"datetime64[{row[11:-1] if row[11] != 't' else 'us'}]"))
        return far.dt.tz_localize("UTC") if row.endswith("[tz]") else far
    if target in ("float", "double"):
        big = 10**400 if row == "object[int]" else (1e39 if target == "float" else None)
        return _replace(row, big if big is not None else D("1e400"))
    limit = {"uint32": 2**32 - 1, "UInt32": 2**32 - 1, "uint64": 2**64 - 1,
             "UInt64": 2**64 - 1}.get(row, _BIG[target])
    return _replace(row, limit)


def _replace(row: str, value) -> pd.Series:
    """GOOD[row] with its last non-null value replaced by ``value``."""
    good = GOOD[row]
    if row == "decimal":
        value = D(str(value)) if not isinstance(value, D) else value
    values = [None if pd.isna(v) else v for v in good.astype(object)]
    last = max(i for i, v in enumerate(values) if v is not None)
    values[last] = value
    return pd.Series(pd.array(values, dtype=good.dtype) if good.dtype != object else values,
                     dtype=good.dtype)


_REPRESENTATION = {"boolean": ("bool", "object"), "integer": ("int32", "Int32"),
                   "long": ("int64", "Int64"), "float": ("float32",), "double": ("float64",),
                   "string": ("object",), "binary": ("object",),
                   "datetime": ("datetime64[ns]",)}


def _conform(series: pd.Series, target: str):
    frame = pd.DataFrame({"x": series})
    return conform(frame, Schema([ColSpec(DataType[target], "x")]))


def test_the_document_is_the_table():
    assert DOC_MATRIX == MATRIX
    assert {cell for row in DOC_MATRIX.values() for cell in row.values()} <= set(OUTCOMES)
    assert all(list(row) == list(TARGETS) for row in DOC_MATRIX.values())


def test_every_row_has_a_sample_of_that_dtype():
    assert set(GOOD) == set(DOC_MATRIX)
    assert {row: dtype_label(series) for row, series in GOOD.items()} == {r: r for r in GOOD}


CELLS = [(row, target, outcome) for row, cells in DOC_MATRIX.items()
         for target, outcome in cells.items()]


@pytest.mark.parametrize(("row", "target", "outcome"), CELLS,
                         ids=[f"{r}->{t}" for r, t, _ in CELLS])
def test_conform_does_what_the_cell_says(row, target, outcome):
    good = GOOD[row]
    if outcome == "refuse":
        with pytest.raises(SignatureMismatch, match=rf"x: expected {target}, got {re.escape(row)}"):
            _conform(good, target)
        return
    result = _conform(good, target)
    converted = result.frame["x"]
    if outcome == "same":
        assert result.conversions == ()
        assert converted.dtype == good.dtype
        pd.testing.assert_series_equal(converted, good, check_names=False)
        return
    assert str(converted.dtype) in _REPRESENTATION[target]
    assert converted.isna().tolist() == good.isna().tolist()
    changed = converted.dtype != good.dtype
    assert [c.column for c in result.conversions] == (["x"] if changed else [])
    if changed:
        assert (result.conversions[0].from_type, result.conversions[0].rule) == (row, outcome)
    if outcome.startswith("cast if"):
        bad = bad_value_column(row, target, outcome)
        with pytest.raises(SignatureMismatch, match=rf"x: expected {target}, got "
                                                    rf"{re.escape(row)} \(") as refused:
            _conform(bad, target)
        assert refused.value.columns == ["x"]
