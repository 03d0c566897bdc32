"""station_daily: how busy each station has been, and how often it ran empty, before each day.

Rule — features for day D use only facts known before D: trips started or ended before D,
and station status of days before D (a day's status is summarised after its midnight).
One row per station and day on a complete daily grid, so a trailing window of N rows is N
days (lakestep.features.daily).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from lakestep.features import FeatureTableDefinition
from lakestep.features.daily import DATE, daily_grid, day_range, from_first_day, trailing

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

KEY = "station_id"
SHORTAGE_MINUTES = 30  # as in the dock_shortage label
COUNTS = ("departures", "arrivals", "members", "duration_sum", "minutes_empty", "shortage")


def _daily_facts(trips: DataFrame, status: DataFrame) -> DataFrame:
    """Per station and day: trips started (with members and minutes), trips ended, and the
    station's empty minutes and shortage flag."""
    from pyspark.sql import functions as F

    def facts(frame: DataFrame, key: str, day: str, **values: Column) -> DataFrame:
        columns = {name: values.get(name, F.lit(0)) for name in COUNTS}
        return frame.select(F.col(key).alias(KEY), F.col(day).alias(DATE),
                            *[column.cast("bigint").alias(name)
                              for name, column in columns.items()])

    started = facts(trips, "start_station_id", "start_date", departures=F.lit(1),
                    members=(F.col("rider_type") == "member").cast("int"),
                    duration_sum=F.col("duration_minutes"))
    ended = facts(trips, "end_station_id", "start_date", arrivals=F.lit(1))
    empty = facts(status, "station_id", "status_date", minutes_empty=F.col("minutes_empty"),
                  shortage=(F.col("minutes_empty") >= SHORTAGE_MINUTES).cast("int"))
    return started.unionByName(ended).unionByName(empty).groupBy(KEY, DATE).agg(
        *[F.sum(name).alias(name) for name in COUNTS])


def transform(spark: SparkSession, sources: Mapping[str, DataFrame]) -> DataFrame:
    """Trips over 1/7/28 days, arrivals and net outflow over 7, trip length and member share
    over 28, empty minutes over 7 and shortage days over 28; capacity and district."""
    from pyspark.sql import functions as F

    trips, stations = sources["fact_trip"], sources["dim_station"]
    grid = daily_grid(stations, day_range(trips, "start_date"),
                      _daily_facts(trips, sources["fact_station_status"]), KEY, sums=COUNTS)
    departures_28d = trailing("departures", 28, KEY)
    features = grid.select(
        KEY, DATE,
        *[trailing("departures", n, KEY).cast("bigint").alias(f"trips_{n}d") for n in (1, 7, 28)],
        trailing("arrivals", 7, KEY).cast("bigint").alias("arrivals_7d"),
        (trailing("departures", 7, KEY) - trailing("arrivals", 7, KEY)).cast("bigint")
        .alias("net_outflow_7d"),
        F.when(departures_28d > 0, trailing("duration_sum", 28, KEY) / departures_28d)
        .cast("double").alias("avg_duration_28d"),
        F.when(departures_28d > 0, trailing("members", 28, KEY) / departures_28d)
        .cast("double").alias("member_share_28d"),
        trailing("minutes_empty", 7, KEY).cast("bigint").alias("empty_minutes_7d"),
        trailing("shortage", 28, KEY).cast("bigint").alias("shortage_days_28d"),
    ).join(stations.select(KEY, "capacity", "district"), KEY)
    return from_first_day(features, trips, "start_date")


DEFINITION = FeatureTableDefinition(
    name="station_daily",
    primary_keys=(KEY, DATE),
    timeseries_column=DATE,
    description=(
        "Station activity as of each day: trips started over the last 1/7/28 days, trips "
        "ended and net outflow over 7, mean trip length and member share over 28, minutes "
        "without a bike over 7 and shortage days over 28; the station's capacity and "
        "district. Day D uses only trips and station status of days before D."
    ),
    columns_used={
        "fact_trip": ("start_station_id", "end_station_id", "start_date", "rider_type",
                      "duration_minutes"),
        "fact_station_status": ("station_id", "status_date", "minutes_empty"),
        "dim_station": ("station_id", "capacity", "district"),
    },
    transform=transform,
)
