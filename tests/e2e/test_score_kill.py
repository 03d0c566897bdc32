"""A scoring process killed half-way leaves the predictions table as it was.

A helper script (run with this interpreter, against a persistent lakestep home) sets up a
feature table, a keys table and a registered model, scores two dates, then re-scores the
second one with the model's predict sleeping from its second batch on: the test waits
until that sleep has begun — the write job is running, its first batch predicted — and
sends SIGKILL. With Sail embedded, the engine dies with the process, as a job's
driver would. The Delta table must be at its previous version with its previous rows, and
a re-run must complete with no duplicates.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

pytestmark = pytest.mark.slow

KEYS = 300_000
HELPER = textwrap.dedent('''
    """lakestep scoring helper: setup-then-slow | score (run as __main__, so the model's slow step
    pickles as __main__.slow_step and resolves in every run of this script)."""
    import datetime, json, os, sys, threading, time

    import numpy as np

    CALLS = [0]
    LOCK = threading.Lock()


    def slow_step(matrix):
        """Identity; with SLOW_MARKER set, every call after the first marks and sleeps."""
        marker = os.environ.get("SLOW_MARKER")
        with LOCK:
            CALLS[0] += 1
            calls = CALLS[0]
        if marker and calls >= 2:
            with open(marker, "a") as handle:
                handle.write(f"{calls}\\n")
            time.sleep(120)
        return matrix


    def main():
        import lakestep
        from lakestep.inference import score

        mode, home, keys = sys.argv[1], sys.argv[2], int(sys.argv[3])
        with lakestep.connect(home=home, environ={}) as platform:
            settings = platform.settings
            day = datetime.date(2026, 1, 2)
            if mode == "setup-then-slow":
                setup(platform, keys)
                score(platform, "kill_test", keys=settings.gold("kill_keys"),
                      scoring_date=datetime.date(2026, 1, 1))
                report(settings, score(platform, "kill_test", keys=settings.gold("kill_keys"),
                                       scoring_date=day))
                # Armed only now: the UDF runs in this process (embedded Sail), so it sees
                # the variable; the re-run of the same date sleeps from its 2nd batch on.
                CALLS[0] = 0
                os.environ["SLOW_MARKER"] = sys.argv[4]
            report(settings, score(platform, "kill_test", keys=settings.gold("kill_keys"),
                                   scoring_date=day))


    def report(settings, result):
        print(json.dumps({"version": result.version, "rows": result.rows,
                          "path": str(settings.table_path(result.table))}), flush=True)


    def setup(platform, keys):
        import mlflow
        from pyspark.sql import functions as F
        from sklearn.linear_model import LinearRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import FunctionTransformer

        from lakestep.features import FeatureLookup
        from lakestep.models.packaging import log_model
        from lakestep.preprocessing import fit, infer_spec

        settings, spark = platform.settings, platform.spark
        table = settings.feature_table("kill_customer")
        features = spark.range(keys).select(
            F.col("id").alias("customer_id"),
            (F.pmod(F.xxhash64("id"), F.lit(1000)) / 10).cast("double").alias("spend"),
            (F.pmod(F.col("id"), F.lit(7))).cast("int").alias("visits"))
        platform.features.create_table(name=table, primary_keys=["customer_id"], df=features)
        platform.tables.write(settings.gold("kill_keys"),
                              spark.range(keys).withColumnRenamed("id", "customer_id"))
        lookups = [FeatureLookup(table, "customer_id")]
        sample = platform.features.create_training_set(
            df=spark.range(2000).withColumnRenamed("id", "customer_id"),
            feature_lookups=lookups, label=None).load_df().toPandas()
        inputs = sample.drop(columns=["customer_id"])
        fitted = fit(inputs, infer_spec(inputs))
        matrix = fitted.transform(inputs)
        estimator = make_pipeline(FunctionTransformer(slow_step), LinearRegression())
        estimator.fit(matrix, inputs["spend"] * 2 + inputs["visits"])
        mlflow.set_tracking_uri(settings.tracking_uri)
        mlflow.set_registry_uri(settings.registry_uri)
        mlflow.set_experiment(experiment_id=platform.experiment("kill_test"))
        with mlflow.start_run():
            info = log_model(estimator, fitted, kind="regression", raw_input_example=inputs,
                             feature_lookups=lookups, name="kill_test")
        name = settings.model_name("kill_test")
        version = platform.registry.register(info.model_uri, name).version
        platform.registry.set_alias(name, "champion", version)


    if __name__ == "__main__":
        main()
''')


ENV = {**os.environ, "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}


def _table(path: str):
    from deltalake import DeltaTable

    table = DeltaTable(path)
    rows = table.to_pandas().sort_values(["scoring_date", "customer_id"], ignore_index=True)
    return table.version(), rows


def test_a_killed_scoring_run_leaves_the_previous_version(tmp_path, mlflow_template):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(mlflow_template, home / "mlflow.db")  # a migrated, empty MLflow store
    helper, marker, log = tmp_path / "helper.py", tmp_path / "slow.marker", tmp_path / "err"
    helper.write_text(HELPER)

    # One process: set up, score two dates, then re-score the second one slowly.
    with open(log, "wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, str(helper), "setup-then-slow", str(home), str(KEYS), str(marker)],
            env=ENV, stdout=subprocess.PIPE, stderr=stderr, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("{"), log.read_text()[-3000:]
        first = json.loads(line)
        version, before = _table(first["path"])
        assert version == first["version"] and len(before) == 2 * KEYS
        deadline = time.monotonic() + 120
        while not marker.exists():  # the write job is running: its 2nd batch is sleeping
            assert process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the scoring run never reached its 2nd batch"
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        process.kill()
        process.communicate()
    assert process.returncode == -signal.SIGKILL

    killed_version, after_kill = _table(first["path"])
    assert killed_version == version
    assert after_kill.equals(before)

    done = subprocess.run([sys.executable, str(helper), "score", str(home), str(KEYS)],
                          env=ENV, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    rerun = json.loads(done.stdout.strip().splitlines()[-1])
    final_version, final = _table(first["path"])
    assert (rerun["version"], final_version, rerun["rows"]) == (version + 1, version + 1, KEYS)
    assert not final.duplicated(["customer_id", "scoring_date"]).any()
    assert final.groupby("scoring_date").size().tolist() == [KEYS, KEYS]
    untouched = final[final["scoring_date"] == final["scoring_date"].min()]
    assert untouched.reset_index(drop=True).equals(
        before[before["scoring_date"] == before["scoring_date"].min()].reset_index(drop=True))
