"""`lakestep bench scoring --rows N --json` prints one JSON object a script can check (on a
tiny size, two of the four paths: the figures themselves live in docs/benchmarks.md, never
in a test; `make bench` runs all four)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_bench_scoring_json_has_every_paths_figures(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKESTEP_")}
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "lakestep", "bench", "scoring", "--rows", "3000", "--repeats",
         "1", "--trees", "5", "--depth", "3", "--paths", "ceiling,lakestep", "--home",
         str(tmp_path / "home"), "--json"],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout[-2000:]  # one JSON object, nothing else on stdout
    report = json.loads(lines[0])

    assert report["rows"] == 3000
    for path in ("ceiling", "lakestep"):
        assert report["paths"][path].get("error") is None, (path, report["paths"][path])
        assert report[f"{path}_rows_per_s"] > 0, path
        assert report["peak_rss_mib"][path] > 100, path  # the process, engine included
    for path in ("topandas", "spark_udf"):  # not run: present, and null
        assert report[f"{path}_rows_per_s"] is None and report["peak_rss_mib"][path] is None
    assert report["ratios"]["lakestep_vs_ceiling"] == round(
        report["lakestep_rows_per_s"] / report["ceiling_rows_per_s"], 3)
    assert report["ratios"]["lakestep_vs_topandas"] is None
    # Every lakestep run wrote its predictions: one timed run plus the warm-up.
    assert len(report["paths"]["lakestep"]["steps_s"]) == 1
    assert "round 1/1: lakestep" in done.stderr
    assert list(cwd.iterdir()) == []  # everything under --home: no ./mlruns, no spark-warehouse
