"""`lakestep bundle run <job>` when a task fails. The jobs' happy path (training
orchestrator, batch inference, monitoring on the demo lakehouse) is in test_pipeline.py,
which reuses the lakehouse `lakestep run` built."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lakestep.bundle import (
    FAILED,
    UPSTREAM_FAILED,
    load_bundle,
)

REPO = Path(__file__).resolve().parents[2]
SCALE = "20000"
pytestmark = pytest.mark.slow
# One line per settled task on stderr: "  train_x: succeeded (12.3s)".
_TASK_LINE = re.compile(r"^\s+([\w-]+): (\w+) \([\d.]+s\)\s*$", re.MULTILINE)


def lakestep(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKESTEP_")}
    env["COLUMNS"] = "200"
    return subprocess.run([sys.executable, "-m", "lakestep", "--home", str(home), *args],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=1200)


def task_statuses(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    return dict(_TASK_LINE.findall(result.stderr))


def job_tasks(job_key: str) -> list[str]:
    return [task.key for task in load_bundle(REPO, "dev").job(job_key).tasks]


def _explain(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"


def test_a_failing_task_fails_the_run_and_is_named(tmp_path):
    """Monitoring before anything was trained or scored: the monitor task fails (after its
    retries), the tasks after it never run, and `bundle run` exits non-zero."""
    home = tmp_path / "home"
    result = lakestep(home, "bundle", "run", "monitoring")
    assert result.returncode != 0, _explain(result)
    assert task_statuses(result) == {"monitor": FAILED, "check_retrain": UPSTREAM_FAILED,
                                     "retrain": UPSTREAM_FAILED}, _explain(result)
    assert "Traceback" not in result.stderr, result.stderr
    assert re.search(r"monitor\s.*failed", result.stdout), result.stdout
    assert "lakestep-monitor exited" in result.stdout, result.stdout
    # max_retries: 2 of the monitor task means three attempts, each with its own log.
    workdir = home / "bundle-runs" / "monitoring"
    assert sorted(p.name for p in workdir.glob("monitor*.err")) == [
        "monitor.attempt2.err", "monitor.attempt3.err", "monitor.err"]
