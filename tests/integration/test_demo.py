"""build_gold on real Delta: contracts, determinism across processes, re-runs, SCD2 keys."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import uuid

import pytest
from pyspark.sql import functions as F

from lakestep.contracts import current_rows, get_contract, validate
from lakestep.demo import GOLD_TABLES, build_gold, content_hash
from lakestep.errors import ContractViolation, LakestepError
from lakestep.platform.base import Platform

SCALE, SEED = 3_000, 7


def own_schema(platform: Platform) -> Platform:
    """The shared engine, with a gold schema no other test writes to."""
    from lakestep.platform.local import DeltaTableStore

    settings = platform.settings.with_overrides(gold_schema=f"gold_{uuid.uuid4().hex[:10]}")
    return Platform(settings, platform.spark, DeltaTableStore(platform.spark, settings))


def hashes(platform: Platform) -> dict[str, str]:
    return {t: content_hash(platform.tables.read(platform.settings.gold(t))) for t in GOLD_TABLES}


@pytest.fixture(scope="module")
def demo(platform: Platform):
    local = own_schema(platform)
    steps: list[tuple[str, float]] = []
    summaries = build_gold(local, scale=SCALE, seed=SEED,
                           progress=lambda step, seconds: steps.append((step, seconds)))
    return local, summaries, steps, hashes(local)


def read(platform: Platform, table: str):
    return platform.tables.read(platform.settings.gold(table))


def test_every_table_is_written_and_passes_its_contract(demo) -> None:
    platform, summaries, _, _ = demo
    assert [s.table for s in summaries] == list(GOLD_TABLES)
    for summary in summaries:
        assert summary.name == platform.settings.gold(summary.table)
        report = validate(platform.tables.read(summary.name), get_contract(summary.table))
        assert report.rows == summary.rows > 0
        assert summary.version == platform.tables.version(summary.name)
        assert summary.seconds > 0


def test_scale_is_the_number_of_bookings(demo) -> None:
    _, summaries, _, _ = demo
    rows = {s.table: s.rows for s in summaries}
    assert abs(rows["fact_booking"] / SCALE - 1) < 0.06
    assert rows["fact_page_view"] > 2 * rows["fact_booking"]
    assert rows["dim_date"] == 1461 and rows["dim_destination"] == 24


def test_progress_reports_every_step(demo) -> None:
    _, _, steps, _ = demo
    names = [name for name, _ in steps]
    for table in GOLD_TABLES:
        assert f"{table}: contract checked" in names
        assert f"{table}: written" in names
    assert all(seconds >= 0 for _, seconds in steps)


def test_table_properties(demo) -> None:
    platform, summaries, _, _ = demo
    properties = platform.tables.properties(summaries[-2].name)  # fact_booking
    assert properties["primary_key"] == "booking_id"
    assert properties["lakestep.seed"] == str(SEED)
    assert properties["lakestep.scale"] == str(SCALE)
    assert properties["lakestep.contract"].endswith("fact_booking.yml")
    assert "booking" in properties["comment"]
    assert platform.tables.properties(summaries[2].name)["primary_key"] == "customer_sk"


def test_only_the_gold_tables_remain(demo) -> None:
    platform, _, _, _ = demo
    schema = f"{platform.settings.catalog}.{platform.settings.gold_schema}"
    assert platform.tables.list_tables(schema) == sorted(
        platform.settings.gold(t) for t in GOLD_TABLES)


def test_same_seed_and_scale_give_the_same_content_in_another_process(demo, tmp_path) -> None:
    _, _, _, expected = demo
    script = textwrap.dedent(f"""
        import json, lakestep
        from lakestep.demo import GOLD_TABLES, build_gold, content_hash
        with lakestep.connect(home={str(tmp_path)!r}, environ={{}}) as platform:
            build_gold(platform, scale={SCALE}, seed={SEED})
            print(json.dumps({{t: content_hash(platform.tables.read(platform.settings.gold(t)))
                               for t in GOLD_TABLES}}))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == expected


def test_a_rerun_gives_the_same_content_and_a_new_version(demo) -> None:
    platform, summaries, _, expected = demo
    again = build_gold(platform, scale=SCALE, seed=SEED)
    assert hashes(platform) == expected
    for before, after in zip(summaries, again, strict=True):
        assert after.rows == before.rows
        assert after.version > before.version


