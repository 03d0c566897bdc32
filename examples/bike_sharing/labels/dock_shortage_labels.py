"""dock_shortage_labels: did a station run out of bikes for 30 minutes or more that day?

``shortage`` is 1 or 0 for every station and day with a station status; on a day without
one (the forecast day) it is null — not known yet, so the row is a key that scoring
predicts for, not a training row.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from lakestep.features import FeatureTableDefinition

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

SHORTAGE_MINUTES = 30


def transform(spark: SparkSession, sources: Mapping[str, DataFrame]) -> DataFrame:
    from pyspark.sql import functions as F

    grid = sources["dim_station"].select("station_id").crossJoin(sources["weather"].select("date"))
    status = sources["fact_station_status"].select(
        "station_id", F.col("status_date").alias("date"),
        (F.col("minutes_empty") >= SHORTAGE_MINUTES).cast("int").alias("shortage"))
    return grid.join(status, ["station_id", "date"], "left").select(
        "station_id", "date", "shortage")


DEFINITION = FeatureTableDefinition(
    name="dock_shortage_labels",
    primary_keys=("station_id", "date"),
    timeseries_column="date",
    description=f"1 when the station had no bike for {SHORTAGE_MINUTES} minutes or more that "
                "day, else 0; null on a day without a station status yet (scoring rows).",
    columns_used={
        "dim_station": ("station_id",),
        "weather": ("date",),
        "fact_station_status": ("station_id", "status_date", "minutes_empty"),
    },
    transform=transform,
)
