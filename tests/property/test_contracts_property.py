"""Generated SCD2 frames that break exactly one contract rule: exactly that rule is reported."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyspark.sql import functions as F

from lakestep.contracts import Rule, validate
from lakestep.errors import ContractViolation
from things_contract import CONTRACT, SCHEMA

COLUMNS = list(CONTRACT.column_names)
SK, ID, COLOUR, SIZE, PRICE, NOTE, FROM, TO, CURRENT = range(9)
NOT_NULL = [i for i, c in enumerate(CONTRACT.columns) if not c.nullable]
START = datetime(2024, 1, 1)

values = st.tuples(
    st.sampled_from(["red", "green", "blue"]),
    st.integers(0, 10),
    st.decimals(min_value=0, max_value=Decimal("999999.99"), places=2),
    st.one_of(st.none(), st.text("abc xyz", max_size=5)),
)


@st.composite
def valid_rows(draw) -> list[list]:
    """1–5 things, the first with at least two versions, each version 30 days long."""
    versions = [draw(st.integers(2, 3)), *draw(st.lists(st.integers(1, 3), max_size=4))]
    rows = []
    for thing, count in enumerate(versions, start=1):
        for version in range(count):
            colour, size, price, note = draw(values)
            start = START + timedelta(days=30 * version)
            end = None if version == count - 1 else start + timedelta(days=30)
            rows.append([thing * 10 + version, thing, colour, size, price, note, start, end,
                         end is None])
    return rows


def _break(rule: str | None, rows: list[list], data: st.DataObject):
    """The rows (or a function of the frame) breaking exactly ``rule``."""
    pick = lambda: data.draw(st.integers(0, len(rows) - 1))  # noqa: E731
    frame_change = None
    if rule == Rule.MISSING_COLUMN:
        column = data.draw(st.sampled_from(COLUMNS))
        frame_change = lambda df: df.drop(column)  # noqa: E731
    elif rule == Rule.UNEXPECTED_COLUMN:
        frame_change = lambda df: df.withColumn("extra", F.lit(1))  # noqa: E731
    elif rule == Rule.WRONG_TYPE:
        column, new_type = data.draw(st.sampled_from([
            ("size", "bigint"), ("price", "double"), ("thing_id", "int"), ("note", "binary"),
            ("effective_from", "date"), ("is_current", "int"), ("thing_sk", "string")]))
        frame_change = lambda df: df.withColumn(column, F.col(column).cast(new_type))  # noqa: E731
    elif rule == Rule.NOT_NULL:
        rows[pick()][data.draw(st.sampled_from(NOT_NULL))] = None
    elif rule == Rule.ALLOWED_VALUES:
        rows[pick()][COLOUR] = data.draw(st.sampled_from(["purple", "Red", ""]))
    elif rule == Rule.MIN:
        index = pick()
        if data.draw(st.booleans()):
            rows[index][SIZE] = data.draw(st.integers(-100, -1))
        else:
            rows[index][PRICE] = Decimal("-0.01")
    elif rule == Rule.MAX:
        rows[pick()][SIZE] = data.draw(st.integers(11, 10_000))
    elif rule == Rule.DUPLICATE_KEY:
        first = pick()
        second = data.draw(st.integers(0, len(rows) - 1).filter(lambda i: i != first))
        rows[second][SK] = rows[first][SK]
    elif rule == Rule.MULTIPLE_CURRENT:
        rows[0][TO], rows[0][CURRENT] = None, True  # thing 1, version 0 is current again
    elif rule == Rule.SCD2_VALIDITY:
        if data.draw(st.booleans()):
            rows[-1][TO] = rows[-1][FROM] + timedelta(days=1)  # a current row with an end
        else:
            rows[0][TO] = rows[0][FROM]  # a closed row ending when it starts
    return rows, frame_change


# Every rule gets its own examples (hypothesis alone would draw some rules rarely).
@pytest.mark.parametrize("rule", [None, *Rule], ids=lambda r: str(r or "valid"))
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=valid_rows(), data=st.data())
def test_exactly_the_broken_rule_is_reported(spark, rule, rows, data) -> None:
    rows, frame_change = _break(rule, rows, data)
    df = spark.createDataFrame([tuple(r) for r in rows], SCHEMA)
    if frame_change is not None:
        df = frame_change(df)
    if rule is None:
        assert validate(df, CONTRACT).rows == len(rows)
        return
    try:
        validate(df, CONTRACT)
    except ContractViolation as error:
        assert error.rules == {rule}, str(error)
    else:
        raise AssertionError(f"breaking {rule} was not detected")
