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


def copy_mlflow_store(template: Path, directory: Path) -> str:
    """A copy of the migrated template store in ``directory`` (its default experiment's
    artifacts there too); returns its URI."""
    directory.mkdir(parents=True, exist_ok=True)
    database = directory / "mlflow.db"
    shutil.copyfile(template, database)
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE experiments SET artifact_location = ? WHERE experiment_id = 0",
                           (str(directory / "mlruns" / "0"),))
    return f"sqlite:///{database}"


@pytest.fixture
def mlflow_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mlflow_template: Path) -> str:
    """A real MLflow SQLite tracking + registry store for this test only."""
    import mlflow

    uri = copy_mlflow_store(mlflow_template, tmp_path)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    monkeypatch.chdir(tmp_path)
    yield uri
    mlflow.set_tracking_uri(None)


def isolated_platform(platform: Platform, root: Path, mlflow_template: Path, *,
                      project_dir: Path | None = None) -> Platform:
    """The shared engine with schemas, MLflow store (and project) of one test module only.

    Gold, feature, ml and monitoring schemas get a unique suffix, so modules that build
    their own gold layer on the same Sail session never see each other's tables.
    """
    import mlflow

    from lakestep.platform.mlflow_registry import MlflowModelRegistry

    uri = copy_mlflow_store(mlflow_template, root)
    suffix = uuid.uuid4().hex[:8]
    settings = platform.settings.with_overrides(
        gold_schema=f"gold_{suffix}", features_schema=f"features_{suffix}",
        ml_schema=f"ml_{suffix}", monitoring_schema=f"monitoring_{suffix}",
        tracking_uri=uri, registry_uri=uri, project_dir=project_dir, home=root / "home")
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return Platform(settings, platform.spark, platform.tables, features=platform.features,
                    registry=MlflowModelRegistry(uri, uri))


@pytest.fixture(scope="session")
def make_isolated(platform: Platform, mlflow_template: Path):
    """``make_isolated(root, project_dir=None)``: see :func:`isolated_platform`."""

    def make(root: Path, project_dir: Path | None = None) -> Platform:
        return isolated_platform(platform, root, mlflow_template, project_dir=project_dir)

    return make


@pytest.fixture(scope="session")
def new_mlflow_store(mlflow_template: Path):
    """``new_mlflow_store(directory)`` → the URI of a fresh migrated store there."""
    return lambda directory: copy_mlflow_store(mlflow_template, directory)


# The longest modules, longest first (from `pytest --durations`; see docs/benchmarks.md for
# the suite's time by folder). `make test` runs `--dist loadscope --no-loadscope-reorder`:
# each module goes to one worker in collection order, so these start at once and the many
# short modules fill in behind them. (xdist's default order, most tests first, left these
# for a long tail with one worker idle.) Only the order changes: a stable sort, so tests
# inside a module keep their file order (test_pipeline.py's tests build on each other).
SLOWEST_FIRST = (
    "tests/e2e/test_pipeline.py",
    "tests/integration/test_engine_parity.py",
    "tests/e2e/test_stack.py",
    "tests/integration/test_training.py",
    "tests/e2e/test_bundle_jobs.py",
    "tests/e2e/test_bench_cli.py",
    "tests/integration/test_monitoring.py",
    "tests/e2e/test_cli_foundation.py",
    "tests/integration/test_demo.py",
    "tests/integration/test_packaging.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {module: i for i, module in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))
