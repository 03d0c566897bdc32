"""Benchmark (not a test): demo feature tables at several scales, and point-in-time training sets.

    lakestep bench features --bookings 1000000,2000000,10000000 --gold synthetic --repeats 3
    python -m lakestep.bench.features --bookings 1000000 --repeats 1     # one scale

At each scale (``--bookings``, comma-separated; a fresh lakehouse per scale), each step
timed ``--repeats`` times (median and spread reported):
  * build_all: every demo feature table created from the gold layer (full refresh), with
    each table's own time from the build's progress callback (``build_<table>``);
  * refresh_all: a re-run on the same gold layer (a retried job): every table is rebuilt
    and diffed against itself; only new or changed rows reach the MERGE (here none), timed
    ``--refresh-repeats`` times;
  * training_set: ``create_training_set`` + ``load_df`` for as many label rows as there are
    bookings (fact rows), with point-in-time lookups on customer_daily, property_daily and
    destination_daily plus the calendar, forced to compute every output column.
  * refresh_new_day: the daily job — one more day of bookings (1/731 of them, copied from
    existing ones onto the day after the last) appended to fact_booking, then every table
    refreshed: the new and changed rows are merged (last, as it changes the gold layer).
  The two refresh steps run at scales up to ``--refresh-max-bookings`` (default 2M).
How each step grows with scale is the slope of log(time) on log(bookings), least squares
over the scales (``growth``): 1.0 is linear.

The gold layer is the demo generator's (``lakestep.demo.build_gold``, seed 7) by default;
``--gold synthetic`` writes a hash-based stand-in with the same cardinalities (bookings/8
customers, bookings/200 properties, 24 destinations, 731 days) and only the columns the
feature tables read, to time the features independently of the generator. Prints one JSON
document.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform as host
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import lakestep
from lakestep.features import FeatureLookup, build_feature_tables, load_definitions

START = date(2023, 7, 1)
DAYS = 731


def _uniform(salt: int):
    """A deterministic uniform [0, 1) per row id."""
    from pyspark.sql import functions as F

    return F.pmod(F.xxhash64("id", F.lit(salt)), F.lit(1_000_003)).cast("double") / 1_000_003


def synthetic_gold(spark, bookings: int) -> dict:
    from pyspark.sql import functions as F

    customers, properties = max(200, bookings // 8), max(40, bookings // 200)
    day = lambda salt: F.date_add(F.lit(START), (_uniform(salt) * DAYS).cast("int"))  # noqa: E731
    lead = F.least(F.floor(-F.log(1 - _uniform(4)) * 30), F.lit(300)).cast("int")
    nights = (1 + F.floor(_uniform(5) * 7)).cast("int")
    price = F.round(50 + _uniform(6) * 250, 2).cast("decimal(10,2)")
    facts = spark.range(bookings).select(
        (1 + F.floor(F.pow(_uniform(1), 1.4) * customers)).cast("long").alias("customer_id"),
        (1 + F.floor(_uniform(2) * properties)).cast("long").alias("property_id"),
        day(3).alias("booking_date"), lead.alias("lead"), nights.alias("nights"),
        price.alias("nightly_price"), (_uniform(7) < 0.1).alias("is_cancelled"))
    fact_booking = facts.select(
        "customer_id", "property_id",
        (1 + F.pmod(F.col("property_id"), F.lit(24))).cast("int").alias("destination_id"),
        "booking_date",
        F.date_add("booking_date", F.col("lead")).alias("checkin_date"),
        F.date_add("booking_date", F.col("lead") + F.col("nights")).alias("checkout_date"),
        "nightly_price",
        (F.col("nightly_price") * F.col("nights")).cast("decimal(12,2)").alias("total_amount"),
        "is_cancelled")
    calendar = spark.range(-200, DAYS + 400).select(F.date_add(F.lit(START), F.col("id").cast(
        "int")).alias("date"))
    return {
        "fact_booking": fact_booking,
        "dim_customer": spark.range(1, customers + 1).select(
            F.col("id").alias("customer_id"),
            F.date_sub(F.lit(START), (_uniform(8) * 900).cast("int")).alias("signup_date")),
        "dim_property": spark.range(1, properties + 1).select(F.col("id").alias("property_id")),
        "dim_destination": spark.range(1, 25).select(F.col("id").cast("int")
                                                     .alias("destination_id")),
        "dim_date": calendar.select(
            "date", F.dayofweek("date").alias("day_of_week"),
            F.dayofmonth("date").alias("day_of_month"), F.month("date").alias("month"),
            F.quarter("date").alias("quarter"), F.weekofyear("date").alias("week_of_year"),
            F.dayofweek("date").isin(1, 7).alias("is_weekend"),
            (F.dayofmonth("date") == 1).alias("is_holiday")),
    }


def write_gold(p, kind: str, bookings: int) -> None:
    if kind == "demo":
        from lakestep.demo import build_gold

        build_gold(p, scale=bookings, seed=7)
        return
    for table, df in synthetic_gold(p.spark, bookings).items():
        p.tables.write(p.settings.gold(table), df)


def timed(repeats: int, step: Callable[[], object]) -> dict[str, Any]:
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        step()
        seconds.append(round(time.perf_counter() - started, 2))
    return summary(seconds)


def summary(seconds: Sequence[float]) -> dict[str, Any]:
    return {"median_s": round(statistics.median(seconds), 2),
            "spread_s": round(max(seconds) - min(seconds), 2), "runs_s": list(seconds)}


def growth_exponent(points: Sequence[tuple[float, float]]) -> float | None:
    """Least-squares slope of log(seconds) on log(scale): 1.0 is linear, 2.0 quadratic."""
    usable = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y > 0]
    if len({x for x, _ in usable}) < 2:
        return None
    mx = statistics.fmean(x for x, _ in usable)
    my = statistics.fmean(y for _, y in usable)
    sxx = sum((x - mx) ** 2 for x, _ in usable)
    return round(sum((x - mx) * (y - my) for x, y in usable) / sxx, 2)


def training_set(p, labels: int):
    from pyspark.sql import functions as F

    settings = p.settings
    label_frame = p.tables.read(settings.gold("fact_booking")).limit(labels).select(
        "customer_id", "property_id", "destination_id", F.col("booking_date").alias("date"),
        F.col("total_amount").cast("double").alias("amount"))
    lookups = [
        FeatureLookup(settings.feature_table("customer_daily"), "customer_id",
                      timestamp_lookup_key="date", default_values={"bookings_365d": 0}),
        FeatureLookup(settings.feature_table("property_daily"), "property_id",
                      timestamp_lookup_key="date",
                      rename_outputs={"bookings_7d": "p_bookings_7d",
                                      "bookings_30d": "p_bookings_30d",
                                      "bookings_90d": "p_bookings_90d"},
                      feature_names=["bookings_7d", "bookings_30d", "bookings_90d",
                                     "avg_price_30d", "occupancy_30d"]),
        FeatureLookup(settings.feature_table("destination_daily"), "destination_id",
                      timestamp_lookup_key="date", feature_names=["bookings_7d", "revenue_28d"],
                      rename_outputs={"bookings_7d": "d_bookings_7d"}),
        FeatureLookup(settings.feature_table("calendar"), "date",
                      feature_names=["is_weekend", "is_holiday"]),
    ]
    df = p.features.create_training_set(df=label_frame, feature_lookups=lookups,
                                        label="amount").load_df()
    # Hash every column so no engine can skip computing one.
    return df.agg(F.count(F.lit(1)).alias("rows"), F.sum(F.xxhash64(*df.columns)).alias("h"))


def add_day(p) -> int:
    """Append one more day of bookings to fact_booking: a 1/731 sample of the existing ones
    moved onto the day after the last (every date shifted alike; ids made new). Returns the
    number of bookings added."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DateType

    name = p.settings.gold("fact_booking")
    facts = p.tables.read(name, version=p.tables.version(name))  # pinned: the append is new
    last = facts.agg(F.max("booking_date")).collect()[0][0]
    sample = facts.filter(F.pmod(F.xxhash64(*facts.columns), F.lit(DAYS)) == 0)
    shift = F.datediff(F.date_add(F.lit(last), 1), F.col("booking_date"))
    columns = []
    for field in facts.schema.fields:
        column = F.col(field.name)
        if isinstance(field.dataType, DateType):
            column = F.date_add(column, shift)
        elif field.name == "booking_id":
            column = column + F.lit(facts.agg(F.max("booking_id")).collect()[0][0])
        columns.append(column.cast(field.dataType).alias(field.name))
    day = sample.select(*columns)
    p.tables.write(name, day, mode="append")
    return int(day.count())


