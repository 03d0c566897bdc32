"""The embedded engine under a small memory limit: what can spill does, what cannot fails
clearly and loses nothing."""

from __future__ import annotations

import os

import pytest

import lakestep
from lakestep.errors import TableWriteError

ROWS = 2_000_000


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    home = tmp_path_factory.mktemp("small-engine")
    with lakestep.connect(home=home, environ={"LAKESTEP_ENGINE_MEMORY": "64m"}) as p:
        yield p


def test_the_engines_configuration_does_not_leak_into_the_environment(small):
    assert not [k for k in os.environ if k.startswith("SAIL_RUNTIME__")]


def test_sorts_aggregations_and_windows_spill_instead_of_failing(small):
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    df = small.spark.range(ROWS).select("id", F.xxhash64("id").alias("h"))
    assert df.groupBy("h").count().count() == ROWS  # 2M groups: well over 64 MiB of state
    ranked = df.select(F.row_number().over(Window.partitionBy(F.pmod("id", F.lit(10)))
                                           .orderBy(F.col("h"))).alias("n"))
    assert ranked.agg(F.sum("n")).collect()[0][0] == 10 * (ROWS // 10) * (ROWS // 10 + 1) // 2


def test_a_write_that_outgrows_the_engine_fails_clearly_and_keeps_the_table(small):
    from pyspark.sql import functions as F

    name = small.settings.gold("too_big")
    before = small.tables.write(name, small.spark.range(5).withColumn("h", F.lit(1)))
    big = small.spark.range(ROWS).select("id", F.xxhash64("id").alias("h"))
    with pytest.raises(TableWriteError) as caught:
        small.tables.write(name, big.join(big.withColumnRenamed("id", "id2"), "h"))
    assert name in caught.value.message and "unchanged" in caught.value.message
    assert "LAKESTEP_ENGINE_MEMORY" in str(caught.value.hint)
    assert small.tables.version(name) == before
    assert small.tables.read(name).count() == 5
