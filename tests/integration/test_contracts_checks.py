"""validate() and current_rows() on real Spark frames: each violation kind is found and named."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from pyspark.sql import functions as F

from lakestep.contracts import Rule, current_rows, parse_contract, validate
from lakestep.errors import ContractError, ContractViolation
from things_contract import CONTRACT, SCHEMA

T1, T2, T3 = datetime(2024, 1, 1), datetime(2024, 2, 1), datetime(2024, 3, 1)


def _rows() -> list[list]:
    return [
        [10, 1, "red", 3, Decimal("9.99"), None, T1, T2, False],
        [11, 1, "blue", 4, Decimal("12.50"), "moved", T2, None, True],
        [20, 2, "green", 0, Decimal("0.00"), None, T1, T3, False],
        [21, 2, "green", 10, Decimal("1.00"), "x", T3, None, True],
        [30, 3, "red", 7, Decimal("5.00"), None, T2, None, True],
    ]


def _frame(spark, rows=None, schema=SCHEMA):
    return spark.createDataFrame([tuple(r) for r in (rows or _rows())], schema)


def _violation(df) -> ContractViolation:
    with pytest.raises(ContractViolation) as caught:
        validate(df, CONTRACT)
    return caught.value


def test_a_valid_frame_passes_with_a_report(spark) -> None:
    report = validate(_frame(spark), CONTRACT)
    assert report.table == "things"
    assert report.rows == 5
    assert {"schema", "not_null", "allowed_values", "min", "max", "duplicate_key",
            "multiple_current", "scd2_validity"} <= set(report.checks)


def test_missing_column(spark) -> None:
    error = _violation(_frame(spark).drop("size"))
    assert error.rules == {Rule.MISSING_COLUMN}
    assert error.problems[0].column == "size"
    assert "expected int" in error.problems[0].detail


def test_unexpected_column(spark) -> None:
    error = _violation(_frame(spark).withColumn("extra", F.col("size") * 2))
    assert error.rules == {Rule.UNEXPECTED_COLUMN}
    assert error.problems[0].column == "extra"


def test_wrong_type(spark) -> None:
    error = _violation(_frame(spark).withColumn("price", F.col("price").cast("double")))
    assert error.rules == {Rule.WRONG_TYPE}
    assert "expected decimal(8,2), got double" in str(error)


def test_null_in_a_non_null_column(spark) -> None:
    rows = _rows()
    rows[2][2] = None
    rows[4][2] = None
    error = _violation(_frame(spark, rows))
    assert error.rules == {Rule.NOT_NULL}
    assert "column 'colour'" in str(error) and "2 null value(s) in 5 rows" in str(error)


def test_nulls_are_allowed_in_nullable_columns(spark) -> None:
    rows = _rows()
    for row in rows:
        row[5] = None
    validate(_frame(spark, rows), CONTRACT)


def test_duplicate_primary_key(spark) -> None:
    rows = _rows()
    rows[4][0] = 10
    error = _violation(_frame(spark, rows))
    assert error.rules == {Rule.DUPLICATE_KEY}
    assert "1 key value(s) occur more than once (2 rows), e.g. thing_sk=10" in str(error)


def test_more_than_one_current_row_per_business_key(spark) -> None:
    rows = _rows()
    rows[0][7], rows[0][8] = None, True  # the old version of thing 1 is current again
    error = _violation(_frame(spark, rows))
    assert error.rules == {Rule.MULTIPLE_CURRENT}
    assert "thing_id=1" in str(error)


def test_scd2_validity(spark) -> None:
    rows = _rows()
    rows[1][7] = T3  # a current row with an end
    rows[2][7] = T1  # a closed row that ends when it starts
    error = _violation(_frame(spark, rows))
    assert error.rules == {Rule.SCD2_VALIDITY}
    assert len(error.problems) == 2


def test_allowed_values_min_and_max(spark) -> None:
    rows = _rows()
    rows[0][2] = "purple"
    rows[1][3] = -1
    rows[2][3] = 11
    rows[3][4] = Decimal("-0.01")
    error = _violation(_frame(spark, rows))
    assert error.rules == {Rule.ALLOWED_VALUES, Rule.MIN, Rule.MAX}
    message = str(error)
    assert "e.g. 'purple'" in message
    assert "column 'size': min" in message and "column 'price': min" in message
    assert "largest 11" in message


def test_every_problem_is_listed_in_one_error(spark) -> None:
    rows = _rows()
    rows[4][0] = 10
    rows[0][2] = None
    df = _frame(spark, rows).drop("note").withColumn("size", F.col("size").cast("bigint"))
    error = _violation(df)
    assert error.rules == {Rule.MISSING_COLUMN, Rule.WRONG_TYPE, Rule.NOT_NULL,
                           Rule.DUPLICATE_KEY}
    assert error.table == "things"
    assert "nothing was written" in str(error)


def test_the_error_uses_the_given_table_name(spark) -> None:
    with pytest.raises(ContractViolation, match=r"^main\.gold\.things violates its contract"):
        validate(_frame(spark).drop("size"), CONTRACT, name="main.gold.things")


def test_an_empty_frame_passes(spark) -> None:
    report = validate(spark.createDataFrame([], SCHEMA), CONTRACT)
    assert report.rows == 0


def test_current_rows_of_an_scd2_table(spark) -> None:
    current = current_rows(_frame(spark), CONTRACT)
    assert sorted(r.thing_sk for r in current.collect()) == [11, 21, 30]


def test_current_rows_refuses_a_non_scd2_table(spark) -> None:
    plain = parse_contract(
        "table: plain\ndescription: d\nprimary_key: [a]\ncolumns:\n  - {name: a, type: int}\n",
        "plain.yml")
    with pytest.raises(ContractError, match="plain is not an SCD2 table"):
        current_rows(spark.range(3), plain)


def test_current_rows_needs_the_is_current_column(spark) -> None:
    with pytest.raises(ContractError, match="has no is_current column"):
        current_rows(_frame(spark).drop("is_current"), CONTRACT)
