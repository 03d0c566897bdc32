"""destination_daily: bookings and revenue of each destination as of each day, with lags.

Rule — features for day D use only bookings made before D (``booking_date < D``): the
windows end the day before D, and a lag of k days is the value of day D - k.

One row per destination and day on a complete daily grid, so windows and lags are ROWS
frames over day rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from lakestep.features.daily import DATE, daily_grid, day_range, from_first_day, trailing
from lakestep.features.definitions import FeatureTableDefinition

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

KEY = "destination_id"
WINDOWS = (1, 7, 28)
LAGS = (7, 14, 28)


def transform(spark: SparkSession, sources: Mapping[str, DataFrame]) -> DataFrame:
    """Bookings and revenue over 1/7/28 days and on the days 7, 14 and 28 days back."""
    from pyspark.sql import functions as F

    bookings = sources["fact_booking"]
    daily = bookings.groupBy(KEY, F.col("booking_date").alias(DATE)).agg(
        F.count(F.lit(1)).cast("bigint").alias("bookings"),
        F.sum(F.col("total_amount").cast("decimal(38,2)")).alias("revenue"))
    grid = daily_grid(sources["dim_destination"], day_range(bookings, "booking_date"), daily,
                      KEY, sums=["bookings", "revenue"])

    def window(column: str, days: int, skip: int = 1):
        kind = "bigint" if column == "bookings" else "double"
        return trailing(column, days, KEY, skip=skip).cast(kind)

    features = grid.select(
        KEY, DATE,
        *[window(c, n).alias(f"{c}_{n}d") for c in ("bookings", "revenue") for n in WINDOWS],
        *[window(c, 1, skip=k).alias(f"{c}_lag_{k}d") for c in ("bookings", "revenue")
          for k in LAGS],
    )
    return from_first_day(features, bookings, "booking_date")


DEFINITION = FeatureTableDefinition(
    name="destination_daily",
    primary_keys=(KEY, DATE),
    timeseries_column=DATE,
    description=(
        "Destination demand as of each day: bookings and gross booking revenue over the last "
        "1/7/28 days, and on the single days 7, 14 and 28 days back (lags). Day D uses only "
        "bookings made before D."
    ),
    columns_used={
        "fact_booking": ("destination_id", "booking_date", "total_amount"),
        "dim_destination": ("destination_id",),
    },
    transform=transform,
)
