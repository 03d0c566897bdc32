"""The quality gate: may this model version become ``@champion``?

``gate(platform, "demand_predictor")`` judges ``@challenger`` (or ``version=``) with the
rules of :mod:`lakestep.gate_rules`:

* the spec's metric thresholds, measured on the version's own holdout;
* no worse than the current ``@champion`` on the **same** holdout rows — the champion is
  loaded and scored on them (its own feature lookups are re-run where it reads features
  the challenger does not) — by more than the spec's tolerance;
* data sanity measured on the training rows when the version was trained;
* a signature with inputs and outputs.

Every number and reason is written to the version (tags ``lakestep.gate.*``, a JSON
artifact and an HTML report with plots in its run, and a copy of the report under
``<home>/reports/gate/``). Pass → ``@champion`` moves to the version. Fail →
``@champion`` stays and :class:`~lakestep.errors.GateFailed` (exit code 3) is raised.
``promote(..., force=True)`` is the only way around a failed gate, and it is recorded.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from lakestep import gate_rules
from lakestep.errors import GateFailed, LakestepError, RegistryError
from lakestep.models.train import (
    DATA_CHECKS_ARTIFACT,
    HOLDOUT_ARTIFACT,
    labels_of,
    metrics_of,
)

if TYPE_CHECKING:
    from lakestep.models.packaging import PackagedModel
    from lakestep.models.specs import ModelSpec
    from lakestep.platform.base import Platform
    from lakestep.registry import ModelVersion

log = logging.getLogger(__name__)

CHAMPION = "champion"
CHALLENGER = "challenger"
GATE_TAG = "lakestep.gate"
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class GateResult:
    """The decision on one version, with the numbers it was made from."""

    model: str
    name: str
    version: str
    passed: bool
    promoted: bool
    decision: gate_rules.GateDecision
    metrics: Mapping[str, float]
    champion_version: str | None
    champion_metrics: Mapping[str, float] | None
    key_metric: str
    thresholds: Mapping[str, Mapping[str, float]]
    report: Path
    seconds: float
    forced: bool = False
    reasons: list[str] = field(default_factory=list)

    @property
    def threshold_text(self) -> str:
        """Every threshold with the measured value: ``r2 0.84 >= 0.3``."""
        parts: list[str] = []
        for metric, bounds in self.thresholds.items():
            value = self.metrics.get(metric)
            shown = "n/a" if value is None else f"{value:.3g}"
            parts.extend(f"{metric} {shown} {'>=' if b == 'min' else '<='} {v:g}"
                         for b, v in bounds.items())
        return ", ".join(parts) or "-"


def gate(platform: Platform, model: str | ModelSpec, *, version: str | int | None = None,
         raise_on_fail: bool = True, progress: Progress | None = None) -> GateResult:
    """Judge a version (``@challenger`` by default); promote it on pass."""
    started = time.perf_counter()
    spec = platform.project.spec(model) if isinstance(model, str) else model
    model = spec.name
    name = platform.settings.model_name(model)
    candidate = platform.registry.get(name, version if version is not None else CHALLENGER)
    champion = platform.registry.find(name, CHAMPION)
    with _mlflow(platform):
        holdout = _download_frame(candidate, HOLDOUT_ARTIFACT, name)
        data_checks = _data_checks(candidate, name)
        challenger_model = _load(candidate)
        metrics = _score(spec, challenger_model, holdout)
        champion_metrics = None
        if champion is not None and champion.version != candidate.version:
            champion_metrics = _score(spec, _load(champion),
                                      _inputs_for(platform, spec, _load(champion), holdout))
    checks = [
        *gate_rules.threshold_checks(metrics, _thresholds(spec)),
        _champion_check(spec, metrics, champion, champion_metrics, candidate),
        *data_checks,
        _signature_check(candidate),
    ]
    decision = gate_rules.decide(name, candidate.version, checks)
    result = GateResult(
        model=model, name=name, version=candidate.version, passed=decision.passed,
        promoted=False, decision=decision, metrics=metrics,
        champion_version=None if champion is None else champion.version,
        champion_metrics=champion_metrics, key_metric=spec.key_metric,
        thresholds=_thresholds(spec), report=Path(), seconds=0.0,
        reasons=decision.reasons)
    result = record(platform, spec, candidate, result)
    if decision.passed:
        platform.registry.set_alias(name, CHAMPION, candidate.version)
        result = _with(result, promoted=True)
    result = _with(result, seconds=time.perf_counter() - started)
    if progress is not None:
        progress(f"{model}: gate {'passed' if result.passed else 'failed'}", result.seconds)
    log.info("gate %s for %s version %s (%s)", "passed" if result.passed else "FAILED", name,
             candidate.version, "; ".join(result.reasons) or "all checks passed")
    if not decision.passed and raise_on_fail:
        raise GateFailed(name, candidate.version, decision.reasons)
    return result


def promote(platform: Platform, model: str | ModelSpec, *, version: str | int | None = None,
            force: bool = False, reason: str | None = None) -> GateResult:
    """Move ``@champion`` to a version. Without ``force`` this *is* the gate (pass →
    promoted, fail → GateFailed). With ``force`` the gate still runs and records its
    decision, then the version is promoted anyway and the override is recorded on it."""
    if not force:
        return gate(platform, model, version=version)
    if not reason:
        raise LakestepError("promote --force needs a --reason",
                            "say why the gate is overridden; it is recorded on the version")
    result = gate(platform, model, version=version, raise_on_fail=False)
    if result.passed:
        return result
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    platform.registry.set_tags(result.name, result.version, {
        f"{GATE_TAG}.forced": "true", f"{GATE_TAG}.forced_at": stamp,
        f"{GATE_TAG}.forced_reason": reason[:500],
        f"{GATE_TAG}.forced_over": "; ".join(result.reasons)[:4000]})
    result.decision.forced = True
    forced = _with(result, promoted=True, forced=True)
    record(platform, platform.project.spec(result.model) if isinstance(model, str) else model,
           platform.registry.get(result.name, result.version), forced)
    platform.registry.set_alias(result.name, CHAMPION, result.version)
    log.warning("%s version %s promoted to @champion over a FAILED gate: %s", result.name,
                result.version, reason)
    return forced


# -- scoring the holdout ------------------------------------------------------------------------
def _score(spec: ModelSpec, model: PackagedModel, holdout: pd.DataFrame) -> dict[str, float]:
    outputs = model.predict(holdout)
    return metrics_of(spec, outputs, labels_of(holdout, spec))


def _inputs_for(platform: Platform, spec: ModelSpec, model: PackagedModel,
                holdout: pd.DataFrame) -> pd.DataFrame:
    """The holdout with every input ``model`` reads: columns it lacks are looked up with
    the model's own feature lookups, as of the same timestamps."""
    needed = list(model.input_schema.input_names())
    missing = [c for c in needed if c not in holdout.columns]
    if not missing:
        return holdout
    from lakestep.features.lookup import FeatureLookup

    lookups = [FeatureLookup.from_dict(d) for d in model.feature_lookups]
    produced = {name for lookup in lookups for name in _outputs(platform, lookup)}
    keys = holdout.drop(columns=[c for c in holdout.columns if c in produced])
    frame = platform.spark.createDataFrame(keys)
    training_set = platform.features.create_training_set(df=frame, feature_lookups=lookups,
                                                         label=None)
    rebuilt = training_set.load_df().toPandas()
    still = [c for c in needed if c not in rebuilt.columns]
    if still:
        raise LakestepError(f"the champion of {spec.name} reads {', '.join(map(str, still))}, "
                            "which the "
                            "holdout rows do not have and its lookups do not give",
                            "gate with --version on a comparable version, or promote --force")
    return rebuilt


