"""Hypothesis strategies shared by lakestep's property tests.

``mixed_frames`` draws pandas frames whose columns have the dtypes real inputs have:
Decimal (as Spark returns DECIMAL), bool, int8..int64, float32, float64, nullable pandas
dtypes (Int64, boolean, string[pyarrow]), object columns of str / bool / None, timestamps,
nulls everywhere a dtype allows them, and empty frames. ``training_cases`` adds a matching
:class:`~lakestep.preprocessing.PreprocessingSpec` and a scoring frame with unseen
categories. ``spark_safe=True`` keeps to what survives Spark and Delta unchanged
(microsecond timestamps, DECIMAL with a fixed scale, no all-null training column);
``bounded=True`` keeps numbers small enough for an estimator (xgboost refuses ±inf).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from lakestep.preprocessing import DATE_PARTS, PreprocessingSpec

NUMERIC_KINDS = ("decimal", "int8", "int16", "int32", "int64", "float32", "float64", "Int64")
BOOLEAN_KINDS = ("bool", "boolean", "object_bool")
CATEGORICAL_KINDS = ("string", "object_str")
DATETIME_KINDS = ("datetime",)
KINDS = NUMERIC_KINDS + BOOLEAN_KINDS + CATEGORICAL_KINDS + DATETIME_KINDS
# More dtypes conform meets (not for Spark: it has no unsigned types).
EXTRA_KINDS = ("uint8", "uint64", "Float64")
# Kinds whose numpy dtype cannot hold a null.
NOT_NULLABLE = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint64")

TRAIN_ALPHABET = "abcÄ"
SCORE_ALPHABET = "abcÄxyz é"  # letters the training frame never saw: unseen categories

_INT_BOUNDS = {k: (int(np.iinfo(k).min), int(np.iinfo(k).max))
               for k in ("int8", "int16", "int32", "int64", "uint8", "uint64")}
_DTYPES = {"decimal": object, "int8": "int8", "int16": "int16", "int32": "int32",
           "int64": "int64", "float32": "float32", "float64": "float64", "Int64": "Int64",
           "bool": bool, "boolean": "boolean", "object_bool": object,
           "string": "string[pyarrow]", "object_str": object, "datetime": "datetime64[ns]",
           "uint8": "uint8", "uint64": "uint64", "Float64": "Float64"}


def _values(kind: str, *, alphabet: str, bounded: bool) -> st.SearchStrategy:
    if kind == "decimal":
        limit = 10**4 if bounded else 10**9
        return st.decimals(min_value=-limit, max_value=limit, places=2,
                           allow_nan=False, allow_infinity=False)
    if kind in _INT_BOUNDS or kind == "Int64":
        low, high = _INT_BOUNDS.get(kind, _INT_BOUNDS["int64"])
        return st.integers(max(low, -1000), min(high, 1000)) if bounded else st.integers(low, high)
    if kind in ("float32", "float64", "Float64"):
        width = 32 if kind == "float32" else 64
        if bounded:
            return st.floats(-1e4, 1e4, width=width)
        return st.floats(width=width, allow_nan=True, allow_infinity=True)
    if kind in BOOLEAN_KINDS:
        return st.booleans()
    if kind in CATEGORICAL_KINDS:
        return st.text(alphabet=alphabet, max_size=2)
    return st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2040, 1, 1))


@st.composite
def column(draw: st.DrawFn, kind: str, rows: int, *, nulls: bool = True,
           alphabet: str = TRAIN_ALPHABET, bounded: bool = False) -> pd.Series:
    """One column of ``kind`` with ``rows`` values (None where the dtype allows nulls)."""
    values = _values(kind, alphabet=alphabet, bounded=bounded)
    if nulls and kind not in NOT_NULLABLE:
        values = st.one_of(st.none(), values)
    drawn = draw(st.lists(values, min_size=rows, max_size=rows))
    if kind == "float32":
        drawn = [np.nan if v is None else v for v in drawn]
    return pd.Series(drawn, dtype=_DTYPES[kind])


@st.composite
def mixed_frames(draw: st.DrawFn, *, kinds: Sequence[str] = KINDS, min_rows: int = 0,
                 max_rows: int = 12, min_columns: int = 1, max_columns: int = 6,
                 nulls: bool = True, bounded: bool = False) -> pd.DataFrame:
    """A frame of ``min_columns``..``max_columns`` columns named ``c<i>_<kind>``."""
    rows = draw(st.integers(min_rows, max_rows))
    chosen = draw(st.lists(st.sampled_from(list(kinds)), min_size=min_columns,
                           max_size=max_columns))
    return pd.DataFrame({f"c{i}_{kind}": draw(column(kind, rows, nulls=nulls, bounded=bounded))
                         for i, kind in enumerate(chosen)})


def kind_of(name: str) -> str:
    return name.split("_", 1)[1]


@st.composite
def specs_for(draw: st.DrawFn, frame: pd.DataFrame) -> PreprocessingSpec:
    """A spec giving each column of a ``mixed_frames`` frame the role its kind implies."""
    roles: dict[str, list[str]] = {"numeric": [], "boolean": [], "categorical": []}
    dates: dict[str, tuple[str, ...]] = {}
    for name in frame.columns:
        kind = kind_of(name)
        if kind in DATETIME_KINDS:
            dates[name] = tuple(draw(st.lists(st.sampled_from(list(DATE_PARTS)), min_size=1,
                                              max_size=4, unique=True)))
        elif kind in BOOLEAN_KINDS:
            roles["boolean"].append(name)
        elif kind in CATEGORICAL_KINDS:
            roles["categorical"].append(name)
        else:
            roles["numeric"].append(name)
    return PreprocessingSpec(**roles, datetime=dates,
                             categorical_encoding=draw(st.sampled_from(["onehot", "ordinal"])),
                             max_categories=draw(st.integers(1, 6)))


@st.composite
def training_cases(draw: st.DrawFn, *, spark_safe: bool = False, bounded: bool = False,
                   max_rows: int = 12, kinds: Sequence[str] = KINDS
                   ) -> tuple[pd.DataFrame, pd.DataFrame, PreprocessingSpec]:
    """(training frame with ≥ 1 row, scoring frame — maybe empty — with unseen values, spec)."""
    train = draw(mixed_frames(kinds=kinds, min_rows=1, max_rows=max_rows, bounded=bounded))
    if spark_safe:
        # Spark cannot infer the type of a column that holds only nulls.
        for name in train.columns:
            if train[name].isna().all():
                kind = kind_of(name)
                train[name] = draw(column(kind, len(train), nulls=False, bounded=bounded))
    rows = draw(st.integers(0, max_rows))
    score = pd.DataFrame({name: draw(column(kind_of(name), rows, alphabet=SCORE_ALPHABET,
                                            bounded=bounded))
                          for name in train.columns})
    return train, score, draw(specs_for(train))
