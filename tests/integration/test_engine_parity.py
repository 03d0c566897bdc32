"""Engine parity: the point-in-time join gives identical rows on Sail and on Apache Spark.

Apache Spark here is a classic local JVM session (pyspark 4, in-memory inputs, no Delta).
It cannot share a process with the Spark Connect session of the test run — pyspark switches
every process to Connect mode once a remote session exists — so it runs in one spawned
worker process for the whole module. Both engines get the same records and DDL schemas and
run the same lakestep code; the collected rows must be equal.
"""

from __future__ import annotations

import datetime
import multiprocessing
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from lakestep.features import FeatureLookup, FeatureTable
from lakestep.features.definitions import demo_definitions
from lakestep.features.pit import as_of_join, assemble
from lakestep.features.plan import TrainingPlan, plan_training_set

_CLASSIC: Any = None  # the classic SparkSession, inside the worker process only


@dataclass(frozen=True)
class Frame:
    """Records + DDL schema: rebuilt as a DataFrame on each engine."""

    records: list[tuple]
    ddl: str

    def on(self, spark):
        return spark.createDataFrame(self.records, self.ddl)


@dataclass(frozen=True)
class AssemblyJob:
    labels: Frame
    tables: dict[str, Frame]
    plan: TrainingPlan


@dataclass(frozen=True)
class TransformJob:
    """One demo feature table built from in-memory gold frames."""

    table: str
    gold: dict[str, Frame]


@dataclass(frozen=True)
class AsOfJob:
    labels: Frame
    features: Frame
    keys: tuple[str, ...]
    outputs: tuple[str, ...]
    window: datetime.timedelta | None


def run(spark, job) -> list[tuple]:
    """The job's result rows on ``spark``, in a canonical order."""
    if isinstance(job, AsOfJob):
        result = as_of_join(job.labels.on(spark), job.features.on(spark), keys=job.keys,
                            timestamp="ts", outputs=job.outputs, lookback_window=job.window)
    elif isinstance(job, TransformJob):
        definition = {d.name: d for d in demo_definitions()}[job.table]
        result = definition.build(spark, {t: f.on(spark) for t, f in job.gold.items()})
    else:
        frames = {name: frame.on(spark) for name, frame in job.tables.items()}
        result = assemble(job.labels.on(spark), job.plan, frames.__getitem__)
    return sorted((tuple(row) for row in result.collect()), key=repr)


# -- the classic worker --------------------------------------------------------------------------

def _start_classic() -> None:
    global _CLASSIC
    os.environ.pop("SPARK_CONNECT_MODE_ENABLED", None)  # inherited from the parent process
    os.environ.pop("SPARK_REMOTE", None)
    from pyspark.sql import SparkSession

    _CLASSIC = (SparkSession.builder.master("local[1]").appName("lakestep-parity")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.sql.session.timeZone", "Etc/UTC")
                .getOrCreate())
    _CLASSIC.sparkContext.setLogLevel("ERROR")


def _run_classic(job) -> list[tuple]:
    return run(_CLASSIC, job)


def _classic_version() -> tuple[str, bool]:
    from pyspark.sql.utils import is_remote

    return _CLASSIC.version, is_remote()


@pytest.fixture(scope="module")
def classic() -> Iterator[ProcessPoolExecutor]:
    if shutil.which("java") is None:
        pytest.skip("java is not on PATH: the classic JVM Spark session cannot start")
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_start_classic) as pool:
        version, remote = pool.submit(_classic_version).result(timeout=180)
        assert version.startswith("4.") and not remote
        yield pool


def on_both(spark, classic, job) -> tuple[list[tuple], list[tuple]]:
    return run(spark, job), classic.submit(_run_classic, job).result(timeout=300)


# -- inputs ----------------------------------------------------------------------------------------

BASE = datetime.datetime(2024, 3, 1)


def _history(seed: int, kind: str) -> tuple[Frame, Frame]:
    """Random feature history and label frame with ties, nulls and rows before any feature."""
    rng = np.random.default_rng(seed)
    step = datetime.timedelta(hours=1) if kind == "timestamp" else datetime.timedelta(days=1)

    def at(offset):
        value = BASE + int(offset) * step
        return value if kind == "timestamp" else value.date()

    pairs = sorted({(int(k), int(t)) for k, t in rng.integers(0, [6, 40], size=(150, 2))})
    features = [(k, at(t), float(i), None if i % 7 == 0 else f"s{i % 5}")
                for i, (k, t) in enumerate(pairs)]
    labels = [
        (i, None if i % 11 == 0 else int(rng.integers(0, 7)),
         None if i % 13 == 0 else at(rng.integers(-3, 45)), float(rng.random()))
        for i in range(200)
    ]
    return (Frame(labels, f"rid long, k long, ts {kind}, y double"),
            Frame(features, f"k long, ts {kind}, f double, s string"))