def _outputs(platform: Platform, lookup: Any) -> tuple[str, ...]:
    if lookup.output_names is not None:
        return tuple(lookup.output_names)
    table = platform.features.get_table(name=lookup.table_name)
    return tuple(lookup.output_name(feature) for feature in table.features)


def _champion_check(spec: ModelSpec, metrics: Mapping[str, float], champion: ModelVersion | None,
                    champion_metrics: Mapping[str, float] | None,
                    candidate: ModelVersion) -> gate_rules.Check:
    key = spec.key_metric
    if champion is not None and champion.version == candidate.version:
        return gate_rules.Check("champion", f"{key} vs champion", True, metrics[key], None,
                                f"version {candidate.version} is already the champion")
    value = None if champion_metrics is None else champion_metrics.get(key)
    if champion is not None and value is None:
        return gate_rules.Check("champion", f"{key} vs champion", False, metrics[key], None,
                                f"champion version {champion.version}'s {key} could not be "
                                "computed on this holdout, so the challenger cannot be compared")
    return gate_rules.champion_check(key, metrics[key], value, spec.gate.tolerance)


def _signature_check(version: ModelVersion) -> gate_rules.Check:
    from mlflow.models import get_model_info

    signature = get_model_info(version.source).signature
    return gate_rules.signature_check(
        signature is not None and signature.inputs is not None,
        signature is not None and signature.outputs is not None)


