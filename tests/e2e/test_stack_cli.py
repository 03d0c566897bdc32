"""``lakestep stack up|status|restart|down`` in real subprocesses, on the SQLite fallback:
the commands a user types, their exit codes, and the saved ports they share."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import lakestep
from lakestep.config import load_settings
from lakestep.stack import run_endpoints

pytestmark = pytest.mark.slow
TABLE = "main.gold.cli_stack"
# The sub-app on its own, so this test does not depend on how lakestep.cli mounts it.
STACK = [sys.executable, "-c",
         "from lakestep.stack_cli import stack_app; stack_app(prog_name='lakestep stack')"]


def stack(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKESTEP_")}
    env["COLUMNS"] = "200"  # rich wraps paths in tables at the default 80 columns
    return subprocess.run([*STACK, *args, "--home", str(home)], capture_output=True, text=True,
                          env=env, timeout=300, stdin=subprocess.DEVNULL)


def _connect(home: Path):
    """As `lakestep run --stack` connects: the native stack's endpoints for this home."""
    endpoints = run_endpoints(load_settings(home=home, environ={}))
    return lakestep.connect(home=home, environ={}, **endpoints)


def _rows(home: Path) -> list[int]:
    with _connect(home) as platform:
        return sorted(platform.tables.read(TABLE).toPandas()["id"].tolist())


def test_stack_commands_end_to_end_on_sqlite(tmp_path):
    home = tmp_path / "home"
    try:
        started = stack("up", "--sqlite", "--free-ports", home=home)
        assert started.returncode == 0, started.stderr
        assert "MLflow backend store: sqlite:///" in started.stdout
        assert "✓ spark" in started.stderr and "✓ mlflow" in started.stderr
        shown = stack("status", home=home)
        assert shown.returncode == 0, shown.stdout
        assert "not used (SQLite)" in shown.stdout and shown.stdout.count("running") == 2

        with _connect(home) as platform:
            assert platform.settings.tracking_uri.startswith("http://127.0.0.1:")
            frame = platform.spark.createDataFrame(pd.DataFrame({"id": [1, 2, 3]}))
            platform.tables.write(TABLE, frame)
        restarted = stack("restart", "spark", home=home)
        assert restarted.returncode == 0, restarted.stderr
        assert _rows(home) == [1, 2, 3], "the table survives a restart of the Sail server"

        clash = stack("up", "--mlflow-port", "1", home=home)
        assert clash.returncode == 1 and "Traceback" not in clash.stderr
        assert "already runs (mlflow, spark) with other settings" in clash.stderr
    finally:
        stopped = stack("down", "--purge", home=home)
    assert stopped.returncode == 0, stopped.stderr
    assert stack("status", home=home).returncode == 1
    assert not (home / "stack").exists()
    assert (home / "lakehouse" / "main" / "gold" / "cli_stack" / "_delta_log").is_dir()
