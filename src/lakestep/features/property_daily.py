"""property_daily: demand, prices and occupancy of each property as of each day.

Rule — features for day D use only facts known before D:
  * bookings made before D (``booking_date < D``) for counts and prices;
  * occupied nights before D: a night before D belongs to a stay that began before D, so
    its booking and its cancellation flag are both known by D.

One row per property and day on a complete daily grid (from the first booking day to the
day after the last), so every trailing window is a ROWS frame over day rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from lakestep.features.daily import (
    DATE,
    by_day,
    daily_grid,
    day_range,
    from_first_day,
    running,
    trailing,
)
from lakestep.features.definitions import FeatureTableDefinition

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

KEY = "property_id"


def _daily_facts(bookings: DataFrame) -> DataFrame:
    """Per property and day: bookings made and their prices, and the change in occupied
    units (+1 when a kept stay checks in, -1 when it checks out)."""
    from pyspark.sql import functions as F

    price = F.col("nightly_price").cast("decimal(38,2)")
    no_price = F.lit(None).cast("decimal(38,2)")
    made = bookings.select(KEY, F.col("booking_date").alias(DATE), F.lit(1).alias("booked"),
                           price.alias("price"), F.lit(0).alias("occupancy_change"))
    kept = bookings.filter(~F.col("is_cancelled"))
    arrivals = kept.select(KEY, F.col("checkin_date").alias(DATE), F.lit(0).alias("booked"),
                           no_price.alias("price"), F.lit(1).alias("occupancy_change"))
    departures = kept.select(KEY, F.col("checkout_date").alias(DATE), F.lit(0).alias("booked"),
                             no_price.alias("price"), F.lit(-1).alias("occupancy_change"))
    return made.unionByName(arrivals).unionByName(departures).groupBy(KEY, DATE).agg(
        F.sum("booked").cast("bigint").alias("bookings"),
        F.sum("price").alias("price_sum"),
        F.min("price").alias("price_min"),
        F.max("price").alias("price_max"),
        F.sum("occupancy_change").cast("bigint").alias("occupancy_change"),
    )


def transform(spark: SparkSession, sources: Mapping[str, DataFrame]) -> DataFrame:
    """Bookings over 7/30/90 days, price stats over 30/90 days, occupied nights over 30."""
    from pyspark.sql import functions as F

    bookings = sources["fact_booking"]
    grid = daily_grid(sources["dim_property"], day_range(bookings, "booking_date"),
                      _daily_facts(bookings), KEY,
                      sums=["bookings", "price_sum", "occupancy_change"],
                      extremes=["price_min", "price_max"])
    # Units occupied on night D: stays with checkin <= D < checkout.
    occupied = grid.withColumn("occupied", running("occupancy_change", KEY))
    last_30 = by_day(KEY).rowsBetween(-30, -1)
    # The exact decimal sum divided in double (a decimal quotient would be rounded to 6
    # places); no bookings in the window is a null average, not an ANSI division by zero.
    average = {n: F.when(trailing("bookings", n, KEY) > 0,
                         trailing("price_sum", n, KEY).cast("double")
                         / trailing("bookings", n, KEY))
               for n in (30, 90)}
    features = occupied.select(
        KEY, DATE,
        *[trailing("bookings", n, KEY).cast("bigint").alias(f"bookings_{n}d") for n in (7, 30, 90)],
        *[average[n].cast("double").alias(f"avg_price_{n}d") for n in (30, 90)],
        F.min("price_min").over(last_30).cast("double").alias("min_price_30d"),
        F.max("price_max").over(last_30).cast("double").alias("max_price_30d"),
        trailing("occupied", 30, KEY).cast("bigint").alias("occupied_nights_30d"),
        (trailing("occupied", 30, KEY) / F.lit(30.0)).cast("double").alias("occupancy_30d"),
    )
    return from_first_day(features, bookings, "booking_date")


DEFINITION = FeatureTableDefinition(
    name="property_daily",
    primary_keys=(KEY, DATE),
    timeseries_column=DATE,
    description=(
        "Property demand as of each day: bookings over the last 7/30/90 days, average, "
        "minimum and maximum nightly price of those bookings, and occupied nights over the "
        "last 30 nights (an occupancy proxy: units booked per night, cancelled stays "
        "excluded). Day D uses only bookings made before D and nights before D."
    ),
    columns_used={
        "fact_booking": ("property_id", "booking_date", "checkin_date", "checkout_date",
                         "nightly_price", "is_cancelled"),
        "dim_property": ("property_id",),
    },
    transform=transform,
)
