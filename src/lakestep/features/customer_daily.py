"""customer_daily: a customer's booking history as of each day.

Rule — features for day D use only facts known before D:
  * bookings made before D (``booking_date < D``);
  * cancellations of stays that began before D (``checkin_date < D``): a stay that has
    begun can no longer be cancelled, so its flag is final; a booking whose stay is still
    ahead may yet be cancelled, so it is not counted;
  * the signup date: rows start the day after signup.

Rows: one on each day any feature changes (a booking becomes known or leaves a window, a
cancellation becomes known or leaves a window) and on the 1st of every month (tenure). In
between nothing changes, so a point-in-time lookup (latest row <= D) gives the exact values
for any day D — a few rows per booking instead of customers x days.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from lakestep.features.daily import DATE, fact_bounds, running, window_events
from lakestep.features.definitions import FeatureTableDefinition

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

KEY = "customer_id"
WINDOWS = (30, 90, 365)
MONEY = "decimal(38,2)"  # exact running sums; features are cast to double at the end


def _month_index(day: Column) -> Column:
    from pyspark.sql import functions as F

    return F.year(day) * 12 + F.month(day)


def _tenure_days(customers: DataFrame, bounds: DataFrame) -> DataFrame:
    """(customer_id, date) for the day after signup (or the first day) and every 1st of a
    month up to the last day: the days ``tenure_months`` changes."""
    from pyspark.sql import functions as F

    spans = customers.crossJoin(bounds).select(
        KEY, F.greatest(F.date_add("signup_date", 1), F.col("first")).alias("start"), "last")
    months = (_month_index(F.col("last")) - _month_index(F.col("start"))).cast("int")
    steps = spans.filter(F.col("start") <= F.col("last")).select(
        KEY, "start", F.explode(F.sequence(F.lit(0), months)).alias("step"))
    first_of_month = F.add_months(F.trunc("start", "month"), F.col("step"))
    return steps.select(KEY, F.when(F.col("step") == 0, F.col("start"))
                        .otherwise(first_of_month).alias(DATE))


def _events(bookings: DataFrame, days: DataFrame) -> DataFrame:
    from pyspark.sql import functions as F

    one = F.lit(1).cast("bigint")
    booked = window_events(bookings, KEY, "booking_date",
                           {"bookings": one, "spend": F.col("total_amount").cast(MONEY)}, WINDOWS)
    cancelled = window_events(bookings.filter(F.col("is_cancelled")), KEY, "checkin_date",
                              {"cancellations": one}, WINDOWS)
    columns = [f"{name}_{n}d" for name in ("bookings", "spend", "cancellations") for n in WINDOWS]
    zero = {c: F.lit(0).cast(MONEY if c.startswith("spend") else "bigint") for c in columns}

    def complete(frame: DataFrame) -> DataFrame:
        return frame.select(KEY, DATE, *[F.col(c) if c in frame.columns else zero[c].alias(c)
                                         for c in columns])

    return complete(booked).unionByName(complete(cancelled)).unionByName(complete(days))


def transform(spark: SparkSession, sources: Mapping[str, DataFrame]) -> DataFrame:
    """Trailing 30/90/365-day bookings, spend and cancellations, and tenure in months."""
    from pyspark.sql import functions as F

    bookings = sources["fact_booking"]
    customers = sources["dim_customer"].groupBy(KEY).agg(F.min("signup_date").alias("signup_date"))
    bounds = fact_bounds(bookings, "booking_date")
    events = _events(bookings, _tenure_days(customers, bounds))
    known = events.crossJoin(bounds.select("last")).filter(F.col(DATE) <= F.col("last"))
    deltas = [c for c in events.columns if c not in (KEY, DATE)]
    daily = known.groupBy(KEY, DATE).agg(*[F.sum(c).alias(c) for c in deltas])
    totals = daily.select(KEY, DATE, *[running(c, KEY).alias(c) for c in deltas])
    tenure = (_month_index(F.col(DATE)) - _month_index(F.col("signup_date"))).cast("int")
    # customers on the left: the engine builds a hash table of the left side (unspillable),
    # and there are far fewer customers than (customer, day) rows.
    return customers.join(totals, KEY).select(
        KEY, DATE,
        *[F.col(c).cast("double" if c.startswith("spend") else "bigint").alias(c) for c in deltas],
        tenure.alias("tenure_months"),
    )


DEFINITION = FeatureTableDefinition(
    name="customer_daily",
    primary_keys=(KEY, DATE),
    timeseries_column=DATE,
    description=(
        "Customer booking history as of each day: bookings, spend and cancellations over the "
        "last 30/90/365 days and tenure in months. Day D uses only bookings made before D, "
        "cancellations of stays begun before D and signups before D. One row per day a value "
        "changes; look it up point-in-time (latest row <= D)."
    ),
    columns_used={
        "fact_booking": ("customer_id", "booking_date", "checkin_date", "total_amount",
                         "is_cancelled"),
        "dim_customer": ("customer_id", "signup_date"),
    },
    transform=transform,
)
