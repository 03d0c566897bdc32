"""The booking funnel: page views, and the bookings that follow some of them.

A candidate view draws a property (uniform), a day (from its destination's demand curve:
season, day of week, trend) and a customer (by activity rank), and is kept with a
probability that is the product of the remaining demand factors — property popularity,
segment activity and the segment's taste for the property (rejection sampling: any
shape of demand, no loops).
A kept view converts with a logistic probability of price vs destination price, lead
time, device and channel; a converting view yields a booking 0–6 days later. Every
random number is a hash of the row's id, so the result does not depend on partitioning.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lakestep.demo import params as P
from lakestep.demo.calendar import with_day
from lakestep.demo.entities import (
    SK_FACTOR,
    World,
    at_version,
    customer_profiles,
    epoch_of_day,
    property_profiles,
    season,
    version_at,
)
from lakestep.demo.rng import keep, lookup, pick_index

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

PILOT_CANDIDATES = 200_000
MICROS = 1_000_000


@dataclass(frozen=True)
class Period:
    """A stretch of days with its own behaviour (the base years, or the drift period)."""

    first_day: int
    days: int
    first_id: int  # candidate ids of different periods never overlap
    drift: P.Drift

    @property
    def last_day(self) -> int:
        return self.first_day + self.days - 1


BASE = Period(first_day=0, days=P.DAYS, first_id=0, drift=P.NO_DRIFT)
DRIFT = Period(first_day=P.DAYS, days=P.DRIFT_DAYS, first_id=10**12, drift=P.DRIFT)


def candidates(spark: SparkSession, world: World, period: Period, count: int) -> DataFrame:
    """``count`` candidate views with their acceptance weight (``weight`` ≤ 1).

    The property is uniform, the day follows its destination's demand curve exactly
    (:mod:`lakestep.demo.calendar`), the customer follows the activity skew; the rest of
    the demand shape is left to rejection on ``weight``.
    """
    from pyspark.sql import functions as F

    rng = world.rng
    ident = F.col("id")
    # Inverse CDF of a truncated exponential on [0, 1): the rank share of the customer.
    decay = P.ACTIVITY_DECAY
    share = -decay * F.log(1 - rng.uniform("v.customer", ident) * (1 - math.exp(-1 / decay)))
    rank = F.least(F.floor(share * world.customers), F.lit(world.customers - 1))
    df = spark.range(period.first_id, period.first_id + count).withColumns({
        "property_id": F.floor(rng.uniform("v.property", ident) * world.properties) + 1,
        "customer_id": F.pmod(rank * F.lit(world.customer_multiplier),
                              F.lit(world.customers)) + 1,
    })
    df = df.join(F.broadcast(property_profiles(spark, world)), "property_id")
    df = with_day(df, "p_kind", rng.uniform("v.day", ident), rng.uniform("v.day.alias", ident),
                  period.first_day, period.days)
    df = df.withColumn("view_epoch", epoch_of_day(
        F.col("day"), F.lit(21_600) + F.floor(rng.uniform("v.second", ident) * 57_600)))
    df = df.join(F.broadcast(customer_profiles(spark, world)), "customer_id")
    df = df.withColumns({
        "c_version": version_at("c_", F.col("view_epoch")),
        "p_version": version_at("p_", F.col("view_epoch")),
        "weekend": ((F.col("day") + (P.START_DATE.isoweekday() - 1)) % 7) >= 5,
    })
    df = df.withColumns({
        "segment": at_version("c_segment", F.col("c_version")),
        "stars": at_version("p_stars", F.col("p_version")),
    })
    signed_up = (F.col("view_epoch") >= F.col("c_signup")).cast("double")
    return df.withColumn("weight", F.col("p_popularity") * signed_up
                         * lookup(P.SEGMENT_ACTIVITY, F.col("segment")) * _taste())


def _taste() -> Column:
    """How much a customer segment likes a property (1 = ideal)."""
    from pyspark.sql import functions as F

    segment, stars = F.col("segment"), F.col("stars") - 1
    ptype, kind = F.col("p_type"), F.col("p_kind")  # kinds: beach, ski, city, countryside
    weekend = F.col("weekend")
    budget = lookup(P.TASTE_BUDGET_STARS, stars)
    family = lookup(P.TASTE_FAMILY_TYPE, ptype) * lookup(P.TASTE_FAMILY_KIND, kind)
    business = (lookup(P.TASTE_BUSINESS_TYPE, ptype) * lookup(P.TASTE_BUSINESS_KIND, kind)
                * F.when(weekend, P.TASTE_BUSINESS_WEEKEND).otherwise(1.0))
    luxury = lookup(P.TASTE_LUXURY_STARS, stars)
    return (F.when(segment == 0, budget).when(segment == 1, family)
            .when(segment == 2, business).otherwise(luxury))


def funnel(df: DataFrame, world: World, period: Period) -> DataFrame:
    """What the customer searched and saw, and whether (and when) they book."""
    from pyspark.sql import functions as F

    rng, ident, segment = world.rng, F.col("id"), F.col("segment")
    drift = period.drift
    mobile = lookup(P.MOBILE_SHARE, segment) + drift.mobile_shift
    tablet = lookup(P.TABLET_SHARE, segment)
    u_device = rng.uniform("v.device", ident)
    lead = F.floor(rng.exponential("v.lead", lookup(P.LEAD_MEAN_DAYS, segment)
                                   * drift.lead_factor, ident))
    nights = lookup([lo for lo, _ in P.NIGHTS], segment) + F.floor(
        rng.uniform("v.nights", ident) * lookup([n for _, n in P.NIGHTS], segment))
    guests = lookup([lo for lo, _ in P.GUESTS], segment) + F.floor(
        rng.uniform("v.guests", ident) * lookup([n for _, n in P.GUESTS], segment))
    df = df.withColumns({
        "device": F.when(u_device < mobile, 1).when(u_device < mobile + tablet, 2).otherwise(0),
        "channel": pick_index(rng.uniform("v.channel", ident), P.cumulative(P.CHANNEL_SHARE)),
        "lead_days": F.least(lead, F.lit(P.MAX_LEAD_DAYS)).cast("int"),
        "nights": nights.cast("int"),
        "guests": F.least(guests, F.col("p_max_guests")).cast("int"),
    })
    df = df.withColumn("checkin_day", F.col("day") + F.col("lead_days"))
    df = df.withColumn("price", _price_shown(df, world, drift))
    df = df.withColumn("p_convert", _conversion_probability())
    delay = F.when(rng.uniform("v.delay", ident) < P.SAME_DAY_BOOKING, 0).otherwise(
        1 + F.floor(rng.uniform("v.delay.days", ident) * (P.CONVERSION_WINDOW_DAYS - 1)))
    # A booking comes 1–90 minutes after the view on its day, and never after check-in.
    booking_epoch = (F.col("view_epoch") + F.least(delay, F.col("lead_days")) * P.SECONDS_PER_DAY
                     + 60 + F.floor(rng.uniform("v.delay.seconds", ident) * 5_340))
    df = df.withColumn("booking_epoch", booking_epoch.cast("bigint"))
    booking_day = F.floor((F.col("booking_epoch") - P.START_EPOCH) / P.SECONDS_PER_DAY)
    return df.withColumns({
        "books": (rng.uniform("v.convert", ident) < F.col("p_convert"))
        & (booking_day <= period.last_day),
        "booking_day": booking_day.cast("int"),
    })


def _price_shown(df: DataFrame, world: World, drift: P.Drift) -> Column:
    """List price of the property version × stay season × weekend × noise × drift."""
    from pyspark.sql import functions as F

    checkin = F.date_add(F.lit(P.START_DATE), F.col("checkin_day"))
    checkin_dow = (F.col("checkin_day") + (P.START_DATE.isoweekday() - 1)) % 7 + 1
    weekend = F.when(checkin_dow.isin(5, 6), P.WEEKEND_CHECKIN_PRICE).otherwise(1.0)
    noise = F.exp(world.rng.normal("v.price", F.col("id")) * P.PRICE_NOISE)
    return (at_version("p_price", F.col("p_version"))
            * season(F.col("p_kind"), F.dayofyear(checkin), stay=True)
            * weekend * noise * drift.price_factor)


def _conversion_probability() -> Column:
    from pyspark.sql import functions as F

    c = P.CONVERSION
    reference = lookup([d.base_price for d in P.DESTINATIONS], F.col("p_dest"))
    logit = (F.lit(c.intercept) + F.log(F.col("price") / reference) * c.log_price_ratio
             + F.col("lead_days") * c.lead_day + lookup(c.device, F.col("device"))
             + lookup(c.channel, F.col("channel")))
    return F.lit(1.0) / (F.lit(1.0) + F.exp(-logit))


def expected_bookings_per_candidate(spark: SparkSession, world: World, period: Period) -> float:
    """Calibrate how many candidates give ``scale`` bookings, on a pilot of candidates.

    The pilot sums expected values (acceptance weight × conversion probability) as
    integers, so the answer is exact and the same whatever the row order.
    """
    from pyspark.sql import functions as F

    pilot = funnel(candidates(spark, world, period, PILOT_CANDIDATES), world, period)
    in_window = F.col("booking_day") <= period.last_day
    expected = F.when(in_window, F.col("weight") * F.col("p_convert")).otherwise(0.0)
    total = pilot.agg(F.sum(F.floor(expected * MICROS).cast("bigint"))).collect()[0][0]
    return max(int(total or 0), 1) / (MICROS * PILOT_CANDIDATES)


# What the fact tables need from the funnel (the staged page views keep only these).
FUNNEL_COLUMNS = ("id", "day", "view_epoch", "customer_id", "property_id", "c_version",
                  "p_version", "c_change1", "c_change2", "p_change1", "p_change2", "p_dest",
                  "segment", "device", "channel", "lead_days", "nights", "guests",
                  "checkin_day", "price", "books", "booking_epoch", "booking_day")


def views(spark: SparkSession, world: World, period: Period, bookings: int) -> DataFrame:
    """The kept views of ``period`` with their funnel columns, sized for ``bookings``."""
    from pyspark.sql import functions as F

    rate = expected_bookings_per_candidate(spark, world, period)
    count = math.ceil(bookings / rate)
    every = candidates(spark, world, period, count)
    kept = keep(every, world.rng.uniform("v.accept", F.col("id")) < F.col("weight"))
    return funnel(kept, world, period).select(*FUNNEL_COLUMNS)


def surrogate_key(business_key: str, version: Column) -> Column:
    from pyspark.sql import functions as F

    return F.col(business_key) * SK_FACTOR + version
