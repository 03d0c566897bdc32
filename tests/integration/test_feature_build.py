"""build_feature_tables: creates the demo feature tables through the FeatureStore port; a
re-run on the same gold layer changes nothing (no new Delta version), and a refresh after new
bookings merges just what changed and equals a full rebuild."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest

from lakestep.errors import FeatureDefinitionError
from lakestep.features import build_feature_tables
from lakestep.features.definitions import demo_definitions
from lakestep.platform.base import Platform

DEFINITIONS = {d.name: d for d in demo_definitions()}
DAY = datetime.timedelta(days=1)
START = datetime.date(2024, 1, 1)


def _gold(spark) -> dict:
    bookings = [
        (1 + i % 5, 1 + i % 3, 1 + i % 2, START + (i * 3) * DAY, START + (i * 3 + 4) * DAY,
         START + (i * 3 + 6) * DAY, Decimal("90.50"), Decimal("181.00"), i % 7 == 0)
        for i in range(60)
    ]
    days = [START + i * DAY for i in range(-10, 200)]
    return {
        "fact_booking": spark.createDataFrame(bookings, (
            "customer_id long, property_id long, destination_id int, booking_date date, "
            "checkin_date date, checkout_date date, nightly_price decimal(10,2), "
            "total_amount decimal(12,2), is_cancelled boolean")),
        "dim_customer": spark.createDataFrame([(c, START - 40 * DAY) for c in range(1, 6)],
                                              "customer_id long, signup_date date"),
        "dim_property": spark.createDataFrame([(p,) for p in range(1, 4)], "property_id long"),
        "dim_destination": spark.createDataFrame([(1,), (2,)], "destination_id int"),
        "dim_date": spark.createDataFrame(
            [(d, d.isoweekday(), d.day, d.month, (d.month - 1) // 3 + 1, d.isocalendar()[1],
              d.isoweekday() >= 6, d.day == 1) for d in days],
            "date date, day_of_week int, day_of_month int, month int, quarter int, "
            "week_of_year int, is_weekend boolean, is_holiday boolean"),
    }


@pytest.fixture
def isolated(platform) -> Platform:
    """The shared engine and stores, with gold and feature schemas of this test only."""
    suffix = uuid.uuid4().hex[:8]
    settings = platform.settings.with_overrides(gold_schema=f"gold_{suffix}",
                                                features_schema=f"features_{suffix}")
    own = Platform(settings, platform.spark, platform.tables, features=platform.features)
    for table, df in _gold(platform.spark).items():
        platform.tables.write(settings.gold(table), df)
    return own


def _content(df) -> list[tuple]:
    return sorted((tuple(r) for r in df.collect()), key=repr)


def test_build_creates_every_table_and_a_rerun_changes_nothing(isolated):
    seen = []
    names = build_feature_tables(isolated, definitions=DEFINITIONS,
                                 progress=lambda name, seconds: seen.append(name))
    settings = isolated.settings
    assert names == seen == [settings.feature_table(n) for n in DEFINITIONS]
    customer = isolated.features.get_table(name=settings.feature_table("customer_daily"))
    assert customer.primary_keys == ("customer_id", "date")
    assert customer.timeseries_column == "date"
    assert "before D" in customer.description
    assert customer.tags == {"lakestep.source_tables": "fact_booking,dim_customer"}
    assert isolated.features.get_table(name=settings.feature_table("calendar")).timestamp_keys == ()

    before = {n: _content(isolated.features.read_table(name=n)) for n in names}
    versions = {n: isolated.tables.version(n) for n in names}
    build_feature_tables(isolated, definitions=DEFINITIONS)
    for name in names:
        assert _content(isolated.features.read_table(name=name)) == before[name], name
        assert isolated.tables.version(name) == versions[name], name


def test_a_refresh_after_new_bookings_equals_a_full_rebuild(isolated):
    names = build_feature_tables(isolated, definitions=DEFINITIONS)
    versions = {n: isolated.tables.version(n) for n in names}
    fact = isolated.settings.gold("fact_booking")
    late = isolated.tables.read(fact).orderBy("booking_date", ascending=False).limit(2)
    # Two more bookings, a day after the last one and a week before it (a late arrival).
    from pyspark.sql import functions as F

    shifted = late.withColumn("shift", F.when(F.col("customer_id") == 1, 1).otherwise(-7))
    moved = shifted.select(
        "customer_id", "property_id", "destination_id",
        *[F.date_add(c, F.col("shift")).alias(c) for c in ("booking_date", "checkin_date",
                                                            "checkout_date")],
        "nightly_price", "total_amount", "is_cancelled")
    isolated.tables.write(fact, isolated.spark.createDataFrame(moved.toPandas(), moved.schema),
                          mode="append")
    build_feature_tables(isolated, definitions=DEFINITIONS)
    merged = {n: _content(isolated.features.read_table(name=n)) for n in names}
    changed = {n for n in names if isolated.tables.version(n) > versions[n]}
    assert isolated.settings.feature_table("customer_daily") in changed
    assert isolated.settings.feature_table("calendar") not in changed
    build_feature_tables(isolated, definitions=DEFINITIONS, full_refresh=True)
    for name in names:
        assert merged[name] == _content(isolated.features.read_table(name=name)), name


def test_build_writes_what_the_transform_computes(isolated):
    (name,) = build_feature_tables(isolated, ["property_daily"], definitions=DEFINITIONS)
    gold = {t: isolated.tables.read(isolated.settings.gold(t)) for t in ("fact_booking",
                                                                          "dim_property")}
    expected = DEFINITIONS["property_daily"].build(isolated.spark, gold)
    assert _content(isolated.features.read_table(name=name)) == _content(expected)
    assert not isolated.tables.exists(isolated.settings.feature_table("customer_daily"))


def test_full_refresh_recreates_the_table(isolated):
    (name,) = build_feature_tables(isolated, ["calendar"], definitions=DEFINITIONS)
    dim_date = isolated.settings.gold("dim_date")
    extra = isolated.tables.read(dim_date).orderBy("date", ascending=False).limit(1)
    from pyspark.sql import functions as F

    isolated.tables.write(dim_date, isolated.spark.createDataFrame(
        extra.withColumn("date", F.date_add("date", 1)).toPandas(), extra.schema), mode="append")
    build_feature_tables(isolated, ["calendar"], definitions=DEFINITIONS)
    assert isolated.tables.version(name) >= 2
    build_feature_tables(isolated, ["calendar"], definitions=DEFINITIONS, full_refresh=True)
    assert isolated.tables.version(name) == 1  # created again: write + metadata


def test_unknown_table_names_the_known_ones(isolated):
    with pytest.raises(FeatureDefinitionError, match="customer: no such feature table.*"
                       "customer_daily"):
        build_feature_tables(isolated, ["customer"], definitions=DEFINITIONS)


def test_demo_gold_layer_builds_every_feature_table(platform):
    """End to end on the real demo generator, with the contract-checked definitions."""
    from lakestep.demo import build_gold

    suffix = uuid.uuid4().hex[:8]
    settings = platform.settings.with_overrides(gold_schema=f"gold_{suffix}",
                                                features_schema=f"features_{suffix}")
    own = Platform(settings, platform.spark, platform.tables, features=platform.features)
    build_gold(own, scale=1_000, seed=3)
    names = build_feature_tables(own)
    counts = {n.split(".")[-1]: own.features.read_table(name=n).count() for n in names}
    assert set(counts) == {"customer_daily", "property_daily", "destination_daily", "calendar"}
    assert all(count > 0 for count in counts.values()), counts
    # one row per destination and day of the two booking years (+ the day after)
    assert counts["destination_daily"] == 24 * 731
