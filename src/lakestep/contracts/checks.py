"""Checking a Spark DataFrame against its contract, and reading the current SCD2 rows.

:func:`validate` finds every problem before it raises, so one run tells the producer all
that is wrong. It never collects the table: the schema is compared on the driver, then at
most three aggregations run — one pass for row count, nulls, value constraints and SCD2
validity; one ``groupBy`` for duplicate primary keys; one for several current rows per
business key (``count(DISTINCT …)`` would fold these into one pass, but it is orders of
magnitude slower on Sail).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from lakestep.contracts.model import EFFECTIVE_FROM, EFFECTIVE_TO, IS_CURRENT, ColumnSpec, Contract
from lakestep.contracts.types import type_name
from lakestep.errors import ContractError, ContractViolation, Problem

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

log = logging.getLogger(__name__)


class Rule(StrEnum):
    """The rule a :class:`~lakestep.errors.Problem` names."""

    MISSING_COLUMN = "missing_column"
    UNEXPECTED_COLUMN = "unexpected_column"
    WRONG_TYPE = "wrong_type"
    NOT_NULL = "not_null"
    ALLOWED_VALUES = "allowed_values"
    MIN = "min"
    MAX = "max"
    DUPLICATE_KEY = "duplicate_key"
    MULTIPLE_CURRENT = "multiple_current"
    SCD2_VALIDITY = "scd2_validity"


@dataclass(frozen=True)
class ValidationReport:
    """What :func:`validate` checked on a frame that passed."""

    table: str
    rows: int
    checks: tuple[str, ...]
    seconds: float


def validate(df: DataFrame, contract: Contract, *, name: str | None = None) -> ValidationReport:
    """Check ``df`` against ``contract``; raise ONE :class:`ContractViolation` listing every
    problem (``name``, e.g. the three-level table name, is used in messages)."""
    started = time.perf_counter()
    table = name or contract.table
    actual = {field.name: field.dataType for field in df.schema.fields}
    problems = _schema_problems(actual, contract)
    typed = {c.name for c in contract.columns if actual.get(c.name) == c.data_type}
    present = set(actual)
    checks = ["schema"]

    rows, value_problems, value_checks = _value_problems(df, contract, typed)
    problems += value_problems
    checks += value_checks
    key = list(contract.primary_key)
    if rows and set(key) <= present:
        problems += _duplicates(df, key, Rule.DUPLICATE_KEY, "key value(s) occur more than once")
        checks.append(Rule.DUPLICATE_KEY.value)
    business_key = list(contract.business_key)
    if contract.scd2 and rows and IS_CURRENT in typed and set(business_key) <= present:
        current = df.filter(df[IS_CURRENT])
        problems += _duplicates(current, business_key, Rule.MULTIPLE_CURRENT,
                                "business key(s) have more than one current row")
        checks.append(Rule.MULTIPLE_CURRENT.value)
    seconds = time.perf_counter() - started
    if problems:
        raise ContractViolation(table, problems)
    log.info("contract %s: %d rows pass %d checks in %.2fs", table, rows, len(checks), seconds)
    return ValidationReport(table, rows, tuple(checks), seconds)


def current_rows(df: DataFrame, contract: Contract) -> DataFrame:
    """The current version of every business key (``is_current``) of an SCD2 table.

    Refuses a non-SCD2 table: it has no versions, so 'current rows' would silently be all.
    """
    if not contract.scd2:
        raise ContractError(
            f"table {contract.table} is not an SCD2 table, so it has no current rows",
            "read the table directly; current_rows is for contracts with scd2: true",
        )
    if IS_CURRENT not in df.columns:
        raise ContractError(
            f"the frame given for SCD2 table {contract.table} has no {IS_CURRENT} column",
            "pass the table as read, before selecting columns",
        )
    return df.filter(df[IS_CURRENT])


# -- the passes ---------------------------------------------------------------------------

def _schema_problems(actual: dict[str, Any], contract: Contract) -> list[Problem]:
    problems = []
    for column in contract.columns:
        if column.name not in actual:
            problems.append(Problem(column.name, Rule.MISSING_COLUMN,
                                    f"expected {column.type}, not in the frame"))
        elif actual[column.name] != column.data_type:
            problems.append(Problem(column.name, Rule.WRONG_TYPE,
                                    f"expected {column.type}, got {type_name(actual[column.name])}"))
    declared = set(contract.column_names)
    for name, data_type in actual.items():
        if name not in declared:
            problems.append(Problem(name, Rule.UNEXPECTED_COLUMN,
                                    f"{type_name(data_type)} column not in the contract; "
                                    "declare it or drop it"))
    return problems


def _value_problems(
    df: DataFrame, contract: Contract, typed: set[str]
) -> tuple[int, list[Problem], list[str]]:
    """One aggregation: row count plus every per-column and SCD2-validity count."""
    from pyspark.sql import functions as F

    measures: dict[str, Column] = {"__rows": F.count(F.lit(1))}
    for column in contract.columns:
        if column.name in typed:
            measures.update(_column_measures(column))
    if contract.scd2 and {IS_CURRENT, EFFECTIVE_FROM, EFFECTIVE_TO} <= typed:
        measures.update(_scd2_measures())
    aliases = {f"m{i}": key for i, key in enumerate(measures)}
    row = df.agg(*[expr.alias(alias) for alias, expr in
                   zip(aliases, measures.values(), strict=True)]).collect()[0]
    values = {key: row[alias] for alias, key in aliases.items()}
    rows = int(values.pop("__rows") or 0)
    problems = [p for p in (_problem(key, values, rows) for key in values) if p is not None]
    checks = sorted({key.split("|")[1] for key in values})
    return rows, problems, checks


def _column_measures(column: ColumnSpec) -> dict[str, Column]:
    """Counts of violations per rule, keyed ``column|rule|what``."""
    from pyspark.sql import functions as F

    col = F.col(column.name)
    measures: dict[str, Column] = {}

    def count_where(condition: Column) -> Column:
        return F.sum(F.when(condition, 1).otherwise(0))

    if not column.nullable:
        measures[f"{column.name}|{Rule.NOT_NULL}|count"] = count_where(col.isNull())
    if column.allowed_values is not None:
        outside = col.isNotNull() & ~col.isin(*column.allowed_values)
        measures[f"{column.name}|{Rule.ALLOWED_VALUES}|count"] = count_where(outside)
        measures[f"{column.name}|{Rule.ALLOWED_VALUES}|sample"] = F.min(F.when(outside, col))
    if column.min is not None:
        measures[f"{column.name}|{Rule.MIN}|count"] = count_where(col < _literal(column, column.min))
        measures[f"{column.name}|{Rule.MIN}|sample"] = F.min(col)
    if column.max is not None:
        measures[f"{column.name}|{Rule.MAX}|count"] = count_where(col > _literal(column, column.max))
        measures[f"{column.name}|{Rule.MAX}|sample"] = F.max(col)
    return measures


def _scd2_measures() -> dict[str, Column]:
    from pyspark.sql import functions as F

    current, start, end = F.col(IS_CURRENT), F.col(EFFECTIVE_FROM), F.col(EFFECTIVE_TO)
    # A current row is open-ended and a closed row ends after it starts; point-in-time
    # joins rely on both.
    open_mismatch = (current & end.isNotNull()) | (~current & end.isNull())
    return {
        f"{EFFECTIVE_TO}|{Rule.SCD2_VALIDITY}|open": F.sum(F.when(open_mismatch, 1).otherwise(0)),
        f"{EFFECTIVE_TO}|{Rule.SCD2_VALIDITY}|order": F.sum(F.when(end <= start, 1).otherwise(0)),
    }


def _literal(column: ColumnSpec, value: Any) -> Column:
    """A bound as a literal of the column's kind (Decimal for decimals: no float rounding)."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    if isinstance(column.data_type, T.DecimalType):
        return F.lit(Decimal(str(value))).cast(column.data_type)
    if isinstance(column.data_type, T.FloatType | T.DoubleType):
        return F.lit(float(value))
    return F.lit(value)


