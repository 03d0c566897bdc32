"""What the schema cannot say about our bundle: wiring, the model inventory, schedules,
identities, retries, and that no file carries a secret.

The entry-point checks import ``lakestep.jobs``: they pass only when every task of the
bundle names a console script declared in pyproject.toml whose function exists.
"""

from __future__ import annotations

import importlib
import re
import tomllib
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from lakestep.bundle import Bundle, Task, load_bundle, prepare
from lakestep.config import BUNDLE_VARIABLES, Settings

REPO = Path(__file__).resolve().parents[2]
MODELS = ("demand_predictor", "conversion_predictor", "pricing_optimizer", "customer_ltv",
          "revenue_forecaster", "booking_anomaly_detector")
# Flags every entry point accepts; the bundle passes each one so a job names its tables.
COMMON_FLAGS = ("--target", "--catalog", "--gold-schema", "--features-schema", "--ml-schema",
                "--monitoring-schema", "--project-name")
RETRYABLE = {"lakestep-features", "lakestep-score", "lakestep-monitor"}
SERVICE_PRINCIPAL = "00000000-0000-0000-0000-000000000000"


@pytest.fixture(scope="module")
def dev() -> Bundle:
    return load_bundle(REPO, "dev")


@pytest.fixture(scope="module")
def prod() -> Bundle:
    return load_bundle(REPO, "prod", variables={"service_principal_name": SERVICE_PRINCIPAL})


def wheel_tasks(bundle: Bundle) -> list[tuple[str, Task]]:
    return [(job.key, task) for job in bundle.jobs.values() for task in job.tasks
            if task.kind == "python_wheel_task"]


