"""conform on Spark DataFrames: the Spark table of docs/conversion-matrix.md, as casts.

Refusals are raised by conform itself; conditional rules become guards that raise when the
frame is evaluated; nothing is collected by conform.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from pathlib import Path

import pytest
from mlflow.types.schema import ColSpec, DataType, Schema

from lakestep.conversions import MATRIX, TARGETS
from lakestep.errors import SignatureMismatch
from lakestep.signature import SPARK_ROWS, conform

DOC = Path(__file__).resolve().parents[2] / "docs" / "conversion-matrix.md"
# One value of each Spark type that passes every conditional rule.
SAMPLES = {
    "boolean": ("boolean", True), "byte": ("tinyint", 1), "short": ("smallint", 1),
    "integer": ("int", 1), "long": ("bigint", 1), "float": ("float", 1.0),
    "double": ("double", 1.0), "decimal": ("decimal(10,2)", decimal.Decimal("1.00")),
    "string": ("string", "2024-01-01"), "binary": ("binary", b"x"),
    "date": ("date", dt.date(2024, 1, 1)), "timestamp": ("timestamp", dt.datetime(2024, 1, 1)),
    "timestamp_ntz": ("timestamp_ntz", dt.datetime(2024, 1, 1)),
}
_SPARK_TARGET = {"boolean": "boolean", "integer": "int", "long": "bigint", "float": "float",
                 "double": "double", "string": "string", "binary": "binary",
                 "datetime": "timestamp"}


def test_the_document_lists_every_spark_row():
    text = DOC.read_text()
    documented = dict(re.findall(r"^\| `(\w+)` \| `([^`]+)` \|$", text, re.M))
    assert documented == SPARK_ROWS
    assert set(SPARK_ROWS.values()) <= set(MATRIX)


@pytest.mark.parametrize("spark_type", sorted(SAMPLES))
def test_each_spark_type_against_each_schema_type(spark, spark_type):
    ddl, value = SAMPLES[spark_type]
    frame = spark.createDataFrame([(value,)], f"x {ddl}")
    row = SPARK_ROWS[spark_type]
    for target in TARGETS:
        outcome = MATRIX[row][target]
        schema = Schema([ColSpec(DataType[target], "x")])
        if outcome == "refuse":
            with pytest.raises(SignatureMismatch, match=rf"x: expected {target}, got {re.escape(ddl)} \(spark\)"):
                conform(frame, schema)
            continue
        result = conform(frame, schema)
        assert result.frame.schema["x"].dataType.simpleString() == _SPARK_TARGET[target]
        changed = ddl != _SPARK_TARGET[target]
        assert [c.rule for c in result.conversions] == ([outcome] if changed else [])


@pytest.mark.parametrize(("ddl", "value", "target", "rule"), [
    ("bigint", 2, "boolean", "0/1"),
    ("double", 1.5, "long", "integral"),
    ("double", 1e39, "float", "in range"),
    ("bigint", 2**40, "integer", "in range"),
    ("string", "not a date", "datetime", "ISO 8601"),
])
def test_conditional_rules_are_guards_evaluated_with_the_frame(spark, ddl, value, target, rule):
    one = "'2024-01-01'" if ddl == "string" else f"cast(1 as {ddl})"
    good = spark.range(1).selectExpr(f"{one} as x")
    bad = spark.createDataFrame([(value,)], f"x {ddl}")
    schema = Schema([ColSpec(DataType[target], "x")])
    assert conform(good, schema).frame.collect()[0]["x"] in (True, 1, 1.0, dt.datetime(2024, 1, 1))
    lazy = conform(bad, schema, model="main.ml.demand").frame  # nothing evaluated yet
    with pytest.raises(Exception, match=rf"model main\.ml\.demand: column 'x' expected {target}"
                                        rf".*cast if {re.escape(rule)}"):
        lazy.collect()


def test_missing_and_extra_columns(spark):
    frame = spark.createDataFrame([(1, "a")], "nights bigint, extra string")
    schema = Schema([ColSpec(DataType.double, "nights"), ColSpec(DataType.string, "country")])
    with pytest.raises(SignatureMismatch, match="country: expected string, got missing column"):
        conform(frame, schema)
    result = conform(frame, Schema([ColSpec(DataType.double, "nights")]))
    assert result.frame.columns == ["nights"] and result.ignored == ("extra",)
