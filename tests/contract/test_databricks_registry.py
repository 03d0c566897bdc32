"""The registry adapter's calls, held to the installed MlflowClient's real signatures.

On Databricks the adapter talks to Unity Catalog through ``registry_uri="databricks-uc"``;
an autospec of the real client raises on any renamed or removed argument, so API drift
fails here, not in a deploy.
"""

from __future__ import annotations

from unittest.mock import create_autospec

import pytest
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion as MlflowModelVersion
from mlflow.entities.model_registry import ModelVersionTag

from lakestep.platform.mlflow_registry import MlflowModelRegistry

NAME = "main.ml.demand_predictor"


def _mv(version: str = "3") -> MlflowModelVersion:
    return MlflowModelVersion(name=NAME, version=version, creation_timestamp=0,
                              source="runs:/abc/model", run_id="abc", aliases=["champion"],
                              tags=[ModelVersionTag("k", "v")])


@pytest.fixture
def client():
    spec = create_autospec(MlflowClient, instance=True, spec_set=True)
    spec.get_model_version.return_value = _mv()
    spec.get_model_version_by_alias.return_value = _mv()
    spec.create_model_version.return_value = _mv()
    spec.search_model_versions.return_value = [_mv()]
    return spec


def test_every_primitive_matches_the_real_client(client):
    registry = MlflowModelRegistry("databricks", "databricks-uc", client=client)
    assert registry._register("runs:/abc/model", NAME, {"a": "b"}).version == "3"
    registry._set_alias(NAME, "champion", "3")
    registry._delete_alias(NAME, "champion")
    assert registry._get_version(NAME, "3").aliases == ("champion",)
    assert registry._get_by_alias(NAME, "champion").run_id == "abc"
    registry._set_tag(NAME, "3", "lakestep.gate", "passed")
    assert [v.version for v in registry._versions(NAME)] == ["3"]
    client.set_registered_model_alias.assert_called_once_with(NAME, "champion", "3")
    client.set_model_version_tag.assert_called_once_with(NAME, "3", "lakestep.gate", "passed")


def test_autospec_catches_a_wrong_argument(client):
    """The harness itself can fail: a call the real client would reject raises."""
    with pytest.raises(TypeError):
        client.set_registered_model_alias(NAME, alias="champion", model_version="3")
