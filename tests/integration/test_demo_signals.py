"""The planted signals of docs/demo-data.md are really in the demo tables, and drift shifts.

Each test measures a signal the way a model would see it and checks its documented
direction with a margin; remove the signal from the generator and the test fails.
"""

from __future__ import annotations

import uuid

import pytest
from pyspark.sql import functions as F

from lakestep.demo import build_gold
from lakestep.platform.base import Platform

SCALE = 20_000


def own_schema(platform: Platform) -> Platform:
    """The shared engine, with a gold schema no other test writes to."""
    from lakestep.platform.local import DeltaTableStore

    settings = platform.settings.with_overrides(gold_schema=f"gold_{uuid.uuid4().hex[:10]}")
    return Platform(settings, platform.spark, DeltaTableStore(platform.spark, settings))


class Gold:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def __getattr__(self, table: str):
        return self.platform.tables.read(self.platform.settings.gold(table))


@pytest.fixture(scope="module")
def gold(platform: Platform) -> Gold:
    local = own_schema(platform)
    build_gold(local, scale=SCALE, seed=11)
    return Gold(local)


@pytest.fixture(scope="module")
def drifted(platform: Platform) -> Gold:
    local = own_schema(platform)
    build_gold(local, scale=5_000, seed=11, drift=True)
    return Gold(local)


def rate(df, condition: str, value: str = "converted") -> float:
    return df.filter(condition).agg(F.avg(F.col(value).cast("double"))).collect()[0][0]


def with_destination_median(df, column: str):
    medians = df.groupBy("destination_id").agg(
        F.percentile_approx(column, 0.5).cast("double").alias("median"))
    return df.join(medians, "destination_id")


# -- demand_predictor / revenue_forecaster ---------------------------------------------------

def test_weekends_are_quieter(gold) -> None:
    daily = gold.fact_booking.groupBy("booking_date").count().join(
        gold.dim_date.select(F.col("date").alias("booking_date"), "is_weekend"), "booking_date")
    means = {r.is_weekend: r.mean for r in
             daily.groupBy("is_weekend").agg(F.avg("count").alias("mean")).collect()}
    assert means[True] < 0.9 * means[False]


def test_bookings_follow_the_destination_season(gold) -> None:
    by_month = (gold.fact_booking
                .join(gold.dim_destination.select("destination_id", "destination_type"),
                      "destination_id")
                .groupBy("destination_type", F.month("booking_date").alias("month")).count())
    counts = {(r.destination_type, r.month): r["count"] for r in by_month.collect()}

    def total(kind: str, months: range | tuple) -> int:
        return sum(counts.get((kind, m), 0) for m in months)

    assert total("beach", range(4, 7)) > 2 * total("beach", range(10, 13))
    assert total("ski", (12, 1, 2)) > 2 * total("ski", range(6, 9))


def test_revenue_grows(gold) -> None:
    revenue = gold.fact_booking.filter(~F.col("is_cancelled")).groupBy(
        (F.col("booking_date") >= "2024-07-01").alias("second_year")).agg(
        F.sum("total_amount").cast("double").alias("revenue"))
    years = {r.second_year: r.revenue for r in revenue.collect()}
    assert years[True] > 1.1 * years[False]


# -- conversion_predictor ---------------------------------------------------------------------

def test_conversion_depends_on_device(gold) -> None:
    views = gold.fact_page_view
    desktop, tablet, mobile = (rate(views, f"device = '{d}'")
                               for d in ("desktop", "tablet", "mobile"))
    assert desktop > tablet + 0.03 > mobile + 0.06


def test_conversion_falls_with_lead_time(gold) -> None:
    views = gold.fact_page_view
    assert rate(views, "lead_time_days <= 14") > rate(views, "lead_time_days >= 60") + 0.06


def test_conversion_falls_with_price_above_the_destination_median(gold) -> None:
    views = with_destination_median(gold.fact_page_view, "price_shown")
    assert rate(views, "price_shown < median") > rate(views, "price_shown > median") + 0.08


# -- pricing_optimizer -------------------------------------------------------------------------

def test_price_rises_with_stars_and_type(gold) -> None:
    priced = gold.fact_booking.filter("nights < 45").join(
        gold.dim_property.select("property_sk", "stars", "property_type"), "property_sk")
    by_stars = {r.stars: r.median for r in priced.groupBy("stars").agg(
        F.percentile_approx("nightly_price", 0.5).cast("double").alias("median")).collect()}
    medians = [by_stars[s] for s in sorted(by_stars)]
    assert medians == sorted(medians) and medians[-1] > 2 * medians[0]
    by_type = {r.property_type: r.median for r in priced.groupBy("property_type").agg(
        F.percentile_approx("nightly_price", 0.5).cast("double").alias("median")).collect()}
    assert by_type["villa"] > 2 * by_type["hostel"]


