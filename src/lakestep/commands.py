"""What the CLI and the job entry points do, written once for both.

Each function takes a Platform and a :class:`~lakestep.console.Steps` for progress, and
returns data; rendering is the caller's business.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from lakestep.console import Steps
from lakestep.errors import GateFailed, LakestepError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from lakestep.gate import GateResult
    from lakestep.models.specs import ModelSpec
    from lakestep.models.train import TrainResult
    from lakestep.platform.base import Platform


@dataclass
class PipelineResult:
    gold: list[Any] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    trained: list[TrainResult] = field(default_factory=list)
    gates: list[GateResult] = field(default_factory=list)
    scores: list[Any] = field(default_factory=list)
    monitors: list[Any] = field(default_factory=list)
    steps: Steps = field(default_factory=Steps)

    @property
    def retrain_needed(self) -> list[str]:
        return [m.model for m in self.monitors if m.retrain]


def build_demo_data(
    platform: Platform, *, scale: int, seed: int, drift: bool = False, steps: Steps | None = None
) -> list[Any]:
    """Generate the demo gold layer — or load a project's own gold data — every table
    validated against its contract before it is written."""
    steps = steps or Steps()
    if not platform.project.is_demo:
        from lakestep.project_data import load_gold

        with steps.step(f"gold layer of project {platform.project.name}"):
            return list(load_gold(platform, platform.project, progress=steps.callback))
    from lakestep.demo import build_gold

    with steps.step(f"demo gold layer (scale={scale:,}, seed={seed}{', drift' if drift else ''})"):
        return build_gold(platform, scale=scale, seed=seed, drift=drift, progress=steps.callback)


def build_features(platform: Platform, *, tables: list[str] | None = None,
                   steps: Steps | None = None) -> list[str]:
    """Feature tables (merged by key) and label tables (rebuilt) from the gold layer."""
    from lakestep.features import build_feature_tables
    from lakestep.models.labels import build_label_tables

    steps = steps or Steps()
    project = platform.project
    features = [t for t in (tables or project.feature_definitions) if t in
                project.feature_definitions]
    labels = [t for t in (tables or project.label_definitions) if t in project.label_definitions]
    unknown = [t for t in tables or () if t not in features and t not in labels]
    if unknown:
        from lakestep.errors import FeatureDefinitionError

        raise FeatureDefinitionError(", ".join(unknown), "no such feature or label table",
                                     f"feature tables: {', '.join(project.feature_definitions)}; "
                                     f"label tables: {', '.join(project.label_definitions)}")
    built: list[str] = []
    with steps.step(f"feature tables ({len(features)})"):
        built += build_feature_tables(platform, features, steps.callback,
                                      definitions=project.feature_definitions)
    if labels:
        with steps.step(f"label tables ({len(labels)})"):
            built += build_label_tables(platform, labels, steps.callback)
    return built


def train(platform: Platform, models: list[str] | None, *, steps: Steps | None = None,
          git_sha: str | None = None) -> list[TrainResult]:
    from lakestep.models.train import train_model

    steps = steps or Steps()
    names = models or list(platform.project.specs)
    specs = [platform.project.spec(name) for name in names]  # unknown names fail first
    results = []
    for spec in specs:
        with steps.step(f"train {spec.name}"):
            results.append(train_model(platform, spec, progress=steps.callback,
                                       git_sha=git_sha))
    return results


def gate_models(platform: Platform, models: list[str] | None, *, version: str | None = None,
                steps: Steps | None = None, raise_on_fail: bool = True) -> list[GateResult]:
    """Gate each model; with ``raise_on_fail`` the first failure still lets the others be
    judged, then one GateFailed names every model that failed."""
    from lakestep.gate import gate

    steps = steps or Steps()
    names = models or list(platform.project.specs)
    results, failures = [], []
    for name in names:
        with steps.step(f"gate {name}"):
            result = gate(platform, name, version=version, raise_on_fail=False,
                          progress=steps.callback)
        results.append(result)
        if not result.passed:
            failures.append(result)
    if failures and raise_on_fail:
        if len(failures) == 1:
            raise GateFailed(failures[0].name, failures[0].version, failures[0].reasons)
        raise GateFailed(", ".join(f.name for f in failures),
                         ", ".join(f.version for f in failures),
                         [f"{f.model}: {'; '.join(f.reasons)}" for f in failures])
    return results


def scoring_keys(platform: Platform, spec: ModelSpec) -> tuple[DataFrame, date]:
    """The rows batch scoring predicts for: the label table's rows of the latest
    ``spec.scoring.days`` days (without the label), and the scoring date (the latest day)."""
    from pyspark.sql import functions as F

    from lakestep.models.training_data import label_table

    table = label_table(platform, spec)
    rows = platform.tables.read(table)
    column = spec.label.timestamp or spec.split.column
    if column is None:
        raise LakestepError(f"model {spec.name} has no label timestamp to choose scoring rows by",
                            "set label.timestamp in its spec, or call lakestep.inference.score "
                            "with your own keys")
    from lakestep.models.training_data import scalar

    latest = scalar(rows.agg(F.max(F.col(column).cast("date"))))
    if latest is None:
        raise LakestepError(f"{table} is empty: nothing to score for {spec.name}")
    first = latest - timedelta(days=spec.scoring.days - 1)
    keys = [c for c in spec.label_table_columns() if c != spec.label.column]
    chosen = rows.filter(F.col(column).cast("date") >= F.lit(first)).select(*keys)
    return chosen, latest


def score_models(platform: Platform, models: list[str] | None, *, alias: str | None = "champion",
                 version: str | None = None, scoring_date: date | None = None,
                 steps: Steps | None = None) -> list[Any]:
    from lakestep.inference import score

    steps = steps or Steps()
    results = []
    for name in models or list(platform.project.specs):
        spec = platform.project.spec(name)
        with steps.step(f"score {name}"):
            keys, latest = scoring_keys(platform, spec)
            # Every column of the scoring rows goes into the predictions table, so monitoring
            # also sees the inputs the model reads directly (not only looked-up features).
            results.append(score(platform, name, alias=alias, version=version, keys=keys,
                                 key_columns=keys.columns, scoring_date=scoring_date or latest,
                                 progress=steps.callback))
    return results


def monitor_models(platform: Platform, models: list[str] | None, *,
                   scoring_date: date | None = None, steps: Steps | None = None) -> list[Any]:
    from lakestep.monitoring import monitor

    steps = steps or Steps()
    results = []
    for name in models or list(platform.project.specs):
        platform.project.spec(name)
        with steps.step(f"monitor {name}"):
            results.append(monitor(platform, name, scoring_date=scoring_date,
                                   progress=steps.callback))
    return results


def run_pipeline(platform: Platform, *, scale: int, seed: int, drift: bool = False
                 ) -> PipelineResult:
    """gold data → features and labels → train → gate → score → monitor, every model."""
    result = PipelineResult()
    steps = result.steps
    result.gold = build_demo_data(platform, scale=scale, seed=seed, drift=drift, steps=steps)
    result.features = build_features(platform, steps=steps)
    result.trained = train(platform, None, steps=steps)
    result.gates = gate_models(platform, None, steps=steps)
    result.scores = score_models(platform, None, steps=steps)
    result.monitors = monitor_models(platform, None, steps=steps)
    return result
