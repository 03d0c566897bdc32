"""The point-in-time join, written once in the Spark DataFrame API.

It runs unchanged on Sail, on a classic JVM Spark session and on Databricks, and gives the
semantics of the Databricks Feature Engineering client: for each label row, the feature
row with the same key and the latest timestamp <= the row's timestamp (equal timestamps
match), no older than the lookback window (inclusive; zero means an exact match); no match
gives null. Every label row is kept exactly once.

How: rather than joining every label row to every older feature row of its key and then
ranking (quadratic in the history per key), label rows and feature rows are unioned, sorted
once per key by (timestamp, feature-before-label), and each label row takes the last
non-null feature struct before it with ``last(..., ignorenulls=True)`` over a ROWS frame:
one shuffle and one sort, O(n log n) in labels + feature rows. ROWS, not RANGE: Sail
answers RANGE frames with interval bounds with NULL.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from lakestep.features.plan import RESERVED_PREFIX, ResolvedLookup, TrainingPlan

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

_SIDE = f"{RESERVED_PREFIX}_side"  # 0 = feature row, 1 = label row: features sort first on ties
_MATCH = f"{RESERVED_PREFIX}_match"  # struct of the feature row's timestamp and outputs
_FEATURE_TS = f"{RESERVED_PREFIX}_feature_ts"
_MICROS_PER_DAY = 86_400_000_000


def as_of_join(
    labels: DataFrame,
    features: DataFrame,
    *,
    keys: Sequence[str],
    timestamp: str,
    outputs: Sequence[str],
    lookback_window: datetime.timedelta | None = None,
) -> DataFrame:
    """Left point-in-time join of ``features`` onto ``labels``.

    ``features`` must already use the label frame's names: ``keys``, ``timestamp`` and the
    ``outputs`` columns, and be unique by keys + timestamp. The result has every column of
    ``labels`` plus ``outputs``, one row per label row.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if lookback_window is not None and lookback_window == datetime.timedelta(0):
        return key_join(labels, features.select(*keys, timestamp, *outputs), [*keys, timestamp])
    match = F.struct(F.col(timestamp).alias(_FEATURE_TS), *outputs)
    match_type = features.select(match.alias(_MATCH)).schema[_MATCH].dataType
    label_types = {f.name: f.dataType for f in labels.schema.fields}
    # Both sides spelled out with typed nulls: engines differ in how they type the columns
    # that unionByName(allowMissingColumns=True) invents (Sail makes them NullType).
    label_rows = labels.select(
        *labels.columns, F.lit(1).alias(_SIDE), F.lit(None).cast(match_type).alias(_MATCH))
    feature_rows = features.filter(F.col(timestamp).isNotNull()).select(
        *[F.col(c) if c in (*keys, timestamp) else F.lit(None).cast(t).alias(c)
          for c, t in label_types.items()],
        F.lit(0).alias(_SIDE),
        match.alias(_MATCH),
    )
    stacked = label_rows.unionByName(feature_rows)
    history = (Window.partitionBy(*keys)
               .orderBy(F.col(timestamp).asc_nulls_first(), F.col(_SIDE).asc())
               .rowsBetween(Window.unboundedPreceding, Window.currentRow))
    latest = stacked.withColumn(_MATCH, F.last(_MATCH, ignorenulls=True).over(history))
    rows = latest.filter(F.col(_SIDE) == 1)
    usable = F.col(_MATCH).isNotNull() & F.col(timestamp).isNotNull()
    if lookback_window is not None:
        age = _age_micros(F.col(timestamp), F.col(_MATCH).getField(_FEATURE_TS),
                          _type_of(labels, timestamp))
        usable = usable & (age <= F.lit(_micros(lookback_window)))
    picked = [F.when(usable, F.col(_MATCH).getField(o)).alias(o) for o in outputs]
    return rows.select(*labels.columns, *picked)


def key_join(labels: DataFrame, features: DataFrame, keys: Sequence[str]) -> DataFrame:
    """Left equality join on ``keys`` (feature rows are unique by them); labels keep order
    of columns, features follow."""
    joined = labels.join(features, on=list(keys), how="left")
    extra = [c for c in features.columns if c not in keys]
    return joined.select(*labels.columns, *extra)


def assemble(df: DataFrame, plan: TrainingPlan, read: Callable[[str], DataFrame]) -> DataFrame:
    """The training frame of ``plan``: every join, then defaults, then the column order."""
    from pyspark.sql import functions as F

    result = df
    for join in plan.joins:
        result = _apply(result, join, read(join.table))
    defaults = {name: (value, spark_type) for name, value, spark_type in plan.defaults}
    columns = [
        F.coalesce(F.col(c), F.lit(defaults[c][0]).cast(defaults[c][1])).alias(c)
        if c in defaults else F.col(c)
        for c in plan.columns
    ]
    return result.select(*columns)


def _apply(labels: DataFrame, join: ResolvedLookup, table: DataFrame) -> DataFrame:
    from pyspark.sql import functions as F

    renamed = [F.col(k).alias(lk) for k, lk in zip(join.table_keys, join.lookup_key, strict=True)]
    outputs = [F.col(f).alias(o) for f, o in join.outputs]
    if join.timestamp_lookup_key is None or join.table_timestamp_key is None:
        return key_join(labels, table.select(*renamed, *outputs), join.lookup_key)
    timestamp = F.col(join.table_timestamp_key).alias(join.timestamp_lookup_key)
    return as_of_join(
        labels,
        table.select(*renamed, timestamp, *outputs),
        keys=join.lookup_key,
        timestamp=join.timestamp_lookup_key,
        outputs=[o for _f, o in join.outputs],
        lookback_window=join.lookback_window,
    )


def _age_micros(lookup: Column, feature: Column, spark_type: str) -> Column:
    """lookup - feature in microseconds: exact for timestamps, whole days for dates (a date
    cast to a timestamp would pick up DST shifts of the session time zone)."""
    from pyspark.sql import functions as F

    if spark_type == "date":
        return F.datediff(lookup, feature).cast("long") * F.lit(_MICROS_PER_DAY)
    return F.unix_micros(lookup) - F.unix_micros(feature)


def _micros(window: datetime.timedelta) -> int:
    return window // datetime.timedelta(microseconds=1)


def _type_of(df: DataFrame, column: str) -> str:
    return df.schema[column].dataType.simpleString()
