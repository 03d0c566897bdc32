"""Planning a training set: every bad lookup fails at create_training_set, naming table and
column, before a join runs. Pure Python: the planner sees only schemas."""

from __future__ import annotations

import datetime

import pytest

from lakestep.errors import FeatureLookupError, FeatureStoreError, FeatureTableNotFound
from lakestep.features import FeatureLookup, FeatureTable
from lakestep.features.plan import plan_training_set

CUSTOMER = "main.features.customer_daily"
CALENDAR = "main.features.calendar"
TABLES = {
    CUSTOMER: FeatureTable(
        name=CUSTOMER, primary_keys=("customer_id", "date"), timestamp_keys=("date",),
        columns={"customer_id": "bigint", "date": "date", "spend_30d": "double",
                 "bookings_30d": "bigint", "segment": "string"}),
    CALENDAR: FeatureTable(
        name=CALENDAR, primary_keys=("date",),
        columns={"date": "date", "is_weekend": "boolean", "month": "int"}),
}
LABELS = {"booking_id": "bigint", "customer_id": "bigint", "booking_date": "date",
          "amount": "double"}


def plan(lookups, labels=("amount",), exclude=(), label_types=LABELS, tables=TABLES):
    return plan_training_set(label_types, lookups, tables, list(labels), list(exclude))


def customer(**kwargs):
    return FeatureLookup(CUSTOMER, "customer_id", timestamp_lookup_key="booking_date", **kwargs)


def test_columns_are_label_frame_then_features_then_labels():
    result = plan([customer(), FeatureLookup(CALENDAR, "booking_date", feature_names=["month"])],
                  exclude=["booking_id"])
    # all features of a table come in alphabetical order, as on Databricks
    assert result.columns == ("customer_id", "booking_date", "bookings_30d", "segment",
                              "spend_30d", "month", "amount")
    assert result.feature_columns == ("bookings_30d", "segment", "spend_30d", "month")
    assert result.labels == ("amount",)


def test_lookups_on_the_same_table_and_key_share_one_join():
    result = plan([customer(feature_names=["spend_30d"]),
                   customer(feature_names=["segment"], rename_outputs={"segment": "seg"})])
    assert len(result.joins) == 1
    assert result.joins[0].outputs == (("spend_30d", "spend_30d"), ("segment", "seg"))


def test_defaults_are_typed_by_the_feature_column():
    result = plan([customer(feature_names=["spend_30d", "bookings_30d"],
                            default_values={"spend_30d": 0, "bookings_30d": 0})])
    assert result.defaults == (("spend_30d", 0, "double"), ("bookings_30d", 0, "bigint"))


def test_unknown_table():
    with pytest.raises(FeatureTableNotFound, match="main.features.nope does not exist"):
        plan([FeatureLookup("main.features.nope", "customer_id")])


@pytest.mark.parametrize(
    ("lookup", "message"),
    [
        (FeatureLookup(CUSTOMER, "client_id", timestamp_lookup_key="booking_date"),
         r"lookup key 'client_id' is not a column of the label frame"),
        (FeatureLookup(CUSTOMER, "customer_id", timestamp_lookup_key="when"),
         r"timestamp lookup key 'when' is not a column of the label frame"),
        (FeatureLookup(CUSTOMER, "customer_id"),
         r"time series table \(timeseries column 'date'\) but the lookup has no timestamp"),
        (FeatureLookup(CALENDAR, "booking_date", timestamp_lookup_key="booking_date"),
         r"timestamp_lookup_key 'booking_date' is set but the table has no timeseries column"),
        (FeatureLookup(CUSTOMER, ["customer_id", "booking_id"], timestamp_lookup_key="booking_date"),
         r"lookup_key \(customer_id, booking_id\) does not match the table's primary key "
         r"\(customer_id\)"),
        (customer(feature_names=["spend_31d"]), r"feature\(s\) spend_31d do not exist"),
        (customer(feature_names=["amount"]), r"feature\(s\) amount do not exist"),
        (customer(feature_names=["spend_30d"], rename_outputs={"spend_30d": "amount"}),
         r"output column 'amount' clashes with the label column"),
        (customer(feature_names=["spend_30d"], rename_outputs={"spend_30d": "booking_id"}),
         r"output column 'booking_id' clashes with a column of the label frame.*rename_outputs"),
        (customer(feature_names=["segment"], default_values={"segment": 1}),
         r"default value 1 for 'segment' does not fit its type string"),
        (customer(feature_names=["bookings_30d"], default_values={"bookings_30d": 1.5}),
         r"default value 1.5 for 'bookings_30d' does not fit its type bigint"),
        (customer(default_values={"nope": 1}), r"default_values names 'nope', which this lookup"),
    ],
)
def test_bad_lookups_name_the_table_and_the_column(lookup, message):
    with pytest.raises(FeatureLookupError, match=message) as caught:
        plan([lookup])
    assert lookup.table_name in str(caught.value)


def test_wrong_key_type_names_both_types_and_the_cast():
    label_types = {**LABELS, "customer_id": "string"}
    with pytest.raises(FeatureLookupError, match=r"'customer_id' is string in the label frame, "
                       r"but key 'customer_id' is bigint.*cast\('bigint'\)"):
        plan([customer()], label_types=label_types)


def test_two_lookups_producing_the_same_column_clash():
    other = FeatureTable(name="main.features.other", primary_keys=("customer_id",),
                         columns={"customer_id": "bigint", "segment": "string"})
    tables = {**TABLES, other.name: other}
    with pytest.raises(FeatureLookupError, match=r"main.features.other: output column 'segment' "
                       rf"is also produced by the lookup on {CUSTOMER}.*rename_outputs"):
        plan([customer(), FeatureLookup(other.name, "customer_id")], tables=tables)


def test_one_lookback_window_per_table():
    with pytest.raises(FeatureLookupError, match="different lookback windows"):
        plan([customer(feature_names=["segment"], lookback_window=datetime.timedelta(days=1)),
              customer(feature_names=["spend_30d"])])


@pytest.mark.parametrize(
    ("labels", "exclude", "message"),
    [
        (["converted"], [], "label column 'converted' is not a column of the label frame"),
        (["amount"], ["amount"], "label column 'amount' cannot be excluded"),
        (["amount", "amount"], [], "repeat a column"),
        (["amount"], ["typo"], "exclude_columns names typo"),
    ],
)
def test_bad_labels_and_exclusions(labels, exclude, message):
    with pytest.raises(FeatureStoreError, match=message):
        plan([customer()], labels=labels, exclude=exclude)


def test_reserved_column_prefix_is_refused():
    with pytest.raises(FeatureStoreError, match="reserved prefix"):
        plan([], label_types={**LABELS, "__lakestep_side": "int"})
