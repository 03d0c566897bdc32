"""Run every benchmark and write docs/benchmarks.md (``make bench``).

    .venv/bin/python bench/run.py                       # scoring at 1M and 10M, features at 1M
    .venv/bin/python bench/run.py --rows 1000000 --repeats 2
    .venv/bin/python bench/run.py --quick               # 100k rows, one repeat: a smoke run
    .venv/bin/python bench/run.py --update --rows 10000000 --skip features   # one part again
    .venv/bin/python bench/run.py --render-only         # docs/benchmarks.md from the last JSON

Each benchmark runs as its own process (bench_scoring.py, bench_features.py) and prints one
JSON document; this script adds the machine (CPU model, cores, RAM, OS, Python, package
versions), the date and the load average, keeps the raw JSON under bench/results/, and
renders the Markdown report. Numbers are whatever was measured: a missed target is printed
as missed, with the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import platform as host
import subprocess
import sys
import time
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PACKAGES = ("lakestep", "pysail", "pyspark", "deltalake", "mlflow", "xgboost", "scikit-learn",
            "pandas", "numpy", "pyarrow")
# Targets of the scoring benchmark (see docs/benchmarks.md).
TARGET_VS_CEILING = 0.8
TARGET_VS_TOPANDAS = 3.0
TARGET_PEAK_MIB = 2048


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


def run_json(script: str, args: list[str]) -> dict[str, Any]:
    """Run a benchmark script and parse the JSON document it prints last."""
    command = [sys.executable, str(BENCH / script), *args]
    print("$", " ".join(command[1:]), flush=True)
    started = time.perf_counter()
    env = {**os.environ, "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    seconds = round(time.perf_counter() - started, 1)
    lines = done.stdout.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("{")]
    if done.returncode != 0 or not starts:
        return {"error": f"exit {done.returncode}: {done.stderr.strip()[-1500:]}",
                "wall_s": seconds}
    result = json.loads("\n".join(lines[starts[0]:]))
    result["wall_s"] = seconds
    print(f"  done in {seconds}s", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000000,10000000",
                        help="scoring sizes, comma-separated (default: 1M and 10M)")
    parser.add_argument("--bookings", type=int, default=1_000_000,
                        help="bookings of the feature benchmark's gold layer")
    parser.add_argument("--labels", type=int, default=1_000_000,
                        help="label rows of the training-set assembly")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true",
                        help="100k rows and bookings, one repeat: checks that everything runs")
    parser.add_argument("--skip", default="", help="comma-separated: scoring, features")
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--update", action="store_true",
                        help="start from the newest bench/results/*.json: parts this run "
                             "does not re-run (other sizes, skipped benchmarks) are kept")
    parser.add_argument("--render-only", action="store_true",
                        help="re-render the report from the newest bench/results/*.json")
    args = parser.parse_args()
    results = BENCH / "results"
    if args.render_only:
        files = sorted(results.glob("*.json"))
        if not files:
            parser.error("no bench/results/*.json to render; run the benchmarks first")
        Path(args.output).write_text(render(json.loads(files[-1].read_text()),
                                            files[-1].relative_to(ROOT)))
        print(f"wrote {args.output} from {files[-1]}")
        return
    if args.quick:
        args.rows, args.bookings, args.labels, args.repeats = "100000", 100_000, 100_000, 1
    skip = {s for s in args.skip.split(",") if s}
    report: dict[str, Any] = {"date": date.today().isoformat(), "machine": machine(),
                              "load_average_start": load_average(), "repeats": args.repeats,
                              "scoring": [], "features": None}
    if "scoring" not in skip:
        for rows in [int(r) for r in args.rows.split(",") if r]:
            report["scoring"].append(run_json("bench_scoring.py", [
                "--rows", str(rows), "--repeats", str(args.repeats), "--json"]))
    if "features" not in skip:
        report["features"] = run_json("bench_features.py", [
            "--bookings", str(args.bookings), "--labels", str(args.labels),
            "--repeats", str(args.repeats)])
    report["load_average_end"] = load_average()
    results.mkdir(exist_ok=True)
    if args.update:
        report = merged(previous(results), report)
    raw = results / f"{report['date']}.json"
    raw.write_text(json.dumps(report, indent=1))
    Path(args.output).write_text(render(report, raw.relative_to(ROOT)))
    print(f"wrote {args.output} and {raw}")


def previous(results: Path) -> dict[str, Any] | None:
    files = sorted(results.glob("*.json"))
    return json.loads(files[-1].read_text()) if files else None


def merged(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """``new`` plus what only ``old`` measured (scoring sizes, features); each part keeps the
    date and load average of the run that measured it."""
    if old is None:
        return new
    for part in (new, old):
        for run in part["scoring"]:
            run.setdefault("measured", {"date": part["date"],
                                        "load_average": part.get("load_average_start")})
        if part["features"] is not None:
            part["features"].setdefault("measured", {
                "date": part["date"], "load_average": part.get("load_average_start")})
    sizes = {run.get("rows") for run in new["scoring"]}
    kept = [run for run in old["scoring"] if run.get("rows") not in sizes]
    new["scoring"] = sorted([*kept, *new["scoring"]], key=lambda run: run.get("rows") or 0)
    if new["features"] is None:
        new["features"] = old["features"]
    return new


# -- the report ----------------------------------------------------------------------------


def _rate(value: float | None) -> str:
    return "—" if not value else f"{value / 1000:,.0f}k"


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def render(report: dict[str, Any], raw: Path) -> str:
    m = report["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`bench/run.py`); every number below was measured in the run",
        f"of **{report['date']}** (raw JSON: `{raw}`). Re-run to refresh; nothing here is",
        "edited by hand except the *Notes* section, which is kept by `bench/run.py`.",
        "",
        "## Machine",
        "",
        f"* CPU: {m['cpu']}, {m['cores']} cores; RAM {m['ram_gib']} GiB; {m['os']}",
        f"* Python {m['python']}; {versions}",
        f"* load average (1, 5, 15 min) of the last run at start "
        f"{report['load_average_start']}, at end "
        f"{report['load_average_end']} — other work on the machine slows every path alike "
        "(paths run in interleaved rounds)",
        "* repeats (median reported, spread = max − min): " + ", ".join(
            [f"{run['rows']:,} rows {run.get('repeats', '?')}" for run in report["scoring"]
             if "rows" in run]
            + ([f"features {report['features'].get('repeats', '?')}"]
               if report.get("features") else [])),
        "",
    ]
    lines += render_scoring(report["scoring"])
    lines += render_features(report["features"])
    return "\n".join(lines) + "\n" + notes()


def render_scoring(runs: list[dict[str, Any]]) -> list[str]:
    if not runs:
        return []
    lines = [
        "## Batch scoring",
        "",
        "`bench/bench_scoring.py`: one XGBRegressor (100 trees, depth 6) behind a fitted",
        "preprocessor (12 raw inputs → 21 features, one-hot segment), a feature table of N",
        "customers and a keys table of N customer ids. Paths:",
        "",
        "* **ceiling** — `xgboost` `Booster.inplace_predict` on a preloaded C-contiguous float32",
        "  numpy matrix of the same rows, already looked up and preprocessed: only the predict",
        "  call is timed;",
        "* **toPandas** — feature lookup, `toPandas()`, `mlflow.pyfunc` `predict` (preprocessing",
        "  inside), `createDataFrame`, Delta write;",
        "* **spark_udf** — feature lookup, `mlflow.pyfunc.spark_udf`, Delta write;",
        "* **lakestep** — `lakestep.inference.score` end to end: resolve `@champion`, load,",
        "  feature lookup, conform, `mapInArrow` predict, Delta `replaceWhere`, row count.",
        "",
        "Peak RSS is the VmHWM of the benchmark process, which *includes the embedded Sail",
        "engine* (it runs in-process), measured in a fresh process per path and run.",
        "",
        "| rows | path | median s | spread s | rows/s | peak RSS MiB |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    verdicts = []
    for run in runs:
        if "error" in run and not run.get("paths"):
            lines.append(f"| {run.get('rows', '?')} | (failed) | {_short(run['error'])} | | | |")
            continue
        rows = run["rows"]
        for path, result in run["paths"].items():
            if result.get("error"):
                lines.append(f"| {rows:,} | {path} | failed: {_short(result['error'])} | | | |")
                continue
            lines.append(
                f"| {rows:,} | {path} | {result.get('median_s', '—')} | "
                f"{result.get('spread_s', '—')} | {_rate(result.get('rows_per_s'))} | "
                f"{result.get('peak_rss_mib', '—')} |")
        verdicts.append(_scoring_verdict(run))
    verdicts = [v for v in verdicts if v]
    lines += ["", "Targets: lakestep ≥ 0.8 × ceiling, ≥ 3 × toPandas, peak RSS < 2 GiB.", "",
              "| rows | lakestep / ceiling | lakestep / toPandas | lakestep / spark_udf | "
              "lakestep peak MiB |", "|---:|---|---|---|---|", *verdicts, ""]
    measured = [f"* {run['rows']:,} rows: measured {run['measured']['date']}, load average "
                f"{run['measured']['load_average']}" for run in runs if run.get("measured")]
    if measured:
        lines += ["Sizes measured in separate runs (`bench/run.py --update`):", "", *measured, ""]
    steps = [_steps_line(run) for run in runs if "paths" in run]
    lines += ["lakestep step times (median of runs, seconds):", "",
              "| rows | resolve | load | plan | score_and_write | count |",
              "|---:|---:|---:|---:|---:|---:|", *[s for s in steps if s], ""]
    return lines


def _short(error: str) -> str:
    """One table-safe line of an error: gRPC's ``details``, else the last line."""
    lines = [line.strip() for line in error.splitlines() if line.strip()]
    details = [line for line in lines if line.startswith("details =")]
    line = (details or lines or ["?"])[-1] if not details else details[0]
    return line.replace("|", "\\|")[:200]


