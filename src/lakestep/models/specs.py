"""Model specs: the declarative inventory of models.

A model is added by adding one YAML file (``src/lakestep/models/specs/*.yml`` for the demo,
``<project>/models/*.yml`` for a user project). Specs are parsed strictly (unknown keys are
errors) and checked twice, both before anything runs:

* on their own when loaded — kind vs algorithm, metrics valid for the kind, thresholds that
  name computed metrics, a time split where time matters;
* against the lakehouse they will train on (:func:`check_against`) — the label table and
  column exist in a contract or a declared label table, lookup tables and feature names
  exist, lookup keys are columns of the label table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lakestep.errors import ModelSpecError

Kind = Literal["regression", "classification", "anomaly"]
Algorithm = Literal["xgboost", "random_forest", "isolation_forest"]

METRICS_BY_KIND: Mapping[str, tuple[str, ...]] = {
    "regression": ("rmse", "mae", "r2", "mape"),
    "classification": ("auc", "f1", "precision", "recall", "log_loss", "accuracy"),
    "anomaly": ("anomaly_rate",),
}
ALGORITHMS_BY_KIND: Mapping[str, tuple[str, ...]] = {
    "regression": ("xgboost", "random_forest"),
    "classification": ("xgboost", "random_forest"),
    "anomaly": ("isolation_forest",),
}

SPECS_DIR = Path(__file__).resolve().parent / "specs"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LabelSpec(_Strict):
    """Where the training rows and the label come from."""

    table: str = Field(description="table name within `schema`")
    schema_: Literal["gold", "features", "ml"] = Field("gold", alias="schema")
    column: str | None = Field(None, description="label column; none for anomaly models")
    keys: list[str] = Field(min_length=1, description="columns identifying one training row")
    timestamp: str | None = Field(None, description="as-of column for point-in-time lookups")
    filter: str | None = Field(None, description="Spark SQL predicate on the label table")
    features: list[str] = Field(default_factory=list,
                                description="label-table columns used as features as they are")
    history_days: int | None = Field(
        None, ge=1, description="train on the latest N days of `timestamp` only")
    maturity_days: int = Field(
        0, ge=0, description="leave out the latest N days: their label is not final yet")

    @model_validator(mode="after")
    def _windows_need_timestamp(self) -> LabelSpec:
        if (self.history_days or self.maturity_days) and not self.timestamp:
            raise ValueError("history_days and maturity_days need `timestamp`")
        return self


class LookupSpec(_Strict):
    """A feature lookup (lakestep.features.FeatureLookup) declared in YAML."""

    table: str
    lookup_key: str | list[str]
    timestamp_lookup_key: str | None = None
    feature_names: list[str] | None = None
    rename_outputs: dict[str, str] | None = None
    lookback_days: int | None = Field(None, ge=0)
    default_values: dict[str, Any] | None = None

    @property
    def keys(self) -> list[str]:
        return [self.lookup_key] if isinstance(self.lookup_key, str) else list(self.lookup_key)

    @property
    def lookback_window(self) -> timedelta | None:
        return None if self.lookback_days is None else timedelta(days=self.lookback_days)


class SplitSpec(_Strict):
    strategy: Literal["time", "random"] = "time"
    column: str | None = None
    holdout_fraction: float = Field(0.2, gt=0, lt=0.9)
    backtest_folds: int = Field(0, ge=0, le=10)
    seed: int = 42

    @model_validator(mode="after")
    def _time_needs_column(self) -> SplitSpec:
        if self.strategy == "time" and not self.column:
            raise ValueError("a time split needs `column`")
        if self.backtest_folds and self.strategy != "time":
            raise ValueError("backtest_folds need a time split (strategy: time)")
        return self


class GateSpec(_Strict):
    thresholds: dict[str, dict[Literal["min", "max"], float]] = Field(default_factory=dict)
    tolerance: float = Field(0.02, ge=0, le=0.5)
    min_rows: int = Field(200, ge=1)
    min_class_fraction: float = Field(0.02, ge=0, le=0.5)


class ScoringSpec(_Strict):
    """Which keys batch scoring predicts for: the label table's rows of the latest days."""

    days: int = Field(1, ge=1, description="score the rows of the latest N days of "
                      "the label timestamp")


class MonitoringSpec(_Strict):
    """When drift or data quality asks for a retrain (see docs/monitoring.md)."""

    # 0.25 is the usual "significant shift" line for PSI (0.1-0.25: moderate).
    psi_threshold: float = Field(0.25, gt=0)
    ks_pvalue: float = Field(0.001, gt=0, lt=1)
    ks_statistic: float = Field(0.2, gt=0, le=1, description="minimum KS D (effect size): "
                                "large samples make tiny shifts significant")
    ignore_features: list[str] = Field(
        default_factory=list, description="inputs that move by design (calendar parts of the "
        "scoring day): profiled and reported, never a retrain reason")
    max_null_fraction: float = Field(0.1, ge=0, le=1)
    drifted_features_for_retrain: int = Field(1, ge=1)


