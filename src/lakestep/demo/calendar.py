"""When views happen: the planted weekly, yearly and trend shape of demand, sampled exactly.

Each destination kind has its own day-of-booking distribution: a yearly cycle peaking on
its season's booking peak, × a day-of-week profile (quieter weekends), × a linear growth
trend. Days are drawn with Walker's alias method from a small table per kind
— one uniform picks a slot, a second decides between the slot and its alias — so a day
costs two array lookups and no rejected rows.
"""

from __future__ import annotations

import math
from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING

from lakestep.demo import params as P

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame


def booking_weight(kind: str, day: int) -> float:
    """Relative booking activity of destination kind ``kind`` on day index ``day``."""
    season = P.SEASONS[kind]
    on = P.START_DATE + timedelta(days=day)
    day_of_year = on.timetuple().tm_yday
    cycle = 1 + season.booking_amplitude * math.cos(
        2 * math.pi * (day_of_year - season.booking_peak) / 365.0)
    trend = P.TREND_START + (1 - P.TREND_START) * min(day, P.DAYS - 1) / (P.DAYS - 1)
    return cycle * P.WEEKDAY_ACTIVITY[on.isoweekday() - 1] * trend


def alias_table(weights: list[float]) -> tuple[list[float], list[int]]:
    """Walker/Vose alias table: (acceptance per slot, alias per slot) for ``weights``."""
    count = len(weights)
    total = sum(weights)
    scaled = [w * count / total for w in weights]
    accept, alias = [1.0] * count, list(range(count))
    small = [i for i, s in enumerate(scaled) if s < 1.0]
    large = [i for i, s in enumerate(scaled) if s >= 1.0]
    while small and large:
        low, high = small.pop(), large.pop()
        accept[low], alias[low] = scaled[low], high
        scaled[high] += scaled[low] - 1.0
        (small if scaled[high] < 1.0 else large).append(high)
    return accept, alias  # slots left over keep accept 1.0: rounding residue only


@cache
def _rows(first_day: int, days: int) -> tuple[tuple[int, int, float, int], ...]:
    """(kind, slot, accept, alias) for every destination kind and slot of the period."""
    rows = []
    for kind_index, kind in enumerate(P.DESTINATION_KINDS):
        weights = [booking_weight(kind, first_day + d) for d in range(days)]
        accept, alias = alias_table(weights)
        rows += [(kind_index, slot, accept[slot], alias[slot]) for slot in range(days)]
    return tuple(rows)


def with_day(df: DataFrame, kind: str, slot_u: Column, accept_u: Column, first_day: int,
             days: int) -> DataFrame:
    """Add ``day``: a day index drawn from the demand curve of each row's destination kind.

    The alias table is a small broadcast join: a literal array of this size would be
    rebuilt for every row.
    """
    from pyspark.sql import functions as F

    table = df.sparkSession.createDataFrame(
        list(_rows(first_day, days)), "_kind int, _table_slot int, _accept double, _alias int")
    df = df.withColumns({"_slot": F.floor(slot_u * days).cast("int"), "_u": accept_u})
    df = df.join(F.broadcast(table), (F.col(kind) == F.col("_kind"))
                 & (F.col("_slot") == F.col("_table_slot")))
    local = F.when(F.col("_u") < F.col("_accept"), F.col("_slot")).otherwise(F.col("_alias"))
    return df.withColumn("day", (local + first_day).cast("int")) \
        .drop("_kind", "_slot", "_table_slot", "_accept", "_alias", "_u")
