"""Benchmark (not a test): ``lakestep run`` on the demo data, wall time per step.

    lakestep bench run --scale 100000 --repeats 3

Each repeat is a fresh process in a fresh lakehouse, as ``make run`` on a new clone is: the
child imports lakestep, connects (starting the embedded Sail engine) and runs
:func:`lakestep.commands.run_pipeline`; the parent times the whole process (``wall``) and
the child reports every step's time, summed per phase (gold, features, train, gate, score,
monitor). Prints one JSON document: per phase and for the wall, ``runs_s``, ``median_s``,
``spread_s``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PHASES = ("gold", "features", "train", "gate", "score", "monitor")


def phase_of(step: str) -> str:
    """The phase of a ``Steps`` step name (``train demand_predictor`` → ``train``)."""
    if step.startswith("demo gold"):
        return "gold"
    if step.startswith(("feature tables", "label tables")):
        return "features"
    first = step.split(" ", 1)[0]
    return first if first in PHASES else "other"


def child(home: str, scale: int, seed: int) -> dict[str, Any]:


    started = time.perf_counter()
    import lakestep
    from lakestep.commands import run_pipeline

    imported = time.perf_counter() - started
    with lakestep.connect(home=home, environ={}) as platform:
        connected = time.perf_counter() - started - imported
        result = run_pipeline(platform, scale=scale, seed=seed)
    phases = {"import lakestep": imported, "connect": connected}
    for timing in result.steps.timings:
        key = phase_of(timing.name)
        phases[key] = phases.get(key, 0.0) + timing.seconds
    return {"phases_s": {k: round(v, 3) for k, v in phases.items()},
            "models": len(result.trained)}


def run(scale: int = 100_000, repeats: int = 3, seed: int = 7,
        home: str | None = None) -> dict[str, Any]:
    root = Path(home or tempfile.mkdtemp(prefix="lakestep-bench-run-"))
    walls: list[float] = []
    phases: dict[str, list[float]] = {}
    models = None
    errors = []
    for i in range(repeats):
        print(f"lakestep run at {scale:,} bookings, repeat {i + 1}/{repeats}",
              file=sys.stderr, flush=True)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "lakestep.bench.pipeline", "--child", "--home",
             str(root / f"run{i}"), "--scale", str(scale), "--seed", str(seed)],
            capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode != 0 or not lines:
            errors.append(f"exit {done.returncode}: {done.stderr.strip()[-800:]}")
            continue
        walls.append(round(wall, 2))
        report = json.loads(lines[-1])
        models = report["models"]
        for phase, seconds in report["phases_s"].items():
            phases.setdefault(phase, []).append(seconds)
    result: dict[str, Any] = {"scale": scale, "seed": seed, "repeats": repeats,
                              "models": models, "wall": _summary(walls),
                              "phases": {k: _summary(v) for k, v in phases.items()}}
    if errors:
        result["errors"] = errors
    return result


def _summary(seconds: Sequence[float]) -> dict[str, Any]:
    if not seconds:
        return {"runs_s": []}
    return {"median_s": round(statistics.median(seconds), 2),
            "spread_s": round(max(seconds) - min(seconds), 2),
            "runs_s": [round(s, 2) for s in seconds]}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--home", default=None)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.home, args.scale, args.seed)))
        return
    print(json.dumps(run(args.scale, args.repeats, args.seed, args.home), indent=1))


if __name__ == "__main__":
    main()
