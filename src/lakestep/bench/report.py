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
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

PACKAGES = ("lakestep", "pysail", "pyspark", "deltalake", "mlflow", "xgboost", "scikit-learn",
            "pandas", "numpy", "pyarrow")
PARTS = ("scoring", "features", "run", "engine", "tests")
# Targets (see docs/benchmarks.md).
TARGET_VS_CEILING = 0.8
TARGET_VS_TOPANDAS = 3.0
TARGET_PEAK_MIB = 2048
TARGET_RUN_S = 120
TARGET_TESTS_S = 360


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
    parser.add_argument("--bookings", default="250000,1000000,4000000",
                        help="feature benchmark scales, comma-separated bookings")
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
                                                   "--repeats", repeats])
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


def render(report: dict[str, Any], raw: Path, root: Path | None = None) -> str:
    """The Markdown report; plots are written next to it (docs/benchmarks/*.png)."""
    root = root or Path(".")
    plots = root / "docs" / "benchmarks"
    m = report["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`lakestep bench all`, code in `src/lakestep/bench/`); every",
        f"number below was measured on this machine, last run **{report['date']}** (raw JSON:",
        f"`{raw}`). Re-run to refresh; nothing here is edited by hand except the *Notes*",
        "section, which is kept across runs.",
        "",
        "## Machine",
        "",
        f"* CPU: {m['cpu']}, {m['cores']} cores; RAM {m['ram_gib']} GiB; {m['os']}",
        f"* Python {m['python']}; {versions}",
        f"* load average (1, 5, 15 min) of the last run at start "
        f"{report['load_average_start']}, at end "
        f"{report.get('load_average_end')} — other work on the machine slows every path alike "
        "(scoring paths run in interleaved rounds)",
        "* every figure is the median of its repeats; spread = max − min",
        "",
        "## Targets",
        "",
        *render_targets(report),
        "",
    ]
    lines += render_scoring(report.get("scoring") or [], plots)
    lines += render_features(report.get("features"), plots)
    lines += render_run(report.get("run"), plots)
    lines += render_engine(report.get("engine"))
    lines += render_tests(report.get("tests"), plots)
    return "\n".join(lines) + "\n" + notes(root)


def render_targets(report: dict[str, Any]) -> list[str]:
    """One line per target of the brief, met or missed, from whatever was measured."""
    lines = ["| target | measured | |", "|---|---|---|"]
    for run in report.get("scoring") or []:
        ratios = run.get("ratios") or {}
        rows = run.get("rows")
        for key, target, label in (("lakestep_vs_ceiling", TARGET_VS_CEILING, "× ceiling"),
                                   ("lakestep_vs_topandas", TARGET_VS_TOPANDAS, "× toPandas")):
            value = ratios.get(key)
            if value is not None and rows:
                lines.append(f"| scoring {rows:,} rows ≥ {target} {label} | {value:.2f} | "
                             f"{_verdict(value >= target)} |")
        peak = ((run.get("paths") or {}).get("lakestep") or {}).get("peak_rss_mib")
        if peak is not None and rows and rows >= 10_000_000:
            lines.append(f"| scoring {rows:,} rows peak RSS < 2 GiB | {peak:,.0f} MiB | "
                         f"{_verdict(peak < TARGET_PEAK_MIB)} |")
    wall = ((report.get("run") or {}).get("wall") or {}).get("median_s")
    if wall is not None:
        lines.append(f"| `make run` ({report['run']['scale']:,} bookings) < 2 min | {wall} s | "
                     f"{_verdict(wall < TARGET_RUN_S)} |")
    suite = ((report.get("tests") or {}).get("wall") or {}).get("median_s")
    if suite is not None:
        lines.append(f"| test suite < 6 min | {suite} s | {_verdict(suite < TARGET_TESTS_S)} |")
    return lines