# -- recording ------------------------------------------------------------------------------
def record(platform: Platform, spec: ModelSpec, version: ModelVersion,
           result: GateResult) -> GateResult:
    """Tags on the version, the decision JSON and HTML report in its run, a local copy."""
    import mlflow

    decision = result.decision
    payload = {**decision.to_dict(), "metrics": dict(result.metrics),
               "champion_version": result.champion_version,
               "champion_metrics": result.champion_metrics, "key_metric": spec.key_metric,
               "thresholds": spec.gate.thresholds, "tolerance": spec.gate.tolerance,
               "decided_at": datetime.now(UTC).isoformat(timespec="seconds")}
    tags = {f"{GATE_TAG}.result": "passed" if decision.passed else "failed",
            f"{GATE_TAG}.decided_at": payload["decided_at"],
            f"{GATE_TAG}.champion_version": result.champion_version or "none",
            f"{GATE_TAG}.reasons": ("; ".join(decision.reasons) or "all checks passed")[:4000]}
    tags.update({f"{GATE_TAG}.metric.{k}": f"{v:.6g}" for k, v in result.metrics.items()})
    for check in decision.checks:
        tags[f"{GATE_TAG}.check.{_slug(check.name)}"] = "pass" if check.passed else "fail"
    platform.registry.set_tags(result.name, version.version, tags)
    report = _report(platform, spec, result)
    with _mlflow(platform):
        if version.run_id:
            client = mlflow.MlflowClient()
            stem = f"gate/decision_v{version.version}"
            with tempfile.TemporaryDirectory(prefix="lakestep-gate-") as tmp:
                (Path(tmp) / f"decision_v{version.version}.json").write_text(
                    json.dumps(payload, indent=2, default=str))
                (Path(tmp) / f"report_v{version.version}.html").write_text(
                    report.read_text())
                client.log_artifacts(version.run_id, tmp, str(Path(stem).parent))
    return _with(result, report=report)


def _report(platform: Platform, spec: ModelSpec, result: GateResult) -> Path:
    from lakestep.gate_report import render

    path = platform.settings.reports_dir / "gate" / spec.name / f"v{result.version}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    return render(result, spec).write(path)


# -- helpers ------------------------------------------------------------------------------------
def _thresholds(spec: ModelSpec) -> dict[str, dict[str, float]]:
    return {metric: {str(bound): float(limit) for bound, limit in bounds.items()}
            for metric, bounds in spec.gate.thresholds.items()}


def _with(result: GateResult, **changes: Any) -> GateResult:
    from dataclasses import replace

    return replace(result, **changes)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text).strip("_").lower()


def _load(version: ModelVersion) -> PackagedModel:
    from lakestep.models.packaging import load

    return load(version.source)


def _download_frame(version: ModelVersion, artifact: str, name: str) -> pd.DataFrame:
    import mlflow

    if not version.run_id:
        raise RegistryError(f"{name} version {version.version} has no training run, so no "
                            "holdout to gate it on", "train it with `lakestep train`")
    with tempfile.TemporaryDirectory(prefix="lakestep-gate-") as tmp:
        try:
            path = mlflow.artifacts.download_artifacts(run_id=version.run_id,
                                                       artifact_path=artifact, dst_path=tmp)
        except Exception as exc:
            raise RegistryError(f"{name} version {version.version}: its run has no {artifact}",
                                "versions trained by `lakestep train` carry their holdout"
                                ) from exc
        return pd.read_parquet(path)


def _data_checks(version: ModelVersion, name: str) -> list[gate_rules.Check]:
    import mlflow

    try:
        document = mlflow.artifacts.load_dict(f"runs:/{version.run_id}/{DATA_CHECKS_ARTIFACT}")
    except Exception as exc:
        raise RegistryError(f"{name} version {version.version}: its run has no "
                            f"{DATA_CHECKS_ARTIFACT}",
                            "versions trained by `lakestep train` carry it") from exc
    return [gate_rules.Check(**check) for check in document["checks"]]


class _mlflow:
    """Point the MLflow client at the platform's tracking and registry URIs."""

    def __init__(self, platform: Platform) -> None:
        self.settings = platform.settings

    def __enter__(self) -> None:
        import mlflow

        mlflow.set_tracking_uri(self.settings.tracking_uri)
        mlflow.set_registry_uri(self.settings.registry_uri)

    def __exit__(self, *exc: object) -> None:
        return None
