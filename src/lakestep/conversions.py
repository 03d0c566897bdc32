"""The table of safe conversions and the pandas code that applies it.

One table, :data:`MATRIX`, says for every input dtype (a row label from :func:`dtype_label`)
and every schema type (an ``mlflow.types.DataType`` name) what happens:

* ``same``: the column already has the target representation; nothing is recorded;
* ``cast``: always safe; converted and recorded;
* ``cast if 0/1`` / ``cast if in range`` / ``cast if integral`` / ``cast if ISO 8601``:
  converted when every non-null value passes the check, refused otherwise;
* ``refuse``: never converted.

Both :func:`lakestep.signature.conform` (inference) and the preprocessor (training) convert
columns through :func:`conform_columns`, so the two paths cannot drift apart.
Target representations: boolean → ``bool`` (``object`` True/False/None with nulls),
integer/long → ``int32``/``int64`` (``Int32``/``Int64`` with nulls), float/double →
``float32``/``float64`` (NaN), string/binary → ``object`` (None), datetime →
``datetime64[ns]`` naive (time zones converted to UTC first).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lakestep.errors import ColumnMismatch

TARGETS = ("boolean", "integer", "long", "float", "double", "string", "binary", "datetime")
ANY = "any"

SAME = "same"
CAST = "cast"
ZERO_ONE = "cast if 0/1"
IN_RANGE = "cast if in range"
INTEGRAL = "cast if integral"
ISO = "cast if ISO 8601"
REFUSE = "refuse"
OUTCOMES = (SAME, CAST, ZERO_ONE, IN_RANGE, INTEGRAL, ISO, REFUSE)
MISSING = "missing column"

_NO = (REFUSE,) * 8


def _row(boolean: str, integer: str, long: str, float_: str, double: str,
         string: str = REFUSE, binary: str = REFUSE, datetime: str = REFUSE) -> dict[str, str]:
    return dict(zip(TARGETS, (boolean, integer, long, float_, double, string, binary, datetime),
                    strict=True))


def _numeric(integer: str, long: str, float_: str, double: str) -> dict[str, str]:
    return _row(ZERO_ONE, integer, long, float_, double)


# Rows are dtype labels (see dtype_label); columns are TARGETS. docs/conversion-matrix.md
# prints this table and tests/unit/test_signature_matrix.py checks the two agree.
MATRIX: dict[str, dict[str, str]] = {
    "bool": _row(SAME, REFUSE, REFUSE, CAST, CAST),
    "boolean": _row(CAST, REFUSE, REFUSE, CAST, CAST),
    "object[bool]": _row(CAST, REFUSE, REFUSE, CAST, CAST),
    "int8": _numeric(CAST, CAST, CAST, CAST),
    "int16": _numeric(CAST, CAST, CAST, CAST),
    "int32": _numeric(SAME, CAST, CAST, CAST),
    "int64": _numeric(IN_RANGE, SAME, CAST, CAST),
    "uint8": _numeric(CAST, CAST, CAST, CAST),
    "uint16": _numeric(CAST, CAST, CAST, CAST),
    "uint32": _numeric(IN_RANGE, CAST, CAST, CAST),
    "uint64": _numeric(IN_RANGE, IN_RANGE, CAST, CAST),
    "Int8": _numeric(CAST, CAST, CAST, CAST),
    "Int16": _numeric(CAST, CAST, CAST, CAST),
    "Int32": _numeric(CAST, CAST, CAST, CAST),
    "Int64": _numeric(IN_RANGE, CAST, CAST, CAST),
    "UInt8": _numeric(CAST, CAST, CAST, CAST),
    "UInt16": _numeric(CAST, CAST, CAST, CAST),
    "UInt32": _numeric(IN_RANGE, CAST, CAST, CAST),
    "UInt64": _numeric(IN_RANGE, IN_RANGE, CAST, CAST),
    "object[int]": _numeric(IN_RANGE, IN_RANGE, IN_RANGE, IN_RANGE),
    "float32": _numeric(INTEGRAL, INTEGRAL, SAME, CAST),
    "float64": _numeric(INTEGRAL, INTEGRAL, IN_RANGE, SAME),
    "Float32": _numeric(INTEGRAL, INTEGRAL, CAST, CAST),
    "Float64": _numeric(INTEGRAL, INTEGRAL, IN_RANGE, CAST),
    "object[float]": _numeric(INTEGRAL, INTEGRAL, IN_RANGE, CAST),
    "decimal": _numeric(INTEGRAL, INTEGRAL, IN_RANGE, IN_RANGE),
    "object[str]": _row(REFUSE, REFUSE, REFUSE, REFUSE, REFUSE, SAME, REFUSE, ISO),
    "string": _row(REFUSE, REFUSE, REFUSE, REFUSE, REFUSE, CAST, REFUSE, ISO),
    "bytes": _row(REFUSE, REFUSE, REFUSE, REFUSE, REFUSE, REFUSE, SAME, REFUSE),
    "date": _row(REFUSE, REFUSE, REFUSE, REFUSE, REFUSE, datetime=IN_RANGE),
    "object[datetime]": _row(REFUSE, REFUSE, REFUSE, REFUSE, REFUSE, datetime=IN_RANGE),
    "datetime64[ns]": _row(REFUSE, REFUSE, REFUSE, REFUSE, REFUSE, datetime=SAME),
    "datetime64[us]": _row(REFUSE, REFUSE, REFUSE, REFUSE, REFUSE, datetime=IN_RANGE),
    "datetime64[ms]": _row(REFUSE, REFUSE, REFUSE, REFUSE, REFUSE, datetime=IN_RANGE),
    "datetime64[s]": _row(REFUSE, REFUSE, REFUSE, REFUSE, REFUSE, datetime=IN_RANGE),
    "datetime64[tz]": _row(REFUSE, REFUSE, REFUSE, REFUSE, REFUSE, datetime=IN_RANGE),
    "null": dict.fromkeys(TARGETS, CAST),
    "object[mixed]": dict(zip(TARGETS, _NO, strict=True)),
    "timedelta64": dict(zip(TARGETS, _NO, strict=True)),
    "other": dict(zip(TARGETS, _NO, strict=True)),
}

# pandas.api.types.infer_dtype answers for object columns → MATRIX rows.
_OBJECT_ROWS = {
    "empty": "null",
    "string": "object[str]",
    "boolean": "object[bool]",
    "integer": "object[int]",
    "floating": "object[float]",
    "mixed-integer-float": "object[float]",
    "decimal": "decimal",
    "bytes": "bytes",
    "date": "date",
    "datetime": "object[datetime]",
    "datetime64": "object[datetime]",
}


@dataclass(frozen=True)
class Conversion:
    """One conversion conform made: ``column`` went from ``from_type`` to ``to_type``."""

    column: str
    from_type: str
    to_type: str
    rule: str


class Refused(Exception):
    """A column cannot take the target type; ``actual`` says why, ``sample`` shows a value."""

    def __init__(self, actual: str, sample: object = None) -> None:
        super().__init__(actual)
        self.actual = actual
        self.sample = sample


def dtype_label(series: pd.Series) -> str:
    """The MATRIX row of a pandas column: its dtype, or for ``object`` what it holds."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return dtype_label(series.astype(object))
    if isinstance(dtype, pd.BooleanDtype):
        return "boolean"
    if isinstance(dtype, pd.StringDtype):
        return "string"
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "datetime64[tz]"
    if isinstance(dtype, pd.api.extensions.ExtensionDtype):
        return dtype.name if dtype.name in MATRIX else "other"
    if dtype.kind == "O":
        if not series.notna().any():
            return "null"
        return _OBJECT_ROWS.get(pd.api.types.infer_dtype(series, skipna=True), "object[mixed]")
    if dtype.kind == "M":
        return str(dtype) if str(dtype) in MATRIX else "other"
    if dtype.kind == "m":
        return "timedelta64"
    return dtype.name if dtype.name in MATRIX else "other"


