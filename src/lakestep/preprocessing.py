"""Fit once, transform everywhere: a JSON-serialisable fitted preprocessor.

``fit(frame, spec)`` learns everything that depends on data — null fill values, frozen
categorical vocabularies — and returns a :class:`FittedPreprocessor`. Training and inference
call the SAME ``transform`` on that object (the packaged model stores it as JSON), so the
feature matrix cannot drift between the two.

Rules, all decided at fit time and never recomputed per batch:

* numeric columns (bool, all int widths, float32/64, Decimal, nullable pandas dtypes) become
  float64; NaN, None and ±inf are missing and filled with the training **median**
  (0.0 when the column had no value at all);
* boolean columns become 0.0/1.0; missing values get the training majority (False on a tie);
* categorical (string) columns get a vocabulary: the ``max_categories`` most frequent values
  at fit (ties broken by value), sorted. Every other value goes to an explicit *unseen*
  bucket and nulls to a *null* bucket, encoded one-hot (``col__<i>_<value>``,
  ``col__unseen``, ``col__null``) or as ordinal codes (vocabulary position, then unseen =
  len(vocabulary), null = len(vocabulary) + 1);
* date/timestamp columns become their declared parts (``col__month`` …); time zones are
  converted to UTC; a missing part gets the training median of that part.

Input columns are converted by :func:`lakestep.conversions.conform_columns`, the same table
that conforms inference input to a model signature.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from lakestep.conversions import MISSING, conform_columns, dtype_label
from lakestep.errors import ColumnMismatch, PreprocessingError, cap_list

FORMAT_VERSION = 1

Role = Literal["numeric", "boolean", "categorical", "datetime"]
ROLES: tuple[Role, ...] = ("numeric", "boolean", "categorical", "datetime")
# The schema type (mlflow DataType name) each role reads its input column as.
ROLE_TYPES: dict[str, str] = {
    "numeric": "double",
    "boolean": "boolean",
    "categorical": "string",
    "datetime": "datetime",
}

UNSEEN = "__unseen__"
NULL = "__null__"

_DOW = "dayofweek"
DATE_PARTS: dict[str, Callable[[pd.Series], Any]] = {
    "year": lambda s: s.dt.year,
    "quarter": lambda s: s.dt.quarter,
    "month": lambda s: s.dt.month,
    "day": lambda s: s.dt.day,
    _DOW: lambda s: s.dt.dayofweek,
    "dayofyear": lambda s: s.dt.dayofyear,
    "weekofyear": lambda s: s.dt.isocalendar().week,
    "hour": lambda s: s.dt.hour,
    "minute": lambda s: s.dt.minute,
    "is_weekend": lambda s: (s.dt.dayofweek >= 5).astype("float64").where(s.notna()),
}
DEFAULT_DATE_PARTS = ("year", "month", "day", _DOW)
DEFAULT_TIMESTAMP_PARTS = (*DEFAULT_DATE_PARTS, "hour")

_SPEC_KEYS = ("numeric", "boolean", "categorical", "datetime", "drop",
              "categorical_encoding", "max_categories")


@dataclass(frozen=True)
class PreprocessingSpec:
    """Which input column plays which role; ``drop`` lists columns that are never features.

    ``datetime`` maps a column to its parts (see :data:`DATE_PARTS`).
    """

    numeric: tuple[str, ...] = ()
    boolean: tuple[str, ...] = ()
    categorical: tuple[str, ...] = ()
    datetime: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    categorical_encoding: Literal["onehot", "ordinal"] = "onehot"
    max_categories: int = 50

    def __post_init__(self) -> None:
        for name in ("numeric", "boolean", "categorical", "drop"):
            object.__setattr__(self, name, tuple(str(c) for c in getattr(self, name)))
        parts = {str(c): tuple(p) for c, p in dict(self.datetime).items()}
        object.__setattr__(self, "datetime", parts)
        self._validate()

    def _validate(self) -> None:
        named = [*self.numeric, *self.boolean, *self.categorical, *self.datetime, *self.drop]
        repeated = sorted({c for c in named if named.count(c) > 1})
        if repeated:
            raise PreprocessingError(
                f"column(s) {cap_list(repeated)} appear in more than one role of the spec",
                "give each column exactly one role (or drop it)",
            )
        bad_parts = sorted({p for ps in self.datetime.values() for p in ps} - set(DATE_PARTS))
        if bad_parts or any(not ps for ps in self.datetime.values()):
            raise PreprocessingError(
                f"unknown or empty date parts {cap_list(bad_parts) or '(none given)'}",
                f"choose among {', '.join(DATE_PARTS)}",
            )
        if self.categorical_encoding not in ("onehot", "ordinal"):
            raise PreprocessingError(
                f"unknown categorical_encoding {self.categorical_encoding!r}",
                "use 'onehot' or 'ordinal'",
            )
        if int(self.max_categories) < 1:
            raise PreprocessingError("max_categories must be at least 1")
        if not self.input_columns():
            raise PreprocessingError("the spec declares no feature column",
                                     "name numeric, boolean, categorical or datetime columns")

    def input_columns(self) -> list[tuple[str, Role]]:
        """(column, role) for every feature input, in feature order."""
        return [
            *((c, "numeric") for c in self.numeric),
            *((c, "boolean") for c in self.boolean),
            *((c, "categorical") for c in self.categorical),
            *((c, "datetime") for c in self.datetime),
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "numeric": list(self.numeric),
            "boolean": list(self.boolean),
            "categorical": list(self.categorical),
            "datetime": {c: list(p) for c, p in self.datetime.items()},
            "drop": list(self.drop),
            "categorical_encoding": self.categorical_encoding,
            "max_categories": int(self.max_categories),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PreprocessingSpec:
        _reject_unknown_keys("preprocessing spec", data, _SPEC_KEYS)
        return cls(**dict(data))


def infer_spec(
    frame: pd.DataFrame,
    *,
    label: str | None = None,
    exclude: Iterable[str] = (),
    categorical_encoding: Literal["onehot", "ordinal"] = "onehot",
    max_categories: int = 50,
) -> PreprocessingSpec:
    """A spec from the dtypes of ``frame``: numbers → numeric, booleans → boolean, strings →
    categorical, dates and timestamps → datetime parts. ``label`` and ``exclude`` are left out.

    Columns it cannot place (all null, bytes, mixed objects …) are an error naming them.
    """
    excluded = list(exclude)
    unknown = [c for c in [*excluded, *([label] if label else [])] if c not in frame.columns]
    if unknown:
        raise PreprocessingError(f"infer_spec: {cap_list(unknown)} not in the frame",
                                 f"columns: {cap_list(map(str, frame.columns))}")
    roles: dict[str, list[str]] = {r: [] for r in ROLES}
    dates: dict[str, tuple[str, ...]] = {}
    unplaced = []
    for column in frame.columns:
        if column == label or column in excluded:
            continue
        row = dtype_label(frame[column])
        role = _ROLE_OF_ROW.get(row)
        if role is None:
            unplaced.append(f"{column} ({row})")
        elif role == "datetime":
            dates[column] = DEFAULT_DATE_PARTS if row == "date" else DEFAULT_TIMESTAMP_PARTS
        else:
            roles[role].append(column)
    if unplaced:
        raise PreprocessingError(
            f"infer_spec cannot choose a role for {cap_list(unplaced)}",
            "exclude these columns or declare a PreprocessingSpec",
        )
    return PreprocessingSpec(numeric=tuple(roles["numeric"]), boolean=tuple(roles["boolean"]),
                             categorical=tuple(roles["categorical"]), datetime=dates,
                             drop=tuple(excluded), categorical_encoding=categorical_encoding,
                             max_categories=max_categories)


_NUMBER_ROWS = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                "Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64",
                "object[int]", "float32", "float64", "Float32", "Float64", "object[float]",
                "decimal")
_ROLE_OF_ROW: dict[str, Role] = {
    **dict.fromkeys(_NUMBER_ROWS, "numeric"),
    **dict.fromkeys(("bool", "boolean", "object[bool]"), "boolean"),
    **dict.fromkeys(("object[str]", "string"), "categorical"),
    **dict.fromkeys(("date", "object[datetime]", "datetime64[ns]", "datetime64[us]",
                     "datetime64[ms]", "datetime64[s]", "datetime64[tz]"), "datetime"),
}


@dataclass(frozen=True)
class FittedPreprocessor:
    """What :func:`fit` learned; ``transform`` turns any frame into the feature matrix."""

    spec: PreprocessingSpec
    fill_values: Mapping[str, float]
    vocabularies: Mapping[str, tuple[str, ...]]
    feature_names: tuple[str, ...]
    version: int = FORMAT_VERSION

    @property
    def input_types(self) -> dict[str, str]:
        """Input column → the schema type it is read as (double/boolean/string/datetime)."""
        return {c: ROLE_TYPES[role] for c, role in self.spec.input_columns()}

    def clean_columns(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The input columns converted, before fills and encoding (what monitoring profiles).

        Numeric and boolean columns are float64 with NaN for missing; categorical columns
        hold a vocabulary value, ``UNSEEN`` or ``NULL``; datetime columns are naive UTC.
        """
        clean = _clean(frame, self.spec, "transform")
        for column in self.spec.categorical:
            clean[column] = self.buckets(column, clean[column])
        return clean

    def buckets(self, column: str, values: pd.Series) -> pd.Series:
        """Each value of a categorical column as its vocabulary value, UNSEEN or NULL."""
        vocabulary = list(self.vocabularies[column])
        codes = _codes(vocabulary, values)
        labels = np.array([*vocabulary, UNSEEN, NULL], dtype=object)
        return pd.Series(labels[codes], index=values.index, name=column, dtype=object)

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The float64 feature matrix, columns :attr:`feature_names`, index of ``frame``.

        Extra columns are ignored; missing or unconvertible ones raise
        :class:`PreprocessingError` naming every one. An empty frame gives an empty matrix.
        """
        clean = _clean(frame, self.spec, "transform")
        # One preallocated float64 matrix filled column by column, wrapped without a copy:
        # scoring runs this on every batch, and building it from a dict copied it twice.
        position = {name: i for i, name in enumerate(self.feature_names)}
        matrix = np.empty((len(frame), len(self.feature_names)), dtype="float64")
        for column, role in self.spec.input_columns():
            values = clean[column]
            if role in ("numeric", "boolean"):
                filled = values.to_numpy(dtype="float64", na_value=np.nan)
                matrix[:, position[column]] = np.where(np.isnan(filled),
                                                       self.fill_values[column], filled)
            elif role == "categorical":
                self._encode(column, values, matrix, position)
            else:
                for part in self.spec.datetime[column]:
                    name = f"{column}__{part}"
                    part_values = _date_part(values, part).fillna(self.fill_values[name])
                    matrix[:, position[name]] = part_values.to_numpy()
        return pd.DataFrame(matrix, index=frame.index, columns=list(self.feature_names),
                            copy=False)

    def _encode(self, column: str, values: pd.Series, matrix: np.ndarray,
                position: Mapping[str, int]) -> None:
        vocabulary = self.vocabularies[column]
        codes = _codes(list(vocabulary), values)
        if self.spec.categorical_encoding == "ordinal":
            matrix[:, position[column]] = codes
            return
        names = _category_names(column, vocabulary)
        first = position[names[0]]
        matrix[:, first:first + len(names)] = 0.0
        matrix[np.arange(len(codes)), first + codes] = 1.0

    # -- JSON --------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; :meth:`from_dict` rebuilds an equal object."""
        return {
            "version": self.version,
            "spec": self.spec.to_dict(),
            "fill_values": {k: float(v) for k, v in self.fill_values.items()},
            "vocabularies": {k: list(v) for k, v in self.vocabularies.items()},
            "feature_names": list(self.feature_names),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FittedPreprocessor:
        """Rebuild from :meth:`to_dict`; refuses unknown versions and inconsistent content."""
        version = data.get("version") if isinstance(data, Mapping) else None
        if version != FORMAT_VERSION:
            raise PreprocessingError(
                f"fitted preprocessor format version {version!r} is not supported; this "
                f"lakestep reads version {FORMAT_VERSION}",
                "refit with this lakestep, or load it with the lakestep that wrote it",
            )
        _reject_unknown_keys("fitted preprocessor", data,
                             ("version", "spec", "fill_values", "vocabularies", "feature_names"))
        spec = PreprocessingSpec.from_dict(data["spec"])
        vocabularies = {str(k): tuple(str(v) for v in vs)
                        for k, vs in data["vocabularies"].items()}
        fitted = cls(spec, {str(k): float(v) for k, v in data["fill_values"].items()},
                     vocabularies, tuple(data["feature_names"]))
        if fitted.feature_names != _feature_names(spec, vocabularies):
            raise PreprocessingError(
                "fitted preprocessor is inconsistent: its feature names do not follow from "
                "its spec and vocabularies",
                "the JSON was edited or corrupted; refit the preprocessor",
            )
        return fitted


def fit(frame: pd.DataFrame, spec: PreprocessingSpec) -> FittedPreprocessor:
    """Learn fill values and vocabularies from ``frame`` (pandas, at least one row)."""
    if isinstance(frame, pd.DataFrame) and len(frame) == 0:
        raise PreprocessingError(
            "cannot fit the preprocessor on an empty frame (0 rows)",
            "check the training query and its filters; fitting needs rows to learn from",
        )
    clean = _clean(frame, spec, "fit")
    fills: dict[str, float] = {}
    vocabularies: dict[str, tuple[str, ...]] = {}
    for column, role in spec.input_columns():
        values = clean[column]
        if role == "numeric":
            fills[column] = _median(values)
        elif role == "boolean":
            fills[column] = 1.0 if values.mean() > 0.5 else 0.0
        elif role == "categorical":
            vocabularies[column] = _vocabulary(values, int(spec.max_categories))
        else:
            for part in spec.datetime[column]:
                fills[f"{column}__{part}"] = _median(_date_part(values, part))
    names = _feature_names(spec, vocabularies)
    return FittedPreprocessor(spec, fills, vocabularies, names)


# -- helpers shared by fit and transform ------------------------------------------------


def _clean(frame: pd.DataFrame, spec: PreprocessingSpec, stage: str) -> pd.DataFrame:
    """Input columns read as their role's type: the one conversion both paths use."""
    if not isinstance(frame, pd.DataFrame):
        raise PreprocessingError(
            f"{stage} takes a pandas DataFrame, got {type(frame).__name__}",
            "for a Spark DataFrame, transform each batch inside mapInPandas",
        )
    targets = [(c, ROLE_TYPES[role], True) for c, role in spec.input_columns()]
    columns, _, mismatches = conform_columns(frame, targets)
    if mismatches:
        raise _column_problems(stage, mismatches)
    # Arrays, not Series: a duplicated index must not trigger an alignment.
    clean = pd.DataFrame({c: v.array for c, v in columns.items()}, index=frame.index)
    for column, role in spec.input_columns():
        if role == "numeric":
            values = clean[column].to_numpy(dtype="float64")
            clean[column] = np.where(np.isfinite(values), values, np.nan)
        elif role == "boolean":
            clean[column] = clean[column].astype(object).map(
                {True: 1.0, False: 0.0}).astype("float64")
    return clean


def _column_problems(stage: str, mismatches: list[ColumnMismatch]) -> PreprocessingError:
    missing = [m.column for m in mismatches if m.actual == MISSING]
    wrong = [str(m) for m in mismatches if m.actual != MISSING]
    parts = []
    if missing:
        parts.append(f"missing column(s) {cap_list(missing)}")
    if wrong:
        parts.append("column(s) of the wrong type:\n  " + "\n  ".join(wrong[:10])
                     + (f"\n  … and {len(wrong) - 10} more" if len(wrong) > 10 else ""))
    doing = "fit the preprocessor" if stage == "fit" else "transform with the fitted preprocessor"
    return PreprocessingError(
        f"cannot {doing}: " + "; ".join(parts),
        "select the columns the preprocessor was fitted on, with their types, "
        "or refit it on the new columns",
    )


def _median(values: pd.Series) -> float:
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    present = numbers[~np.isnan(numbers)]
    return float(np.median(present)) if len(present) else 0.0


def _vocabulary(values: pd.Series, limit: int) -> tuple[str, ...]:
    counts = values.dropna().value_counts()
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return tuple(sorted(str(value) for value, _ in ranked))


def _codes(vocabulary: list[str], values: pd.Series) -> np.ndarray:
    """Vocabulary position; unseen → len(vocabulary); null → len(vocabulary) + 1."""
    codes = pd.Index(vocabulary, dtype=object).get_indexer(values.astype(object))
    codes = np.where(codes < 0, len(vocabulary), codes)
    return np.where(values.isna().to_numpy(), len(vocabulary) + 1, codes)


def _date_part(values: pd.Series, part: str) -> pd.Series:
    return pd.Series(DATE_PARTS[part](values), index=values.index).astype("Float64").astype(
        "float64")


def _slug(value: str) -> str:
    return re.sub(r"[^0-9A-Za-z_]+", "_", value)[:30]


def _category_names(column: str, vocabulary: tuple[str, ...]) -> list[str]:
    return [*(f"{column}__{i}_{_slug(v)}" for i, v in enumerate(vocabulary)),
            f"{column}__unseen", f"{column}__null"]


def _feature_names(spec: PreprocessingSpec,
                   vocabularies: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    names: list[str] = []
    for column, role in spec.input_columns():
        if role == "categorical" and spec.categorical_encoding == "onehot":
            names.extend(_category_names(column, vocabularies[column]))
        elif role == "datetime":
            names.extend(f"{column}__{part}" for part in spec.datetime[column])
        else:
            names.append(column)
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise PreprocessingError(
            f"feature names {cap_list(clashes)} would appear twice",
            "rename the input columns so no column is called like another's feature",
        )
    return tuple(names)


def _reject_unknown_keys(what: str, data: Mapping[str, Any], known: Iterable[str]) -> None:
    extra = sorted(set(data) - set(known))
    if extra:
        raise PreprocessingError(f"{what} has unknown key(s) {cap_list(extra)}",
                                 f"known keys: {', '.join(known)}")