def _rate(value: float | None) -> str:
    return "—" if not value else f"{value / 1000:,.0f}k"


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def render_scoring(runs: list[dict[str, Any]], plots: Path | None = None) -> list[str]:
    if not runs:
        return []
    lines = [
        "## Batch scoring",
        "",
        "`lakestep.bench.scoring` (`lakestep bench scoring --rows N --json`): one XGBRegressor (100 trees, depth 6) behind a fitted",
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
        lines += ["Sizes measured in separate runs (`lakestep bench all --only scoring "
                  "--update`):", "", *measured, ""]
    steps = [_steps_line(run) for run in runs if "paths" in run]
    lines += ["lakestep step times (median of runs, seconds):", "",
              "| rows | resolve | load | plan | score_and_write | count |",
              "|---:|---:|---:|---:|---:|---:|", *[s for s in steps if s], ""]
    lines += _plot_line(plots, "scoring.png", "rows per second by path",
                        lambda: plot_scoring(runs))
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

    steps = (run["paths"].get("lakestep") or {}).get("steps_s") or []
    if not steps:
        return None
    names = ("resolve", "load", "plan", "score_and_write", "count")
    cells = " | ".join(f"{statistics.median(s[n] for s in steps):.3f}" for n in names)
    return f"| {run['rows']:,} | {cells} |"




def _scales(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The scales of a features result (a one-scale result of an older run is one scale)."""
    if "scales" in result:
        return list(result["scales"])
    return [result] if "steps" in result else []


def render_features(result: dict[str, Any] | None, plots: Path | None = None) -> list[str]:
    if result is None:
        return []
    lines = ["## Feature tables and training sets", "",
             "`lakestep.bench.features`: the demo gold layer (`lakestep.demo.build_gold`, seed",
             "7) at each number of bookings, in a fresh lakehouse; every demo feature table",
             "built from it (full refresh; each table's own time from the build's progress",
             "callback), refreshed by MERGE, then `create_training_set` + `load_df` with",
             "point-in-time lookups on customer_daily, property_daily and destination_daily",
             "plus the calendar for every booking (every output column hashed so nothing is",
             "skipped). *growth* is the least-squares slope of log(time) on log(bookings):",
             "1.0 is linear.", ""]
    if "error" in result and "scales" not in result and "steps" not in result:
        return [*lines, f"Failed: `{result['error'][:600]}`", ""]
    scales = _scales(result)
    if not scales:
        return [*lines, "(nothing measured)", ""]
    for scale in [s for s in scales if "error" in s]:
        lines.append(f"* {scale['bookings']:,} bookings: **failed** — "
                     f"{_short(scale['error'])}")
    scales = [s for s in scales if "steps" in s]
    if not scales:
        return [*lines, ""]
    for scale in scales:
        lines.append(f"* {scale['bookings']:,} bookings: fact_booking rows "
                     f"{scale.get('fact_booking_rows', 0):,}, gold written in "
                     f"{scale.get('gold_write_s')} s; feature rows " + ", ".join(
                         f"{name} {rows:,}" for name, rows in scale.get("rows", {}).items()))
    growth = result.get("growth") or {}
    steps = list(dict.fromkeys(step for scale in scales for step in scale.get("steps", {})))
    header = " | ".join(f"{scale['bookings']:,}" for scale in scales)
    lines += ["", f"| step | {header} | growth |",
              "|---|" + "---:|" * len(scales) + "---:|"]
    for step in steps:
        cells = []
        for scale in scales:
            timing = scale.get("steps", {}).get(step)
            if timing is None:
                cells.append("—")
                continue
            spread = timing.get("spread_s")
            cells.append(f"{timing['median_s']} s" + ("" if spread is None else f" ± {spread}"))
        g = growth.get(step)
        lines.append(f"| {step} | {' | '.join(cells)} | {'—' if g is None else g} |")
    lines.append("")
    if len(scales) > 1:
        lines += _plot_line(plots, "features.png", "feature step time by scale (log-log)",
                            lambda: plot_features(scales))
    return lines


def render_run(result: dict[str, Any] | None, plots: Path | None = None) -> list[str]:
    if result is None:
        return []
    lines = ["## `lakestep run` on the demo data", "",
             "`lakestep.bench.pipeline`: what `make run` runs, in a fresh process and lakehouse",
             "per repeat; *wall* is the whole process (interpreter start included), the phases",
             "are the pipeline's own step timings summed (six models each for train, gate, score",
             "and monitor).", ""]
    if "error" in result and "wall" not in result:
        return [*lines, f"Failed: `{result['error'][:600]}`", ""]
    lines += [f"* {result['scale']:,} bookings, seed {result.get('seed')}, "
              f"{result.get('models')} models, {len(result['wall'].get('runs_s', []))} runs", "",
              "| phase | median s | spread s | runs s |", "|---|---:|---:|---|"]
    for name, timing in [("**wall**", result["wall"]), *result.get("phases", {}).items()]:
        lines.append(f"| {name} | {timing.get('median_s', '—')} | {timing.get('spread_s', '—')} "
                     f"| {timing.get('runs_s')} |")
    lines.append("")
    lines += _plot_line(plots, "run.png", "lakestep run: median seconds per phase",
                        lambda: plot_run(result))
    return lines


def render_engine(result: dict[str, Any] | None) -> list[str]:
    if result is None:
        return []
    lines = ["## Engine start", "",
             "`lakestep.bench.engine`: a fresh process per start, timed from before the imports;",
             "*session* = a session that can take a query, *first query* = `range(10).count()`",
             "answered, *sum 1M* = a second query over a million rows, *process* = the whole",
             "child process. The JVM is PySpark's own local Spark (no Delta: its jars come from",
             "Maven Central).", ""]
    if "error" in result and "engines" not in result:
        return [*lines, f"Failed: `{result['error'][:600]}`", ""]
    lines += ["| engine | session s | first query s | sum 1M s | process s | engine RSS MiB |",
              "|---|---:|---:|---:|---:|---:|"]
    for engine, summary in result["engines"].items():
        if "skipped" in summary:
            lines.append(f"| {engine} | skipped: {summary['skipped']} | | | | |")
            continue

        def cell(key: str, summary: dict[str, Any] = summary) -> str:
            value = summary.get(key)
            return "—" if value is None else f"{value['median']} ± {value['spread']}"

        lines.append(f"| {engine} | {cell('session_s')} | {cell('first_query_s')} | "
                     f"{cell('sum_1m_s')} | {cell('process_s')} | {cell('engine_rss_mib')} |")
    return [*lines, ""]


def render_tests(result: dict[str, Any] | None, plots: Path | None = None) -> list[str]:
    if result is None:
        return []
    lines = ["## Test suite", "",
             "`lakestep.bench.suite`: pytest as `make test` runs it (" +
             " ".join(result.get("pytest_args", [])) + "); per folder the summed",
             "duration of its tests (two workers overlap, so the sums add up to about twice",
             "the wall).", ""]
    if "error" in result and "wall" not in result:
        return [*lines, f"Failed: `{result['error'][:600]}`", ""]
    wall = result["wall"]
    lines += [f"* wall: median {wall['median_s']} s, spread {wall['spread_s']} s, runs "
              f"{wall['runs_s']}" + (f"; failures: {result['failures']}"
                                     if result.get("failures") else ""), "",
              "| folder | tests | median s | runs s |", "|---|---:|---:|---|"]
    for folder, entry in result["folders"].items():
        lines.append(f"| {folder} | {entry['tests']} | {entry['median_s']} | {entry['runs_s']} |")
    lines.append("")
    lines += _plot_line(plots, "tests.png", "test seconds by folder", lambda: plot_tests(result))
    return lines


# -- plots ---------------------------------------------------------------------------------


def _plot_line(plots: Path | None, name: str, alt: str, draw: Callable[[], Any]) -> list[str]:
    """Draw a figure into ``plots/name`` and return the Markdown line that shows it."""
    if plots is None:
        return []
    import matplotlib.pyplot as plt

    try:
        fig = draw()
    except (KeyError, ValueError, TypeError):  # a partial result: the tables still say it
        return []
    plots.mkdir(parents=True, exist_ok=True)
    fig.savefig(plots / name, dpi=90, bbox_inches="tight")
    plt.close(fig)
    return [f"![{alt}](benchmarks/{name})", ""]


def plot_scoring(runs: list[dict[str, Any]]) -> Any:
    from lakestep.reports import new_figure

    fig, ax = new_figure(7.5, 3.2)
    measured = [run for run in runs if run.get("paths")]
    paths = ["ceiling", "lakestep", "topandas", "spark_udf"]
    width = 0.8 / max(len(measured), 1)
    for i, run in enumerate(measured):
        values = [(run["paths"].get(p) or {}).get("rows_per_s") or 0 for p in paths]
        ax.bar([x + i * width for x in range(len(paths))], values, width,
               label=f"{run['rows']:,} rows")
    ax.set_xticks([x + width * (len(measured) - 1) / 2 for x in range(len(paths))], paths)
    ax.set_ylabel("rows / s")
    ax.set_yscale("log")
    ax.legend()
    return fig


def plot_features(scales: list[dict[str, Any]]) -> Any:
    from lakestep.reports import new_figure

    fig, ax = new_figure(7.5, 3.6)
    steps = list(dict.fromkeys(step for scale in scales for step in scale.get("steps", {})))
    for step in steps:
        points = [(s["bookings"], s["steps"][step]["median_s"]) for s in scales
                  if step in s.get("steps", {}) and s["steps"][step]["median_s"] > 0]
        if len(points) > 1:
            ax.plot(*zip(*points, strict=True), marker="o", label=step)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("bookings")
    ax.set_ylabel("seconds")
    ax.legend(fontsize=7, ncol=2)
    return fig


def plot_run(result: dict[str, Any]) -> Any:
    from lakestep.reports import new_figure

    fig, ax = new_figure(7.0, 2.8)
    phases = {k: v["median_s"] for k, v in result.get("phases", {}).items() if "median_s" in v}
    ax.barh(list(phases), list(phases.values()))
    ax.invert_yaxis()
    ax.set_xlabel("seconds (median)")
    return fig


def plot_tests(result: dict[str, Any]) -> Any:
    from lakestep.reports import new_figure

    fig, ax = new_figure(7.0, 2.8)
    folders = result["folders"]
    ax.barh(list(folders), [entry["median_s"] for entry in folders.values()])
    ax.invert_yaxis()
    ax.set_xlabel("summed test seconds (median)")
    return fig


NOTES_MARKER = "## Notes"


def notes(root: Path) -> str:
    """The hand-written Notes section of the current report, kept across runs."""
    current = root / "docs" / "benchmarks.md"
    if current.is_file():
        text = current.read_text()
        at = text.find(NOTES_MARKER)
        if at >= 0:
            return "\n" + text[at:]
    return f"\n{NOTES_MARKER}\n\n(none yet)\n"


if __name__ == "__main__":
    main()
