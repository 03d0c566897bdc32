"""Quality suites generated from a contract, a feature table and a model kind; every
generated check is an expectation great-expectations 1.x accepts."""

from __future__ import annotations

import pytest

from lakestep.contracts import load_contracts, parse_contract
from lakestep.errors import MonitoringError
from lakestep.features import FeatureTable
from lakestep.monitoring.quality import (
    SCORING_COLUMNS,
    Check,
    quality_suite_for_contract,
    quality_suite_for_feature_table,
    quality_suite_for_predictions,
)

CONTRACT = """
table: dim_hotel
description: Hotels, one row per version.
scd2: true
primary_key: [hotel_sk]
business_key: [hotel_id]
columns:
  - {name: hotel_sk, type: bigint, description: version key}
  - {name: hotel_id, type: bigint, description: hotel, min: 1}
  - {name: tier, type: string, description: tier, allowed_values: [budget, luxury]}
  - {name: price, type: "decimal(10,2)", description: price, min: 0.01, max: 9999.99}
  - {name: opened, type: date, description: opening day, nullable: true, min: 1990-01-01}
  - {name: effective_from, type: date, description: valid from}
  - {name: effective_to, type: date, description: valid to, nullable: true}
  - {name: is_current, type: boolean, description: current version}
"""


def _column_checks(suite, column):
    return [(c.expectation, {k: v for k, v in c.kwargs.items() if k != "column"})
            for c in suite.checks if c.column == column]


def test_contract_suite_has_every_rule_of_the_contract():
    suite = quality_suite_for_contract(parse_contract(CONTRACT, "dim_hotel.yml"))
    assert suite.name == "contract:dim_hotel"
    assert all(check.critical for check in suite.checks)
    assert suite.checks[0] == Check("expect_table_columns_to_match_set", None, {
        "column_set": ["hotel_sk", "hotel_id", "tier", "price", "opened", "effective_from",
                       "effective_to", "is_current"], "exact_match": True})
    assert _column_checks(suite, "hotel_id") == [
        ("expect_column_values_to_be_of_type", {"type_": "LongType"}),
        ("expect_column_values_to_not_be_null", {}),
        ("expect_column_values_to_be_between", {"min_value": 1, "max_value": None}),
        # SCD2: one current version per business key.
        ("expect_column_values_to_be_unique", {"row_condition": "is_current = true",
                                               "condition_parser": "spark"}),
    ]
    assert _column_checks(suite, "tier") == [
        ("expect_column_values_to_be_of_type", {"type_": "StringType"}),
        ("expect_column_values_to_not_be_null", {}),
        ("expect_column_values_to_be_in_set", {"value_set": ["budget", "luxury"]}),
    ]
    assert _column_checks(suite, "price") == [  # decimals become floats for GX
        ("expect_column_values_to_be_of_type", {"type_": "DecimalType"}),
        ("expect_column_values_to_not_be_null", {}),
        ("expect_column_values_to_be_between", {"min_value": 0.01, "max_value": 9999.99}),
    ]
    assert _column_checks(suite, "opened") == [  # nullable: no not-null check; ISO dates
        ("expect_column_values_to_be_of_type", {"type_": "DateType"}),
        ("expect_column_values_to_be_between", {"min_value": "1990-01-01", "max_value": None}),
    ]
    assert suite.checks[-2:] == (
        Check("expect_column_values_to_be_unique", "hotel_sk", {"column": "hotel_sk"}),
        Check("expect_column_values_to_be_unique", "hotel_id", {
            "column": "hotel_id", "row_condition": "is_current = true",
            "condition_parser": "spark"}),
    )


def test_feature_table_suite_checks_keys_and_that_no_feature_is_all_null():
    table = FeatureTable("main.features.customer_daily", ("customer_id", "date"), ("date",),
                         columns={"customer_id": "bigint", "date": "date",
                                  "bookings_30d": "bigint", "spend_30d": "double"})
    suite = quality_suite_for_feature_table(table)
    assert [(c.expectation, c.column) for c in suite.checks] == [
        ("expect_column_values_to_not_be_null", "customer_id"),
        ("expect_column_values_to_not_be_null", "date"),
        ("expect_compound_columns_to_be_unique", "customer_id, date"),
        ("expect_column_proportion_of_non_null_values_to_be_between", "bookings_30d"),
        ("expect_column_proportion_of_non_null_values_to_be_between", "spend_30d"),
        ("expect_table_row_count_to_be_between", None),
    ]
    assert suite.checks[2].kwargs == {"column_list": ["customer_id", "date"]}
    assert suite.checks[3].kwargs == {"column": "bookings_30d", "min_value": 0.0,
                                      "strict_min": True}


@pytest.mark.parametrize(("kind", "type_", "extra"), [
    ("regression", "DoubleType", []),
    ("classification", "LongType", [("expect_column_values_to_not_be_null", "probability"),
                                    ("expect_column_values_to_be_between", "probability")]),
    ("anomaly", "LongType", [("expect_column_values_to_be_in_set", "prediction")]),
])
def test_predictions_suite_follows_the_model_kind(kind, type_, extra):
    suite = quality_suite_for_predictions(kind, keys=["booking_id"])
    checks = [(c.expectation, c.column) for c in suite.checks]
    assert checks == [
        ("expect_table_row_count_to_be_between", None),
        ("expect_column_values_to_be_of_type", "prediction"),
        ("expect_column_values_to_not_be_null", "prediction"),
        *extra,
        *[("expect_column_values_to_not_be_null", c) for c in SCORING_COLUMNS],
        ("expect_column_values_to_not_be_null", "booking_id"),
        ("expect_column_values_to_be_unique", "booking_id"),
    ]
    assert suite.checks[1].kwargs["type_"] == type_


def test_unknown_kind_is_refused_naming_the_kinds():
    with pytest.raises(MonitoringError, match="unknown model kind 'ranking'.*use one of "
                                              "regression, classification, anomaly"):
        quality_suite_for_predictions("ranking")


def test_every_generated_check_is_a_valid_gx_expectation():
    """GX validates expectation arguments when the object is built: a renamed argument in a
    new GX version fails here, not in a monitoring job."""
    suites = [quality_suite_for_contract(c) for c in load_contracts().values()]
    suites.append(quality_suite_for_contract(parse_contract(CONTRACT, "dim_hotel.yml")))
    suites += [quality_suite_for_predictions(k, ["id", "day"])
               for k in ("regression", "classification", "anomaly")]
    suites.append(quality_suite_for_feature_table(FeatureTable(
        "main.features.f", ("k",), columns={"k": "bigint", "v": "double"})))
    for suite in suites:
        for index, check in enumerate(suite.checks):
            expectation = check.to_gx(index)
            assert expectation.meta == {"lakestep_check": index}
            assert expectation.severity == "critical"
    with pytest.raises(MonitoringError, match="great-expectations has no expectation "
                                              "expect_the_unexpected"):
        Check("expect_the_unexpected", None).to_gx(0)
