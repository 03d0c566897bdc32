"""The local bundle runner on small synthetic bundles, with real task subprocesses.

Each synthetic task is a ``python_wheel_task`` of a tiny distribution written to a temp
dir (a ``.dist-info`` with a real ``console_scripts`` entry point), so the runner resolves
it through ``importlib.metadata`` and starts it as a subprocess exactly as it does for
``lakestep-train``. Each task process records when it ran and with which arguments.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from lakestep.bundle import (
    EXCLUDED,
    FAILED,
    SUCCEEDED,
    TIMED_OUT,
    UPSTREAM_FAILED,
    JobResult,
    load_bundle,
    result_lines,
    result_table,
    run_job,
)
from lakestep.errors import BundleError

PACKAGE = "lakestep_fixture"

_MODULE = '''
"""Entry point of the synthetic bundles in test_bundle_runner.py."""
import argparse, json, os, sys, time
from pathlib import Path

from lakestep.bundle import set_task_value


def task():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target")
    parser.add_argument("--catalog")
    parser.add_argument("--name", required=True)
    parser.add_argument("--record", required=True)
    parser.add_argument("--sleep", type=float, default=0.0)
    parser.add_argument("--exit", type=int, default=0)
    parser.add_argument("--value", action="append", default=[])
    parser.add_argument("--fail-first")
    args = parser.parse_args()
    start = time.time()
    time.sleep(args.sleep)
    for item in args.value:
        key, _, raw = item.partition("=")
        set_task_value(key, json.loads(raw))
    record = {"start": start, "end": time.time(), "argv": sys.argv[1:],
              "target": args.target, "catalog": args.catalog}
    Path(args.record, args.name + ".json").write_text(json.dumps(record))
    if args.fail_first and not os.path.exists(args.fail_first):
        Path(args.fail_first).touch()
        print("first attempt fails", file=sys.stderr)
        return 1
    if args.exit:
        print(f"task {args.name} failing on purpose", file=sys.stderr)
    return args.exit
'''


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the fixture module and its distribution metadata."""
    site = tmp_path_factory.mktemp("site")
    (site / "lakestep_fixture_tasks.py").write_text(textwrap.dedent(_MODULE))
    dist = site / "lakestep_fixture-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: lakestep-fixture\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[console_scripts]\nfx-task = lakestep_fixture_tasks:task\n"
    )
    return site


