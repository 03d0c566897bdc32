"""The training frame of a model spec: label rows + point-in-time features, and the Delta
versions it was read at.

Everything that can be checked before a join runs is checked first (label table and
columns, lookups against the feature tables), so a wrong spec fails in a second naming the
table and column, not after minutes of Spark work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from lakestep.errors import LakestepError, TrainingError
from lakestep.features.lookup import FeatureLookup
from lakestep.models.specs import LookupSpec, ModelSpec, check_against

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from lakestep.platform.base import Platform

LABEL_SCHEMAS = ("gold", "features", "ml")


@dataclass(frozen=True)
class TrainingData:
    """The assembled rows (pandas), which columns are features, and where they came from."""

    frame: pd.DataFrame
    features: tuple[str, ...]
    label: str | None
    label_table: str
    lookups: tuple[FeatureLookup, ...]
    versions: dict[str, int]  # every input table → the Delta version read
    description: str  # the label filter in words, for errors and the run


def label_table(platform: Platform, spec: ModelSpec) -> str:
    settings = platform.settings
    build = {"gold": settings.gold, "features": settings.feature_table, "ml": settings.ml_table}
    return build[spec.label.schema_](spec.label.table)


def lookups_of(platform: Platform, spec: ModelSpec) -> tuple[FeatureLookup, ...]:
    return tuple(_lookup(platform, lookup) for lookup in spec.feature_lookups)


def _lookup(platform: Platform, lookup: LookupSpec) -> FeatureLookup:
    return FeatureLookup(
        table_name=platform.settings.feature_table(lookup.table),
        lookup_key=lookup.lookup_key,
        feature_names=lookup.feature_names,
        rename_outputs=lookup.rename_outputs,
        timestamp_lookup_key=lookup.timestamp_lookup_key,
        lookback_window=lookup.lookback_window,
        default_values=lookup.default_values,
    )


def check_spec(platform: Platform, spec: ModelSpec) -> str:
    """The spec fits the lakehouse (tables and columns exist); returns the label table."""
    table = label_table(platform, spec)
    if not platform.tables.exists(table):
        hint = ("build it with `lakestep features` (label tables are built with the feature "
                "tables)" if spec.label.schema_ == "ml" else "load the gold layer first "
                "(`lakestep demo-data`)")
        raise TrainingError(spec.name, f"label table {table} does not exist", hint)
    label_columns = [f.name for f in platform.tables.read(table).schema.fields]
    feature_columns = {}
    for lookup in spec.feature_lookups:
        name = platform.settings.feature_table(lookup.table)
        try:
            feature_columns[lookup.table] = list(platform.features.get_table(name=name).columns)
        except LakestepError as exc:
            raise TrainingError(spec.name, f"feature table {name}: {exc.message}",
                                "build feature tables first (`lakestep features`)") from exc
    check_against(spec, label_columns=label_columns, feature_columns=feature_columns)
    return table


def label_rows(platform: Platform, spec: ModelSpec, table: str, version: int | None = None
               ) -> tuple[DataFrame, str]:
    """The label table's training rows (lazy) and a description of how they were chosen."""
    from pyspark.sql import functions as F

    label = spec.label
    base = platform.tables.read(table, version=version)
    rows = base
    chosen = [f"from {table}"]
    if label.filter:
        try:
            rows = rows.filter(F.expr(label.filter))
            rows.schema  # noqa: B018 — analyses the plan now: a bad filter fails here
        except Exception as exc:  # the engine's error, re-raised with the spec's name
            raise TrainingError(spec.name, f"label filter {label.filter!r} on {table} is not "
                                f"a valid Spark SQL predicate: {str(exc).splitlines()[0][:200]}",
                                "fix label.filter in the model spec") from exc
        chosen.append(f"where {label.filter}")
    if label.column:
        rows = rows.filter(F.col(label.column).isNotNull())
        chosen.append(f"with a known {label.column}")
    if label.timestamp and (label.history_days or label.maturity_days):
        latest = scalar(base.agg(F.max(label.timestamp)))
        labelled = scalar((base.filter(F.col(label.column).isNotNull()) if label.column
                           else base).agg(F.max(label.timestamp)))
        if latest is not None and labelled is not None:
            # History counts back from the newest row that can train: the latest day with
            # a label, and never within maturity_days of the table's latest day.
            newest = min(latest - timedelta(days=label.maturity_days), labelled)
            rows = rows.filter(F.col(label.timestamp) <= F.lit(newest))
            chosen.append(f"{label.timestamp} <= {newest}")
            if label.history_days:
                oldest = newest - timedelta(days=label.history_days - 1)
                rows = rows.filter(F.col(label.timestamp) >= F.lit(oldest))
                chosen.append(f"{label.timestamp} >= {oldest}")
    return rows, ", ".join(chosen)


def load_training_data(platform: Platform, spec: ModelSpec) -> TrainingData:
    """Label rows joined with their point-in-time features, as pandas (training needs them
    in memory), with the Delta version of every table read."""
    table = check_spec(platform, spec)
    versions = {table: platform.tables.version(table)}
    # Read the label table at the version recorded: a concurrent write cannot slip in.
    rows, description = label_rows(platform, spec, table, versions[table])
    lookups = lookups_of(platform, spec)
    for lookup in lookups:
        versions[lookup.table_name] = platform.tables.version(lookup.table_name)
    training_set = platform.features.create_training_set(
        df=rows.select(*spec.label_table_columns()), feature_lookups=list(lookups),
        label=spec.label.column)
    # Sorted by the row keys: the engine's row order is not stable between runs, and the
    # same data in the same order is what makes a retrain reproduce its model exactly.
    frame = training_set.load_df().toPandas()
    frame = frame.sort_values(list(spec.label.keys), kind="stable", ignore_index=True)
    if frame.empty:
        raise TrainingError(spec.name, f"the training frame is empty: no rows {description}",
                            "check the label filter, history_days/maturity_days and that the "
                            "label table has data")
    excluded = set(spec.exclude_columns)
    features = [c for c in (*spec.label.features, *training_set.feature_columns)
                if c not in excluded]
    return TrainingData(frame=frame, features=tuple(dict.fromkeys(features)),
                        label=spec.label.column, label_table=table, lookups=lookups,
                        versions=versions, description=description)


def scalar(frame: DataFrame) -> Any:
    """The single value of a one-row, one-column aggregate (None for no rows)."""
    row = frame.first()
    return None if row is None else row[0]
