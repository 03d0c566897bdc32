"""One generic trainer for every model spec.

``train_model(platform, "demand_predictor")``: training frame via the feature store →
time-aware split → fit the preprocessor on the training rows → fit the estimator →
holdout metrics (and backtest folds) → one MLflow run in ``/Shared/{project}_ml_{model}``
with tags, params, metrics, feature importance, the training dataset and the packaged
model → registered as ``{catalog}.{ml_schema}.{model}`` with alias ``@challenger``.

The run also carries what the gate needs to judge the version later, on any machine:
``gate/holdout.parquet`` (the holdout rows, model inputs + keys + label) and
``gate/data_checks.json`` (data sanity measured on the training rows). A re-run trains a
new version; earlier versions and their aliases are not touched.
"""

from __future__ import annotations

import logging
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lakestep import gate_rules
from lakestep.console import StepTimer
from lakestep.errors import LakestepError, TrainingError
from lakestep.models import packaging
from lakestep.models.metrics import classification_metrics, regression_metrics
from lakestep.models.specs import check_monitored_inputs
from lakestep.models.split import Split, backtest_folds, random_split, time_split
from lakestep.models.training_data import TrainingData, load_training_data
from lakestep.preprocessing import FittedPreprocessor, fit, infer_spec

if TYPE_CHECKING:
    from lakestep.models.specs import ModelSpec
    from lakestep.platform.base import Platform

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]
CHALLENGER = "challenger"
HOLDOUT_ARTIFACT = "gate/holdout.parquet"
DATA_CHECKS_ARTIFACT = "gate/data_checks.json"
TAG = "lakestep."


@dataclass(frozen=True)
class TrainResult:
    """A trained, registered version and the numbers it was trained with."""

    model: str
    name: str
    version: str
    run_id: str
    model_uri: str
    metrics: Mapping[str, float]
    key_metric: str
    rows_train: int
    rows_holdout: int
    dataset_versions: Mapping[str, int]
    seconds: float
    steps: Mapping[str, float] = field(default_factory=dict)

    @property
    def key_value(self) -> float:
        return float(self.metrics[self.key_metric])


@dataclass(frozen=True)
class Fitted:
    preprocessor: FittedPreprocessor
    estimator: Any
    metrics: dict[str, float]


def train_models(platform: Platform, models: Iterable[str] | None = None,
                 progress: Progress | None = None) -> list[TrainResult]:
    """Train the named models (every spec of the project when None), one after another."""
    names = list(platform.project.specs) if models is None else list(models)
    specs = [platform.project.spec(name) for name in names]  # unknown names fail first
    return [train_model(platform, spec, progress=progress) for spec in specs]


def train_model(platform: Platform, model: str | ModelSpec, *,
                progress: Progress | None = None, git_sha: str | None = None) -> TrainResult:
    """Train, log and register one model; returns the new ``@challenger`` version."""
    spec = platform.project.spec(model) if isinstance(model, str) else model
    steps = StepTimer(progress, logger_name=__name__, prefix=f"{spec.name}: ")
    started = time.perf_counter()
    with steps("training set"):
        data = load_training_data(platform, spec)
        check_monitored_inputs(spec, data.features)
    with steps("split"):
        split = split_rows(data.frame, spec)
    with steps("fit"):
        fitted = fit_and_evaluate(spec, data, split)
        backtest = backtest_metrics(spec, data) if spec.split.backtest_folds else {}
    with steps("log and register"):
        result = log_and_register(platform, spec, data, split, fitted,
                                  {**fitted.metrics, **backtest}, git_sha=git_sha)
    seconds = time.perf_counter() - started
    log.info("trained %s version %s (%s = %.4g) in %.1fs", result.name, result.version,
             spec.key_metric, fitted.metrics[spec.key_metric], seconds)
    return replace(result, seconds=seconds, steps=dict(steps.seconds))


# -- split, fit, evaluate --------------------------------------------------------------------
def split_rows(frame: pd.DataFrame, spec: ModelSpec) -> Split:
    if spec.split.strategy == "time":
        assert spec.split.column is not None
        split = time_split(frame, spec.split.column, spec.split.holdout_fraction, model=spec.name)
    else:
        split = random_split(frame, spec.split.holdout_fraction, spec.split.seed)
    if split.train.empty or split.holdout.empty:
        raise TrainingError(spec.name, f"the split leaves no rows on one side ({split.description})",
                            "add data or lower split.holdout_fraction")
    return split


