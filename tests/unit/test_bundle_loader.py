"""Reading a bundle for a target: includes, overrides, references, graph checks, and the
pure run-time rules (run_if, conditions, task values, --target) the runner relies on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from lakestep.bundle import TASK_VALUES_ENV, load_bundle, set_task_value
from lakestep.bundle.conditions import (
    EXCLUDED_STATE,
    FAILURE,
    RUN,
    SUCCESS,
    decide,
    evaluate_condition,
)
from lakestep.bundle.entrypoints import localize, wheel_arguments
from lakestep.bundle.taskvalues import read_task_values, render_task_value
from lakestep.errors import BundleError


def wheel(key: str, *params: str, deps: tuple[Any, ...] = ()) -> dict[str, Any]:
    task: dict[str, Any] = {
        "task_key": key,
        "python_wheel_task": {"package_name": "lakestep", "entry_point": "lakestep-train",
                              "parameters": list(params)},
    }
    if deps:
        task["depends_on"] = [d if isinstance(d, dict) else {"task_key": d} for d in deps]
    return task


def write(root: Path, name: str, document: dict[str, Any]) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def bundle_root(tmp_path: Path, jobs: dict[str, Any] | None = None, **top: Any) -> Path:
    document = {
        "bundle": {"name": "demo"},
        "include": ["resources/*.yml"],
        "variables": {"catalog": {"default": "main"}, "gold_schema": {"default": "gold"},
                      "owner": {"description": "no default"}},
        "targets": {
            "dev": {"mode": "development", "default": True},
            "prod": {"mode": "production", "variables": {"catalog": "prod_catalog"},
                     "run_as": {"service_principal_name": "${var.owner}"}},
        },
        **top,
    }
    if jobs is not None:
        document["resources"] = {"jobs": jobs}
    write(tmp_path, "databricks.yml", document)
    return tmp_path


# -- includes and targets -------------------------------------------------------------------


def test_included_files_are_merged_and_targets_override_variables(tmp_path):
    root = bundle_root(tmp_path)
    write(root, "resources/schemas.yml", {"resources": {"schemas": {
        "gold": {"catalog_name": "${var.catalog}", "name": "${var.gold_schema}"}}}})
    write(root, "resources/jobs.yml", {"resources": {"jobs": {"train": {"name": "t", "tasks": [
        wheel("train", "--target=${bundle.target}", "--catalog=${var.catalog}",
              "--gold-schema=${resources.schemas.gold.name}",
              "--who=${workspace.current_user.userName}",
              "--root=${workspace.file_path}")]}}}})

    dev = load_bundle(root, user="ada")
    prod = load_bundle(root, "prod", variables={"owner": "sp-1"}, user="ada")

    assert dev.target == "dev" and dev.mode == "development"
    assert dev.job("train").task("train").spec["parameters"] == [
        "--target=dev", "--catalog=main", "--gold-schema=gold", "--who=ada",
        "--root=/Workspace/Users/ada/.bundle/demo/dev/files"]
    assert prod.job("train").task("train").spec["parameters"][:2] == [
        "--target=prod", "--catalog=prod_catalog"]
    assert prod.config["run_as"] == {"service_principal_name": "sp-1"}
    assert [p.name for p in dev.files] == ["databricks.yml", "jobs.yml", "schemas.yml"]


def test_a_variable_without_value_stays_a_reference(tmp_path):
    prod = load_bundle(bundle_root(tmp_path), "prod")
    assert prod.config["run_as"] == {"service_principal_name": "${var.owner}"}


def test_a_resource_declared_twice_names_both_files(tmp_path):
    root = bundle_root(tmp_path, jobs={"train": {"tasks": [wheel("a")]}})
    write(root, "resources/more.yml", {"resources": {"jobs": {"train": {"tasks": [wheel("b")]}}}})

    with pytest.raises(BundleError, match=r"jobs\.train is declared in both .*databricks\.yml "
                                          r"and .*more\.yml"):
        load_bundle(root)


def test_an_included_file_may_not_redefine_the_bundle(tmp_path):
    root = bundle_root(tmp_path)
    write(root, "resources/bad.yml", {"bundle": {"name": "other"}})
    with pytest.raises(BundleError, match=r"bad\.yml: 'bundle' may only be set in databricks\.yml"):
        load_bundle(root)


def test_target_resources_merge_tasks_by_key(tmp_path):
    jobs = {"train": {"tasks": [wheel("a", "--x=1"), wheel("b", "--y=1", deps=("a",))]}}
    root = bundle_root(tmp_path, jobs=jobs)
    write(root, "resources/prod.yml", {"targets": {"prod": {"resources": {"jobs": {"train": {
        "tasks": [{"task_key": "b", "python_wheel_task": {"parameters": ["--y=2"]}}]}}}}}})

    prod = load_bundle(root, "prod").job("train")

    assert [t.key for t in prod.tasks] == ["a", "b"]
    assert prod.task("a").spec["parameters"] == ["--x=1"]
    assert prod.task("b").spec["parameters"] == ["--y=2"]
    assert prod.task("b").spec["entry_point"] == "lakestep-train"
    assert load_bundle(root, "dev").job("train").task("b").spec["parameters"] == ["--y=1"]


def test_development_mode_pauses_schedules_unless_a_job_says_otherwise(tmp_path):
    schedule = {"quartz_cron_expression": "0 0 2 * * ?", "timezone_id": "UTC"}
    jobs = {"quiet": {"schedule": dict(schedule), "tasks": [wheel("a")]},
            "loud": {"schedule": {**schedule, "pause_status": "UNPAUSED"}, "tasks": [wheel("a")]}}
    root = bundle_root(tmp_path, jobs=jobs)

    dev = load_bundle(root, "dev")
    prod = load_bundle(root, "prod")

    assert dev.job("quiet").raw["schedule"]["pause_status"] == "PAUSED"
    assert dev.job("loud").raw["schedule"]["pause_status"] == "UNPAUSED"
    assert "pause_status" not in prod.job("quiet").raw["schedule"]


def test_local_target_uses_defaults_and_unknown_targets_are_listed(tmp_path):
    root = bundle_root(tmp_path, jobs={"train": {"tasks": [wheel("a", "--c=${var.catalog}")]}})

    local = load_bundle(root, "local")
    assert local.target == "local"
    assert local.job("train").task("a").spec["parameters"] == ["--c=main"]
    with pytest.raises(BundleError, match=r"target 'staging' is not defined.*dev, prod"):
        load_bundle(root, "staging")


def test_unknown_variable_override_is_refused(tmp_path):
    with pytest.raises(BundleError, match=r"unknown bundle variable\(s\) catalgo"):
        load_bundle(bundle_root(tmp_path), variables={"catalgo": "x"})


def test_missing_file_and_bad_yaml_are_named(tmp_path):
    with pytest.raises(BundleError, match="no databricks.yml in"):
        load_bundle(tmp_path)
    (tmp_path / "databricks.yml").write_text("bundle: [unclosed\n")
    with pytest.raises(BundleError, match=r"databricks\.yml is not valid YAML"):
        load_bundle(tmp_path)


# -- graph checks -----------------------------------------------------------------------------


@pytest.mark.parametrize(("tasks", "message"), [
    ([wheel("a", deps=("b",)), wheel("b", deps=("c",)), wheel("c", deps=("a",))],
     r"job train \(databricks\.yml\): dependency cycle a → b → c → a"),
    ([wheel("a"), wheel("b", deps=("ghost",))],
     r"task b depends on unknown task 'ghost' — tasks of this job: a, b"),
    ([wheel("a"), wheel("a")], r"duplicate task_key a"),
    ([wheel("a"), wheel("b", deps=({"task_key": "a", "outcome": "true"},))],
     r"task b: outcome 'true' on a, which is not a condition_task"),
    ([{"task_key": "a"}], r"task a: expected exactly one \*_task mapping, found none"),
    ([{**wheel("a"), "run_if": "SOMETIMES"}], r"task a: unknown run_if 'SOMETIMES'"),
])
def test_broken_task_graphs_are_refused_when_loaded(tmp_path, tasks, message):
    root = bundle_root(tmp_path, jobs={"train": {"tasks": tasks}})
    with pytest.raises(BundleError, match=message):
        load_bundle(root)


def test_order_is_dependency_first_then_declaration(tmp_path):
    tasks = [wheel("gate", deps=("train",)), wheel("train", deps=("features",)),
             wheel("features"), wheel("other")]
    job = load_bundle(bundle_root(tmp_path, jobs={"j": {"tasks": tasks}})).job("j")
    assert job.order() == ["features", "other", "train", "gate"]


# -- run-time rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(("run_if", "upstream", "expected"), [
    ("ALL_SUCCESS", [SUCCESS, SUCCESS], RUN),
    ("ALL_SUCCESS", [SUCCESS, FAILURE], FAILURE),
    ("ALL_SUCCESS", [SUCCESS, EXCLUDED_STATE], EXCLUDED_STATE),
    ("ALL_DONE", [FAILURE, EXCLUDED_STATE], RUN),
    ("NONE_FAILED", [SUCCESS, EXCLUDED_STATE], RUN),
    ("NONE_FAILED", [EXCLUDED_STATE], EXCLUDED_STATE),
    ("AT_LEAST_ONE_SUCCESS", [FAILURE, SUCCESS], RUN),
    ("AT_LEAST_ONE_SUCCESS", [FAILURE, FAILURE], FAILURE),
    ("ALL_FAILED", [FAILURE, FAILURE], RUN),
    ("ALL_FAILED", [FAILURE, SUCCESS], EXCLUDED_STATE),
    ("AT_LEAST_ONE_FAILED", [SUCCESS, FAILURE], RUN),
    ("AT_LEAST_ONE_FAILED", [SUCCESS], EXCLUDED_STATE),
])
def test_run_if_decisions(run_if, upstream, expected):
    assert decide(run_if, upstream) == expected


@pytest.mark.parametrize(("op", "left", "right", "outcome"), [
    ("EQUAL_TO", "true", "true", True),
    ("EQUAL_TO", "12.0", "12", False),  # string comparison, as on Databricks
    ("NOT_EQUAL", "a", "b", True),
    ("GREATER_THAN_OR_EQUAL", "12.0", "12", True),
    ("LESS_THAN", "10", "9.5", False),
])
def test_condition_operators(op, left, right, outcome):
    spec = {"op": op, "left": left, "right": right}
    assert evaluate_condition(spec, lambda text: text, where="t") is outcome


def test_numeric_condition_on_text_is_an_error():
    spec = {"op": "GREATER_THAN", "left": "high", "right": "1"}
    with pytest.raises(BundleError, match="GREATER_THAN needs numbers"):
        evaluate_condition(spec, lambda text: text, where="job j, task c")


def test_task_values_go_to_the_runner_file_and_render_like_databricks(tmp_path):
    path = tmp_path / "values.json"
    environ = {TASK_VALUES_ENV: str(path)}

    assert set_task_value("retrain_needed", True, environ=environ) == "file"
    assert set_task_value("psi", 0.31, environ=environ) == "file"
    assert json.loads(path.read_text()) == {"retrain_needed": True, "psi": 0.31}
    assert read_task_values(path) == {"retrain_needed": True, "psi": 0.31}
    assert [render_task_value(v) for v in (True, False, 0.31, "x", [1])] == [
        "true", "false", "0.31", "x", "[1]"]
    assert set_task_value("anything", 1, environ={}) == "none"
    with pytest.raises(BundleError, match="not JSON-serialisable"):
        set_task_value("bad", object(), environ=environ)


def test_target_is_forced_local_in_both_argument_forms():
    assert localize(["--target", "prod", "--model=m"]) == ["--target", "local", "--model=m"]
    assert localize(["--target=dev", "--catalog=main"]) == ["--target=local", "--catalog=main"]
    assert localize(["--model", "m"]) == ["--model", "m"]


def test_named_parameters_become_flags_and_both_forms_are_refused():
    assert wheel_arguments({"named_parameters": {"model": "m"}}, where="t") == ["--model=m"]
    with pytest.raises(BundleError, match="both parameters and named_parameters"):
        wheel_arguments({"parameters": ["a"], "named_parameters": {"b": "c"}}, where="t")