def _sample(values: pd.Series) -> object:
    return values.iloc[0] if len(values) else None


def _nonnull(series: pd.Series) -> pd.Series:
    return series[series.notna()]


def _as_float64(series: pd.Series) -> np.ndarray:
    """Numbers (bool, ints, floats, Decimals) as float64, NaN for nulls."""
    if series.dtype == object:
        return np.array([np.nan if pd.isna(v) else float(v) for v in series], dtype="float64")
    return series.to_numpy(dtype="float64", na_value=np.nan)


def _out(values: Any, series: pd.Series, dtype: Any = None) -> pd.Series:
    return pd.Series(values, index=series.index, name=series.name, dtype=dtype)


# -- one converter per target --------------------------------------------------------------


def _to_boolean(series: pd.Series, label: str, outcome: str) -> pd.Series:
    present = series.notna().to_numpy()
    if outcome == ZERO_ONE:
        nonnull = _nonnull(series)
        bad = nonnull[~nonnull.isin([0, 1])]
        if len(bad):
            raise Refused(f"{label} (values other than 0/1)", _sample(bad))
        values = series.isin([1]).to_numpy()
    else:
        values = series.to_numpy(dtype=bool, na_value=False)
    if present.all():
        return _out(values, series, bool)
    return _out(np.where(present, values, None), series, object)