def labels_of(frame: pd.DataFrame, spec: ModelSpec) -> np.ndarray | None:
    """The label as the estimator needs it: 0/1 ints for classification, floats (Decimal
    included) for regression, none for anomaly models."""
    column = spec.label.column
    if column is None:
        return None
    values = frame[column]
    if spec.kind == "classification":
        numeric = pd.to_numeric(values.astype("object").map(_as_number), errors="coerce")
        if numeric.isna().any() or not set(numeric.unique()) <= {0, 1}:
            raise TrainingError(spec.name, f"label {column} must be boolean or 0/1, got "
                                f"{sorted(map(str, values.dropna().unique()))[:5]}",
                                "encode the positive class as true or 1")
        return numeric.astype("int64").to_numpy()
    return pd.to_numeric(values.astype("object").map(_as_number), errors="coerce").astype(
        "float64").to_numpy()


def _as_number(value: Any) -> Any:
    if isinstance(value, bool | np.bool_):
        return int(value)
    return float(value) if value is not None and not isinstance(value, str) else value


def make_estimator(spec: ModelSpec) -> Any:
    params = dict(spec.params)
    if spec.algorithm == "xgboost":
        import xgboost

        params.setdefault("n_jobs", 2)
        cls = xgboost.XGBClassifier if spec.kind == "classification" else xgboost.XGBRegressor
        return cls(**params)
    if spec.algorithm == "random_forest":
        from sklearn import ensemble

        params.setdefault("n_jobs", 2)
        cls = (ensemble.RandomForestClassifier if spec.kind == "classification"
               else ensemble.RandomForestRegressor)
        return cls(**params)
    from sklearn.ensemble import IsolationForest

    return IsolationForest(**params)


def fit_and_evaluate(spec: ModelSpec, data: TrainingData, split: Split) -> Fitted:
    """Fit preprocessor and estimator on the training rows; metrics on the holdout."""
    features = list(data.features)
    y_train = labels_of(split.train, spec)
    if spec.kind == "classification" and y_train is not None and len(np.unique(y_train)) < 2:
        only = int(np.unique(y_train)[0]) if len(y_train) else None
        raise TrainingError(spec.name, f"the training rows of {data.label_table} hold a single "
                            f"class ({spec.label.column} = {only} on all {len(y_train)} rows)",
                            f"a classifier needs both classes: check the rows chosen "
                            f"({data.description})")
    try:
        preprocessor = fit(split.train[features], infer_spec(split.train[features]))
    except LakestepError as exc:
        raise TrainingError(spec.name, exc.message, exc.hint) from exc
    estimator = make_estimator(spec)
    estimator.fit(preprocessor.transform(split.train[features]), y_train)
    metrics = evaluate(spec, preprocessor, estimator, split.holdout[features],
                       labels_of(split.holdout, spec))
    return Fitted(preprocessor, estimator, metrics)


def evaluate(spec: ModelSpec, preprocessor: FittedPreprocessor, estimator: Any,
             frame: pd.DataFrame, y_true: np.ndarray | None) -> dict[str, float]:
    """The spec's metrics of a fitted pair on ``frame``."""
    from lakestep.models.estimators import predict_outputs

    outputs = predict_outputs(estimator, preprocessor.transform(frame), spec.kind)
    return metrics_of(spec, outputs, y_true)


def metrics_of(spec: ModelSpec, outputs: pd.DataFrame, y_true: np.ndarray | None
               ) -> dict[str, float]:
    """Metrics from model outputs (``prediction``/``probability``) and the true labels."""
    if spec.kind == "anomaly":
        computed: dict[str, Any] = {
            "anomaly_rate": float((outputs["prediction"].to_numpy() == -1).mean())}
    elif spec.kind == "classification":
        try:
            computed = classification_metrics(y_true, outputs["probability"].to_numpy())
        except LakestepError as exc:
            raise TrainingError(spec.name, f"holdout: {exc.message}", exc.hint) from exc
    else:
        computed = regression_metrics(y_true, outputs["prediction"].to_numpy())
    return {m: float(computed[m]) for m in spec.metrics if computed.get(m) is not None}


