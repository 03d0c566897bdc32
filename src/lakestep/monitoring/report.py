"""The HTML report of one monitoring run: one self-contained file with its plots.

Sections: the retrain decision and its reasons; PSI per feature against the threshold and
a table of every monitored column; training vs scored distributions (every model output,
then the inputs that drifted — or, when none did, the highest-PSI ones); data-quality
results per table and every failed check; prediction volume per scoring date. Figures are PNGs embedded by :class:`lakestep.reports.HtmlReport`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakestep.monitoring.assess import (
    Decision,
    FeatureDrift,
    Thresholds,
    drifted,
    ks_breached,
    null_breached,
)
from lakestep.reports import HtmlReport, new_figure

if TYPE_CHECKING:
    from lakestep.monitoring.quality import QualityResult
    from lakestep.platform.base import Platform

# Inputs whose distributions are plotted (see distributions_shown); every output is too.
DISTRIBUTIONS_SHOWN = 12
STABLE_SHOWN = 4
# Features in the PSI chart (highest first); the table below it lists every feature.
PSI_BARS_SHOWN = 40
# Scoring dates in the volume chart (the latest ones).
VOLUME_DATES = 90
TRAINING_COLOR, SCORED_COLOR, DRIFT_COLOR, STABLE_COLOR = "#4c72b0", "#dd8452", "#b00020", \
    "#0a7d2c"


@dataclass(frozen=True)
class ReportInput:
    """Everything the report shows; plain values, no Spark."""

    model: str
    model_version: str
    scoring_date: date
    rows: int
    decision: Decision
    thresholds: Thresholds
    drifts: tuple[FeatureDrift, ...]
    quality: tuple[QualityResult, ...]
    unmonitored: tuple[str, ...]
    volume: tuple[tuple[date, int], ...]  # predictions per scoring date, oldest first


def prediction_volume(platform: Platform, table: str) -> tuple[tuple[date, int], ...]:
    """Rows per scoring date of a predictions table (the latest :data:`VOLUME_DATES`)."""
    from pyspark.sql import functions as F

    counts = (platform.tables.read(table).groupBy("scoring_date").count()
              .orderBy(F.col("scoring_date").desc()).limit(VOLUME_DATES).collect())
    return tuple((row["scoring_date"], int(row["count"])) for row in reversed(counts))


def write_report(path: Path, data: ReportInput) -> Path:
    return build_report(data).write(path)


def build_report(data: ReportInput) -> HtmlReport:
    report = HtmlReport(f"Monitoring: {data.model}",
                        f"version {data.model_version} · scoring date {data.scoring_date} · "
                        f"{data.rows:,} predictions")
    retrain = data.decision.retrain_needed
    report.badge(not retrain, "retrain needed" if retrain else "no retrain needed")
    for reason in data.decision.reasons:
        report.text(reason)
    _drift_section(report, data)
    _distribution_section(report, data)
    _quality_section(report, data.quality)
    _volume_section(report, data)
    return report


# -- drift -----------------------------------------------------------------------------------

def _drift_section(report: HtmlReport, data: ReportInput) -> None:
    t = data.thresholds
    report.heading("Drift per feature")
    report.text(f"PSI over the training baseline's bins (drift above {t.psi:g}); KS between "
                f"the training sample and the scored values (drift when p < {t.ks_pvalue:g} "
                f"and D ≥ {t.ks_statistic:g}); null fraction may rise by at most "
                f"{t.null_increase:g} over training.")
    if data.unmonitored:
        report.text("Not monitored (no scored or no training side): "
                    + ", ".join(data.unmonitored))
    if not data.drifts:
        report.text("No feature has a training baseline to compare with.")
        return
    report.figure(psi_figure(data.drifts, t), "PSI per feature")
    ranked = sorted(data.drifts, key=lambda d: (not d.output, -d.psi))
    report.table(
        ["feature", "kind", "PSI", "KS D", "KS p", "nulls (training)", "nulls (scored)",
         "stable"],
        [[d.name, d.kind, d.psi, d.ks_statistic, d.ks_pvalue, d.training_null_fraction,
          d.null_fraction, not (drifted(d, t) or null_breached(d, t))] for d in ranked])


def psi_figure(drifts: Sequence[FeatureDrift], thresholds: Thresholds) -> Any:
    """Horizontal bars of PSI per feature, highest on top, the threshold as a line."""
    ranked = sorted(drifts, key=lambda d: d.psi, reverse=True)[:PSI_BARS_SHOWN]
    figure, axes = new_figure(7.5, max(2.0, 0.28 * len(ranked) + 0.8))
    colors = [DRIFT_COLOR if drifted(d, thresholds) else STABLE_COLOR for d in ranked]
    axes.barh([d.name for d in ranked][::-1], [d.psi for d in ranked][::-1],
              color=colors[::-1])
    axes.axvline(thresholds.psi, color="#555", linestyle="--", linewidth=1,
                 label=f"threshold {thresholds.psi:g}")
    axes.set_xlabel("PSI")
    axes.set_title("PSI per feature (red: drifted by PSI or KS)", fontsize=9)
    axes.legend(loc="lower right", fontsize=8)
    axes.tick_params(axis="y", labelsize=8)
    return figure


def distributions_shown(drifts: Sequence[FeatureDrift], thresholds: Thresholds
                        ) -> list[FeatureDrift]:
    """Every output; the inputs that drifted or gained nulls (at most
    :data:`DISTRIBUTIONS_SHOWN`, highest PSI first), or the :data:`STABLE_SHOWN` highest-PSI
    inputs when none did."""
    inputs = sorted((d for d in drifts if not d.output), key=lambda d: -d.psi)
    flagged = [d for d in inputs if drifted(d, thresholds) or null_breached(d, thresholds)]
    chosen = flagged[:DISTRIBUTIONS_SHOWN] if flagged else inputs[:STABLE_SHOWN]
    return [*(d for d in drifts if d.output), *chosen]


def _distribution_section(report: HtmlReport, data: ReportInput) -> None:
    shown = distributions_shown(data.drifts, data.thresholds)
    if not shown:
        return
    report.heading("Distributions: training vs scored")
    report.text("Every model output, then the inputs that drifted (or the highest-PSI inputs "
                "when none did); the table above lists every input.")
    for drift in shown:
        report.figure(distribution_figure(drift, data.thresholds),
                      f"distribution of {drift.name}")


def distribution_figure(drift: FeatureDrift, thresholds: Thresholds) -> Any:
    """Share of rows per baseline bin, training next to scored."""
    import numpy as np

    positions = np.arange(len(drift.bins))
    figure, axes = new_figure(7.5, 2.8)
    axes.bar(positions - 0.2, drift.expected, width=0.4, label="training", color=TRAINING_COLOR)
    axes.bar(positions + 0.2, drift.actual, width=0.4, label="scored", color=SCORED_COLOR)
    axes.set_xticks(positions, drift.bins, rotation=35, ha="right", fontsize=7)
    axes.set_ylabel("share of rows")
    ks_text = f", KS D {drift.ks_statistic:.3f}" if drift.ks_statistic is not None else ""
    flag = " — drift" if drifted(drift, thresholds) else ""
    if ks_breached(drift, thresholds):
        flag += " (KS)"
    axes.set_title(f"{drift.name}: PSI {drift.psi:.3f}{ks_text}{flag}", fontsize=9)
    axes.legend(fontsize=8)
    return figure


# -- quality ----------------------------------------------------------------------------------

def _quality_section(report: HtmlReport, results: Sequence[QualityResult]) -> None:
    report.heading("Data quality")
    if not results:
        report.text("No quality suite ran.")
        return
    report.figure(quality_figure(results), "quality checks per table")
    passed = Counter(r.table for r in results if r.success)
    total = Counter(r.table for r in results)
    report.table(["table", "checks", "passed", "all pass"],
                 [[t, total[t], passed[t], passed[t] == total[t]] for t in total])
    failed = [r for r in results if not r.success]
    if failed:
        report.table(["table", "column", "check", "critical", "unexpected", "observed"],
                     [[r.table, r.column, r.expectation, r.critical, r.unexpected_count,
                       r.observed] for r in failed])


def quality_figure(results: Sequence[QualityResult]) -> Any:
    """Passed and failed checks per table, stacked."""
    tables = list(dict.fromkeys(r.table for r in results))
    passed = [sum(r.success for r in results if r.table == t) for t in tables]
    failed = [sum(not r.success for r in results if r.table == t) for t in tables]
    figure, axes = new_figure(7.5, max(1.6, 0.35 * len(tables) + 0.8))
    labels = [t.rsplit(".", 2)[-2] + "." + t.rsplit(".", 1)[-1] for t in tables]
    axes.barh(labels, passed, color=STABLE_COLOR, label="passed")
    axes.barh(labels, failed, left=passed, color=DRIFT_COLOR, label="failed")
    axes.set_xlabel("checks")
    axes.legend(loc="lower right", fontsize=8)
    axes.tick_params(axis="y", labelsize=8)
    return figure


# -- volume -----------------------------------------------------------------------------------

def _volume_section(report: HtmlReport, data: ReportInput) -> None:
    report.heading("Prediction volume")
    if not data.volume:
        report.text("No predictions.")
        return
    report.figure(volume_figure(data.volume, data.scoring_date), "predictions per scoring date")


def volume_figure(volume: Sequence[tuple[date, int]], current: date) -> Any:
    """Predictions per scoring date, the monitored date highlighted."""
    figure, axes = new_figure(7.5, 2.6)
    labels = [d.isoformat() for d, _ in volume]
    colors = [SCORED_COLOR if d == current else TRAINING_COLOR for d, _ in volume]
    axes.bar(labels, [rows for _, rows in volume], color=colors)
    axes.set_ylabel("predictions")
    axes.tick_params(axis="x", labelrotation=35, labelsize=7)
    return figure
