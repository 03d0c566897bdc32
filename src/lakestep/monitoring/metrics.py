"""The monitoring metrics table: one row per model × scoring date × metric × feature.

``{catalog}.{monitoring_schema}.model_metrics`` columns:

=============== ========= =====================================================================
run_id          string    the monitoring run that wrote the row (a fresh uuid per run)
model_name      string    the registered model (``main.ml.conversion_predictor``), as in the
                          predictions table's ``model_name``
model_version   string    the registered version that scored the rows
metric          string    ``psi``, ``ks_statistic``, ``ks_pvalue``, ``null_fraction``,
                          ``quality.<expectation>``, ``row_count``, ``drifted_features``,
                          ``retrain_needed``
feature         string    an input column; ``output.<column>`` for a model output;
                          ``<table>.<column>`` (or ``<table>``) for a quality result; null
                          for run-level metrics
value           double    the metric (a quality result's unexpected count, or 1.0/0.0
                          pass/fail when it has none); null when it could not be computed
threshold       double    what ``value`` was compared with (null when nothing)
breached        boolean   whether it crossed the threshold (a quality check: it failed)
scoring_date    date      the scoring date monitored
computed_at     timestamp when the run computed it (UTC)
=============== ========= =====================================================================

Each run replaces the rows of its model and scoring date in one Delta commit
(``replaceWhere``), so re-running monitoring for a date never duplicates rows, and a failed
run leaves the previous rows as they were. Rows of other dates are appended to, never
touched: the table is the history of every monitored scoring date.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from lakestep.errors import MonitoringError
from lakestep.monitoring.assess import (
    Decision,
    FeatureDrift,
    Thresholds,
    ks_breached,
    null_breached,
    null_limit,
    psi_breached,
)
from lakestep.tables import sql_string

if TYPE_CHECKING:
    from pyspark.sql.types import StructType

    from lakestep.monitoring.quality import QualityResult
    from lakestep.platform.base import Platform

METRICS_TABLE = "model_metrics"
COLUMNS = (("run_id", "string"), ("model_name", "string"), ("model_version", "string"),
           ("metric", "string"), ("feature", "string"), ("value", "double"),
           ("threshold", "double"), ("breached", "boolean"), ("scoring_date", "date"),
           ("computed_at", "timestamp"))


@dataclass(frozen=True)
class MetricRow:
    run_id: str
    model_name: str
    model_version: str
    metric: str
    feature: str | None
    value: float | None
    threshold: float | None
    breached: bool
    scoring_date: date
    computed_at: datetime


@dataclass(frozen=True)
class RunInfo:
    """What every row of one run shares."""

    run_id: str
    model_name: str
    model_version: str
    scoring_date: date
    computed_at: datetime

    def row(self, metric: str, feature: str | None, value: float | None,
            threshold: float | None, breached: bool) -> MetricRow:
        return MetricRow(self.run_id, self.model_name, self.model_version, metric, feature,
                         None if value is None else float(value),
                         None if threshold is None else float(threshold), bool(breached),
                         self.scoring_date, self.computed_at)


def drift_rows(run: RunInfo, drifts: Iterable[FeatureDrift], thresholds: Thresholds
               ) -> list[MetricRow]:
    rows = []
    for drift in drifts:
        rows.append(run.row("psi", drift.name, drift.psi, thresholds.psi,
                            psi_breached(drift, thresholds)))
        if drift.ks_statistic is not None:
            breached = ks_breached(drift, thresholds)
            rows.append(run.row("ks_statistic", drift.name, drift.ks_statistic,
                                thresholds.ks_statistic, breached))
            rows.append(run.row("ks_pvalue", drift.name, drift.ks_pvalue,
                                thresholds.ks_pvalue, breached))
        rows.append(run.row("null_fraction", drift.name, drift.null_fraction,
                            null_limit(drift, thresholds), null_breached(drift, thresholds)))
    return rows


def quality_rows(run: RunInfo, results: Iterable[QualityResult]) -> list[MetricRow]:
    rows = []
    for result in results:
        feature = f"{result.table}.{result.column}" if result.column else result.table
        value = (result.unexpected_count if result.unexpected_count is not None
                 else float(result.success))
        rows.append(run.row(f"quality.{result.expectation}", feature, value, None,
                            not result.success))
    return rows


def run_rows(run: RunInfo, rows_scored: int, decision: Decision, thresholds: Thresholds
             ) -> list[MetricRow]:
    drifted = len(decision.drifted_features)
    return [
        run.row("row_count", None, rows_scored, None, False),
        run.row("drifted_features", None, drifted, thresholds.drifted_features,
                drifted >= thresholds.drifted_features),
        run.row("retrain_needed", None, float(decision.retrain_needed), None,
                decision.retrain_needed),
    ]


def schema() -> StructType:
    """The table's schema; explicit, so a run whose values are all null keeps the types."""
    from pyspark.sql import types as T

    types = {"string": T.StringType(), "double": T.DoubleType(), "boolean": T.BooleanType(),
             "date": T.DateType(), "timestamp": T.TimestampType()}
    return T.StructType([T.StructField(name, types[kind], True) for name, kind in COLUMNS])


def replace_predicate(model_name: str, day: date) -> str:
    """The rows one run owns: its model and scoring date (names are validated identifiers)."""
    return f"model_name = {sql_string(model_name)} AND scoring_date = DATE'{day.isoformat()}'"


def write_metrics(platform: Platform, rows: Sequence[MetricRow], *, model_name: str,
                  day: date) -> int:
    """Replace ``model_name``'s rows of ``day`` in the metrics table by ``rows`` (created on
    first use) in one commit; the new Delta version."""
    foreign = [row for row in rows if (row.model_name, row.scoring_date) != (model_name, day)]
    if foreign:
        raise MonitoringError(f"{len(foreign)} metric row(s) are not of {model_name} on {day}",
                              "write one run's rows at a time")
    from pyspark.sql import functions as F

    name = platform.settings.monitoring_table(METRICS_TABLE)
    df = platform.spark.createDataFrame([astuple(row) for row in rows], schema())
    if rows:
        # One run, one timestamp. As a literal it gets the session time zone that the rows
        # read back from the table have; Sail types createDataFrame's timestamps as "UTC"
        # and refuses to union them with the table's "Etc/UTC" ones in replaceWhere.
        df = df.withColumn("computed_at", F.lit(rows[0].computed_at))
    return platform.tables.replace_where(name, df, replace_predicate(model_name, day))