def test_another_seed_gives_other_content(demo, platform) -> None:
    _, _, _, first = demo
    other = own_schema(platform)
    build_gold(other, scale=SCALE, seed=SEED + 1)
    second = hashes(other)
    for table in ("dim_customer", "dim_property", "fact_booking", "fact_page_view"):
        assert second[table] != first[table], table
    assert second["dim_date"] == first["dim_date"]  # the calendar does not depend on the seed


def test_content_hash_ignores_row_order_but_not_content(spark) -> None:
    df = spark.range(100).withColumn("x", F.col("id") * 3)
    assert content_hash(df) == content_hash(df.orderBy(F.desc("id")).repartition(3))
    assert content_hash(df) != content_hash(df.withColumn("x", F.col("x") + (F.col("id") == 5).cast("bigint")))
    assert content_hash(df) != content_hash(df.limit(99))


def test_a_violating_frame_raises_and_writes_nothing(platform, monkeypatch) -> None:
    from lakestep.demo import dims

    real = dims.dim_destination
    monkeypatch.setattr(dims, "dim_destination",
                        lambda spark: real(spark).withColumn("destination_id", F.lit(1)))
    local = own_schema(platform)
    with pytest.raises(ContractViolation, match=r"(?s)dim_destination violates.*duplicate_key"):
        build_gold(local, scale=SCALE, seed=SEED)
    assert not local.tables.exists(local.settings.gold("dim_destination"))
    assert not local.tables.exists(local.settings.gold("fact_booking"))


def test_a_tiny_scale_is_refused(platform) -> None:
    with pytest.raises(LakestepError, match="scale 10 is too small"):
        build_gold(platform, scale=10)


def test_fact_keys_point_at_the_dimension_version_valid_at_that_moment(demo) -> None:
    platform, _, _, _ = demo
    for fact, moment in (("fact_booking", "booking_ts"), ("fact_page_view", "view_ts")):
        facts = read(platform, fact)
        for dim, key in (("dim_customer", "customer_sk"), ("dim_property", "property_sk")):
            versions = read(platform, dim).select(key, "effective_from", "effective_to")
            joined = facts.join(versions, key, "left")
            outside = joined.filter(
                F.col("effective_from").isNull() | (F.col(moment) < F.col("effective_from"))
                | (F.col(moment) >= F.coalesce("effective_to", F.lit("9999-01-01").cast("timestamp"))))
            assert outside.count() == 0, f"{fact}.{key}"
        dates = read(platform, "dim_date").select(F.col("date").alias("checkin_date"))
        assert facts.join(dates, "checkin_date", "left_anti").count() == 0
        destinations = read(platform, "dim_destination").select("destination_id")
        assert facts.join(destinations, "destination_id", "left_anti").count() == 0


def test_scd2_dimensions_really_change(demo) -> None:
    platform, _, _, _ = demo
    for table, key, tracked in (("dim_customer", "customer_id",
                                 ["segment", "country_code", "loyalty_tier"]),
                                ("dim_property", "property_id", ["price_tier", "stars"])):
        df = read(platform, table)
        contract = get_contract(table)
        current = current_rows(df, contract)
        entities = current.count()
        assert current.select(key).distinct().count() == entities
        assert df.count() > 1.25 * entities, f"{table}: too few entities change"
        # Every new version differs from the one it closes in a tracked attribute.
        old = df.filter(~F.col("is_current")).select(
            key, F.col("effective_to").alias("effective_from"),
            *[F.col(c).alias(f"old_{c}") for c in tracked])
        pairs = old.join(df, [key, "effective_from"])
        assert pairs.count() == df.count() - entities
        same = pairs.filter(F.expr(" AND ".join(f"{c} = old_{c}" for c in tracked)))
        assert same.count() == 0, f"{table}: a version that changes nothing"


def test_converted_follows_its_definition(demo) -> None:
    platform, _, _, _ = demo
    views = read(platform, "fact_page_view")
    bookings = read(platform, "fact_booking").select(
        "customer_id", "property_id", F.col("booking_ts"))
    followed = (views.join(bookings, ["customer_id", "property_id"])
                .filter((F.col("booking_ts") > F.col("view_ts"))
                        & (F.col("booking_ts") <= F.col("view_ts") + F.expr("INTERVAL 7 DAYS")))
                .select("page_view_id").distinct())
    expected = {r.page_view_id for r in followed.collect()}
    actual = {r.page_view_id for r in views.filter("converted").select("page_view_id").collect()}
    assert actual == expected
    assert 0.1 < len(actual) / views.count() < 0.5
