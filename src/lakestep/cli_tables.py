"""The tables and lines the CLI prints: one renderer per result kind (rich)."""

from __future__ import annotations

from typing import Any

from rich.table import Table


def training_table(results: list[Any]) -> Table:
    table = Table(title="trained versions (@challenger)")
    for column in ("model", "version", "key metric", "value", "train rows", "holdout rows",
                   "seconds"):
        table.add_column(column)
    for r in results:
        table.add_row(r.name, r.version, r.key_metric, f"{r.key_value:.4g}", f"{r.rows_train:,}",
                      f"{r.rows_holdout:,}", f"{r.seconds:.1f}")
    return table


def gate_table(results: list[Any]) -> Table:
    table = Table(title="quality gate")
    for column in ("model", "version", "key metric", "value", "thresholds", "champion",
                   "gate", "report"):
        table.add_column(column, overflow="fold")
    for r in results:
        champion = (r.champion_metrics or {}).get(r.key_metric)
        verdict = "[green]passed[/]" if r.passed else "[red]FAILED[/]"
        if r.forced:
            verdict = "[yellow]forced[/]"
        table.add_row(r.name, r.version, r.key_metric, f"{r.metrics[r.key_metric]:.4g}",
                      r.threshold_text,
                      "-" if champion is None else f"v{r.champion_version}: {champion:.4g}",
                      verdict, str(r.report))
    return table


def score_table(results: list[Any]) -> Table:
    table = Table(title="batch scoring")
    for column in ("predictions table", "model version", "scoring date", "rows",
                   "Delta version", "seconds"):
        table.add_column(column, overflow="fold")
    for r in results:
        table.add_row(r.table, r.model_version, str(r.scoring_date), f"{r.rows:,}",
                      str(r.version), f"{r.seconds:.1f}")
    return table


def monitor_table(results: list[Any]) -> Table:
    table = Table(title="monitoring")
    for column in ("model", "version", "scoring date", "rows", "retrain", "why", "report"):
        table.add_column(column, overflow="fold")
    for r in results:
        table.add_row(r.model, str(r.model_version), str(r.scoring_date), f"{r.rows:,}",
                      "[red]yes[/]" if r.retrain else "[green]no[/]",
                      "; ".join(r.reasons)[:200] or "-", str(r.report))
    return table


def where(platform: Any) -> str:
    """Where a run's results live."""
    settings = platform.settings
    return (f"predictions: {settings.catalog}.{settings.ml_schema}.<model>_predictions · "
            f"metrics: {settings.monitoring_table('model_metrics')} · "
            f"reports: {settings.reports_dir} · MLflow: {settings.tracking_uri}")


def timings_table(steps: Any) -> Table:
    table = Table(title=f"pipeline steps ({steps.total_seconds:.1f}s)")
    table.add_column("step")
    table.add_column("seconds", justify="right")
    for timing in steps.timings:
        table.add_row(timing.name, f"{timing.seconds:.2f}")
    return table


def tables_table(platform: Any, names: list[str]) -> Table:
    table = Table(title=f"tables under {platform.settings.lakehouse_dir}")
    for column in ("table", "rows", "version", "properties"):
        table.add_column(column, overflow="fold")
    for name in names:
        properties = platform.tables.properties(name)
        shown = ", ".join(f"{k}={v}" for k, v in sorted(properties.items())
                          if not k.startswith("delta."))
        rows = platform.tables.read(name).count()
        table.add_row(name, f"{rows:,}", str(platform.tables.version(name)), shown[:120])
    return table
