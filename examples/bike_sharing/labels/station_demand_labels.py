"""station_demand_labels: trips started at each station on each day (the regression label).

Every station on every day of the weather record. Up to the last day with trips, a day
without a trip counts 0 — a quiet day is a label too. After it (the forecast day) the
label is null: not known yet, so the row is not a training row but a key that scoring
predicts for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from lakestep.features import FeatureTableDefinition

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def transform(spark: SparkSession, sources: Mapping[str, DataFrame]) -> DataFrame:
    from pyspark.sql import functions as F

    trips = sources["fact_trip"]
    grid = sources["dim_station"].select("station_id").crossJoin(sources["weather"].select("date"))
    started = trips.groupBy(
        F.col("start_station_id").alias("station_id"), F.col("start_date").alias("date")
    ).agg(F.count(F.lit(1)).alias("trips"))
    observed = trips.agg(F.max("start_date").alias("last_day"))
    counted = F.coalesce(F.col("trips"), F.lit(0))
    return grid.join(started, ["station_id", "date"], "left").crossJoin(observed).select(
        "station_id", "date",
        F.when(F.col("date") <= F.col("last_day"), counted).cast("bigint").alias("trips"))


DEFINITION = FeatureTableDefinition(
    name="station_demand_labels",
    primary_keys=("station_id", "date"),
    timeseries_column="date",
    description="Trips started per station and day (0 on a day without trips; null after the "
                "last day with trips, where scoring predicts).",
    columns_used={
        "dim_station": ("station_id",),
        "weather": ("date",),
        "fact_trip": ("start_station_id", "start_date"),
    },
    transform=transform,
)