# Refresh steps are timed up to this many bookings (each is one rebuild of every table plus
# a diff against it: at 10M bookings the two would add about 25 minutes to the sweep).
REFRESH_MAX_BOOKINGS = 2_000_000


def one_scale(bookings: int, repeats: int, refresh_repeats: int, gold: str,
              home: Path, refresh_max: int = REFRESH_MAX_BOOKINGS) -> dict[str, Any]:
    """Every step at one scale, in a fresh lakehouse under ``home``."""
    result: dict[str, Any] = {"bookings": bookings}
    if bookings > refresh_max:
        refresh_repeats = 0
    with lakestep.connect(home=home, environ={}) as p:
        started = time.perf_counter()
        write_gold(p, gold, bookings)
        result["gold_write_s"] = round(time.perf_counter() - started, 2)
        labels = result["fact_booking_rows"] = p.tables.read(
            p.settings.gold("fact_booking")).count()
        definitions = load_definitions()
        per_table: dict[str, list[float]] = {name: [] for name in definitions}

        def build_all() -> None:
            build_feature_tables(p, definitions=definitions, full_refresh=True,
                                 progress=lambda name, s: per_table[name.rsplit(".", 1)[-1]]
                                 .append(round(s, 2)))

        steps = result["steps"] = {"build_all": timed(repeats, build_all)}
        for name, seconds in per_table.items():
            steps[f"build_{name}"] = summary(seconds)
        failed = result["failed_steps"] = {}

        def attempt(step: str, count: int, body: Callable[[], object]) -> None:
            """A step that fails (out of memory, say) is recorded; the others still run."""
            try:
                steps[step] = timed(count, body)
            except Exception as exc:
                failed[step] = f"{type(exc).__name__}: {str(exc).strip()[:400]}"

        if refresh_repeats:
            attempt("refresh_all", refresh_repeats,
                    lambda: build_feature_tables(p, definitions=definitions))
        result["rows"] = {name: p.tables.read(p.settings.feature_table(name)).count()
                          for name in definitions}
        counted: list[int] = []
        steps["training_set"] = timed(repeats, lambda: counted.append(
            training_set(p, labels).collect()[0]["rows"]))
        result["training_set_rows"] = counted[0]
        if refresh_repeats:
            added = []

            def new_day() -> None:
                added.append(add_day(p))
                build_feature_tables(p, definitions=definitions)

            attempt("refresh_new_day", refresh_repeats, new_day)
            result["new_day_bookings"] = added
    return result


