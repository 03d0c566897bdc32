"""Spark SQL type strings of a contract (``bigint``, ``decimal(12,2)``…) as PySpark types.

Contracts are data, written by people: they name a column's type the way Databricks SQL
prints it. We parse that small vocabulary ourselves (no Spark session needed, so a
malformed contract fails in a unit test) and compare frames by ``DataType`` equality.
"""

from __future__ import annotations

import re
from functools import cache

from pyspark.sql import types as T

# Aliases Spark SQL accepts, mapped to one type object; simpleString() is the canonical name.
_SIMPLE: dict[str, T.DataType] = {
    "boolean": T.BooleanType(),
    "tinyint": T.ByteType(),
    "byte": T.ByteType(),
    "smallint": T.ShortType(),
    "short": T.ShortType(),
    "int": T.IntegerType(),
    "integer": T.IntegerType(),
    "bigint": T.LongType(),
    "long": T.LongType(),
    "float": T.FloatType(),
    "double": T.DoubleType(),
    "string": T.StringType(),
    "binary": T.BinaryType(),
    "date": T.DateType(),
    "timestamp": T.TimestampType(),
    "timestamp_ntz": T.TimestampNTZType(),
}
_DECIMAL = re.compile(r"^decimal\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)$")
MAX_DECIMAL_PRECISION = 38

INTEGRAL = (T.ByteType, T.ShortType, T.IntegerType, T.LongType)
NUMERIC = (*INTEGRAL, T.FloatType, T.DoubleType, T.DecimalType)


@cache
def parse_type(text: str) -> T.DataType:
    """The PySpark type of a Spark SQL type string; ``ValueError`` names what is accepted."""
    if not isinstance(text, str):
        raise ValueError(f"type must be a string such as 'bigint', got {text!r}")
    key = text.strip().lower()
    if key in _SIMPLE:
        return _SIMPLE[key]
    match = _DECIMAL.match(key)
    if match:
        precision, scale = int(match.group(1)), int(match.group(2))
        if not 1 <= precision <= MAX_DECIMAL_PRECISION or scale > precision:
            raise ValueError(
                f"bad type {text!r}: decimal(p,s) needs 1 <= p <= 38 and s <= p"
            )
        return T.DecimalType(precision, scale)
    if key.startswith("decimal(") and ")" not in key:
        raise ValueError(f"bad type {text!r}: in a {{name: …, type: …}} mapping YAML splits "
                         "at the comma; quote the type: 'decimal(12,2)'")
    known = ", ".join(sorted({t.simpleString() for t in _SIMPLE.values()}))
    raise ValueError(f"unknown type {text!r}; use one of {known}, decimal(p,s)")


def type_name(data_type: T.DataType) -> str:
    """Canonical Spark SQL spelling of a type, as used in messages."""
    return data_type.simpleString()