def backtest_metrics(spec: ModelSpec, data: TrainingData) -> dict[str, float]:
    """Expanding-window folds before the holdout: the key metric of each and their mean."""
    assert spec.split.column is not None
    features = list(data.features)
    values = []
    folds = backtest_folds(data.frame, spec.split.column, spec.split.backtest_folds,
                           spec.split.holdout_fraction)
    for train, test in folds:
        preprocessor = fit(train[features], infer_spec(train[features]))
        estimator = make_estimator(spec)
        estimator.fit(preprocessor.transform(train[features]), labels_of(train, spec))
        values.append(evaluate(spec, preprocessor, estimator, test[features],
                               labels_of(test, spec))[spec.key_metric])
    metrics = {f"backtest_{spec.key_metric}_fold{i}": v for i, v in enumerate(values, 1)}
    if values:
        metrics[f"backtest_{spec.key_metric}_mean"] = float(np.mean(values))
    return metrics


def data_sanity(spec: ModelSpec, data: TrainingData, split: Split) -> list[gate_rules.Check]:
    """Data checks on the training rows, measured here and judged by the gate."""
    y = labels_of(split.train, spec)
    return gate_rules.data_checks(
        split.train[list(data.features)], None if y is None else pd.Series(y), kind=spec.kind,
        min_rows=spec.gate.min_rows, min_class_fraction=spec.gate.min_class_fraction)


# -- MLflow ------------------------------------------------------------------------------------
def log_and_register(platform: Platform, spec: ModelSpec, data: TrainingData, split: Split,
                     fitted: Fitted, metrics: Mapping[str, float], *,
                     git_sha: str | None = None) -> TrainResult:
    import mlflow

    settings = platform.settings
    name = settings.model_name(spec.name)
    experiment_id = platform.experiment(spec.name)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    tags = run_tags(platform, spec, data, git_sha)
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"{spec.name}-{spec.algorithm}-"
                          f"{stamp}", tags=tags) as run:
        mlflow.log_params(run_params(spec, data, split))
        mlflow.log_metrics(dict(metrics))
        log_training_dataset(data, split)
        log_gate_inputs(spec, data, split, data_sanity(spec, data, split))
        log_feature_importance(fitted)
        info = packaging.log_model(
            fitted.estimator, fitted.preprocessor, kind=spec.kind,
            raw_input_example=split.train[list(data.features)].head(5),
            feature_lookups=data.lookups, baseline=baseline(fitted, data, split, spec),
            name="model")
        run_id = run.info.run_id
    version = platform.registry.register(info.model_uri, name, tags={
        **tags,
        f"{TAG}run_id": run_id, f"{TAG}{spec.key_metric}": f"{metrics[spec.key_metric]:.6g}"})
    platform.registry.set_alias(name, CHALLENGER, version.version)
    return TrainResult(model=spec.name, name=name, version=version.version, run_id=run_id,
                       model_uri=f"models:/{name}/{version.version}", metrics=dict(metrics),
                       key_metric=spec.key_metric, rows_train=len(split.train),
                       rows_holdout=len(split.holdout), dataset_versions=dict(data.versions),
                       seconds=0.0)


def run_tags(platform: Platform, spec: ModelSpec, data: TrainingData,
             git_sha: str | None = None) -> dict[str, str]:
    versions = ",".join(f"{table}@v{version}" for table, version in sorted(data.versions.items()))
    return {
        f"{TAG}project": platform.settings.project,
        f"{TAG}model": spec.name,
        f"{TAG}kind": spec.kind,
        f"{TAG}algorithm": spec.algorithm,
        f"{TAG}git_sha": git_sha or source_revision(),
        f"{TAG}dataset_versions": versions,
        **{k: str(v) for k, v in spec.tags.items()},
    }


def run_params(spec: ModelSpec, data: TrainingData, split: Split) -> dict[str, Any]:
    return {
        **{f"param.{k}": v for k, v in spec.params.items()},
        "algorithm": spec.algorithm,
        "label_table": data.label_table,
        "label_rows": data.description[:500],
        "split": split.description[:500],
        "rows_train": len(split.train),
        "rows_holdout": len(split.holdout),
        "features": len(data.features),
    }


