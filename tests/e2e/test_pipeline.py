"""`lakestep run` end to end through the CLI: every demo model trained, gated, scored and
monitored; scored rows equal the in-memory model; the drift period raises the retrain
signal (exit code 4). The bundle's jobs: test_bundle_jobs.py.

The tests run in file order on one worker (`--dist loadscope`) and build on each other."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import lakestep
from lakestep.bundle import SUCCEEDED, Bundle, load_bundle, run_job
from lakestep.bundle.model import RUN_JOB
from lakestep.bundle.taskvalues import render_task_value
from lakestep.features.lookup import FeatureLookup
from lakestep.models.packaging import load
from lakestep.models.specs import load_specs

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
SCALE = "20000"
MODELS = sorted(load_specs())
MONITORED = "conversion_predictor"


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKESTEP_")}
    return subprocess.run([sys.executable, "-m", "lakestep", "--home", str(home), *args],
                          capture_output=True, text=True, env=env, timeout=900, check=False)


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("pipeline")
    result = cli(home, "run", "--scale", SCALE)
    assert result.returncode == 0, result.stderr[-3000:]
    home.joinpath("run.out").write_text(result.stdout)
    return home


@pytest.fixture(scope="module")
def platform_on(home):
    import mlflow

    with lakestep.connect(home=home, environ={}) as platform:
        mlflow.set_tracking_uri(platform.settings.tracking_uri)
        mlflow.set_registry_uri(platform.settings.registry_uri)
        yield platform
    mlflow.set_tracking_uri(None)


def test_run_trains_gates_scores_and_monitors_every_demo_model(home, platform_on):
    out = home.joinpath("run.out").read_text()
    assert "FAILED" not in out
    for model in MODELS:
        champion = platform_on.registry.get(platform_on.settings.model_name(model), "champion")
        assert champion.version == "1"
        assert champion.tags["lakestep.gate.result"] == "passed", model
        assert f"main.ml.{model}_predictions" in out
        assert (home / "reports" / "gate" / model / "v1.html").is_file()
        assert list((home / "reports" / "monitoring" / model).glob("*.html"))


def _expected(platform, model: str, scored: pd.DataFrame) -> np.ndarray:
    """The champion's predictions computed in memory: lookups via the feature store as of
    the same timestamps, then PackagedModel.predict on pandas."""
    packaged = load(f"models:/{platform.settings.model_name(model)}@champion")
    lookups = [FeatureLookup.from_dict(d) for d in packaged.feature_lookups]
    spec = platform.project.spec(model)
    keys = [c for c in spec.label_table_columns() if c != spec.label.column]
    frame = platform.spark.createDataFrame(scored[keys])
    rows = platform.features.create_training_set(df=frame, feature_lookups=lookups,
                                                 label=None).load_df().toPandas()
    merged = scored[keys].merge(rows, on=keys, how="left")
    return packaged.predict(merged)["prediction"].to_numpy(dtype=float)


def test_scored_rows_equal_the_in_memory_model_for_every_demo_model(platform_on):
    platform = platform_on
    for model in MODELS:
        table = platform.settings.predictions_table(model)
        scored = platform.tables.read(table).toPandas()
        assert len(scored) > 0, table
        assert scored["model_version"].astype(str).unique().tolist() == ["1"]
        expected = _expected(platform, model, scored)
        np.testing.assert_allclose(scored["prediction"].to_numpy(dtype=float), expected,
                                   rtol=1e-9, atol=1e-9, err_msg=model)


def _cheap(task: Any) -> Any:
    """The retrain branch runs feature_refresh (one task) instead of the whole training
    orchestrator; the monitor task watches one model instead of six."""
    from dataclasses import replace

    if task.kind == RUN_JOB:
        return replace(task, spec={**task.spec, "job_id": "${resources.jobs.feature_refresh.id}"})
    if task.key == "monitor":
        parameters = [*task.spec["parameters"], f"--model={MONITORED}"]
        return replace(task, spec={**task.spec, "parameters": parameters})
    return task


def _with_cheap_retrain(bundle: Bundle) -> Bundle:
    """The monitoring job as declared, made cheap by :func:`_cheap`."""
    from dataclasses import replace

    job = bundle.job("monitoring")
    tasks = tuple(_cheap(t) for t in job.tasks)
    return replace(bundle, jobs={**bundle.jobs, "monitoring": replace(job, tasks=tasks)})


def test_the_drift_period_raises_the_retrain_signal(home, platform_on, tmp_path, monkeypatch):
    """The monitoring job publishes retrain_needed and its condition task runs the retrain
    branch; `lakestep monitor` exits 4."""
    from lakestep.commands import build_demo_data, build_features, score_models

    build_demo_data(platform_on, scale=int(SCALE), seed=7, drift=True)
    build_features(platform_on)
    score_models(platform_on, [MONITORED])

    for key in [k for k in os.environ if k.startswith("LAKESTEP_")]:
        monkeypatch.delenv(key)
    result = run_job(_with_cheap_retrain(load_bundle(REPO, "dev")), "monitoring",
                     env={"LAKESTEP_HOME": str(home)}, workdir=tmp_path / "monitoring")
    monitor = result.task("monitor")
    assert monitor.status == SUCCEEDED, monitor.stderr_tail
    assert monitor.values["retrain_needed"] is True
    assert monitor.values["retrain_models"] == [MONITORED]
    check = result.task("check_retrain")
    assert (check.status, check.outcome) == (SUCCEEDED, render_task_value(True))
    retrain = result.task("retrain")
    assert retrain.status == SUCCEEDED and retrain.child is not None
    assert [t.name for t in retrain.child.tasks] == ["features"]
    assert result.ok

    # The CLI's exit code, in this process (test_cli_foundation.py runs the CLI as a
    # subprocess; a second one here would only pay the imports again).
    from typer.testing import CliRunner

    from lakestep.cli import app

    monitored = CliRunner().invoke(app, ["--home", str(home), "monitor", "--model", MONITORED])
    assert monitored.exit_code == 4, monitored.output[-2000:]
    assert f"retrain needed: {MONITORED}" in monitored.output
