"""The native stack over the network: `lakestep --project examples/bike_sharing run --stack`
in a real subprocess — the example project's own data, feature tables, label tables and
model specs through the whole pipeline (gold → features → train → gate → score → monitor),
its tables written through the Sail server and its runs, model versions, aliases and gate
tags kept by the MLflow server (on PostgreSQL when installed) — and all of it still there
after the Sail, MLflow and PostgreSQL processes are restarted. (The demo project runs on the
embedded default in test_pipeline.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient

from lakestep.commands import score_models
from lakestep.platform.base import Platform
from lakestep.stack import restart, up
from lakestep.stack.postgres import find_binaries

# The whole pipeline on the bike-sharing example: two models, small data, every stage.
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "bike_sharing"
pytestmark = pytest.mark.slow


def _client(platform: Platform) -> MlflowClient:
    return MlflowClient(platform.settings.tracking_uri, platform.settings.registry_uri)


def _snapshot(platform: Platform) -> dict[str, Any]:
    """Everything that must survive a restart, read back over the network: every table
    (rows through the Sail server, Delta version, properties) and every model (versions,
    aliases, the champion's gate tags and its run)."""
    settings, client = platform.settings, _client(platform)
    tables = {}
    for schema in settings.schemas:
        for name in platform.tables.list_tables(f"{settings.catalog}.{schema}"):
            tables[name] = (platform.tables.read(name).count(), platform.tables.version(name),
                            platform.tables.properties(name))
    models = {}
    for model in platform.project.specs:
        name = settings.model_name(model)
        champion = client.get_model_version_by_alias(name, "champion")
        run = client.get_run(champion.run_id)
        versions = client.search_model_versions(f"name='{name}'")
        models[model] = {
            # search_model_versions leaves aliases out; the registered model has them all.
            "aliases": dict(client.get_registered_model(name).aliases),
            "versions": sorted(v.version for v in versions),
            "champion": champion.version,
            "gate": {k: v for k, v in champion.tags.items() if k.startswith("lakestep.gate.")},
            "run": (run.info.status, run.data.params, run.data.metrics),
        }
    return {"tables": tables, "models": models}


def _assert_complete(platform: Platform, snapshot: dict[str, Any]) -> None:
    settings = platform.settings
    models = list(platform.project.specs)
    assert sorted(models) == ["dock_shortage", "station_demand"]
    # The project's databricks.yml names its own schemas.
    assert settings.gold("fact_trip") == "main.bike_gold.fact_trip"
    assert settings.model_name("dock_shortage") == "main.bike_ml.dock_shortage"
    assert set(snapshot["models"]) == set(models)
    for model, state in snapshot["models"].items():
        assert state["gate"]["lakestep.gate.result"] == "passed", (model, state["gate"])
        assert state["aliases"].get("champion") == state["champion"], (model, state)
        assert state["champion"] in state["versions"], (model, state)
        status, params, metrics = state["run"]
        assert status == "FINISHED" and params and metrics, model
    tables = snapshot["tables"]
    expected = [*(settings.gold(t) for t in platform.project.contracts),
                *(settings.feature_table(t) for t in platform.project.feature_definitions),
                *(settings.ml_table(f"{m}_labels") for m in models),
                *(settings.predictions_table(m) for m in models)]
    for name in expected:
        assert name in tables and tables[name][0] > 0, (name, sorted(tables))
    assert tables[settings.gold("fact_trip")][0] > 5_000
    for model in models:
        predictions = platform.tables.read(settings.predictions_table(model))
        assert {"model_name", "model_version", "prediction"} <= set(predictions.columns)
        names = {r.model_name for r in predictions.select("model_name").distinct().collect()}
        assert names == {settings.model_name(model)}
    assert any(name.startswith(f"{settings.catalog}.{settings.monitoring_schema}.")
               for name in tables), sorted(tables)


def _assert_in_postgresql(running_stack, model_names: list[str]) -> None:
    """With PostgreSQL installed, MLflow's store is a real PostgreSQL database."""
    import psycopg2

    backend = running_stack.status().backend
    assert backend is not None and backend.kind == "private", backend
    config = running_stack.config
    connection = psycopg2.connect(host="127.0.0.1", port=config.postgres_port, user="lakestep",
                                  dbname="mlflow", passfile=str(config.pgpass_file))
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT DISTINCT name FROM model_versions")
            assert sorted(row[0] for row in cursor.fetchall()) == sorted(model_names)
    finally:
        connection.close()


# One test on purpose: under xdist, tests of a module may go to two workers, and each
# would start its own stack.
def test_pipeline_tables_runs_versions_and_aliases_survive_restarts(running_stack):
    config = running_stack.config
    before_pids = {s.name: s.pid for s in running_stack.status().services}
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKESTEP_")}
    run = subprocess.run([sys.executable, "-m", "lakestep", "--project", str(EXAMPLE), "--home",
                          str(config.home), "run", "--stack"], capture_output=True, text=True,
                         env=env, timeout=900, check=False)
    assert run.returncode == 0, f"stdout:\n{run.stdout[-3000:]}\nstderr:\n{run.stderr[-3000:]}"
    assert "Traceback" not in run.stderr
    with running_stack.connect(project=EXAMPLE) as platform:
        assert platform.settings.spark_remote == running_stack.endpoints["spark_remote"]
        assert platform.settings.tracking_uri.startswith("http://127.0.0.1:")
        model_names = [platform.settings.model_name(m) for m in platform.project.specs]
        before = _snapshot(platform)
        _assert_complete(platform, before)
    # The MLflow server stored the artifacts it serves under the stack's home.
    assert len(list(config.artifacts_dir.rglob("MLmodel"))) >= 2, "artifacts not served"
    if find_binaries() is not None:
        _assert_in_postgresql(running_stack, model_names)

    # A second `up` leaves running services alone.
    assert {s.name: s.pid for s in up(config).services} == before_pids

    restarted = restart(config)
    assert restarted.healthy, restarted
    after_pids = {s.name: s.pid for s in restarted.services}
    managed = ("postgres", "mlflow", "spark") if find_binaries() else ("mlflow", "spark")
    for service in managed:
        assert after_pids[service] != before_pids[service], f"{service} was not restarted"

    with running_stack.connect(project=EXAMPLE) as platform:
        assert _snapshot(platform) == before
        # The champion still loads from the restarted MLflow server (artifacts over HTTP) and
        # scores through the restarted Sail server: re-scoring the same date replaces its rows.
        model = next(iter(platform.project.specs))
        table = platform.settings.predictions_table(model)
        rows, version, _ = before["tables"][table]
        (scored,) = score_models(platform, [model])
        assert scored.model_version == before["models"][model]["champion"]
        assert platform.tables.read(table).count() == rows == scored.rows
        assert platform.tables.version(table) > version
