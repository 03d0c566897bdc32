"""fact_booking and fact_page_view, shaped from the funnel of :mod:`lakestep.demo.activity`.

Money is DECIMAL: prices are rounded to cents once, then every amount is decimal
arithmetic with an explicit result type. A page view's ``converted`` flag is computed
from the bookings table by its definition — a booking of the same customer and property
within 7 days after the view — so the label can never disagree with the data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakestep.demo import params as P
from lakestep.demo.activity import surrogate_key
from lakestep.demo.entities import version_at
from lakestep.demo.rng import keep, lookup

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    from lakestep.demo.entities import World

PRICE = "decimal(10,2)"
AMOUNT = "decimal(12,2)"
# booking_id = (id * odd) mod 2^48: a bijection, so ids stay unique but do not reveal the
# page view a booking came from.
_ID_MULTIPLIER, _ID_OFFSET, _ID_MODULUS = 5_000_011, 7_919, 1 << 48


def _day_to_date(day: Column) -> Column:
    from pyspark.sql import functions as F

    return F.date_add(F.lit(P.START_DATE), day)


def bookings(views: DataFrame, world: World) -> DataFrame:
    """One booking per converting view, with planted anomalies and cancellations."""
    from pyspark.sql import functions as F

    rng, ident = world.rng, F.col("id")
    anomalous = rng.uniform("b.anomaly", ident) < P.ANOMALY_RATE
    absurd_price = rng.uniform("b.anomaly.kind", ident) < P.ANOMALY_PRICE_SHARE
    low, span = P.ANOMALY_PRICE_FACTOR
    price_factor = F.when(anomalous & absurd_price,
                          low + rng.uniform("b.anomaly.price", ident) * span).otherwise(1.0)
    nights = F.when(anomalous & ~absurd_price, P.ANOMALY_NIGHTS[0] + F.floor(
        rng.uniform("b.anomaly.nights", ident) * P.ANOMALY_NIGHTS[1])).otherwise(F.col("nights"))
    df = keep(views, F.col("books")).withColumns({
        "nightly_price": F.round(F.col("price") * price_factor, 2).cast(PRICE),
        "stay_nights": nights.cast("int"),
        "booking_lead": (F.col("checkin_day") - F.col("booking_day")).cast("int"),
    })
    return df.select(
        F.pmod(ident * _ID_MULTIPLIER + _ID_OFFSET, F.lit(_ID_MODULUS)).alias("booking_id"),
        F.timestamp_seconds(F.col("booking_epoch")).alias("booking_ts"),
        _day_to_date(F.col("booking_day")).alias("booking_date"),
        "customer_id",
        surrogate_key("customer_id", version_at("c_", F.col("booking_epoch"))).alias("customer_sk"),
        "property_id",
        surrogate_key("property_id", version_at("p_", F.col("booking_epoch"))).alias("property_sk"),
        (F.col("p_dest") + 1).cast("int").alias("destination_id"),
        _day_to_date(F.col("checkin_day")).alias("checkin_date"),
        _day_to_date(F.col("checkin_day") + F.col("stay_nights")).alias("checkout_date"),
        F.col("stay_nights").alias("nights"),
        "guests",
        F.col("booking_lead").alias("lead_time_days"),
        lookup(P.DEVICES, F.col("device")).alias("device"),
        lookup(P.CHANNELS, F.col("channel")).alias("channel"),
        "nightly_price",
        (F.col("nightly_price") * F.col("stay_nights")).cast(AMOUNT).alias("total_amount"),
        (rng.uniform("b.cancel", ident) < _cancel_probability()).alias("is_cancelled"),
    )


def _cancel_probability() -> Column:
    from pyspark.sql import functions as F

    logit = (F.lit(P.CANCEL_INTERCEPT) + F.col("booking_lead") * P.CANCEL_LEAD_DAY
             + lookup(P.CANCEL_SEGMENT, F.col("segment"))
             + F.when(F.col("device") == 1, P.CANCEL_MOBILE).otherwise(0.0))
    return F.lit(1.0) / (F.lit(1.0) + F.exp(-logit))


def page_views(views: DataFrame, booked: DataFrame) -> DataFrame:
    """Every kept view; ``converted`` from ``booked`` (the fact_booking rows) by definition."""
    from pyspark.sql import functions as F

    window = P.CONVERSION_WINDOW_DAYS * P.SECONDS_PER_DAY
    # One row per customer and property holding every booking moment: a plain left join,
    # so a view matching several bookings is still one row.
    followed = booked.groupBy("customer_id", "property_id").agg(
        F.collect_list(F.unix_seconds("booking_ts")).alias("_booked_at"))
    df = views.join(followed, ["customer_id", "property_id"], "left")
    seen = F.col("view_epoch")
    converted = F.exists("_booked_at", lambda moment: (moment > seen) & (moment <= seen + window))
    df = df.withColumn("converted", F.coalesce(converted, F.lit(False)))
    return df.select(
        (F.col("id") + 1).alias("page_view_id"),
        F.timestamp_seconds(F.col("view_epoch")).alias("view_ts"),
        _day_to_date(F.col("day")).alias("view_date"),
        "customer_id",
        surrogate_key("customer_id", F.col("c_version")).alias("customer_sk"),
        "property_id",
        surrogate_key("property_id", F.col("p_version")).alias("property_sk"),
        (F.col("p_dest") + 1).cast("int").alias("destination_id"),
        lookup(P.DEVICES, F.col("device")).alias("device"),
        lookup(P.CHANNELS, F.col("channel")).alias("channel"),
        _day_to_date(F.col("checkin_day")).alias("checkin_date"),
        "nights",
        "guests",
        F.col("lead_days").alias("lead_time_days"),
        F.round(F.col("price"), 2).cast(PRICE).alias("price_shown"),
        "converted",
    )