def scripts() -> dict[str, str]:
    with (REPO / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["project"]["scripts"]


def flags(task: Task) -> dict[str, str]:
    return dict(str(p).split("=", 1) for p in task.spec["parameters"] if "=" in str(p))


# -- entry points -----------------------------------------------------------------------------


def test_every_wheel_task_names_a_declared_entry_point_of_the_lakestep_wheel(dev):
    declared = scripts()
    for job, task in wheel_tasks(dev):
        assert task.spec["package_name"] == "lakestep", f"{job}/{task.key}"
        assert task.spec["entry_point"] in declared, (
            f"{job}/{task.key}: {task.spec['entry_point']} is not in [project.scripts]")


def test_every_entry_point_the_bundle_uses_is_a_function_in_lakestep_jobs(dev):
    declared = scripts()
    jobs_module = importlib.import_module("lakestep.jobs")
    missing = []
    for entry_point in sorted({task.spec["entry_point"] for _, task in wheel_tasks(dev)}):
        module, _, function = declared[entry_point].partition(":")
        assert module == "lakestep.jobs", f"{entry_point} must live in lakestep.jobs"
        if not callable(getattr(jobs_module, function, None)):
            missing.append(f"{entry_point} → lakestep.jobs:{function}")
    assert not missing, f"entry points without a function: {', '.join(missing)}"


def test_every_job_is_runnable_by_the_local_runner(dev):
    # Resolves each entry point in the installed metadata, checks every reference and
    # run_job_task target; a stale install says to reinstall.
    for key in dev.jobs:
        prepare(dev, key)


# -- wiring -----------------------------------------------------------------------------------


def test_every_model_has_train_gate_and_score_tasks(dev):
    training = dev.job("training_orchestrator")
    inference = dev.job("batch_inference")
    for model in MODELS:
        train, gate = training.task(f"train_{model}"), training.task(f"gate_{model}")
        score = inference.task(f"score_{model}")
        assert (train.spec["entry_point"], gate.spec["entry_point"], score.spec["entry_point"]) == (
            "lakestep-train", "lakestep-gate", "lakestep-score")
        assert all(flags(t)["--model"] == model for t in (train, gate, score))
        # Models train in parallel after the feature refresh; each gate waits for its model.
        assert [d.task_key for d in train.depends_on] == ["features"]
        assert [d.task_key for d in gate.depends_on] == [f"train_{model}"]
        assert [d.task_key for d in score.depends_on] == ["features"]
    assert {t.key for t in training.tasks} == {"features"} | {
        f"{step}_{m}" for m in MODELS for step in ("train", "gate")}


@pytest.mark.parametrize("target", ["dev", "prod"])
def test_every_task_passes_the_target_and_the_table_names(target, dev, prod):
    bundle = dev if target == "dev" else prod
    settings = Settings()
    for job, task in wheel_tasks(bundle):
        passed = flags(task)
        missing = set(COMMON_FLAGS) - set(passed)
        assert not missing, f"{job}/{task.key} does not pass {sorted(missing)}"
        assert passed["--target"] == target
        assert passed["--catalog"] == settings.catalog
        assert passed["--gold-schema"] == settings.gold_schema
        assert passed["--ml-schema"] == settings.ml_schema
        assert not [p for p in task.spec["parameters"] if "${" in str(p)], f"{job}/{task.key}"


def test_jobs_have_tags_timeouts_failure_mail_and_the_wheel_environment(dev):
    for job in dev.jobs.values():
        raw = job.raw
        assert {"project", "component"} <= set(raw.get("tags") or {}), job.key
        assert int(raw.get("timeout_seconds", 0)) > 0, job.key
        assert raw["email_notifications"]["on_failure"] == ["lakestep-alerts@example.com"]
        environments = {e["environment_key"]: e["spec"] for e in raw["environments"]}
        assert environments["lakestep"]["dependencies"] == ["../dist/*.whl"], job.key
        for task in job.tasks:
            if task.kind == "python_wheel_task":
                assert task.environment_key in environments, f"{job.key}/{task.key}"
            if task.kind != "condition_task":
                assert task.timeout_seconds > 0, f"{job.key}/{task.key} has no timeout"


def test_retries_only_where_a_rerun_is_safe(dev):
    for job, task in wheel_tasks(dev):
        retried = task.max_retries > 0
        assert retried == (task.spec["entry_point"] in RETRYABLE), f"{job}/{task.key}"


def test_monitoring_triggers_training_on_the_retrain_signal(dev):
    monitoring = dev.job("monitoring")
    monitor, check, retrain = (monitoring.task(k) for k in ("monitor", "check_retrain", "retrain"))
    assert flags(monitor)["--retrain-signal"] == "task-value"
    assert check.spec == {"op": "EQUAL_TO", "left": "{{tasks.monitor.values.retrain_needed}}",
                          "right": "true"}
    assert [(d.task_key, d.outcome) for d in retrain.depends_on] == [("check_retrain", "true")]
    assert retrain.spec["job_id"] == "${resources.jobs.training_orchestrator.id}"


# -- targets ----------------------------------------------------------------------------------


def test_dev_schedules_are_paused_and_prod_schedules_run(dev, prod):
    scheduled = [job.key for job in dev.jobs.values() if "schedule" in job.raw]
    assert set(scheduled) == {"feature_refresh", "training_orchestrator", "batch_inference",
                              "monitoring"}
    assert {dev.job(k).raw["schedule"]["pause_status"] for k in scheduled} == {"PAUSED"}
    assert {prod.job(k).raw["schedule"]["pause_status"] for k in scheduled} == {"UNPAUSED"}
    # The pause status comes from the targets only: a job that set it would override dev.
    for path in (REPO / "resources").glob("*.yml"):
        assert "pause_status" not in path.read_text(), path.name


def test_dev_is_the_default_development_target(dev):
    assert load_bundle(REPO).target == "dev"
    assert dev.mode == "development"
    assert "run_as" not in dev.config


def test_prod_runs_as_a_service_principal_with_permissions(prod):
    assert prod.mode == "production"
    assert prod.config["run_as"] == {"service_principal_name": SERVICE_PRINCIPAL}
    levels = {(p["level"], p.get("group_name")) for p in prod.config["permissions"]}
    assert ("CAN_MANAGE", "lakestep-admins") in levels
    assert prod.config["workspace"]["root_path"] == "/Workspace/Shared/.bundle/lakestep/prod"


def test_schemas_and_prod_registered_models_have_grants(dev, prod):
    schemas = prod.config["resources"]["schemas"]
    assert {s["name"] for s in schemas.values()} == {"gold", "features", "ml", "monitoring"}
    assert all(s["grants"] for s in schemas.values())
    models = prod.config["resources"]["registered_models"]
    assert set(models) == set(MODELS)
    for key, model in models.items():
        assert (model["catalog_name"], model["schema_name"], model["name"]) == ("main", "ml", key)
        assert any("EXECUTE" in g["privileges"] for g in model["grants"])
    assert "registered_models" not in dev.config["resources"]


def test_the_artifact_builds_the_package_wheel(dev):
    artifact = dev.config["artifacts"]["lakestep_wheel"]
    assert (artifact["type"], artifact["path"]) == ("whl", ".")
    assert "wheel" in artifact["build"]


def test_bundle_variable_defaults_are_the_settings_defaults():
    declared = yaml.safe_load((REPO / "databricks.yml").read_text())["variables"]
    defaults = {f.name: f.default for f in fields(Settings)}
    for name in BUNDLE_VARIABLES:
        assert declared[name]["default"] == defaults[name], name


# -- secrets ----------------------------------------------------------------------------------

SECRET_PATTERNS = {
    "Databricks token": re.compile(r"\b(dapi|dose)[0-9a-f]{32}\b"),
    "GitHub token": re.compile(r"\b(ghp_[A-Za-z0-9]{36}|github_pat_\w{22,})"),
    "AWS key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "password in a URL": re.compile(r"://[^/\s:@]+:[^/\s@]+@"),
    "literal credential": re.compile(
        r"(?i)[\w-]*(password|passwd|secret|token|api_key)[\w-]*[\"']?\s*[:=]\s*[\"']?"
        r"(?!\$\{)[^\s\"'#]{6,}"),
}


def deployment_files() -> list[Path]:
    globs = ("databricks.yml", "resources/*.yml", ".github/workflows/*.yml", "docker-compose.yml",
             "local/*", "docs/deploy.md", "docs/runbook/*.md")
    return sorted(path for pattern in globs for path in REPO.glob(pattern) if path.is_file())


def secrets_in(path: Path) -> list[str]:
    found = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        for kind, pattern in SECRET_PATTERNS.items():
            if pattern.search(line):
                found.append(f"{path.name}:{number}: looks like a {kind}")
    return found


def test_no_file_carries_a_secret():
    files = deployment_files()
    assert len(files) >= 10
    assert [finding for path in files for finding in secrets_in(path)] == []


@pytest.mark.parametrize(("source", "planted", "kind"), [
    ("databricks.yml", "  token: " + "dapi" + "0123456789abcdef" * 2, "Databricks token"),
    ("docker-compose.yml", "      POSTGRES_PASSWORD: hunter2hunter2", "literal credential"),
    ("docker-compose.yml", "      URI: postgresql://mlflow:hunter2@postgres/mlflow",
     "password in a URL"),
])
def test_the_secret_scan_rejects_a_planted_secret(tmp_path, source, planted, kind):
    copy = tmp_path / source
    copy.write_text((REPO / source).read_text() + planted + "\n")
    assert any(kind in finding for finding in secrets_in(copy))
