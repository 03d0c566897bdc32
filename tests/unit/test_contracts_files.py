"""Contracts as data: the packaged gold contracts, and every way a contract file can be wrong."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from pyspark.sql import types as T

from lakestep.contracts import (
    Contract,
    get_contract,
    load_contract,
    load_contracts,
    parse_contract,
    parse_type,
)
from lakestep.errors import ContractError

GOLD = {"dim_customer", "dim_property", "dim_destination", "dim_date", "fact_booking",
        "fact_page_view"}

VALID = """\
table: things
description: A test table.
primary_key: [thing_id]
columns:
  - name: thing_id
    type: bigint
  - name: colour
    type: string
    nullable: true
    allowed_values: [red, green]
  - name: price
    type: decimal(8,2)
    min: 0
"""

SCD2 = """\
table: people
description: Versions of people.
scd2: true
primary_key: [person_sk]
business_key: [person_id]
columns:
  - {name: person_sk, type: bigint}
  - {name: person_id, type: bigint}
  - {name: effective_from, type: timestamp}
  - {name: effective_to, type: timestamp, nullable: true}
  - {name: is_current, type: boolean}
"""


def _write(tmp_path: Path, text: str, name: str = "things.yml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _error(tmp_path: Path, text: str, name: str = "things.yml") -> str:
    with pytest.raises(ContractError) as caught:
        load_contract(_write(tmp_path, text, name))
    message = str(caught.value)
    assert "\n" not in message, "contract errors are one line"
    assert name in message, "the error names the file"
    return message


# -- the packaged gold contracts ------------------------------------------------------------

def test_packaged_contracts_cover_every_gold_table() -> None:
    contracts = load_contracts()
    assert set(contracts) == GOLD
    for table, contract in contracts.items():
        assert contract.table == table
        assert contract.primary_key, f"{table} has no primary key"
        assert contract.description
        assert all(c.description for c in contract.columns), f"{table}: undocumented column"
        assert contract.source.endswith(f"{table}.yml")


def test_scd2_dimensions_are_declared_as_such() -> None:
    contracts = load_contracts()
    assert {t for t, c in contracts.items() if c.scd2} == {"dim_customer", "dim_property"}
    assert contracts["dim_customer"].business_key == ("customer_id",)
    assert contracts["dim_customer"].primary_key == ("customer_sk",)


def test_money_is_decimal_in_the_spark_schema() -> None:
    schema = get_contract("fact_booking").spark_schema()
    assert schema["nightly_price"].dataType == T.DecimalType(10, 2)
    assert schema["total_amount"].dataType == T.DecimalType(12, 2)
    assert schema["booking_id"].nullable is False
    assert schema["booking_ts"].dataType == T.TimestampType()
    assert schema["nightly_price"].metadata["comment"]


def test_column_lookup_fails_early_with_a_suggestion() -> None:
    contract = get_contract("fact_booking")
    assert contract.column("nights").type == "int"
    with pytest.raises(ContractError, match=r"fact_booking has no column 'night'.*did you mean 'nights'"):
        contract.column("night")


def test_unknown_table_lists_the_known_ones() -> None:
    with pytest.raises(ContractError, match=r"no contract for table 'fact_bookings'.*fact_booking"):
        get_contract("fact_bookings")


def test_load_contracts_returns_a_copy() -> None:
    load_contracts().pop("dim_date")
    assert "dim_date" in load_contracts()


# -- type strings ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("bigint", T.LongType()), ("LONG", T.LongType()), ("int", T.IntegerType()),
    ("integer", T.IntegerType()), ("decimal(12,2)", T.DecimalType(12, 2)),
    ("decimal( 38 , 0 )", T.DecimalType(38, 0)), ("timestamp", T.TimestampType()),
    ("date", T.DateType()), ("boolean", T.BooleanType()), ("string", T.StringType()),
    ("double", T.DoubleType()), ("timestamp_ntz", T.TimestampNTZType()),
])
def test_type_strings_parse(text: str, expected: T.DataType) -> None:
    assert parse_type(text) == expected


@pytest.mark.parametrize("text", ["bigintt", "decimal(39,2)", "decimal(4,5)", "decimal",
                                  "varchar(10)", "array<int>", ""])
def test_bad_type_strings_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="type"):
        parse_type(text)


def test_an_unquoted_decimal_in_a_flow_mapping_says_to_quote_it(tmp_path: Path) -> None:
    text = VALID.replace("  - name: price\n    type: decimal(8,2)\n    min: 0\n",
                         "  - {name: price, type: decimal(8,2)}\n")
    assert "quote the type" in _error(tmp_path, text)


def test_types_are_stored_canonically(tmp_path: Path) -> None:
    contract = load_contract(_write(tmp_path, VALID.replace("type: bigint", "type: LONG")))
    assert contract.column("thing_id").type == "bigint"


# -- contract files that are wrong ----------------------------------------------------------

def test_a_valid_file_loads(tmp_path: Path) -> None:
    contract = load_contract(_write(tmp_path, VALID))
    assert isinstance(contract, Contract)
    assert contract.column_names == ("thing_id", "colour", "price")
    assert contract.column("colour").allowed_values == ("red", "green")


def test_malformed_yaml(tmp_path: Path) -> None:
    message = _error(tmp_path, "table: things\ncolumns: [unclosed\n")
    assert "malformed YAML" in message


def test_yaml_that_is_not_a_mapping(tmp_path: Path) -> None:
    assert "expected a mapping" in _error(tmp_path, "- a\n- b\n")


def test_unknown_top_level_key(tmp_path: Path) -> None:
    message = _error(tmp_path, VALID + "owner: someone\n")
    assert "unknown key 'owner'" in message
    assert "primary_key" in message  # lists what is allowed


def test_unknown_column_key_names_the_column(tmp_path: Path) -> None:
    message = _error(tmp_path, VALID.replace("    min: 0", "    minimum: 0"))
    assert "column price" in message and "unknown key 'minimum'" in message


def test_bad_type_names_the_column(tmp_path: Path) -> None:
    message = _error(tmp_path, VALID.replace("decimal(8,2)", "money"))
    assert "column price" in message and "unknown type 'money'" in message


def test_primary_key_must_name_a_declared_column(tmp_path: Path) -> None:
    message = _error(tmp_path, VALID.replace("[thing_id]", "[thing_key]"))
    assert "primary_key names column(s) that are not declared: thing_key" in message


def test_primary_key_is_required(tmp_path: Path) -> None:
    assert "primary_key" in _error(tmp_path, VALID.replace("primary_key: [thing_id]\n", ""))
    assert "primary_key" in _error(tmp_path, VALID.replace("[thing_id]", "[]"))


def test_primary_key_must_not_be_nullable(tmp_path: Path) -> None:
    text = VALID.replace("[thing_id]", "[colour]")
    assert "must not be nullable: colour" in _error(tmp_path, text)


def test_scd2_table_needs_its_validity_columns(tmp_path: Path) -> None:
    text = SCD2.replace("  - {name: is_current, type: boolean}\n", "")
    assert "scd2 table needs column(s) is_current" in _error(tmp_path, text, "people.yml")


def test_scd2_table_needs_a_business_key(tmp_path: Path) -> None:
    text = SCD2.replace("business_key: [person_id]\n", "")
    assert "needs a business_key" in _error(tmp_path, text, "people.yml")


def test_scd2_effective_to_must_be_nullable(tmp_path: Path) -> None:
    text = SCD2.replace("{name: effective_to, type: timestamp, nullable: true}",
                        "{name: effective_to, type: timestamp}")
    assert "effective_to must be a nullable timestamp" in _error(tmp_path, text, "people.yml")


def test_scd2_primary_key_is_not_the_business_key(tmp_path: Path) -> None:
    text = SCD2.replace("primary_key: [person_sk]", "primary_key: [person_id]")
    assert "surrogate key" in _error(tmp_path, text, "people.yml")


def test_business_key_only_for_scd2(tmp_path: Path) -> None:
    text = VALID.replace("primary_key: [thing_id]", "primary_key: [thing_id]\nbusiness_key: [thing_id]")
    assert "business_key is only for SCD2" in _error(tmp_path, text)


def test_value_constraints_must_fit_the_type(tmp_path: Path) -> None:
    assert "allowed_values" in _error(tmp_path, VALID.replace("[red, green]", "[1, 2]"))
    text = VALID.replace("    min: 0", "    min: 0\n    allowed_values: [a]")
    assert "allowed_values is for string, integer or boolean" in _error(tmp_path, text)
    text = VALID.replace("allowed_values: [red, green]", "min: 3")
    assert "min is for numeric or date columns" in _error(tmp_path, text)
    text = VALID.replace("    min: 0", "    min: 5\n    max: 1")
    assert "min 5 is above max 1" in _error(tmp_path, text)


def test_duplicate_columns(tmp_path: Path) -> None:
    text = VALID + "  - name: colour\n    type: string\n"
    assert "declared twice: colour" in _error(tmp_path, text)


def test_column_names_must_be_identifiers(tmp_path: Path) -> None:
    text = VALID.replace("name: colour", "name: 'colour; drop table x'")
    assert "invalid column name" in _error(tmp_path, text)


def test_file_name_must_match_the_table(tmp_path: Path) -> None:
    message = _error(tmp_path, VALID, "others.yml")
    assert "declares table 'things' but the file is named 'others'" in message


def test_parse_contract_from_text_without_a_file() -> None:
    assert parse_contract(VALID, "<inline>").table == "things"


# -- a project's own folder -----------------------------------------------------------------

def test_project_folder_of_contracts(tmp_path: Path) -> None:
    _write(tmp_path, VALID)
    _write(tmp_path, SCD2, "people.yaml")
    (tmp_path / "README.md").write_text("not a contract")
    contracts = load_contracts(tmp_path)
    assert set(contracts) == {"things", "people"}
    assert get_contract("people", tmp_path).scd2


def test_missing_or_empty_project_folder(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="does not exist"):
        load_contracts(tmp_path / "nope")
    with pytest.raises(ContractError, match=r"no contracts \(\*\.yml\)"):
        load_contracts(tmp_path)


def test_one_bad_file_in_a_folder_is_named(tmp_path: Path) -> None:
    _write(tmp_path, VALID)
    _write(tmp_path, SCD2.replace("bigint", "bignum", 1), "people.yml")
    with pytest.raises(ContractError, match=r"contract people\.yml: .*unknown type 'bignum'"):
        load_contracts(tmp_path)


def test_contracts_are_frozen() -> None:
    contract = get_contract("dim_date")
    with pytest.raises(Exception, match="frozen"):
        contract.table = "other"  # type: ignore[misc]