@pytest.fixture
def env(fixture_site: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Make the fixture distribution visible here (entry point lookup) and to tasks."""
    monkeypatch.syspath_prepend(str(fixture_site))
    return {"PYTHONPATH": str(fixture_site)}


class Jobs:
    """Builds synthetic bundle jobs whose tasks record into ``record``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.record = root / "records"
        self.record.mkdir(parents=True)

    def wheel(self, key: str, *flags: str, deps: tuple[Any, ...] = (), **extra: Any) -> dict:
        task: dict[str, Any] = {
            "task_key": key,
            "python_wheel_task": {
                "package_name": PACKAGE,
                "entry_point": "fx-task",
                "parameters": ["--target=${bundle.target}", "--catalog=${var.catalog}",
                               f"--name={key}", f"--record={self.record}", *flags],
            },
            **extra,
        }
        if deps:
            task["depends_on"] = [d if isinstance(d, dict) else {"task_key": d} for d in deps]
        return task

    def write(self, jobs: dict[str, list[dict]], **top: Any) -> Path:
        document = {
            "bundle": {"name": "synthetic"},
            "variables": {"catalog": {"default": "main"}},
            "targets": {"dev": {"mode": "development", "default": True,
                                "variables": {"catalog": "dev_catalog"}}},
            "resources": {"jobs": {key: {"name": key, "tasks": tasks}
                                   for key, tasks in jobs.items()}},
            **top,
        }
        (self.root / "databricks.yml").write_text(yaml.safe_dump(document, sort_keys=False))
        return self.root

    def ran(self, key: str) -> dict[str, Any]:
        return json.loads((self.record / f"{key}.json").read_text())

    def did_run(self, key: str) -> bool:
        return (self.record / f"{key}.json").exists()


@pytest.fixture
def jobs(tmp_path: Path) -> Jobs:
    return Jobs(tmp_path / "bundle")


def _run(root: Path, job: str, env: dict[str, str], **kwargs: Any) -> JobResult:
    return run_job(load_bundle(root, "dev"), job, env=env, workdir=root / "run", **kwargs)


def test_tasks_run_in_dependency_order_with_the_target_forced_local(jobs, env):
    root = jobs.write({"chain": [
        jobs.wheel("c", deps=("b",)), jobs.wheel("a"), jobs.wheel("b", deps=("a",))]})

    result = _run(root, "chain", env)

    assert result.ok, result_lines(result)
    assert [t.name for t in result.tasks] == ["a", "b", "c"]
    assert jobs.ran("a")["end"] <= jobs.ran("b")["start"]
    assert jobs.ran("b")["end"] <= jobs.ran("c")["start"]
    # --target=dev becomes local; the dev target's variable values stay.
    assert {jobs.ran(k)["target"] for k in "abc"} == {"local"}
    assert {jobs.ran(k)["catalog"] for k in "abc"} == {"dev_catalog"}
    assert all(t.status == SUCCEEDED and t.returncode == 0 and t.seconds > 0 for t in result.tasks)


def test_independent_tasks_overlap_in_time_and_max_parallel_bounds_them(jobs, env):
    # A long sleep for the overlap (process start-up may lag under load), a short one for
    # the serial check, which holds whatever the timing.
    root = jobs.write({
        "pair": [jobs.wheel("left", "--sleep=1.0"), jobs.wheel("right", "--sleep=1.0")],
        "serial": [jobs.wheel("one", "--sleep=0.2"), jobs.wheel("two", "--sleep=0.2")],
    })

    assert _run(root, "pair", env, max_parallel=2).ok
    left, right = jobs.ran("left"), jobs.ran("right")
    assert left["start"] < right["end"] and right["start"] < left["end"], "no overlap"

    assert _run(root, "serial", env, max_parallel=1).ok
    one, two = jobs.ran("one"), jobs.ran("two")
    assert one["end"] <= two["start"] or two["end"] <= one["start"], "ran together"


def test_a_failure_skips_its_downstream_but_not_independent_or_all_done_tasks(jobs, env):
    root = jobs.write({"job": [
        jobs.wheel("broken", "--exit=3"),
        jobs.wheel("after", deps=("broken",)),
        jobs.wheel("after_after", deps=("after",)),
        jobs.wheel("cleanup", deps=("broken",), run_if="ALL_DONE"),
        jobs.wheel("independent"),
    ]})

    result = _run(root, "job", env)

    assert not result.ok
    status = {t.name: t.status for t in result.tasks}
    assert status == {"broken": FAILED, "after": UPSTREAM_FAILED, "after_after": UPSTREAM_FAILED,
                      "cleanup": SUCCEEDED, "independent": SUCCEEDED}
    broken = result.task("broken")
    assert broken.returncode == 3
    assert "task broken failing on purpose" in broken.stderr_tail
    assert "broken" in result.task("after").message
    assert not jobs.did_run("after") and not jobs.did_run("after_after")
    assert [t.name for t in result.failed] == ["broken", "after", "after_after"]
    assert any("broken: failed" in line for line in result_lines(result))
    assert result_table(result).row_count == 5


@pytest.mark.parametrize(("signal", "taken", "excluded"), [
    ("true", "retrain", "all_good"),
    ("false", "all_good", "retrain"),
])
def test_condition_task_branches_on_an_upstream_task_value(jobs, env, signal, taken, excluded):
    root = jobs.write({"monitoring": [
        jobs.wheel("monitor", f"--value=retrain_needed={signal}"),
        {"task_key": "check", "depends_on": [{"task_key": "monitor"}],
         "condition_task": {"op": "EQUAL_TO", "right": "true",
                            "left": "{{tasks.monitor.values.retrain_needed}}"}},
        jobs.wheel("retrain", deps=({"task_key": "check", "outcome": "true"},)),
        jobs.wheel("all_good", deps=({"task_key": "check", "outcome": "false"},)),
        jobs.wheel("after_retrain", deps=("retrain",)),
    ]})

    result = _run(root, "monitoring", env)

    assert result.ok, result_lines(result)
    assert result.task("monitor").values == {"retrain_needed": signal == "true"}
    assert result.task("check").outcome == signal
    assert result.task(taken).status == SUCCEEDED and jobs.did_run(taken)
    assert result.task(excluded).status == EXCLUDED and not jobs.did_run(excluded)
    expected_after = SUCCEEDED if signal == "true" else EXCLUDED
    assert result.task("after_retrain").status == expected_after


def test_a_condition_on_a_value_nobody_set_fails_naming_the_task(jobs, env):
    root = jobs.write({"job": [
        jobs.wheel("monitor"),
        {"task_key": "check", "depends_on": [{"task_key": "monitor"}],
         "condition_task": {"op": "EQUAL_TO", "right": "true",
                            "left": "{{tasks.monitor.values.retrain_needed}}"}},
        jobs.wheel("retrain", deps=({"task_key": "check", "outcome": "true"},)),
    ]})

    result = _run(root, "job", env)

    assert not result.ok
    assert result.task("check").status == FAILED
    assert "task monitor set nothing" in result.task("check").message
    assert result.task("retrain").status == UPSTREAM_FAILED


def test_run_job_task_runs_the_referenced_job_as_a_nested_run(jobs, env):
    root = jobs.write({
        "training": [jobs.wheel("train"), jobs.wheel("gate", deps=("train",))],
        "monitoring": [
            jobs.wheel("monitor", "--value=retrain_needed=true"),
            {"task_key": "check", "depends_on": [{"task_key": "monitor"}],
             "condition_task": {"op": "EQUAL_TO", "right": "true",
                                "left": "{{tasks.monitor.values.retrain_needed}}"}},
            {"task_key": "retrain", "depends_on": [{"task_key": "check", "outcome": "true"}],
             "run_job_task": {"job_id": "${resources.jobs.training.id}"}},
        ],
    })

    result = _run(root, "monitoring", env)

    assert result.ok, result_lines(result)
    retrain = result.task("retrain")
    assert retrain.child is not None and retrain.child.job == "training"
    assert [path for path, _ in result.walk()] == [
        "monitor", "check", "retrain", "retrain/train", "retrain/gate"]
    assert jobs.ran("train")["end"] <= jobs.ran("gate")["start"]


def test_a_failing_nested_job_fails_the_run_job_task(jobs, env):
    root = jobs.write({
        "training": [jobs.wheel("train", "--exit=2")],
        "outer": [{"task_key": "retrain",
                   "run_job_task": {"job_id": "${resources.jobs.training.id}"}}],
    })

    result = _run(root, "outer", env)

    assert not result.ok
    assert result.task("retrain").status == FAILED
    assert "1 task(s) of training failed" in result.task("retrain").message


def test_run_job_task_recursion_is_refused_before_anything_runs(jobs, env):
    root = jobs.write({
        "a": [jobs.wheel("first"), {"task_key": "to_b", "depends_on": [{"task_key": "first"}],
                                    "run_job_task": {"job_id": "${resources.jobs.b.id}"}}],
        "b": [{"task_key": "to_a", "run_job_task": {"job_id": "${resources.jobs.a.id}"}}],
    })

    with pytest.raises(BundleError, match=r"run_job_task recursion: a → b → a"):
        _run(root, "a", env)
    assert not jobs.did_run("first")


def test_an_entry_point_that_is_not_installed_is_refused_before_anything_runs(jobs, env):
    missing = jobs.wheel("missing")
    missing["python_wheel_task"]["entry_point"] = "fx-nope"
    root = jobs.write({"job": [jobs.wheel("first"), missing]})

    with pytest.raises(BundleError, match=r"job job, task missing: entry point 'fx-nope' of "
                                          r"package 'lakestep_fixture' is not installed"):
        _run(root, "job", env)
    assert not jobs.did_run("first")


def test_an_unresolved_variable_is_refused_naming_the_task(jobs, env):
    root = jobs.write({"job": [jobs.wheel("first", "--sleep=${var.undeclared}")]})

    with pytest.raises(BundleError, match=r"task first: unresolved \$\{var\.undeclared\}"):
        _run(root, "job", env)


def test_a_task_kind_the_runner_cannot_run_is_named(jobs, env):
    root = jobs.write({"job": [{"task_key": "nb", "notebook_task": {"notebook_path": "x"}}]})

    with pytest.raises(BundleError, match="task nb: a notebook_task cannot run locally"):
        _run(root, "job", env)


def test_max_retries_reruns_a_failed_task(jobs, env):
    marker = jobs.root / "attempted"
    root = jobs.write({"job": [jobs.wheel("flaky", f"--fail-first={marker}", max_retries=1)]})

    result = _run(root, "job", env)

    assert result.ok, result_lines(result)
    flaky = result.task("flaky")
    assert flaky.attempts == 2
    # Each attempt keeps its own log: the first one's failure stays readable.
    assert flaky.log_path == result.workdir / "flaky.attempt2.err"
    assert "first attempt fails" in (result.workdir / "flaky.err").read_text()


def test_timeout_seconds_stops_a_task(jobs, env):
    root = jobs.write({"job": [jobs.wheel("slow", "--sleep=30", timeout_seconds=1),
                               jobs.wheel("next", deps=("slow",))]})

    result = _run(root, "job", env)

    slow = result.task("slow")
    assert slow.status == TIMED_OUT and slow.returncode is None
    assert slow.seconds < 10
    assert result.task("next").status == UPSTREAM_FAILED


def test_unknown_job_names_the_jobs_that_exist(jobs, env):
    root = jobs.write({"one": [jobs.wheel("a")], "two": [jobs.wheel("b")]})

    with pytest.raises(BundleError, match=r"no job 'three'.*one, two"):
        _run(root, "three", env)


@pytest.mark.parametrize(("only", "expected"), [
    (["b"], ["b"]),
    (["+c"], ["a", "x", "b", "c"]),
    (["b+"], ["b", "c"]),
    (["+b", "x"], ["a", "x", "b"]),
])
def test_only_runs_the_selected_tasks_like_databricks_bundle_run_only(jobs, env, only, expected):
    root = jobs.write({"chain": [
        jobs.wheel("a"), jobs.wheel("x"), jobs.wheel("b", deps=("a",)),
        jobs.wheel("c", deps=("b", "x"))]})

    result = _run(root, "chain", env, only=only)

    assert result.ok, result_lines(result)
    assert [t.name for t in result.tasks] == expected
    assert {k for k in "abcx" if jobs.did_run(k)} == set(expected)


def test_only_with_an_unknown_task_names_the_tasks_that_exist(jobs, env):
    root = jobs.write({"chain": [jobs.wheel("a"), jobs.wheel("b", deps=("a",))]})

    with pytest.raises(BundleError, match=r"no task 'nope'.*") as raised:
        _run(root, "chain", env, only=["+nope"])
    assert "a, b" in (raised.value.hint or "")
    assert not jobs.did_run("a")
