"""The native stack over the network: tables through the Sail server, runs, model versions
and aliases through the MLflow server (on PostgreSQL when installed) — and all of it still
there after the Sail, MLflow and PostgreSQL processes are restarted."""

from __future__ import annotations

from typing import Any

import mlflow
import pandas as pd
import pytest
from mlflow import MlflowClient
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, Schema

from lakestep.platform.base import Platform
from lakestep.stack import restart, up
from lakestep.stack.postgres import find_binaries

TABLE = "main.gold.stack_bookings"
MODEL = "main.ml.stack_toy"
pytestmark = pytest.mark.slow


class Doubler(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return pd.DataFrame({"prediction": model_input["amount"] * 2.0})


def _write_tables(platform: Platform) -> None:
    bookings = pd.DataFrame({"booking_id": [1, 2, 3], "amount": [10.0, 20.5, 31.25]})
    platform.tables.write(TABLE, platform.spark.createDataFrame(bookings))
    more = pd.DataFrame({"booking_id": [4], "amount": [4.0]})
    platform.tables.write(TABLE, platform.spark.createDataFrame(more), mode="append")
    platform.tables.set_properties(TABLE, {"lakestep.owner": "stack-test"})


def _log_and_register(platform: Platform) -> str:
    """One run with a model, registered as version 1 with @champion; returns the run id."""
    experiment_id = platform.experiment("stack_toy")
    signature = ModelSignature(inputs=Schema([ColSpec("double", "amount")]),
                               outputs=Schema([ColSpec("double", "prediction")]))
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_param("alpha", "0.5")
        mlflow.log_metric("rmse", 1.25)
        info = mlflow.pyfunc.log_model(name="model", python_model=Doubler(),
                                       signature=signature, pip_requirements=[])
    version = mlflow.register_model(info.model_uri, MODEL, tags={"stage": "test"})
    client = MlflowClient(platform.settings.tracking_uri, platform.settings.registry_uri)
    client.set_registered_model_alias(MODEL, "champion", version.version)
    return run.info.run_id


def _snapshot(platform: Platform, run_id: str) -> dict[str, Any]:
    """Everything that must survive a restart, read back over the network."""
    client = MlflowClient(platform.settings.tracking_uri, platform.settings.registry_uri)
    run = client.get_run(run_id)
    champion = client.get_model_version_by_alias(MODEL, "champion")
    frame = platform.tables.read(TABLE).toPandas().sort_values("booking_id")
    first = platform.tables.read(TABLE, version=0).count()
    return {
        "rows": frame.to_dict("records"),
        "version": platform.tables.version(TABLE),
        "first_version_rows": first,
        "owner": platform.tables.properties(TABLE).get("lakestep.owner"),
        "run": (run.info.status, run.data.params, run.data.metrics),
        "versions": sorted(mv.version for mv in client.search_model_versions(f"name='{MODEL}'")),
        "champion": (champion.version, champion.tags.get("stage")),
    }


def _predict_with_champion() -> list[float]:
    """Loads the model's artifacts from the server that stores them."""
    model = mlflow.pyfunc.load_model(f"models:/{MODEL}@champion")
    return model.predict(pd.DataFrame({"amount": [1.5]}))["prediction"].tolist()


def _assert_in_postgresql(running_stack) -> None:
    """With PostgreSQL installed, MLflow's store is a real PostgreSQL database."""
    import psycopg2

    backend = running_stack.status().backend
    assert backend is not None and backend.kind == "private", backend
    config = running_stack.config
    connection = psycopg2.connect(host="127.0.0.1", port=config.postgres_port, user="lakestep",
                                  dbname="mlflow", passfile=str(config.pgpass_file))
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT version FROM model_versions WHERE name = %s", (MODEL,))
            assert [row[0] for row in cursor.fetchall()] == [1]
    finally:
        connection.close()


# One test on purpose: under xdist, tests of a module may go to two workers, and each
# would start its own stack.
def test_tables_runs_versions_and_aliases_survive_restarts(running_stack):
    config = running_stack.config
    before_pids = {s.name: s.pid for s in running_stack.status().services}
    with running_stack.connect() as platform:
        assert platform.settings.spark_remote == running_stack.endpoints["spark_remote"]
        assert platform.settings.tracking_uri.startswith("http://127.0.0.1:")
        _write_tables(platform)
        run_id = _log_and_register(platform)
        before = _snapshot(platform, run_id)
    assert before["rows"][-1] == {"booking_id": 4, "amount": 4.0}
    assert (before["version"], before["first_version_rows"]) == (2, 3)
    assert before["owner"] == "stack-test"
    assert before["run"] == ("FINISHED", {"alpha": "0.5"}, {"rmse": 1.25})
    assert before["versions"] == ["1"]
    assert before["champion"] == ("1", "test")
    # The MLflow server stored the artifacts it serves under the stack's home.
    assert list(config.artifacts_dir.rglob("MLmodel")), "artifacts are not served by MLflow"
    if find_binaries() is not None:
        _assert_in_postgresql(running_stack)

    # A second `up` leaves running services alone.
    assert {s.name: s.pid for s in up(config).services} == before_pids

    restarted = restart(config)
    assert restarted.healthy, restarted
    after_pids = {s.name: s.pid for s in restarted.services}
    managed = ("postgres", "mlflow", "spark") if find_binaries() else ("mlflow", "spark")
    for service in managed:
        assert after_pids[service] != before_pids[service], f"{service} was not restarted"

    with running_stack.connect() as platform:
        assert _snapshot(platform, run_id) == before
        assert _predict_with_champion() == [3.0]
