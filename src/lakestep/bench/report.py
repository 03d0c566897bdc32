"""``make bench`` / ``lakestep bench all``: every benchmark, and docs/benchmarks.md.

    lakestep bench all                          # everything (about an hour on 2 cores)
    lakestep bench all --quick                  # small sizes, one repeat: checks it all runs
    lakestep bench all --only scoring --rows 10000000 --update   # one part again, keep the rest
    lakestep bench all --render-only            # docs/benchmarks.md from the last JSON

Each benchmark runs as its own process (``python -m lakestep.bench.<name>``) and prints one
JSON document: scoring (1M and 10M rows, four paths), features (three scales, growth
exponent), run (``lakestep run`` per step), engine (Sail vs JVM start), tests (the suite by
folder). This module adds the machine (CPU, cores, RAM, OS, Python, package versions), the
date and the load average, keeps the raw JSON under bench/results/, draws the plots into
docs/benchmarks/ and renders the Markdown report. Numbers are whatever was measured: a
missed target is printed as missed, with the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import platform as host
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from lakestep.bench.render import render

PACKAGES = ("lakestep", "pysail", "pyspark", "deltalake", "mlflow", "xgboost", "scikit-learn",
            "pandas", "numpy", "pyarrow")
PARTS = ("scoring", "features", "run", "engine", "tests")


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram_gib = None
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "not installed"
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gib": ram_gib, "os": host.platform(),
            "python": host.python_version(), "versions": versions}


def load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def run_json(module: str, args: Sequence[str], cwd: Path | None = None) -> dict[str, Any]:
    """Run ``python -m lakestep.bench.<module>`` and parse the JSON document it prints."""
    command = [sys.executable, "-m", f"lakestep.bench.{module}", *args]
    print("$", " ".join(command[1:]), flush=True)
    started = time.perf_counter()
    env = {**os.environ, "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env,
                          cwd=cwd)
    seconds = round(time.perf_counter() - started, 1)
    lines = done.stdout.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("{")]
    if done.returncode != 0 or not starts:
        return {"error": f"exit {done.returncode}: {done.stderr.strip()[-1500:]}",
                "wall_s": seconds}
    result: dict[str, Any] = json.loads("\n".join(lines[starts[0]:]))
    result["wall_s"] = seconds
    print(f"  done in {seconds}s", flush=True)
    return result


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="lakestep bench all", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000000,10000000",
                        help="scoring sizes, comma-separated (default: 1M and 10M)")
    parser.add_argument("--bookings", default="1000000,2000000,10000000",
                        help="feature benchmark scales, comma-separated bookings")
    parser.add_argument("--gold", choices=("demo", "synthetic"), default="synthetic",
                        help="gold layer of the feature benchmark: the demo generator needs "
                             "about 4 GiB per million bookings, the synthetic one a tenth")
    parser.add_argument("--run-scale", type=int, default=100_000,
                        help="bookings of the `lakestep run` benchmark (make run's default)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true",
                        help="small sizes and one repeat: checks that everything runs")
    parser.add_argument("--only", default=",".join(PARTS),
                        help=f"comma-separated parts to run: {', '.join(PARTS)}")
    parser.add_argument("--root", default=".", help="the checkout: bench/results/ and docs/ "
                        "are written here, tests/ is timed from here")
    parser.add_argument("--update", action="store_true",
                        help="start from the newest bench/results/*.json: parts this run "
                             "does not re-run (other sizes, other parts) are kept")
    parser.add_argument("--render-only", action="store_true",
                        help="re-render the report from the newest bench/results/*.json")
    args = parser.parse_args(argv)
    root = Path(args.root).resolve()
    results, output = root / "bench" / "results", root / "docs" / "benchmarks.md"
    if args.render_only:
        files = sorted(results.glob("*.json"))
        if not files:
            parser.error("no bench/results/*.json to render; run the benchmarks first")
        output.write_text(render(json.loads(files[-1].read_text()), files[-1].relative_to(root),
                                 root))
        print(f"wrote {output} from {files[-1]}")
        return
    if args.quick:
        args.rows, args.bookings, args.run_scale, args.repeats = "100000", "50000,100000,200000", 20_000, 1
    parts = {p for p in args.only.split(",") if p}
    unknown = parts - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s) {sorted(unknown)}; choose from {', '.join(PARTS)}")
    repeats = str(args.repeats)
    report: dict[str, Any] = {"date": date.today().isoformat(), "machine": machine(),
                              "load_average_start": load_average(), "repeats": args.repeats,
                              "scoring": [], "features": None, "run": None, "engine": None,
                              "tests": None}
    if "scoring" in parts:
        for rows in [int(r) for r in args.rows.split(",") if r]:
            report["scoring"].append(run_json("scoring", [
                "--rows", str(rows), "--repeats", repeats, "--json"]))
    if "features" in parts:
        report["features"] = run_json("features", ["--bookings", args.bookings,
                                                   "--gold", args.gold, "--repeats", repeats])
    if "run" in parts:
        report["run"] = run_json("pipeline", ["--scale", str(args.run_scale),
                                              "--repeats", repeats])
    if "engine" in parts:
        report["engine"] = run_json("engine", ["--repeats", repeats])
    if "tests" in parts and (root / "tests").is_dir():
        report["tests"] = run_json("suite", ["--repeats", repeats, "--root", str(root)])
    report["load_average_end"] = load_average()
    results.mkdir(parents=True, exist_ok=True)
    if args.update:
        report = merged(previous(results), report)
    raw = results / f"{report['date']}.json"
    raw.write_text(json.dumps(report, indent=1))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(report, raw.relative_to(root), root))
    print(f"wrote {output} and {raw}")


def previous(results: Path) -> dict[str, Any] | None:
    files = sorted(results.glob("*.json"))
    return json.loads(files[-1].read_text()) if files else None


def merged(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """``new`` plus what only ``old`` measured (scoring sizes, other parts); each part keeps
    the date and load average of the run that measured it."""
    if old is None:
        return new
    for part in (new, old):
        stamp = {"date": part["date"], "load_average": part.get("load_average_start")}
        for run in part.get("scoring") or []:
            run.setdefault("measured", stamp)
        for key in PARTS[1:]:
            if part.get(key) is not None:
                part[key].setdefault("measured", stamp)
    sizes = {run.get("rows") for run in new["scoring"]}
    kept = [run for run in old.get("scoring") or [] if run.get("rows") not in sizes]
    new["scoring"] = sorted([*kept, *new["scoring"]], key=lambda run: run.get("rows") or 0)
    for key in PARTS[1:]:
        if new.get(key) is None:
            new[key] = old.get(key)
    return new


if __name__ == "__main__":
    main()
