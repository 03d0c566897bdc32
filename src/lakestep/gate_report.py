"""The gate's HTML summary: the decision, every check, and two plots — each metric
against its threshold, and challenger vs champion on the same holdout."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakestep.gate_rules import HIGHER_IS_BETTER
from lakestep.reports import HtmlReport, new_figure

if TYPE_CHECKING:
    from lakestep.gate import GateResult
    from lakestep.models.specs import ModelSpec


def render(result: GateResult, spec: ModelSpec) -> HtmlReport:
    verdict = "PASSED" if result.passed else "FAILED"
    report = HtmlReport(f"Quality gate — {result.name} version {result.version}",
                        f"{spec.kind} · {spec.algorithm} · key metric {spec.key_metric}")
    report.badge(result.passed, f"gate {verdict}: "
                 + ("@champion moves to this version" if result.passed else
                    "@champion stays where it was"))
    if result.reasons:
        report.heading("Why it failed")
        for reason in result.reasons:
            report.text(reason)
    report.heading("Checks")
    report.table(["family", "check", "result", "value", "limit", "reason"],
                 [(c.family, c.name, c.passed, c.value, c.limit, c.reason)
                  for c in result.decision.checks])
    report.heading("Metrics on the holdout")
    champion = result.champion_metrics or {}
    report.table(["metric", "challenger", f"champion (v{result.champion_version})"
                  if result.champion_version else "champion", "better is"],
                 [(m, v, champion.get(m), "higher" if HIGHER_IS_BETTER.get(m, True) else "lower")
                  for m, v in result.metrics.items()])
    thresholds = _threshold_figure(result)
    if thresholds is not None:
        report.figure(thresholds, "metrics against their thresholds")
    if champion:
        report.figure(_comparison_figure(result), "challenger vs champion on the same holdout")
    return report


def _threshold_figure(result: GateResult):
    rows = [(metric, bound, limit, result.metrics.get(metric))
            for metric, bounds in result.thresholds.items() for bound, limit in bounds.items()]
    if not rows:
        return None
    fig, _axes = new_figure(3.2 * len(rows), 3.0)
    fig.clf()
    for index, (metric, bound, limit, value) in enumerate(rows, 1):
        ax = fig.add_subplot(1, len(rows), index)
        ok = value is not None and (value >= limit if bound == "min" else value <= limit)
        ax.bar([metric], [value or 0.0], color="#0a7d2c" if ok else "#b00020")
        ax.axhline(limit, color="#333", linestyle="--",
                   label=f"{'min' if bound == 'min' else 'max'} {limit:g}")
        ax.set_title(f"{metric} ({'≥' if bound == 'min' else '≤'} {limit:g})")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _comparison_figure(result: GateResult):
    champion = result.champion_metrics or {}
    metrics = [m for m in result.metrics if m in champion]
    fig, _ = new_figure(3.0 * max(1, len(metrics)), 3.0)
    fig.clf()
    for index, metric in enumerate(metrics, 1):
        ax = fig.add_subplot(1, len(metrics), index)
        ax.bar(["challenger", "champion"], [result.metrics[metric], champion[metric]],
               color=["#4C72B0", "#999999"])
        ax.set_title(metric + (" ↑" if HIGHER_IS_BETTER.get(metric, True) else " ↓"))
    fig.tight_layout()
    return fig
