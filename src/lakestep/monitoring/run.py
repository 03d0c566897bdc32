"""``monitor``: one monitoring run of a model's scoring date.

Steps (each timed and reported to ``progress(step, seconds)``):

1. ``read``: the scoring date's rows of ``{catalog}.{ml_schema}.<model>_predictions``
   (default: the latest date) and the model version that wrote them;
2. ``load``: that version, read once (its baseline, lookups, signature, kind);
3. ``drift``: the scored inputs recomputed as scoring did, their bins counted in Spark
   against the baseline, PSI and KS per input and per output
   (:mod:`lakestep.monitoring.scored`);
4. ``quality``: the great-expectations suites of the predictions (that date's rows), of
   the feature tables the model looks up, and of the gold tables those are built from
   (their contracts);
5. ``write``: the retrain decision (:func:`lakestep.monitoring.assess.decide`) and every
   metric, replacing that model's rows of that date in
   ``{catalog}.{monitoring_schema}.model_metrics``;
6. ``report``: the HTML report ``<home>/reports/monitoring/<model>/<date>.html``.

See docs/monitoring.md.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from lakestep.console import StepTimer
from lakestep.errors import cap_list
from lakestep.inference.frame import lookups_of
from lakestep.inference.model import load_version
from lakestep.inference.scoring import replace_predicate
from lakestep.monitoring.assess import Decision, FeatureDrift, Thresholds, decide
from lakestep.monitoring.metrics import (
    METRICS_TABLE,
    RunInfo,
    drift_rows,
    quality_rows,
    run_rows,
    write_metrics,
)
from lakestep.monitoring.quality import (
    QualityResult,
    QualitySuite,
    quality_suite_for_contract,
    quality_suite_for_feature_table,
    quality_suite_for_predictions,
    run_quality,
)
from lakestep.monitoring.report import ReportInput, prediction_volume, write_report
from lakestep.monitoring.scored import (
    ScoredRows,
    baseline_of,
    measure_drift,
    read_scored,
    scored_inputs,
)

if TYPE_CHECKING:
    from lakestep.inference.model import LoadedModel
    from lakestep.platform.base import Platform

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]
# The tag build_feature_tables sets on a feature table: the gold tables it is built from.
SOURCE_TABLES_TAG = "lakestep.source_tables"


@dataclass(frozen=True)
class MonitorResult:
    """What one monitoring run found and wrote."""

    model: str  # the model's spec name, as passed to monitor (demand_predictor)
    model_version: str
    scoring_date: date
    rows: int  # predictions monitored
    retrain: bool
    reasons: tuple[str, ...]
    drifts: tuple[FeatureDrift, ...]
    quality: tuple[QualityResult, ...]
    metrics_table: str
    metrics_rows: int
    report: Path
    seconds: float
    drifted_features: tuple[str, ...] = ()
    unmonitored: tuple[str, ...] = ()  # inputs/outputs without a scored or baseline side
    steps: Mapping[str, float] = field(default_factory=dict)
    registered_model: str = ""  # main.ml.<model>: the metrics' and predictions' model_name

    def drift(self, column: str) -> FeatureDrift:
        """The drift of one input by its name, or of an output as ``output.<name>``."""
        found = {d.name: d for d in self.drifts}
        if column not in found:
            raise KeyError(f"{column} was not monitored; monitored: {cap_list(found)}")
        return found[column]


def monitor(platform: Platform, model: str, *, scoring_date: date | None = None,
            progress: Progress | None = None) -> MonitorResult:
    """Monitor ``model``'s predictions of ``scoring_date`` (default: the latest scored).

    Thresholds come from the model spec's ``monitoring`` section. Raises MonitoringError
    when there is nothing to monitor (no predictions, no such date, no baseline in the
    model) and before anything is written. A re-run of the same date replaces that date's
    metric rows and report.
    """
    started = time.perf_counter()
    steps = StepTimer(progress, logger_name=__name__)
    settings = platform.settings
    thresholds = Thresholds.from_spec(platform.project.spec(model).monitoring)
    with steps("read"):
        scored = read_scored(platform, model, scoring_date)
    with steps("load"):
        loaded = load_version(settings, platform.registry.get(settings.model_name(model),
                                                              scored.model_version))
        baseline = baseline_of(loaded)
    with steps("drift"):
        drifts, unmonitored = measure_drift(scored, scored_inputs(platform, scored, loaded),
                                            baseline)
    with steps("quality"):
        quality = [r for table, suite, where in quality_suites(platform, loaded, scored)
                   for r in run_quality(platform, table, suite, where=where)]
    decision = decide(drifts, quality, thresholds)
    run = RunInfo(uuid.uuid4().hex, loaded.name, loaded.version, scored.scoring_date,
                  datetime.now(UTC).replace(microsecond=0))
    with steps("write"):
        rows = [*drift_rows(run, drifts, thresholds), *quality_rows(run, quality),
                *run_rows(run, scored.rows, decision, thresholds)]
        write_metrics(platform, rows, model_name=loaded.name, day=scored.scoring_date)
    with steps("report"):
        report = write_report(_report_path(platform, model, scored.scoring_date), ReportInput(
            model=loaded.name, model_version=loaded.version, scoring_date=scored.scoring_date,
            rows=scored.rows, decision=decision, thresholds=thresholds, drifts=tuple(drifts),
            quality=tuple(quality), unmonitored=unmonitored,
            volume=prediction_volume(platform, scored.table)))
    seconds = time.perf_counter() - started
    _log_outcome(loaded, scored, decision, seconds)
    return MonitorResult(
        model=model, model_version=loaded.version, scoring_date=scored.scoring_date,
        rows=scored.rows, retrain=decision.retrain_needed, reasons=decision.reasons,
        drifts=tuple(drifts), quality=tuple(quality),
        metrics_table=settings.monitoring_table(METRICS_TABLE), metrics_rows=len(rows),
        report=report, seconds=seconds, drifted_features=decision.drifted_features,
        unmonitored=unmonitored, steps=dict(steps.seconds), registered_model=loaded.name)


def quality_suites(platform: Platform, loaded: LoadedModel, scored: ScoredRows
                   ) -> list[tuple[str, QualitySuite, str | None]]:
    """(table, suite, row filter) to validate: the scored rows, each feature table the model
    looks up, and each gold table with a contract that those feature tables are built from.
    """
    settings = platform.settings
    lookups = lookups_of(loaded)
    suites: list[tuple[str, QualitySuite, str | None]] = [
        (scored.table, quality_suite_for_predictions(loaded.packaged.kind,
                                                     identifying_keys(scored, loaded)),
         replace_predicate(scored.scoring_date))]
    gold: list[str] = []
    for table_name in dict.fromkeys(lookup.table_name for lookup in lookups):
        table = platform.features.get_table(name=table_name)
        suites.append((table_name, quality_suite_for_feature_table(table), None))
        gold += [t for t in gold_sources(platform, table_name, table.tags) if t not in gold]
    contracts = platform.project.contracts
    for table_name in gold:
        if table_name in contracts:
            suites.append((settings.gold(table_name),
                           quality_suite_for_contract(contracts[table_name]), None))
        else:
            log.warning("gold table %s has no contract: no quality suite for it", table_name)
    return suites


def identifying_keys(scored: ScoredRows, loaded: LoadedModel) -> tuple[str, ...]:
    """The predictions table's columns that identify a prediction: lookup and timestamp keys
    and every key column that is not a model input — the rule scoring uses to pick them.

    A model input written next to the predictions (``key_columns=``) identifies nothing
    and may be null, so the suite checks it neither for nulls nor for uniqueness.
    """
    lookups = lookups_of(loaded)
    ids = {key for lookup in lookups for key in lookup.lookup_key}
    ids |= {lookup.timestamp_lookup_key for lookup in lookups if lookup.timestamp_lookup_key}
    inputs = set(loaded.packaged.input_schema.input_names())
    return tuple(c for c in scored.keys if c in ids or c not in inputs)


def gold_sources(platform: Platform, feature_table: str, tags: Mapping[str, str]
                 ) -> list[str]:
    """The gold tables a feature table is built from: its tag, else its definition."""
    tagged = tags.get(SOURCE_TABLES_TAG, "")
    if tagged:
        return [t.strip() for t in tagged.split(",") if t.strip()]
    definition = platform.project.feature_definitions.get(feature_table.rsplit(".", 1)[-1])
    return list(definition.source_tables) if definition is not None else []


def _report_path(platform: Platform, model: str, day: date) -> Path:
    return platform.settings.reports_dir / "monitoring" / model / f"{day.isoformat()}.html"


def _log_outcome(loaded: LoadedModel, scored: ScoredRows, decision: Decision,
                 seconds: float) -> None:
    if decision.retrain_needed:
        log.warning("monitoring %s on %s: retrain needed — %s", loaded.label,
                    scored.scoring_date, "; ".join(decision.reasons))
    else:
        log.info("monitoring %s on %s: %d row(s), no retrain needed (%.1fs)", loaded.label,
                 scored.scoring_date, scored.rows, seconds)

