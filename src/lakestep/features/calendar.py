"""calendar: what kind of day a date is.

Rule: calendar facts are known in advance — the day of week or a public holiday of day D
is known long before D — so, unlike the other tables, a row describes its own day. No
other facts are used.

Keyed by ``date`` alone, without a timeseries column: a plain (not point-in-time) lookup.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from lakestep.features.definitions import FeatureTableDefinition

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

ATTRIBUTES = ("day_of_week", "day_of_month", "month", "quarter", "week_of_year", "is_weekend",
              "is_holiday")


def transform(spark: SparkSession, sources: Mapping[str, DataFrame]) -> DataFrame:
    """dim_date's attributes plus the days just before and after a holiday."""
    from pyspark.sql import functions as F

    days = sources["dim_date"]
    # Joins on date +- 1 rather than lead/lag: no window over one unpartitioned frame.
    eve = days.select(F.date_sub("date", 1).alias("date"), F.col("is_holiday").alias("eve"))
    after = days.select(F.date_add("date", 1).alias("date"), F.col("is_holiday").alias("after"))
    return days.join(eve, "date", "left").join(after, "date", "left").select(
        "date", *ATTRIBUTES,
        F.coalesce(F.col("eve"), F.lit(False)).alias("is_holiday_eve"),
        F.coalesce(F.col("after"), F.lit(False)).alias("is_after_holiday"),
    )


DEFINITION = FeatureTableDefinition(
    name="calendar",
    primary_keys=("date",),
    timeseries_column=None,
    description=(
        "Calendar attributes of each date (day of week and month, quarter, week, weekend, "
        "holiday, the day before and after a holiday). Calendar facts are known in advance, "
        "so a row describes its own day. Look up by date, not point-in-time."
    ),
    columns_used={"dim_date": ("date", *ATTRIBUTES)},
    transform=transform,
)
