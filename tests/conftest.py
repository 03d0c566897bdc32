"""Shared fixtures: one embedded Sail platform per test run (per xdist worker), real Delta
tables under a temporary home, and a fresh MLflow SQLite store per test."""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import lakestep
from lakestep.platform.base import Platform


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """The embedded local platform, shared by every test of this process."""
    home = tmp_path_factory.mktemp("lakestep-home")
    with lakestep.connect(home=home, environ={}) as shared:
        yield shared


@pytest.fixture
def spark(platform: Platform):
    return platform.spark


@pytest.fixture
def table_name(platform: Platform) -> str:
    """A fresh three-level table name no other test uses."""
    return f"{platform.settings.catalog}.test.t_{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def mlflow_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty, fully migrated MLflow SQLite store, made once per run.

    Migrating a new SQLite store takes seconds; copying a migrated one takes milliseconds.
    """
    from mlflow import MlflowClient

    path = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    MlflowClient(tracking_uri=f"sqlite:///{path}").search_experiments()
    return path


@pytest.fixture
def mlflow_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mlflow_template: Path) -> str:
    """A real MLflow SQLite tracking + registry store for this test only."""
    import mlflow

    database = tmp_path / "mlflow.db"
    shutil.copyfile(mlflow_template, database)
    with sqlite3.connect(database) as connection:  # default experiment's artifacts: here
        connection.execute("UPDATE experiments SET artifact_location = ? WHERE experiment_id = 0",
                           (str(tmp_path / "mlruns" / "0"),))
    uri = f"sqlite:///{database}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    monkeypatch.chdir(tmp_path)
    yield uri
    mlflow.set_tracking_uri(None)
