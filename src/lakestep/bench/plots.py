"""The figures of docs/benchmarks.md, drawn from one report's parts (matplotlib, Agg)."""

from __future__ import annotations

from typing import Any

from lakestep.reports import new_figure


def plot_scoring(runs: list[dict[str, Any]]) -> Any:
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
    fig, ax = new_figure(7.0, 2.8)
    phases = {k: v["median_s"] for k, v in result.get("phases", {}).items() if "median_s" in v}
    ax.barh(list(phases), list(phases.values()))
    ax.invert_yaxis()
    ax.set_xlabel("seconds (median)")
    return fig


def plot_tests(result: dict[str, Any]) -> Any:
    fig, ax = new_figure(7.0, 2.8)
    folders = result["folders"]
    ax.barh(list(folders), [entry["median_s"] for entry in folders.values()])
    ax.invert_yaxis()
    ax.set_xlabel("summed test seconds (median)")
    return fig
