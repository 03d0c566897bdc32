"""The Platform: the one object that knows where lakestep runs.

A Platform bundles the Spark session with the ports every core module uses: ``tables``
(:class:`lakestep.tables.TableStore`), ``features`` (the feature store port), ``registry``
(the model registry port) and the MLflow tracking URIs. Core modules take a Platform
argument; only ``platform.local`` and ``platform.databricks`` build one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lakestep.errors import LakestepError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lakestep.config import Settings
    from lakestep.project import Project
    from lakestep.tables import TableStore

log = logging.getLogger(__name__)


class Platform:
    """Spark + TableStore + FeatureStore + ModelRegistry + tracking, as one context manager."""

    def __init__(
        self,
        settings: Settings,
        spark: SparkSession,
        tables: TableStore,
        *,
        features: Any = None,
        registry: Any = None,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self.settings = settings
        self.spark = spark
        self.tables = tables
        self._features = features
        self._registry = registry
        self._on_close = on_close
        self._closed = False
        self._project: Project | None = None

    @property
    def features(self) -> Any:
        if self._features is None:
            raise LakestepError(f"no feature store on target {self.settings.target}")
        return self._features

    @property
    def registry(self) -> Any:
        if self._registry is None:
            raise LakestepError(f"no model registry on target {self.settings.target}")
        return self._registry

    @property
    def project(self) -> Project:
        """The contracts, feature/label definitions and model specs this platform runs."""
        if self._project is None:
            from lakestep.project import Project

            root = self.settings.project_dir
            self._project = Project(root=None if root is None else root.resolve())
        return self._project

    def attach(self, *, features: Any = None, registry: Any = None) -> None:
        """Adapters plug their feature store and registry in once they are built."""
        if features is not None:
            self._features = features
        if registry is not None:
            self._registry = registry

    def experiment(self, model: str) -> str:
        """The MLflow experiment of a model (same path locally and on Databricks), created on
        first use; with a local file store its artifacts go under ``<home>/mlartifacts``."""
        import mlflow

        name = self.settings.experiment_name(model)
        mlflow.set_tracking_uri(self.settings.tracking_uri)
        mlflow.set_registry_uri(self.settings.registry_uri)
        existing = mlflow.get_experiment_by_name(name)
        if existing is not None:
            return str(existing.experiment_id)
        location = None
        if self.settings.tracking_uri.startswith("sqlite:") or "://" not in \
                self.settings.tracking_uri:
            location = (self.settings.artifacts_dir / name.strip("/")).as_uri()
        return str(mlflow.create_experiment(name, artifact_location=location))

    def close(self) -> None:
        """Stop the engine this platform started (no-op for one it only connected to)."""
        if self._closed:
            return
        self._closed = True
        if self._on_close is not None:
            self._on_close()

    def __enter__(self) -> Platform:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        s = self.settings
        return f"Platform(target={s.target!r}, catalog={s.catalog!r}, home={str(s.home)!r})"
