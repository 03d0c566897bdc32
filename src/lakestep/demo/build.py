"""build_gold: generate, validate and write the demo gold layer.

Every table is checked against its contract before it is written, so a violating frame
raises and leaves the table as it was. The page views are generated once and staged in a
scratch Delta table (dropped at the end): both fact tables derive from them, and Sail
neither caches nor reuses a plan, so without the stage the whole generator would run
once per validation pass and per write — six times instead of once.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from lakestep.contracts import load_contracts, validate
from lakestep.demo import activity, dims, facts
from lakestep.demo import params as P
from lakestep.demo.entities import World
from lakestep.errors import LakestepError
from lakestep.gold import TableSummary, write_gold_table

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from lakestep.platform.base import Platform

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]
GOLD_TABLES = ("dim_date", "dim_destination", "dim_customer", "dim_property",
               "fact_booking", "fact_page_view")
STAGE_TABLE = "_lakestep_demo_stage_views"
MIN_SCALE = 100


def build_gold(
    platform: Platform,
    *,
    scale: int = 200_000,
    seed: int = 7,
    drift: bool = False,
    progress: Progress | None = None,
) -> list[TableSummary]:
    """Generate the travel-bookings gold layer and write every table (re-run safe).

    ``scale`` is the expected number of bookings in the two base years (the count is
    within about 1 %); customers (scale/8) and properties (scale/200) follow from it.
    ``drift=True`` appends a 61-day period after 2025-06-30 in which prices, device mix
    and lead times shift. Same seed and scale give identical table contents.
    """
    if int(scale) < MIN_SCALE:
        raise LakestepError(f"scale {scale} is too small", f"use a scale of at least {MIN_SCALE}")
    builder = _Builder(platform, World.create(seed, scale), drift, progress)
    return builder.run()


class _Builder:
    def __init__(self, platform: Platform, world: World, drift: bool,
                 progress: Progress | None) -> None:
        self.platform = platform
        self.spark = platform.spark
        self.world = world
        self.drift = drift
        self.progress = progress
        self.contracts = load_contracts()
        self.summaries: list[TableSummary] = []

    def run(self) -> list[TableSummary]:
        started = time.perf_counter()
        spark, world = self.spark, self.world
        self.publish("dim_date", dims.dim_date(spark))
        self.publish("dim_destination", dims.dim_destination(spark))
        self.publish("dim_customer", dims.dim_customer(spark, world))
        self.publish("dim_property", dims.dim_property(spark, world))
        stage = self.platform.settings.gold(STAGE_TABLE)
        try:
            with self.step("page views generated and staged"):
                self.platform.tables.write(stage, self.views())
            staged = self.platform.tables.read(stage)
            self.publish("fact_booking", facts.bookings(staged, world))
            booked = self.platform.tables.read(self.name("fact_booking"))
            self.publish("fact_page_view", facts.page_views(staged, booked))
        finally:
            self.platform.tables.drop(stage)
        log.info("demo gold layer (scale=%d, seed=%d, drift=%s) built in %.2fs",
                 world.scale, world.seed, self.drift, time.perf_counter() - started)
        return self.summaries

    def views(self) -> DataFrame:
        base = activity.views(self.spark, self.world, activity.BASE, self.world.scale)
        if not self.drift:
            return base
        extra = round(self.world.scale * P.DRIFT_DAYS / P.DAYS)
        return base.unionByName(activity.views(self.spark, self.world, activity.DRIFT, extra))

    def name(self, table: str) -> str:
        return self.platform.settings.gold(table)

    def publish(self, table: str, df: DataFrame) -> None:
        """Validate against the contract, then write and label the table."""
        contract = self.contracts[table]
        name = self.name(table)
        started = time.perf_counter()
        with self.step(f"{table}: contract checked"):
            report = validate(df, contract, name=name)
        with self.step(f"{table}: written"):
            version = write_gold_table(self.platform, contract, df, self.properties())
        self.summaries.append(TableSummary(name, table, report.rows, version,
                                           time.perf_counter() - started))

    def properties(self) -> dict[str, str]:
        """What the demo adds to the contract's properties (lakestep.gold)."""
        return {
            "lakestep.seed": str(self.world.seed),
            "lakestep.scale": str(self.world.scale),
            "lakestep.drift": str(self.drift).lower(),
        }

    @contextmanager
    def step(self, label: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        seconds = time.perf_counter() - started
        log.info("%s in %.2fs", label, seconds)
        if self.progress is not None:
            self.progress(label, seconds)


def content_hash(df: DataFrame) -> str:
    """A fingerprint of a frame's schema and multiset of rows, independent of row order.

    Each row is hashed on the engine (xxhash64 over every column, twice with different
    seeds) and the hashes are combined with order-free aggregates; nothing is collected
    but one row of sums.
    """
    from pyspark.sql import functions as F

    columns = [F.col(c) for c in df.columns]
    first = F.xxhash64(*columns)
    second = F.xxhash64(F.lit("lakestep"), *columns)
    row = df.agg(
        F.count(F.lit(1)).alias("rows"),
        F.sum(F.pmod(first, F.lit(1_000_000_007))).alias("a"),
        F.sum(F.pmod(second, F.lit(998_244_353))).alias("b"),
        F.bit_xor(first).alias("c"),
    ).collect()[0]
    text = "|".join([df.schema.simpleString(), *(str(row[k]) for k in ("rows", "a", "b", "c"))])
    return hashlib.sha256(text.encode()).hexdigest()
