"""Which model version to score with, and loading it once on the driver.

The driver resolves an alias (or a version number) to one pinned version, downloads its
artifacts once and reads the packaged model: its feature lookups, its typed input schema
and its kind decide the scoring frame and the output columns before any data moves.

A model logged with the Databricks Feature Engineering client (``fe.log_model``) wraps the
packaged pyfunc under ``data/feature_store/raw_model`` next to a ``feature_spec.yaml``;
both layouts load here, and the wrapped one can be scored by ``fe.score_batch``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakestep.errors import LakestepError, ModelNotFound, ScoringError

if TYPE_CHECKING:
    from lakestep.config import Settings
    from lakestep.models.packaging import PackagedModel
    from lakestep.platform.base import Platform
    from lakestep.registry import ModelVersion

# Where fe.log_model puts the feature spec and the wrapped model (databricks.ml_features).
FE_DATA_DIR = Path("data") / "feature_store"
FE_SPEC_FILE = "feature_spec.yaml"
FE_RAW_MODEL = "raw_model"


@dataclass(frozen=True)
class LoadedModel:
    """One pinned model version and its packaged model, read on the driver."""

    name: str
    version: str
    uri: str
    packaged: PackagedModel
    feature_spec: bool  # logged with fe.log_model: fe.score_batch can score it

    @property
    def label(self) -> str:
        """How messages name it: ``main.ml.demand_predictor version 3``."""
        return f"{self.name} version {self.version}"


def reference(alias: str | None, version: str | int | None) -> str:
    """The registry reference to resolve: the version number if given, else the alias."""
    if version is not None:
        if alias not in (None, "champion"):
            raise ScoringError(f"both alias {alias!r} and version {version!r} were given",
                               "score by --alias or by --version, not both")
        return str(version)
    if not alias:
        raise ScoringError("neither an alias nor a version was given",
                           "score @champion (the default), another alias or a version number")
    return alias


def resolve(platform: Platform, model: str, alias: str | None,
            version: str | int | None) -> ModelVersion:
    """The one version to score with.

    An unknown alias or version names the versions that exist (the registry does); an
    unknown model names the project's models that are registered, with their versions.
    """
    name, ref = platform.settings.model_name(model), reference(alias, version)
    try:
        return platform.registry.get(name, ref)
    except ModelNotFound as exc:
        if platform.registry.versions(name):
            raise
        known = registered_models(platform)
        if not known:
            raise
        raise ModelNotFound(name, ref, known) from exc


def registered_models(platform: Platform) -> list[str]:
    """``main.ml.m (version 1 @champion, version 2)`` for each registered project model."""
    try:
        models = list(platform.project.specs)
    except LakestepError:  # a broken project must not hide the model-not-found error
        return []
    described = []
    for model in models:
        versions = platform.registry.versions(platform.settings.model_name(model))
        if versions:
            listed = ", ".join(f"version {v.version}" + "".join(f" @{a}" for a in v.aliases)
                               for v in versions[-3:])
            described.append(f"{platform.settings.model_name(model)} ({listed})")
    return described


def load_version(settings: Settings, version: ModelVersion) -> LoadedModel:
    """Download the version's artifacts once and read the packaged model from them."""
    with _mlflow_uris(settings), tempfile.TemporaryDirectory(prefix="lakestep-score-") as tmp:
        local = _download(version.uri, tmp)
        wrapped = local / FE_DATA_DIR / FE_RAW_MODEL
        feature_spec = (local / FE_DATA_DIR / FE_SPEC_FILE).is_file() and wrapped.is_dir()
        packaged = _read_packaged(wrapped if feature_spec else local)
    return LoadedModel(name=version.name, version=version.version, uri=version.uri,
                       packaged=packaged, feature_spec=feature_spec)


def _download(uri: str, directory: str) -> Path:
    import mlflow

    try:
        return Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=directory))
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise ScoringError(f"cannot download model {uri}: {reason}",
                           "check the tracking and registry URIs of this target") from exc


def _read_packaged(path: Path) -> PackagedModel:
    # The packaged model reads every artifact into memory, so the download may go away.
    from lakestep.models import packaging

    return packaging.load(str(path))


@contextmanager
def _mlflow_uris(settings: Settings) -> Iterator[None]:
    """MLflow's process-wide URIs pointed at this platform's stores while loading.

    ``models:/`` URIs resolve against the global registry URI; a CLI process has not set
    it, and a test may have pointed it elsewhere. The previous values come back after.
    """
    import mlflow

    previous: tuple[Any, Any] = (mlflow.get_tracking_uri(), mlflow.get_registry_uri())
    mlflow.set_tracking_uri(settings.tracking_uri)
    mlflow.set_registry_uri(settings.registry_uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(previous[0])
        mlflow.set_registry_uri(previous[1])
