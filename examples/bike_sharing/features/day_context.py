"""day_context: the weather forecast and the calendar of a day.

Rule: both are known on the morning of the day itself — the calendar long before, the
weather as that morning's forecast — so, unlike station_daily, a row describes its own
day. Keyed by ``date`` alone: a plain (not point-in-time) lookup.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from lakestep.features import FeatureTableDefinition

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

RAINY_MM = 1.0


def transform(spark: SparkSession, sources: Mapping[str, DataFrame]) -> DataFrame:
    """Temperature, rain and wind as doubles, a rainy-day flag, day of week and month."""
    from pyspark.sql import functions as F

    weather = sources["weather"]
    day_of_week = F.dayofweek("date")  # 1 = Sunday … 7 = Saturday
    return weather.select(
        "date",
        F.col("temperature_c").cast("double").alias("temperature_c"),
        F.col("precipitation_mm").cast("double").alias("precipitation_mm"),
        F.col("wind_speed_kmh").cast("double").alias("wind_speed_kmh"),
        (F.col("precipitation_mm") >= F.lit(RAINY_MM)).alias("is_rainy"),
        day_of_week.cast("int").alias("day_of_week"),
        day_of_week.isin(1, 7).alias("is_weekend"),
        F.month("date").cast("int").alias("month"),
    )


DEFINITION = FeatureTableDefinition(
    name="day_context",
    primary_keys=("date",),
    timeseries_column=None,
    description=(
        "Weather forecast (temperature, rain, wind, a rainy-day flag) and calendar (day of "
        "week, weekend, month) of each date. Both are known on the morning of the day, so a "
        "row describes its own day. Look up by date, not point-in-time."
    ),
    columns_used={"weather": ("date", "temperature_c", "precipitation_mm", "wind_speed_kmh")},
    transform=transform,
)