def run(bookings: Sequence[int], repeats: int = 3, refresh_repeats: int = 1,
        refresh_max: int = REFRESH_MAX_BOOKINGS,
        gold: str = "demo", home: str | None = None) -> dict[str, Any]:
    """Every scale in its own process, so one that fails (out of memory, say) is recorded
    as failed and the others keep their figures."""
    import subprocess

    root = Path(home or tempfile.mkdtemp(prefix="lakestep-bench-features-"))
    scales: list[dict[str, Any]] = []
    for n in bookings:
        print(f"features at {n:,} bookings", file=sys.stderr, flush=True)
        done = subprocess.run(
            [sys.executable, "-m", "lakestep.bench.features", "--child-scale", str(n),
             "--repeats", str(repeats), "--refresh-repeats", str(refresh_repeats),
             "--refresh-max-bookings", str(refresh_max),
             "--gold", gold, "--home", str(root / f"b{n}")],
            capture_output=True, text=True, check=False)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode != 0 or not lines:
            killed = " (killed: out of memory?)" if done.returncode == -9 else ""
            scales.append({"bookings": n, "error": f"exit {done.returncode}{killed}: "
                           f"{done.stderr.strip()[-600:]}"})
            continue
        scales.append(json.loads(lines[-1]))
    measured = [s for s in scales if "steps" in s]
    steps = sorted({step for scale in measured for step in scale["steps"]})
    growth = {step: growth_exponent([(s["bookings"], s["steps"][step]["median_s"])
                                     for s in measured if step in s["steps"]]) for step in steps}
    return {"bookings": list(bookings), "repeats": repeats, "refresh_repeats": refresh_repeats,
            "refresh_max_bookings": refresh_max,
            "gold": gold, "engine": "sail (embedded)", "cpus": os.cpu_count(),
            "python": host.python_version(), "scales": scales, "growth": growth}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", default="1000000,2000000,10000000",
                        help="comma-separated scales (bookings of the demo gold layer)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--refresh-repeats", type=int, default=1)
    parser.add_argument("--refresh-max-bookings", type=int, default=REFRESH_MAX_BOOKINGS,
                        help="time the refresh steps only at scales up to this many bookings")
    parser.add_argument("--home", default=None, help="where the lakehouses go (default: temp)")
    parser.add_argument("--gold", choices=("demo", "synthetic"), default="demo")
    parser.add_argument("--child-scale", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_scale:
        print(json.dumps(one_scale(args.child_scale, args.repeats, args.refresh_repeats,
                                   args.gold, Path(args.home),
                                   refresh_max=args.refresh_max_bookings)))
        return
    print(json.dumps(run([int(b) for b in args.bookings.split(",") if b], args.repeats,
                         args.refresh_repeats, args.refresh_max_bookings, args.gold, args.home),
                     indent=1))


if __name__ == "__main__":
    main()