def _scoring_verdict(run: dict[str, Any]) -> str:
    ratios, rows = run.get("ratios", {}), run["rows"]
    if not run.get("paths"):
        return ""
    peak = (run["paths"].get("lakestep") or {}).get("peak_rss_mib")

    def cell(key: str, target: float | None) -> str:
        value = ratios.get(key)
        if value is None:
            return "—"
        return f"{value:.2f}" + ("" if target is None else f" ({_verdict(value >= target)})")

    memory = "—" if peak is None else f"{peak:,.0f} ({_verdict(peak < TARGET_PEAK_MIB)})"
    return (f"| {rows:,} | {cell('lakestep_vs_ceiling', TARGET_VS_CEILING)} | "
            f"{cell('lakestep_vs_topandas', TARGET_VS_TOPANDAS)} | "
            f"{cell('lakestep_vs_spark_udf', None)} | {memory} |")


def _steps_line(run: dict[str, Any]) -> str | None:
    import statistics

    steps = (run["paths"].get("lakestep") or {}).get("steps_s") or []
    if not steps:
        return None
    names = ("resolve", "load", "plan", "score_and_write", "count")
    cells = " | ".join(f"{statistics.median(s[n] for s in steps):.3f}" for n in names)
    return f"| {run['rows']:,} | {cells} |"


