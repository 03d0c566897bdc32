"""Benchmark (not a test): the test suite's wall time, and where it goes by folder.

    lakestep bench tests --repeats 3          # from a lakestep checkout

Runs the suite as ``make test`` runs pytest (``-n 2 --dist loadscope
--no-loadscope-reorder``) ``--repeats`` times with a JUnit XML report, and reads the
report: the whole run's wall time, and per folder of ``tests/`` the number of tests and the
sum of their durations (setup, call and teardown; with two workers the folders overlap in
time, so the sums add up to about twice the wall). Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PYTEST_ARGS = ("-n", "2", "--dist", "loadscope", "--no-loadscope-reorder", "-q", "-p",
               "no:cacheprovider")


def by_folder(junit_xml: Path) -> dict[str, dict[str, float]]:
    """Tests and summed seconds per folder of tests/ from a pytest JUnit XML report."""
    folders: dict[str, dict[str, float]] = {}
    for case in ET.parse(junit_xml).iter("testcase"):
        parts = (case.get("classname") or "").split(".")
        folder = parts[1] if len(parts) > 2 and parts[0] == "tests" else "tests"
        entry = folders.setdefault(folder, {"tests": 0, "seconds": 0.0})
        entry["tests"] += 1
        entry["seconds"] += float(case.get("time") or 0.0)
    return {k: {"tests": int(v["tests"]), "seconds": round(v["seconds"], 1)}
            for k, v in sorted(folders.items(), key=lambda item: -item[1]["seconds"])}


def run(repeats: int = 3, root: str | Path = ".") -> dict[str, Any]:
    root = Path(root).resolve()
    if not (root / "tests").is_dir():
        raise SystemExit(f"no tests/ under {root}: run from a lakestep checkout (--root)")
    walls: list[float] = []
    folders: dict[str, list[dict[str, float]]] = {}
    failures = []
    for i in range(repeats):
        print(f"test suite, repeat {i + 1}/{repeats}", file=sys.stderr, flush=True)
        report = Path(tempfile.mkdtemp(prefix="lakestep-bench-tests-")) / "junit.xml"
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "pytest", *PYTEST_ARGS,
                               f"--junitxml={report}"], cwd=root, capture_output=True,
                              text=True, check=False)
        walls.append(round(time.perf_counter() - started, 1))
        if done.returncode != 0:
            failures.append(done.stdout.strip().splitlines()[-1:] or [f"exit {done.returncode}"])
        if report.is_file():
            for folder, entry in by_folder(report).items():
                folders.setdefault(folder, []).append(entry)
    return {
        "repeats": repeats, "pytest_args": list(PYTEST_ARGS),
        "wall": {"median_s": statistics.median(walls), "spread_s": round(max(walls) - min(walls), 1),
                 "runs_s": walls},
        "folders": {folder: {"tests": runs[-1]["tests"],
                             "median_s": round(statistics.median(r["seconds"] for r in runs), 1),
                             "runs_s": [r["seconds"] for r in runs]}
                    for folder, runs in folders.items()},
        "failures": failures,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--root", default=".", help="the lakestep checkout (default: here)")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.repeats, args.root), indent=1))


if __name__ == "__main__":
    main()