@pytest.mark.parametrize("kind", ["timestamp", "date"])
@pytest.mark.parametrize("window_steps", [None, 0, 3])
def test_as_of_join_is_identical_on_sail_and_apache_spark(spark, classic, kind, window_steps):
    labels, features = _history(0, kind)
    unit = datetime.timedelta(hours=1) if kind == "timestamp" else datetime.timedelta(days=1)
    window = None if window_steps is None else window_steps * unit
    job = AsOfJob(labels, features, keys=("k",), outputs=("f", "s"), window=window)
    sail, apache = on_both(spark, classic, job)
    assert len(sail) == len(labels.records)
    assert sum(row[4] is not None for row in sail) > 20  # the join matched something
    assert sail == apache


def test_training_set_assembly_is_identical_on_sail_and_apache_spark(spark, classic):
    labels, daily = _history(7, "date")
    calendar = Frame([((BASE + datetime.timedelta(days=d)).date(), d % 7 >= 5, d % 3)
                      for d in range(-5, 50)], "ts date, is_weekend boolean, bucket int")
    tables = {
        "main.features.daily": FeatureTable(
            name="main.features.daily", primary_keys=("k", "ts"), timestamp_keys=("ts",),
            columns={"k": "bigint", "ts": "date", "f": "double", "s": "string"}),
        "main.features.calendar": FeatureTable(
            name="main.features.calendar", primary_keys=("ts",),
            columns={"ts": "date", "is_weekend": "boolean", "bucket": "int"}),
    }
    lookups = [
        FeatureLookup("main.features.daily", "k", feature_names=["f"], timestamp_lookup_key="ts",
                      lookback_window=datetime.timedelta(days=5), default_values={"f": -1.0}),
        FeatureLookup("main.features.daily", "k", feature_names=["s"], rename_outputs={"s": "seg"},
                      timestamp_lookup_key="ts", lookback_window=datetime.timedelta(days=5)),
        FeatureLookup("main.features.calendar", "ts", default_values={"bucket": 9}),
    ]
    label_types = {"rid": "bigint", "k": "bigint", "ts": "date", "y": "double"}
    plan = plan_training_set(label_types, lookups, tables, ["y"], [])
    job = AssemblyJob(labels, {"main.features.daily": daily, "main.features.calendar": calendar},
                      plan)
    sail, apache = on_both(spark, classic, job)
    assert len(sail) == len(labels.records)
    assert sail == apache


def _gold(seed: int) -> dict[str, Frame]:
    """A small random gold layer with the columns the demo feature tables read."""
    rng = np.random.default_rng(seed)
    start, day = datetime.date(2024, 1, 1), datetime.timedelta(days=1)
    bookings = []
    for _ in range(400):
        customer, prop = int(rng.integers(1, 30)), int(rng.integers(1, 12))
        booked = start + int(rng.integers(0, 400)) * day
        checkin = booked + int(rng.integers(0, 40)) * day
        nights, cents = int(rng.integers(1, 6)), int(rng.integers(3_000, 40_000))
        price = Decimal(cents) / 100
        bookings.append((customer, prop, 1 + prop % 4, booked, checkin, checkin + nights * day,
                         price, price * nights, bool(rng.random() < 0.2)))
    signups = [(c, start + int(rng.integers(-400, 0)) * day) for c in range(1, 30) for _ in (0, 1)]
    days = [start + i * day for i in range(-30, 460)]
    return {
        "fact_booking": Frame(bookings, "customer_id long, property_id long, destination_id int, "
                              "booking_date date, checkin_date date, checkout_date date, "
                              "nightly_price decimal(10,2), total_amount decimal(12,2), "
                              "is_cancelled boolean"),
        "dim_customer": Frame(signups, "customer_id long, signup_date date"),
        "dim_property": Frame([(p,) for p in range(1, 13)], "property_id long"),
        "dim_destination": Frame([(d,) for d in range(1, 6)], "destination_id int"),
        "dim_date": Frame([(d, d.isoweekday(), d.day, d.month, (d.month - 1) // 3 + 1,
                            d.isocalendar()[1], d.isoweekday() >= 6, d.day == 1) for d in days],
                          "date date, day_of_week int, day_of_month int, month int, quarter int, "
                          "week_of_year int, is_weekend boolean, is_holiday boolean"),
    }


@pytest.mark.parametrize("table", ["customer_daily", "property_daily", "destination_daily",
                                   "calendar"])
def test_demo_feature_transforms_are_identical_on_sail_and_apache_spark(spark, classic, table):
    gold = _gold(3)
    needed = {d.name: d for d in demo_definitions()}[table].source_tables
    sail, apache = on_both(spark, classic, TransformJob(table, {t: gold[t] for t in needed}))
    assert len(sail) > 100
    assert sail == apache