def render_features(result: dict[str, Any] | None) -> list[str]:
    if result is None:
        return []
    lines = ["## Feature tables and training sets", "",
             "`bench/bench_features.py`: the demo gold layer (`lakestep.demo.build_gold`, seed 7)",
             "at the given number of bookings; every demo feature table built from it (full",
             "refresh), refreshed by merge, and each alone; then `create_training_set` +",
             "`load_df` with point-in-time lookups on customer_daily, property_daily and",
             "destination_daily plus the calendar, for the given label rows (every output",
             "column hashed so nothing is skipped).", ""]
    if "error" in result and "steps" not in result:
        return [*lines, f"Failed: `{result['error'][:600]}`", ""]
    lines += [f"* bookings: {result['bookings']:,} (fact_booking rows: "
              f"{result.get('fact_booking_rows', 0):,}); gold written in "
              f"{result.get('gold_write_s')} s",
              "* feature table rows: " + ", ".join(
                  f"{name} {rows:,}" for name, rows in result.get("rows", {}).items()),
              f"* training set: {result.get('training_set_rows', 0):,} label rows", "",
              "| step | median s | runs s |", "|---|---:|---|"]
    for step, timing in result.get("steps", {}).items():
        lines.append(f"| {step} | {timing['median_s']} | {timing['runs_s']} |")
    return [*lines, ""]


NOTES_MARKER = "## Notes"


def notes() -> str:
    """The hand-written Notes section of the current report, kept across runs."""
    current = ROOT / "docs" / "benchmarks.md"
    if current.is_file():
        text = current.read_text()
        at = text.find(NOTES_MARKER)
        if at >= 0:
            return "\n" + text[at:]
    return f"\n{NOTES_MARKER}\n\n(none yet)\n"


if __name__ == "__main__":
    main()
