"""The asset bundle's training orchestrator runs locally (`lakestep bundle run`) on the
demo gold layer, through the same console scripts and arguments a Databricks job runs:
features, then every model trained in parallel, then each one's gate. (The monitoring job
and its condition task run in test_pipeline.py, on a lakehouse that has predictions.)"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest

import lakestep
from lakestep.bundle import SUCCEEDED, load_bundle
from lakestep.errors import ModelNotFound
from lakestep.models.specs import load_specs

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
MODELS = sorted(load_specs())
RUN_MODELS = ["conversion_predictor", "demand_predictor"]
# One line per settled task on stderr: "  train_x: succeeded (12.3s)".
_TASK_LINE = re.compile(r"^\s+([\w-]+): (\w+) \([\d.]+s\)\s*$", re.MULTILINE)


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKESTEP_")}
    return subprocess.run([sys.executable, "-m", "lakestep", "--home", str(home), *args],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=1200,
                          check=False)


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("bundle-jobs")
    result = cli(home, "demo-data", "--scale", "20000")
    assert result.returncode == 0, result.stderr[-3000:]
    return home


def job_tasks(job_key: str) -> list[str]:
    return [task.key for task in load_bundle(REPO, "dev").job(job_key).tasks]


def _assert_job_succeeded(home: Path, job_key: str, tasks: list[str]) -> None:
    only = ",".join(f"+{key}" for key in tasks)
    result = cli(home, "bundle", "run", job_key, "--only", only)
    explain = f"exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert result.returncode == 0, explain
    ran = {"features", *(f"train_{t.removeprefix('gate_')}" for t in tasks), *tasks}
    assert dict(_TASK_LINE.findall(result.stderr)) == {key: SUCCEEDED for key in ran}, explain


def test_the_training_orchestrator_trains_and_gates_through_the_wheel_entry_points(home):
    # Training orchestrator: features, train_* of every model in parallel, then gate_*.
    training = job_tasks("training_orchestrator")
    assert sorted(k.removeprefix("train_") for k in training if k.startswith("train_")) == MODELS
    assert {f"gate_{m}" for m in MODELS} <= set(training)
    # Every model's train_/gate_ task is the same entry point with another --model (and
    # `lakestep run` trains and gates all six in test_pipeline.py): the job runs here for a
    # classifier on the booking grain and a regressor on a label table, as
    # `databricks bundle run --only +gate_a,+gate_b` would, which halves the suite's
    # slowest test.
    _assert_job_succeeded(home, "training_orchestrator", [f"gate_{m}" for m in RUN_MODELS])
    with lakestep.connect(home=home, environ={}) as platform:
        mlflow.set_tracking_uri(platform.settings.tracking_uri)
        for model in RUN_MODELS:
            name = platform.settings.model_name(model)
            champion = platform.registry.get(name, "champion")
            assert champion.version == "1", model
            assert champion.tags["lakestep.gate.result"] == "passed", model
            assert len(champion.tags["lakestep.git_sha"]) == 40, model
            assert mlflow.get_run(champion.run_id).info.status == "FINISHED", model
        left_out = next(m for m in MODELS if m not in RUN_MODELS)
        with pytest.raises(ModelNotFound):  # --only ran nothing else
            platform.registry.get(platform.settings.model_name(left_out), "champion")
    mlflow.set_tracking_uri(None)
