"""Feature table definitions are checked against the gold contracts when they are loaded."""

from __future__ import annotations

import pytest

from lakestep.contracts import parse_contract
from lakestep.errors import FeatureDefinitionError
from lakestep.features import FeatureTableDefinition, load_definitions
from lakestep.features.build import select_definitions
from lakestep.features.definitions import demo_definitions

FACT = parse_contract("""
table: fact_booking
description: one row per booking
primary_key: [booking_id]
columns:
  - {name: booking_id, type: bigint}
  - {name: customer_id, type: bigint}
  - {name: booking_date, type: date}
  - {name: total_amount, type: "decimal(12,2)"}
""", "fact_booking.yml")
CONTRACTS = {"fact_booking": FACT}


def definition(**overrides) -> FeatureTableDefinition:
    values = dict(name="spend", primary_keys=("customer_id", "date"), timeseries_column="date",
                  description="spend", columns_used={"fact_booking": ("customer_id",
                                                                      "booking_date")},
                  transform=lambda spark, sources: sources["fact_booking"])
    values.update(overrides)
    return FeatureTableDefinition(**values)


def test_a_definition_grounded_in_the_contracts_loads():
    loaded = load_definitions([definition()], CONTRACTS)
    assert list(loaded) == ["spend"]
    assert loaded["spend"].source_tables == ("fact_booking",)


def test_a_column_missing_from_the_contract_fails_at_load():
    bad = definition(columns_used={"fact_booking": ("customer_id", "booking_dt")})
    with pytest.raises(FeatureDefinitionError, match=r"feature table definition spend: uses table "
                       r"fact_booking has no column 'booking_dt'.*did you mean 'booking_date'"):
        load_definitions([bad], CONTRACTS)


def test_a_gold_table_without_a_contract_fails_at_load():
    bad = definition(columns_used={"fact_bookings": ("customer_id",)})
    with pytest.raises(FeatureDefinitionError, match="reads gold table 'fact_bookings', which has "
                       "no contract.*fact_booking"):
        load_definitions([bad], CONTRACTS)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"timeseries_column": "day"}, "timeseries column 'day' is not a primary key"),
        ({"primary_keys": ("customer id",)}, "invalid column name"),
        ({"name": "spend-daily"}, "invalid table name"),
        ({"columns_used": {}}, "columns_used is empty"),
    ],
)
def test_inconsistent_definitions_fail_when_declared(overrides, message):
    with pytest.raises(FeatureDefinitionError, match=message):
        definition(**overrides)


def test_names_are_unique_and_selection_names_what_exists():
    with pytest.raises(FeatureDefinitionError, match="is defined twice"):
        load_definitions([definition(), definition()], CONTRACTS)
    loaded = load_definitions([definition()], CONTRACTS)
    with pytest.raises(FeatureDefinitionError, match="nope: no such feature table.*spend"):
        select_definitions(["nope"], loaded)


def test_every_demo_table_declares_the_before_d_rule_and_its_keys():
    tables = {d.name: d for d in demo_definitions()}
    assert set(tables) == {"customer_daily", "property_daily", "destination_daily", "calendar"}
    for name in ("customer_daily", "property_daily", "destination_daily"):
        assert tables[name].timeseries_column == "date"
        assert "before D" in tables[name].description
    assert tables["calendar"].timeseries_column is None
    assert "known in advance" in tables["calendar"].description


def test_demo_definitions_match_the_packaged_gold_contracts():
    """The demo tables read only columns the packaged gold contracts declare."""
    loaded = load_definitions()
    assert set(loaded) == {"customer_daily", "property_daily", "destination_daily", "calendar"}