_INT_LIMITS = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


def _to_integer(series: pd.Series, label: str, outcome: str, target: str) -> pd.Series:
    low, high = _INT_LIMITS[target]
    nonnull = _nonnull(series)
    if outcome == INTEGRAL:
        whole = [_is_integral(v) for v in nonnull]
        if not all(whole):
            raise Refused(f"{label} (fractional or non-finite values)",
                          nonnull.iloc[whole.index(False)])
    if outcome in (INTEGRAL, IN_RANGE):
        outside = [i for i, v in enumerate(nonnull) if not low <= int(v) <= high]
        if outside:
            raise Refused(f"{label} (values outside the {target} range)", nonnull.iloc[outside[0]])
    numpy_dtype = np.int32 if target == "integer" else np.int64
    if series.notna().all():
        if series.dtype.kind in "iu":
            return _out(series.to_numpy(dtype=numpy_dtype), series)
        return _out(np.array([int(v) for v in series], dtype=numpy_dtype), series)
    values = [None if pd.isna(v) else int(v) for v in series]
    return _out(pd.array(values, dtype="Int32" if target == "integer" else "Int64"), series)


def _is_integral(value: Any) -> bool:
    try:
        return bool(np.isfinite(float(value))) and int(value) == value
    except (OverflowError, ValueError):
        return False


_FLOAT_LIMITS = {"float": 3.4028234663852886e38, "double": float(np.finfo("float64").max)}


def _source_infinite(series: pd.Series, label: str) -> np.ndarray:
    """Where the input itself is ±infinity (kept as such; only finite values must fit)."""
    if label == "decimal":
        return np.array([not pd.isna(v) and v.is_infinite() for v in series], dtype=bool)
    if label == "object[int]":
        return np.zeros(len(series), dtype=bool)
    return np.isinf(_as_float64(series))


def _to_floating(series: pd.Series, label: str, outcome: str, target: str) -> pd.Series:
    try:
        values = _as_float64(series)
    except OverflowError:  # a Python int beyond float64
        bad = [v for v in _nonnull(series) if abs(v) > 2**1023]
        raise Refused(f"{label} (values outside the {target} range)", bad[0]) from None
    if outcome == IN_RANGE:
        too_big = (np.abs(values) > _FLOAT_LIMITS[target]) & ~_source_infinite(series, label)
        if too_big.any():
            raise Refused(f"{label} (values outside the {target} range)",
                          series.iloc[int(np.argmax(too_big))])
    return _out(values.astype(np.float32 if target == "float" else np.float64), series)


def _to_text(series: pd.Series, label: str, outcome: str) -> pd.Series:
    return _out(series.astype(object).where(series.notna(), None), series, object)


_NS_LOW, _NS_HIGH = pd.Timestamp.min, pd.Timestamp.max