def log_training_dataset(data: TrainingData, split: Split) -> None:
    """The training rows as an MLflow dataset input (schema, digest, source with version)."""
    import mlflow
    from mlflow.data.delta_dataset_source import DeltaDatasetSource

    source = DeltaDatasetSource(delta_table_name=data.label_table,
                                delta_table_version=data.versions[data.label_table])
    columns = [*data.features, *([data.label] if data.label else [])]
    # Locally there is no workspace to ask for the table id: MLflow warns and carries on.
    quiet = logging.getLogger("mlflow.utils.databricks_utils")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        from_pandas = mlflow.data.from_pandas  # type: ignore[attr-defined]
        dataset = from_pandas(split.train[columns].reset_index(drop=True), source=source,
                              name=data.label_table, targets=data.label)
        mlflow.log_input(dataset, context="training")
    finally:
        quiet.setLevel(level)
    mlflow.log_dict(data.versions, "dataset_versions.json")


def log_gate_inputs(spec: ModelSpec, data: TrainingData, split: Split,
                    checks: list[gate_rules.Check]) -> None:
    import mlflow

    with tempfile.TemporaryDirectory(prefix="lakestep-holdout-") as tmp:
        path = Path(tmp) / Path(HOLDOUT_ARTIFACT).name
        holdout_frame(spec, data, split.holdout).to_parquet(path, index=False)
        mlflow.log_artifact(str(path), str(Path(HOLDOUT_ARTIFACT).parent))
    mlflow.log_dict({"checks": [c.__dict__ for c in checks]}, DATA_CHECKS_ARTIFACT)


def holdout_frame(spec: ModelSpec, data: TrainingData, holdout: pd.DataFrame) -> pd.DataFrame:
    """Keys, lookup keys and timestamps, the model's inputs and the label: enough to score
    this holdout with another version (the champion), rebuilding its own features."""
    keep = list(dict.fromkeys([c for c in holdout.columns if c in set(
        [*spec.label.keys, *(lk for lk in _lookup_keys(spec)), *data.features,
         *([data.label] if data.label else [])])]))
    return holdout[keep].reset_index(drop=True)


def _lookup_keys(spec: ModelSpec) -> list[str]:
    keys = [spec.label.timestamp] if spec.label.timestamp else []
    for lookup in spec.feature_lookups:
        keys.extend(lookup.keys)
        if lookup.timestamp_lookup_key:
            keys.append(lookup.timestamp_lookup_key)
    return [k for k in keys if k]


def baseline(fitted: Fitted, data: TrainingData, split: Split, spec: ModelSpec) -> Any:
    """Training distributions of inputs and outputs, stored in the model for monitoring."""
    from lakestep.models.baseline import compute_baseline
    from lakestep.models.estimators import predict_outputs

    sample = split.train[list(data.features)]
    if len(sample) > 100_000:
        sample = sample.sample(100_000, random_state=spec.split.seed)
    outputs = predict_outputs(fitted.estimator, fitted.preprocessor.transform(sample), spec.kind)
    return compute_baseline(fitted.preprocessor, sample, outputs)


def log_feature_importance(fitted: Fitted) -> None:
    import mlflow

    importances = getattr(fitted.estimator, "feature_importances_", None)
    if importances is None:
        return
    names = list(fitted.preprocessor.feature_names)
    ranked = sorted(zip(names, map(float, importances), strict=True), key=lambda p: -p[1])
    mlflow.log_dict(dict(ranked), "feature_importance.json")
    from lakestep.reports import new_figure

    fig, ax = new_figure(7.0, max(2.5, 0.25 * min(len(ranked), 25)))
    top = ranked[:25][::-1]
    ax.barh([n for n, _ in top], [v for _, v in top], color="#4C72B0")
    ax.set_xlabel("importance")
    ax.set_title("feature importance (top 25)")
    mlflow.log_figure(fig, "feature_importance.png")
    import matplotlib.pyplot as plt

    plt.close(fig)


def source_revision() -> str:
    """The git commit of the lakestep source that trained the model, or ``unknown`` (an
    installed wheel: the bundle's train tasks pass ``--git-sha=${bundle.git.commit}``)."""
    here = Path(__file__).resolve().parent
    try:
        result = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                                text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    sha = result.stdout.strip()
    return sha if result.returncode == 0 and len(sha) == 40 else "unknown"