def test_beach_stays_cost_more_in_summer(gold) -> None:
    beach = gold.fact_booking.filter("nights < 45").join(
        gold.dim_destination.filter("destination_type = 'beach'").select("destination_id"),
        "destination_id")
    summer = rate(beach, "month(checkin_date) IN (7, 8)", "nightly_price")
    winter = rate(beach, "month(checkin_date) IN (1, 2)", "nightly_price")
    assert summer > 1.3 * winter


# -- customer_ltv ----------------------------------------------------------------------------

def test_past_revenue_predicts_the_next_90_days(gold) -> None:
    revenue = gold.fact_booking.filter(~F.col("is_cancelled") & (F.col("nights") < 45))
    cut, horizon = "2024-07-01", "2024-09-29"
    past = revenue.filter(F.col("booking_date") < cut).groupBy("customer_id").agg(
        F.sum("total_amount").cast("double").alias("past"))
    future = revenue.filter((F.col("booking_date") >= cut) & (F.col("booking_date") < horizon)) \
        .groupBy("customer_id").agg(F.sum("total_amount").cast("double").alias("future"))
    customers = gold.dim_customer.filter(F.col("signup_date") < cut).select("customer_id") \
        .distinct().join(past, "customer_id", "left").join(future, "customer_id", "left") \
        .fillna(0.0)
    assert customers.stat.corr("past", "future") > 0.3


def test_loyalty_tier_goes_with_spend(gold) -> None:
    spend = gold.fact_booking.filter(~F.col("is_cancelled")).groupBy("customer_sk").agg(
        F.sum("total_amount").cast("double").alias("spend"))
    tiers = gold.dim_customer.join(spend, "customer_sk").groupBy("loyalty_tier").agg(
        F.avg("spend").alias("spend"))
    by_tier = {r.loyalty_tier: r.spend for r in tiers.collect()}
    assert by_tier["platinum"] > by_tier["gold"] > by_tier["silver"] > by_tier["none"]


# -- booking_anomaly_detector ---------------------------------------------------------------

def test_anomalies_are_planted_at_the_documented_rate(gold) -> None:
    bookings = with_destination_median(gold.fact_booking, "nightly_price")
    absurd = bookings.filter((F.col("nights") >= 45) | (F.col("nightly_price") > 8 * F.col("median")))
    share = absurd.count() / bookings.count()
    assert 0.003 < share < 0.008
    normal_nights = bookings.filter("nights < 45").agg(F.max("nights")).collect()[0][0]
    assert normal_nights <= 10  # no ordinary stay comes near an absurd one


def test_cancellations_grow_with_lead_time(gold) -> None:
    bookings = gold.fact_booking
    overall = rate(bookings, "true", "is_cancelled")
    assert 0.05 < overall < 0.2
    assert rate(bookings, "lead_time_days >= 60", "is_cancelled") > \
        rate(bookings, "lead_time_days <= 7", "is_cancelled") + 0.03


# -- drift ------------------------------------------------------------------------------------

def test_without_drift_the_data_end_on_the_fixed_date(gold) -> None:
    last = gold.fact_page_view.agg(F.max("view_date")).collect()[0][0]
    assert str(last) == "2025-06-30"


def test_drift_appends_a_shifted_period(drifted) -> None:
    views = drifted.fact_page_view.withColumn(
        "period", F.when(F.col("view_date") > "2025-06-30", "drift")
        .when(F.col("view_date").between("2024-07-01", "2024-08-30"), "year_before"))
    stats = {r.period: r for r in views.groupBy("period").agg(
        F.count(F.lit(1)).alias("views"),
        F.avg((F.col("device") == "mobile").cast("double")).alias("mobile"),
        F.avg("lead_time_days").alias("lead"),
        F.avg(F.col("price_shown").cast("double")).alias("price")).collect()}
    drift, before = stats["drift"], stats["year_before"]
    assert drift.views > 1_000
    assert drift.mobile > before.mobile + 0.15
    assert drift.lead < 0.7 * before.lead
    assert drift.price > 1.1 * before.price
    last = drifted.fact_booking.agg(F.max("booking_date")).collect()[0][0]
    assert str(last) == "2025-08-30"


def test_drift_does_not_change_the_base_years(drifted, platform) -> None:
    plain = own_schema(platform)
    build_gold(plain, scale=5_000, seed=11)
    base = drifted.fact_booking.filter("booking_date <= '2025-06-30'")
    assert base.exceptAll(Gold(plain).fact_booking).count() == 0