class ModelSpec(_Strict):
    name: str = Field(pattern=r"^[a-z_][a-z0-9_]*$")
    kind: Kind
    description: str
    algorithm: Algorithm
    params: dict[str, Any] = Field(default_factory=dict)
    label: LabelSpec
    feature_lookups: list[LookupSpec] = Field(default_factory=list)
    exclude_columns: list[str] = Field(default_factory=list)
    split: SplitSpec
    metrics: list[str]
    key_metric: str
    gate: GateSpec = Field(default_factory=GateSpec)
    monitoring: MonitoringSpec = Field(default_factory=MonitoringSpec)
    scoring: ScoringSpec = Field(default_factory=ScoringSpec)
    tags: dict[str, str] = Field(default_factory=dict)

    def label_table_columns(self) -> list[str]:
        """Columns read from the label table: keys, timestamp, split column, lookup keys,
        label features and the label, in that order and without repeats."""
        wanted = [*self.label.keys, self.label.timestamp, self.split.column]
        for lookup in self.feature_lookups:
            wanted.extend([*lookup.keys, lookup.timestamp_lookup_key])
        wanted.extend([*self.label.features, self.label.column])
        return [c for c in dict.fromkeys(wanted) if c]

    @model_validator(mode="after")
    def _consistent(self) -> ModelSpec:
        allowed = METRICS_BY_KIND[self.kind]
        unknown = [m for m in self.metrics if m not in allowed]
        if unknown:
            raise ValueError(f"metrics {unknown} do not apply to kind {self.kind}; "
                             f"use {list(allowed)}")
        if self.key_metric not in self.metrics:
            raise ValueError(f"key_metric {self.key_metric!r} is not in metrics {self.metrics}")
        missing = [m for m in self.gate.thresholds if m not in self.metrics]
        if missing:
            raise ValueError(f"gate thresholds name metrics that are not computed: {missing}")
        if self.algorithm not in ALGORITHMS_BY_KIND[self.kind]:
            raise ValueError(f"algorithm {self.algorithm} cannot train a {self.kind} model; "
                             f"use one of {list(ALGORITHMS_BY_KIND[self.kind])}")
        if (self.kind == "anomaly") != (self.label.column is None):
            raise ValueError("anomaly models have no label column; other kinds need one")
        if self.split.strategy == "time" and self.split.column != self.label.timestamp and \
                self.split.column not in self.label.keys:
            raise ValueError(f"split column {self.split.column!r} must be the label timestamp "
                             "or one of the label keys")
        return self


def parse_spec(document: Mapping[str, Any], source: str) -> ModelSpec:
    try:
        return ModelSpec.model_validate(dict(document))
    except ValidationError as exc:
        name = str(document.get("name", source)) if isinstance(document, Mapping) else source
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'spec'}: {err['msg']}"
            for err in exc.errors()[:8]
        )
        raise ModelSpecError(name, f"{source}: {problems}",
                             "fix the YAML; see docs/models.md for every field") from exc


def load_specs(directory: Path | None = None) -> dict[str, ModelSpec]:
    """Every ``*.yml`` spec in a directory (default: the demo inventory), by name."""
    directory = directory or SPECS_DIR
    if not directory.is_dir():
        raise ModelSpecError(str(directory), "model spec directory does not exist",
                             "a project keeps its specs in <project>/models/*.yml")
    specs: dict[str, ModelSpec] = {}
    for path in sorted(directory.glob("*.yml")):
        try:
            document = yaml.safe_load(path.read_text())
        except yaml.YAMLError as exc:
            raise ModelSpecError(path.stem, f"{path} is not valid YAML: {exc}") from exc
        if not isinstance(document, Mapping):
            raise ModelSpecError(path.stem, f"{path} must be a YAML mapping")
        spec = parse_spec(document, str(path))
        if spec.name in specs:
            raise ModelSpecError(spec.name, f"declared twice (second time in {path})")
        specs[spec.name] = spec
    if not specs:
        raise ModelSpecError(str(directory), "no model specs (*.yml) found")
    return specs


def check_monitored_inputs(spec: ModelSpec, inputs: Iterable[str]) -> None:
    """Refuse ``monitoring.ignore_features`` that are not inputs of the model: a misspelt
    name would silently leave the input it meant able to trigger retrains."""
    known = list(inputs)
    unknown = [f for f in spec.monitoring.ignore_features if f not in known]
    if unknown:
        raise ModelSpecError(spec.name, f"monitoring.ignore_features names {', '.join(unknown)}, "
                             "which are not inputs of the model",
                             f"its inputs are: {', '.join(sorted(known))}")


def check_against(spec: ModelSpec, *, label_columns: Iterable[str],
                  feature_columns: Mapping[str, Iterable[str]]) -> None:
    """Fail before training when the spec does not fit the lakehouse.

    ``label_columns`` are the columns of the label table (from its contract or label
    definition); ``feature_columns`` maps each feature table to its columns.
    """
    label_columns = set(label_columns)
    missing = sorted(set(spec.label_table_columns()) - label_columns)
    if missing:
        raise ModelSpecError(spec.name, f"label table {spec.label.table} has no column(s) "
                             f"{', '.join(missing)}",
                             f"its columns are: {', '.join(sorted(label_columns))}")
    for lookup in spec.feature_lookups:
        if lookup.table not in feature_columns:
            raise ModelSpecError(spec.name, f"feature table {lookup.table} is not declared",
                                 f"declared: {', '.join(sorted(feature_columns))}")
        columns = set(feature_columns[lookup.table])
        # Lookup keys are label-table columns matched to the table's keys by position;
        # the feature store checks them (count and types) when it plans the joins.
        unknown = [f for f in lookup.feature_names or [] if f not in columns]
        if unknown:
            raise ModelSpecError(spec.name, f"feature table {lookup.table} has no column(s) "
                                 f"{', '.join(unknown)}")
