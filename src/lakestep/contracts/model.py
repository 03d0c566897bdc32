"""The contract of one gold table, as a frozen pydantic model that rejects unknown keys.

Every rule a contract must satisfy is checked when it is loaded, so a bad contract fails
before any data is read: types parse, the primary key exists (Unity Catalog feature tables
need one) and is NOT NULL, an SCD2 table has its validity columns and a business key, and
value constraints fit the column's type.
"""

from __future__ import annotations

import difflib
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from lakestep.config import check_identifier
from lakestep.contracts.types import INTEGRAL, NUMERIC, parse_type
from lakestep.errors import ContractError, LakestepError, cap_list

if TYPE_CHECKING:
    from pyspark.sql import types as T

IS_CURRENT = "is_current"
EFFECTIVE_FROM = "effective_from"
EFFECTIVE_TO = "effective_to"
SCD2_COLUMNS = (IS_CURRENT, EFFECTIVE_FROM, EFFECTIVE_TO)

Bound = int | float | Decimal | date
AllowedValue = bool | int | str


class ColumnSpec(BaseModel):
    """One column: Spark SQL type, nullability (NOT NULL unless ``nullable: true``) and
    optional value constraints (inclusive ``min``/``max``, ``allowed_values``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    type: str
    nullable: bool = False
    description: str = ""
    allowed_values: tuple[AllowedValue, ...] | None = None
    min: Bound | None = None
    max: Bound | None = None

    @field_validator("name")
    @classmethod
    def _identifier(cls, name: str) -> str:
        return _checked_identifier("column", name)

    @field_validator("type")
    @classmethod
    def _canonical_type(cls, text: str) -> str:
        return parse_type(text).simpleString()

    @model_validator(mode="after")
    def _constraints_fit_type(self) -> ColumnSpec:
        data_type = self.data_type
        if self.allowed_values is not None:
            _check_allowed_values(self.name, data_type, self.allowed_values)
        for label, bound in (("min", self.min), ("max", self.max)):
            if bound is not None:
                _check_bound(self.name, data_type, label, bound)
        if self.min is not None and self.max is not None and self.min > self.max:  # type: ignore[operator]
            raise ValueError(f"column {self.name}: min {self.min} is above max {self.max}")
        return self

    @property
    def data_type(self) -> T.DataType:
        return parse_type(self.type)


class Contract(BaseModel):
    """What a gold table must look like: its columns, primary key and SCD2 shape."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    table: str
    description: str = Field(min_length=1)
    primary_key: tuple[str, ...] = Field(min_length=1)
    scd2: bool = False
    business_key: tuple[str, ...] = ()
    columns: tuple[ColumnSpec, ...] = Field(min_length=1)
    _source: str = PrivateAttr(default="")

    @field_validator("table")
    @classmethod
    def _table_identifier(cls, name: str) -> str:
        return _checked_identifier("table", name)

    @model_validator(mode="after")
    def _keys_and_scd2(self) -> Contract:
        names = [c.name for c in self.columns]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"column(s) declared twice: {', '.join(duplicated)}")
        _check_key(self, "primary_key", self.primary_key)
        if self.scd2:
            _check_scd2(self)
        elif self.business_key:
            raise ValueError("business_key is only for SCD2 tables (scd2: true)")
        return self

    # -- lookups ----------------------------------------------------------------------
    @property
    def source(self) -> str:
        """The file this contract was loaded from ('' when built in code)."""
        return self._source

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> ColumnSpec:
        """The column ``name``; a clear :class:`ContractError` when the table has none.

        Feature definitions call this when they are loaded, so a typo fails early.
        """
        for column in self.columns:
            if column.name == name:
                return column
        close = difflib.get_close_matches(name, self.column_names, n=1)
        guess = f"did you mean {close[0]!r}? " if close else ""
        raise ContractError(
            f"table {self.table} has no column {name!r}",
            f"{guess}its columns are {cap_list(self.column_names, 30)}",
        )

    def spark_schema(self) -> T.StructType:
        """The contract as a PySpark ``StructType`` (descriptions as column comments)."""
        from pyspark.sql import types as T

        return T.StructType([
            T.StructField(c.name, c.data_type, c.nullable,
                          {"comment": c.description} if c.description else {})
            for c in self.columns
        ])

    def with_source(self, source: str) -> Contract:
        self._source = source
        return self