def _to_datetime(series: pd.Series, label: str, outcome: str) -> pd.Series:
    if label == "null":
        return _out(pd.NaT, series, "datetime64[ns]")
    try:
        if label.startswith("datetime64["):
            converted = series
            if label == "datetime64[tz]":
                converted = series.dt.tz_convert("UTC").dt.tz_localize(None)
            converted = converted.astype("datetime64[ns]")
        else:
            parse: dict[str, Any] = {"format": "ISO8601"} if outcome == ISO else {}
            converted = pd.to_datetime(series, utc=True, **parse)
            converted = converted.dt.tz_localize(None).astype("datetime64[ns]")
    except (ValueError, TypeError, OverflowError) as exc:
        why = "not ISO 8601" if outcome == ISO else "outside the datetime range"
        raise Refused(f"{label} ({why})", _first_failing(series, outcome)) from exc
    lost = converted.isna().to_numpy() & series.notna().to_numpy()
    if lost.any():  # pandas reads "" and "NaT" as missing: a value must not vanish
        raise Refused(f"{label} (not a timestamp)", series[lost].iloc[0])
    return _out(converted.to_numpy(), series, "datetime64[ns]")


def _first_failing(series: pd.Series, outcome: str) -> object:
    """The first value that does not convert, found one by one (only on the error path)."""
    parse: dict[str, Any] = {"format": "ISO8601"} if outcome == ISO else {}
    for value in _nonnull(series):
        try:
            stamp = pd.to_datetime(value, utc=True, **parse)
            stamp.tz_localize(None).as_unit("ns")
        except (ValueError, TypeError, OverflowError):
            return value
    return None


_CONVERTERS: dict[str, Callable[[pd.Series, str, str], pd.Series]] = {
    "boolean": _to_boolean,
    "integer": lambda s, label, outcome: _to_integer(s, label, outcome, "integer"),
    "long": lambda s, label, outcome: _to_integer(s, label, outcome, "long"),
    "float": lambda s, label, outcome: _to_floating(s, label, outcome, "float"),
    "double": lambda s, label, outcome: _to_floating(s, label, outcome, "double"),
    "string": _to_text,
    "binary": _to_text,
    "datetime": _to_datetime,
}


def convert_column(series: pd.Series, target: str) -> tuple[pd.Series, str | None]:
    """``series`` converted to ``target``; the rule applied (None if unchanged).

    Raises :class:`Refused` when MATRIX refuses the pair or a value fails its check.
    """
    label = dtype_label(series)
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object).where(series.notna(), None)
    outcome = MATRIX[label][target]
    if outcome == REFUSE:
        raise Refused(label, _sample(_nonnull(series)))
    if outcome == SAME:
        return series, None
    return _CONVERTERS[target](series, label, outcome), outcome


def conform_columns(
    frame: pd.DataFrame, targets: Sequence[tuple[str, str, bool]]
) -> tuple[dict[str, pd.Series], list[Conversion], list[ColumnMismatch]]:
    """Convert each (column, target, required) of ``frame``; collect every problem.

    Returns the converted columns (schema order), the conversions made, and one
    :class:`ColumnMismatch` per column that is missing or cannot be converted.
    """
    if frame.columns.duplicated().any():
        duplicated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        return {}, [], [ColumnMismatch(c, "one column", "duplicated column", None)
                        for c in duplicated]
    columns: dict[str, pd.Series] = {}
    conversions: list[Conversion] = []
    mismatches: list[ColumnMismatch] = []
    for name, target, required in targets:
        if name not in frame.columns:
            if required:
                mismatches.append(ColumnMismatch(name, target, MISSING, None))
            continue
        if target == ANY:
            columns[name] = frame[name]
            continue
        try:
            converted, rule = convert_column(frame[name], target)
        except Refused as refused:
            mismatches.append(ColumnMismatch(name, target, refused.actual,
                                             _show(refused.sample)))
            continue
        columns[name] = converted
        if rule is not None and converted.dtype != frame[name].dtype:
            conversions.append(Conversion(name, dtype_label(frame[name]), target, rule))
    return columns, conversions, mismatches


def _show(value: object, limit: int = 40) -> str | None:
    """One sample value for a message: its repr, cut short; never a whole column."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
