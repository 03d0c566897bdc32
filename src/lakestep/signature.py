"""Conform a frame to a model signature, or fail naming every offending column.

``conform(frame, schema)`` takes a pandas or Spark DataFrame and an ``mlflow.types.Schema``
and returns the frame with exactly the schema's columns, in its order and with its types,
plus a report of every conversion made. What is safe is decided by one explicit table,
:data:`MATRIX` (input dtype by schema type), which ``docs/conversion-matrix.md`` prints and a
test checks against this code. Anything the table refuses, and every value a conditional
rule rejects, ends in ONE :class:`~lakestep.errors.SignatureMismatch` listing every column
with its expected type, its actual type and one sample value.

MLflow's own enforcement is stricter in the wrong places (it refuses int64 → double and
bool → double, which are safe) and laxer in others (it parses any object column for a
double); conform is what lakestep models run first, so they accept what is safe and refuse
the rest with one readable error.

The pandas conversions live in :mod:`lakestep.conversions`; the preprocessor uses them too,
so training and inference convert a column with the very same code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from lakestep.conversions import (
    ANY,
    MATRIX,
    MISSING,
    REFUSE,
    SAME,
    TARGETS,
    Conversion,
    conform_columns,
    dtype_label,
)
from lakestep.errors import ColumnMismatch, LakestepError, SignatureMismatch

if TYPE_CHECKING:
    from mlflow.types import Schema

__all__ = [
    "MATRIX",
    "TARGETS",
    "ConformResult",
    "Conversion",
    "conform",
    "dtype_label",
    "schema_targets",
]

# Spark SQL types, as ``DataType.typeName()``, and the pandas row of MATRIX that decides
# their fate: a Spark column converts exactly as the same data would in pandas.
SPARK_ROWS: dict[str, str] = {
    "boolean": "bool",
    "byte": "int8",
    "short": "int16",
    "integer": "int32",
    "long": "int64",
    "float": "float32",
    "double": "float64",
    "decimal": "decimal",
    "string": "object[str]",
    "binary": "bytes",
    "date": "date",
    "timestamp": "datetime64[ns]",
    "timestamp_ntz": "object[datetime]",
    "void": "null",
}

_SPARK_TARGETS: dict[str, str] = {
    "boolean": "boolean",
    "integer": "int",
    "long": "bigint",
    "float": "float",
    "double": "double",
    "string": "string",
    "binary": "binary",
    "datetime": "timestamp",
}

_F32_MAX = 3.4028234663852886e38


@dataclass(frozen=True)
class ConformResult:
    """The conformed frame (schema columns only, in schema order) and what was changed."""

    frame: Any
    conversions: tuple[Conversion, ...]
    ignored: tuple[str, ...] = ()


def schema_targets(schema: Schema) -> list[tuple[str, str, bool]]:
    """(column, target type name, required) for each column of a column-based schema.

    A target is a :class:`mlflow.types.DataType` name, or ``"any"`` for ``AnyType``, which
    conform passes through unchanged.
    """
    from mlflow.types.schema import AnyType, ColSpec, DataType

    if schema is None or schema.is_tensor_spec() or not schema.has_input_names():
        raise LakestepError(
            "conform needs a column-based schema with named columns",
            "build it from mlflow.types.ColSpec(type, name) entries",
        )
    targets = []
    for spec in schema.inputs:
        assert isinstance(spec, ColSpec)
        if isinstance(spec.type, DataType):
            target = spec.type.name
        elif isinstance(spec.type, AnyType):
            target = ANY
        else:
            raise LakestepError(
                f"column {spec.name!r} has schema type {spec.type!r}, which conform does not "
                "handle",
                f"use one of {', '.join(TARGETS)} (or AnyType) for model input columns",
            )
        targets.append((str(spec.name), target, bool(spec.required)))
    return targets


def conform(frame: Any, schema: Schema, *, model: str | None = None) -> ConformResult:
    """Return ``frame`` conformed to ``schema`` and the conversions made.

    Extra columns are dropped (listed in ``ignored``); missing required columns are an
    error, never a silent 0 or null; optional columns (``required=False``) may be absent.
    Raises :class:`SignatureMismatch` naming every column that cannot be conformed.
    A Spark DataFrame is conformed with column casts only (nothing is collected); value
    checks then run as guards when the frame is evaluated.
    """
    targets = schema_targets(schema)
    if isinstance(frame, pd.DataFrame):
        return _conform_pandas(frame, targets, model)
    if type(frame).__module__.startswith("pyspark."):
        return _conform_spark(frame, targets, model)
    raise LakestepError(
        f"conform takes a pandas or Spark DataFrame, got {type(frame).__name__}",
        "wrap the input in pandas.DataFrame(...)",
    )


def _conform_pandas(
    frame: pd.DataFrame, targets: Sequence[tuple[str, str, bool]], model: str | None
) -> ConformResult:
    columns, conversions, mismatches = conform_columns(frame, targets)
    if mismatches:
        raise SignatureMismatch(mismatches, model=model)
    wanted = {name for name, _, _ in targets}
    ignored = tuple(str(c) for c in frame.columns if c not in wanted)
    # Arrays, not Series: a duplicated index must not trigger an alignment.
    conformed = pd.DataFrame({c: v.array for c, v in columns.items()}, index=frame.index)
    return ConformResult(conformed, tuple(conversions), ignored)


# -- Spark --------------------------------------------------------------------------------


def _spark_row(data_type: Any) -> str:
    name = data_type.typeName()
    return SPARK_ROWS.get(name, "other")


def _conform_spark(
    frame: Any, targets: Sequence[tuple[str, str, bool]], model: str | None
) -> ConformResult:
    from pyspark.sql import functions as F

    fields = {f.name: f.dataType for f in frame.schema.fields}
    expressions, conversions, mismatches = [], [], []
    for name, target, required in targets:
        if name not in fields:
            if required:
                mismatches.append(ColumnMismatch(name, target, MISSING, None))
            continue
        spark_type = fields[name]
        row = _spark_row(spark_type)
        column = F.col(f"`{name}`")
        if target == ANY:
            expressions.append(column.alias(name))
            continue
        outcome = MATRIX[row][target]
        if outcome == REFUSE:
            mismatches.append(
                ColumnMismatch(name, target, f"{spark_type.simpleString()} (spark)", None)
            )
            continue
        if outcome == SAME or spark_type.simpleString() == _SPARK_TARGETS[target]:
            expressions.append(column.alias(name))
            continue
        expressions.append(_spark_cast(column, name, row, target, outcome, model).alias(name))
        conversions.append(
            Conversion(name, f"{spark_type.simpleString()} (spark)", target, outcome)
        )
    if mismatches:
        raise SignatureMismatch(mismatches, model=model)
    wanted = {name for name, _, _ in targets}
    ignored = tuple(c for c in frame.columns if c not in wanted)
    return ConformResult(frame.select(*expressions), tuple(conversions), ignored)


def _spark_guard(column: Any, target: str, outcome: str) -> Any:
    """A boolean Column that is true where a conditional rule accepts the value."""
    from pyspark.sql import functions as F

    if outcome.endswith("0/1"):
        return column.isin(0, 1)
    if outcome.endswith("integral"):
        limit = 2.0**31 if target == "integer" else 2.0**63
        return (column == F.floor(column)) & (column >= -limit) & (column < limit)
    if outcome.endswith("ISO 8601"):
        return F.try_to_timestamp(column).isNotNull()
    if outcome.endswith("in range") and target == "float":
        return (F.abs(column) <= F.lit(_F32_MAX)) | F.isnan(column) | (
            F.abs(column) == F.lit(float("inf"))
        )
    if outcome.endswith("in range") and target in ("integer", "long"):
        bits = 31 if target == "integer" else 63
        return column.between(-(2**bits), 2**bits - 1)
    return F.lit(True)  # Spark timestamps and decimals always fit the other targets


def _spark_cast(
    column: Any, name: str, row: str, target: str, outcome: str, model: str | None
) -> Any:
    from pyspark.sql import functions as F

    spark_target = _SPARK_TARGETS[target]
    if row in ("float32", "float64") and target in ("boolean", "integer", "long"):
        # NaN is a missing value here; Spark would cast it to true or 0.
        column = F.when(~F.isnan(column), column)
    if outcome == SAME or not outcome.startswith("cast if"):
        return column.cast(spark_target)
    guard = column.isNull() | _spark_guard(column, target, outcome)
    value = F.try_to_timestamp(column) if outcome.endswith("ISO 8601") else column
    what = f"model {model}" if model else "the model signature"
    message = (
        f"input does not match {what}: column {name!r} expected {target}, got {row} with a "
        f"value that fails '{outcome}' — cast it in the producing table"
    )
    return F.when(guard, value.cast(spark_target)).otherwise(
        F.raise_error(F.lit(message)).cast(spark_target)
    )