def _problem(key: str, values: dict[str, Any], rows: int) -> Problem | None:
    column, rule, what = key.split("|")
    if what == "sample" or not values[key]:
        return None
    count = int(values[key])
    sample = values.get(f"{column}|{rule}|sample")
    details = {
        Rule.NOT_NULL: f"{count:,} null value(s) in {rows:,} rows",
        Rule.ALLOWED_VALUES: f"{count:,} value(s) outside the allowed values, e.g. {sample!r}",
        Rule.MIN: f"{count:,} value(s) below the minimum; smallest {sample}",
        Rule.MAX: f"{count:,} value(s) above the maximum; largest {sample}",
    }
    if rule == Rule.SCD2_VALIDITY:
        detail = (f"{count:,} row(s) where is_current disagrees with an open effective_to"
                  if what == "open" else f"{count:,} row(s) end at or before they start")
    else:
        detail = details[Rule(rule)]
    return Problem(column, Rule(rule), detail)


def _duplicates(df: DataFrame, key: list[str], rule: Rule, what: str) -> list[Problem]:
    """One aggregation: how many key values repeat, how many rows they cover, one example."""
    from pyspark.sql import functions as F

    complete = df.select(*key).dropna()  # null keys are the not-null check's business
    repeated = complete.groupBy(*key).count().filter(F.col("count") > 1)
    row = repeated.agg(
        F.count(F.lit(1)).alias("keys"),
        F.sum("count").alias("rows"),
        F.min(F.struct(*key)).alias("sample"),
    ).collect()[0]
    if not row["keys"]:
        return []
    sample = ", ".join(f"{k}={row['sample'][k]!r}" for k in key)
    return [Problem(", ".join(key), rule,
                    f"{row['keys']:,} {what} ({row['rows']:,} rows), e.g. {sample}")]
