"""The regression catalogue shares one MLflow store: creating a SQLite store runs MLflow's
migrations (~5 s), and each test here logs models of its own under their own URIs."""

from __future__ import annotations

import mlflow
import pytest


@pytest.fixture(scope="session")
def regression_store(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("mlflow-regressions")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(path)
        yield f"sqlite:///{path / 'mlflow.db'}"


@pytest.fixture
def mlflow_uri(regression_store: str):
    mlflow.set_tracking_uri(regression_store)
    mlflow.set_registry_uri(regression_store)
    yield regression_store
    mlflow.set_tracking_uri(None)
