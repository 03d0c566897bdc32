"""Building blocks for daily features without RANGE frames.

Trailing windows ("bookings over the last 30 days") are computed one of two ways, both in
the plain DataFrame API so they run on Sail and on Apache Spark alike:

* on a complete daily grid (one row per key and day), a ROWS frame of N rows *is* N days;
* for keys too many for a grid, change events: a fact on day d adds +v on day d+1 (when it
  becomes known) and -v on day d+1+N (when it leaves the window); a running sum of the
  events in date order gives the window's value on every day a value changes.

Sail 0.7 answers RANGE frames with interval bounds with NULL, hence never RANGE here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, WindowSpec

DATE = "date"


def fact_bounds(facts: DataFrame, column: str) -> DataFrame:
    """One row: ``first`` and ``last`` day a feature row is built for — the day after the
    first fact (the first day anything is known) to the day after the last ("today")."""
    from pyspark.sql import functions as F

    return facts.agg(F.date_add(F.min(column), 1).alias("first"),
                     F.date_add(F.max(column), 1).alias("last"))


def day_range(facts: DataFrame, column: str) -> DataFrame:
    """One row per day from the first fact to the day after the last: the grid includes
    the first fact's day so its facts enter the windows (see :func:`from_first_day`)."""
    from pyspark.sql import functions as F

    return fact_bounds(facts, column).select(
        F.explode(F.sequence(F.date_sub(F.col("first"), 1), F.col("last"))).alias(DATE))


def from_first_day(features: DataFrame, facts: DataFrame, column: str) -> DataFrame:
    """Drop feature rows before :func:`fact_bounds` ``first``: nothing was known yet."""
    from pyspark.sql import functions as F

    first = fact_bounds(facts, column).select("first")
    return features.crossJoin(first).filter(F.col(DATE) >= F.col("first")).drop("first")


def daily_grid(keys: DataFrame, days: DataFrame, daily: DataFrame, key: str,
               sums: Sequence[str], extremes: Sequence[str] = ()) -> DataFrame:
    """Every key on every day with the day's values from ``daily``: ``sums`` are 0 on a day
    without facts, ``extremes`` (minima, maxima) stay null."""
    from pyspark.sql import functions as F

    grid = keys.select(key).distinct().crossJoin(days)
    # The engine builds a hash table of the join's left side and cannot spill it: the
    # days with facts (``daily``) are fewer than keys x days, so they go left (a right join).
    joined = daily.join(grid, [key, DATE], "right")
    return joined.select(key, DATE, *[F.coalesce(F.col(m), F.lit(0)).alias(m) for m in sums],
                         *extremes)


def by_day(key: str) -> WindowSpec:
    from pyspark.sql import Window

    return Window.partitionBy(key).orderBy(DATE)


def trailing(column: str, days: int, key: str, *, skip: int = 1) -> Column:
    """Over a daily grid: the days ``[D - days - skip + 1, D - skip]``; with the default
    ``skip=1`` the ``days`` days before D, never D itself."""
    from pyspark.sql import functions as F

    return F.sum(column).over(by_day(key).rowsBetween(-(days + skip - 1), -skip))


def running(column: str, key: str) -> Column:
    """Sum of ``column`` over all earlier rows of the key and this one (ROWS frame)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    return F.sum(column).over(by_day(key).rowsBetween(Window.unboundedPreceding, 0))


def window_events(facts: DataFrame, key: str, day: str, values: Mapping[str, Column],
                  windows: Sequence[int]) -> DataFrame:
    """Change events of trailing-window sums: for each fact on ``day`` and each value,
    +value on day+1 into every window, -value on day+1+N out of the N-day window.

    Output columns: ``key``, ``date`` and one delta column per value and window, named
    ``f"{name}_{N}d"`` for each ``name`` of ``values``.
    """
    from pyspark.sql import functions as F

    outputs = [f"{v}_{n}d" for v in values for n in windows]

    def event(offset: int, sign: int, only: int | None) -> DataFrame:
        # value * 0 rather than a literal 0 keeps every frame of the union the same type.
        deltas = [
            (expression * F.lit(sign if only in (None, n) else 0)).alias(f"{v}_{n}d")
            for v, expression in values.items() for n in windows
        ]
        return facts.select(key, F.date_add(F.col(day), offset).alias(DATE), *deltas)

    frames = [event(1, 1, None)] + [event(1 + n, -1, n) for n in windows]
    result = frames[0]
    for frame in frames[1:]:
        result = result.unionByName(frame)
    return result.select(key, DATE, *outputs)
