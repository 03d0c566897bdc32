"""The scored side of monitoring: one scoring date's predictions, the model version that
wrote them, and its inputs recomputed the way scoring computed them.

The predictions table holds the key columns and the outputs, not the features. The
features are looked up again from the keys with the model's own feature lookups
(:func:`lakestep.inference.frame.with_features`) and conformed to its signature
(:func:`lakestep.inference.frame.conformed`) — the same two calls scoring makes, so a
feature is profiled exactly as the model read it. Point-in-time lookups return the feature
rows as of each key's timestamp, so a re-run reads the same values unless the feature
table was rewritten in between.

An input the keys do not carry and no lookup produces (a source column the model reads as
it is, when scoring did not write it with ``key_columns=``) cannot be recomputed: it is
reported as *unmonitored*, never filled with nulls (which would look like drift).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from lakestep.errors import MonitoringError, cap_list
from lakestep.inference.frame import (
    KEY_PREFIX,
    OUTPUT_COLUMNS,
    conformed,
    lookups_of,
    output_fields,
    with_features,
)
from lakestep.models.baseline import NumericSummary, Summary, TrainingBaseline
from lakestep.monitoring.assess import OUTPUT_PREFIX, FeatureDrift, drift_of
from lakestep.monitoring.profile import bin_counts, sample_values

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from lakestep.inference.model import LoadedModel
    from lakestep.platform.base import Platform

# Scoring dates listed in a "no predictions for that date" error.
DATES_LISTED = 10


@dataclass(frozen=True)
class ScoredRows:
    """The predictions of one scoring date (lazy) and what every row shares."""

    table: str
    frame: DataFrame
    scoring_date: date
    model_version: str
    rows: int

    @property
    def keys(self) -> tuple[str, ...]:
        """The key columns scoring wrote next to each prediction."""
        return tuple(c for c in self.frame.columns if c not in OUTPUT_COLUMNS)


def read_scored(platform: Platform, model: str, scoring_date: date | None) -> ScoredRows:
    """The rows of ``scoring_date`` (default: the latest) of the model's predictions table."""
    from pyspark.sql import functions as F

    table = platform.settings.predictions_table(model)
    score_first = f"run `lakestep score --model {model}` first"
    if not platform.tables.exists(table):
        raise MonitoringError(f"no predictions of {model} to monitor: {table} does not exist",
                              score_first)
    predictions = platform.tables.read(table)
    if scoring_date is None:
        scoring_date = predictions.agg(F.max("scoring_date")).collect()[0][0]
        if scoring_date is None:
            raise MonitoringError(f"no predictions of {model} to monitor: {table} is empty",
                                  score_first)
    frame = predictions.where(F.col("scoring_date") == F.lit(scoring_date))
    versions = {str(r["model_version"]): int(r["count"])
                for r in frame.groupBy("model_version").count().collect()}
    if not versions:
        raise MonitoringError(
            f"{table} has no predictions for scoring date {scoring_date}",
            f"score that date first, or monitor one of its latest scoring dates: "
            f"{cap_list(_dates(predictions), DATES_LISTED)}")
    if len(versions) > 1:
        raise MonitoringError(
            f"{table} holds predictions of several versions for {scoring_date}: "
            f"{cap_list(sorted(versions))}",
            "re-score the date: a scoring run replaces that date's rows with one version")
    version, rows = next(iter(versions.items()))
    return ScoredRows(table, frame, scoring_date, version, rows)


def _dates(predictions: DataFrame) -> list[str]:
    from pyspark.sql import functions as F

    latest = (predictions.select("scoring_date").distinct()
              .orderBy(F.col("scoring_date").desc()).limit(DATES_LISTED).collect())
    return [str(row[0]) for row in latest]


def baseline_of(loaded: LoadedModel) -> TrainingBaseline:
    baseline = loaded.packaged.baseline
    if baseline is None:
        raise MonitoringError(
            f"{loaded.label} carries no training baseline to compare with",
            "log the model with a baseline (lakestep train does; with log_model pass "
            "baseline=PackagedModel(...).compute_baseline(training_frame))")
    return baseline


@dataclass(frozen=True)
class ScoredInputs:
    """The conformed model inputs with the outputs carried alongside (lazy)."""

    frame: DataFrame
    features: tuple[str, ...]  # input columns present in ``frame``
    outputs: tuple[str, ...]  # output columns, in ``frame`` as KEY_PREFIX + name
    unmonitored: tuple[str, ...]  # inputs that could not be recomputed


def scored_inputs(platform: Platform, scored: ScoredRows, loaded: LoadedModel) -> ScoredInputs:
    """The scored rows' inputs, looked up and conformed as scoring did; outputs carried."""
    outputs = tuple(name for name, _ in output_fields(loaded))
    keys_and_outputs = scored.frame.select(*[f"`{c}`" for c in (*scored.keys, *outputs)])
    frame = with_features(platform, keys_and_outputs, lookups_of(loaded))
    schema = loaded.packaged.input_schema
    missing = tuple(str(n) for n in schema.input_names() if n not in frame.columns)
    chosen = loaded if not missing else _without_inputs(loaded, missing)
    conformed_frame = conformed(frame, chosen, outputs)
    return ScoredInputs(conformed_frame.frame, conformed_frame.features, outputs, missing)


def _without_inputs(loaded: LoadedModel, missing: tuple[str, ...]) -> LoadedModel:
    """The loaded model with a signature of only the inputs that can be recomputed."""
    from mlflow.types.schema import Schema

    packaged = copy.copy(loaded.packaged)
    packaged.input_schema = Schema([c for c in loaded.packaged.input_schema.inputs
                                    if c.name not in missing])
    return replace(loaded, packaged=packaged)


def measure_drift(scored: ScoredRows, inputs: ScoredInputs, baseline: TrainingBaseline
                  ) -> tuple[list[FeatureDrift], tuple[str, ...]]:
    """Drift of every profiled input and output; and what could not be monitored.

    One Spark aggregation counts every column's baseline bins; one bounded sample feeds
    KS. Outputs come first, then inputs in signature order.
    """
    summaries: dict[str, tuple[str, Summary, bool]] = {}
    for output in inputs.outputs:
        if output in baseline.outputs:
            summaries[KEY_PREFIX + output] = (output, baseline.outputs[output], True)
    for feature in inputs.features:
        if feature in baseline.features:
            summaries[feature] = (feature, baseline.features[feature], False)
    unmonitored = (*[f"{OUTPUT_PREFIX}{o}" for o in inputs.outputs if o not in baseline.outputs],
                   *[f for f in inputs.unmonitored if f in baseline.features])
    profiles = bin_counts(inputs.frame, {c: s for c, (_, s, _) in summaries.items()},
                          table=scored.table)
    numeric = [c for c, (_, s, _) in summaries.items()
               if isinstance(s, NumericSummary) and s.sample]
    sample = sample_values(inputs.frame, numeric, scored.rows)
    drifts = [
        drift_of(name, summary, profiles[column],
                 sample[column].to_numpy(dtype=np.float64) if column in sample else None,
                 output=output)
        for column, (name, summary, output) in summaries.items()
    ]
    return drifts, unmonitored
