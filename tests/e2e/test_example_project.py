"""`lakestep --project examples/bike_sharing run` end to end in a real subprocess: the
project's own data, feature tables, label tables and model specs go through the same
pipeline as the demo — gold → features → train → gate → @champion → scoring → monitoring."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import lakestep

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "bike_sharing"
MODELS = ("station_demand", "dock_shortage")
GOLD = ("dim_station", "fact_station_status", "fact_trip", "weather")


def lakestep_cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKESTEP_")}
    command = [str(Path(sys.executable).parent / "lakestep"), "--project", str(EXAMPLE),
               "--home", str(home), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=1200)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One full run of the example; every test below inspects what it left behind."""
    home = tmp_path_factory.mktemp("bike-home")
    result = lakestep_cli("run", home=home)
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert "Traceback" not in result.stderr
    return home


def test_the_run_writes_the_projects_tables(home: Path) -> None:
    with lakestep.connect(project=EXAMPLE, home=home, environ={}) as platform:
        settings = platform.settings
        assert settings.gold("fact_trip") == "main.bike_gold.fact_trip"
        tables = set(platform.tables.list_tables())
        expected = {
            *(settings.gold(t) for t in GOLD),
            settings.feature_table("station_daily"), settings.feature_table("day_context"),
            settings.ml_table("station_demand_labels"), settings.ml_table("dock_shortage_labels"),
            *(settings.predictions_table(m) for m in MODELS),
        }
        assert expected <= tables, sorted(expected - tables)
        assert platform.tables.read(settings.gold("fact_trip")).count() > 5_000
        assert any(t.startswith(f"{settings.catalog}.{settings.monitoring_schema}.")
                   for t in tables), sorted(tables)
        for model in MODELS:
            predictions = platform.tables.read(settings.predictions_table(model))
            assert predictions.count() > 0, model
            assert {"model_name", "model_version", "prediction"} <= set(predictions.columns)
            names = {r.model_name for r in predictions.select("model_name").distinct().collect()}
            assert names == {settings.model_name(model)}


def test_both_models_pass_their_gate_and_are_champions(home: Path) -> None:
    from mlflow import MlflowClient

    uri = f"sqlite:///{home / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    for model in MODELS:
        name = f"main.bike_ml.{model}"
        champion = client.get_model_version_by_alias(name, "champion")
        assert str(champion.version) == "1", model
        assert champion.tags, f"{name} v1 has no gate tags"