# -- checks used by the validators --------------------------------------------------------

def _checked_identifier(kind: str, name: str) -> str:
    try:
        return check_identifier(kind, name)
    except LakestepError as exc:
        raise ValueError(exc.message) from None


def _check_key(contract: Contract, label: str, key: tuple[str, ...]) -> None:
    by_name = {c.name: c for c in contract.columns}
    missing = [k for k in key if k not in by_name]
    if missing:
        raise ValueError(f"{label} names column(s) that are not declared: {', '.join(missing)}")
    if len(set(key)) != len(key):
        raise ValueError(f"{label} names a column twice")
    nullable = [k for k in key if by_name[k].nullable]
    if nullable:
        raise ValueError(f"{label} column(s) must not be nullable: {', '.join(nullable)}")


def _check_scd2(contract: Contract) -> None:
    by_name = {c.name: c for c in contract.columns}
    missing = [c for c in SCD2_COLUMNS if c not in by_name]
    if missing:
        raise ValueError(f"scd2 table needs column(s) {', '.join(missing)}")
    if by_name[IS_CURRENT].type != "boolean" or by_name[IS_CURRENT].nullable:
        raise ValueError(f"scd2 column {IS_CURRENT} must be a non-nullable boolean")
    validity = by_name[EFFECTIVE_FROM]
    if validity.type not in ("timestamp", "date") or validity.nullable:
        raise ValueError(f"scd2 column {EFFECTIVE_FROM} must be a non-nullable timestamp or date")
    if by_name[EFFECTIVE_TO].type != validity.type or not by_name[EFFECTIVE_TO].nullable:
        raise ValueError(
            f"scd2 column {EFFECTIVE_TO} must be a nullable {validity.type} (null = still current)"
        )
    if not contract.business_key:
        raise ValueError("scd2 table needs a business_key (the natural key whose versions it keeps)")
    _check_key(contract, "business_key", contract.business_key)
    if set(contract.business_key) == set(contract.primary_key):
        raise ValueError(
            "scd2 primary_key must identify one version (a surrogate key), not equal business_key"
        )


def _check_allowed_values(name: str, data_type: T.DataType, values: tuple[Any, ...]) -> None:
    from pyspark.sql import types as T

    if not values:
        raise ValueError(f"column {name}: allowed_values must not be empty")
    if isinstance(data_type, T.StringType):
        wanted: tuple[type, ...] = (str,)
    elif isinstance(data_type, INTEGRAL):
        wanted = (int,)
    elif isinstance(data_type, T.BooleanType):
        wanted = (bool,)
    else:
        raise ValueError(
            f"column {name}: allowed_values is for string, integer or boolean columns, "
            f"not {data_type.simpleString()}"
        )
    # bool is an int in Python: an integer column must not list true/false.
    wrong = [v for v in values if not isinstance(v, wanted)
             or (isinstance(v, bool) and bool not in wanted)]
    if wrong:
        raise ValueError(
            f"column {name}: allowed_values {wrong[:3]} do not fit type {data_type.simpleString()}"
        )


def _check_bound(name: str, data_type: T.DataType, label: str, bound: Any) -> None:
    from pyspark.sql import types as T

    if isinstance(data_type, NUMERIC):
        ok = isinstance(bound, int | float | Decimal) and not isinstance(bound, bool)
    elif isinstance(data_type, T.DateType):
        ok = isinstance(bound, date) and not isinstance(bound, datetime)
    else:
        raise ValueError(
            f"column {name}: {label} is for numeric or date columns, not {data_type.simpleString()}"
        )
    if not ok:
        raise ValueError(
            f"column {name}: {label} {bound!r} does not fit type {data_type.simpleString()}"
        )
