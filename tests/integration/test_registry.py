"""The registry on a real MLflow store, refusing what Unity Catalog refuses."""

from __future__ import annotations

import mlflow
import pandas as pd
import pytest
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, Schema

from lakestep.errors import ModelNotFound, RegistryError
from lakestep.platform.mlflow_registry import MlflowModelRegistry

NAME = "main.ml.toy"


class Doubler(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return pd.DataFrame({"prediction": model_input["x"] * 2.0})


def _log(outputs: bool = True) -> str:
    signature = ModelSignature(
        inputs=Schema([ColSpec("double", "x")]),
        outputs=Schema([ColSpec("double", "prediction")]) if outputs else None,
    )
    with mlflow.start_run():
        info = mlflow.pyfunc.log_model(name="model", python_model=Doubler(), signature=signature,
                                       pip_requirements=[])
    return info.model_uri


@pytest.fixture
def registry(mlflow_uri):
    return MlflowModelRegistry(mlflow_uri, mlflow_uri)


def test_register_alias_and_resolve(registry):
    first = registry.register(_log(), NAME, tags={"lakestep.model": "toy"})
    second = registry.register(_log(), NAME)
    assert (first.version, second.version) == ("1", "2")
    assert first.tags["lakestep.model"] == "toy"
    registry.set_alias(NAME, "challenger", second.version)
    registry.set_alias(NAME, "champion", first.version)
    assert registry.get(NAME, "@champion").version == "1"
    assert registry.get(NAME, "challenger").version == "2"
    assert registry.get(NAME, 2).aliases == ("challenger",)
    assert registry.find(NAME, "nobody") is None
    registry.set_tags(NAME, 1, {"gate": "passed"})
    assert registry.get(NAME, 1).tags["gate"] == "passed"
    loaded = mlflow.pyfunc.load_model(registry.uri(NAME, "champion"))
    assert loaded.predict(pd.DataFrame({"x": [1.5]}))["prediction"].tolist() == [3.0]


def test_two_level_names_are_refused_with_uc_reason(registry):
    with pytest.raises(RegistryError, match=r"three-level name.*<catalog>\.<schema>\.<model>"):
        registry.register(_log(), "ml.toy")


def test_signature_without_outputs_is_refused(registry):
    with pytest.raises(RegistryError, match="has no output types.*both input and output"):
        registry.register(_log(outputs=False), NAME)


def test_stages_are_refused(registry):
    registry.register(_log(), NAME)
    with pytest.raises(RegistryError, match="stages are not supported.*Unity Catalog"):
        registry.transition_stage(NAME, "1", "Production")


@pytest.mark.parametrize("alias", ["latest", "v3", "Latest", "has space", ""])
def test_reserved_or_invalid_aliases_are_refused(registry, alias):
    registry.register(_log(), NAME)
    with pytest.raises(RegistryError, match="invalid alias"):
        registry.set_alias(NAME, alias, 1)


def test_unknown_alias_or_version_names_what_exists(registry):
    registry.register(_log(), NAME)
    registry.set_alias(NAME, "champion", 1)
    with pytest.raises(ModelNotFound, match=r"main\.ml\.toy@staging not found.*version 1 @champion"):
        registry.get(NAME, "staging")
    with pytest.raises(ModelNotFound, match=r"version 9 not found"):
        registry.set_alias(NAME, "champion", 9)


def test_unknown_model_is_a_clear_error(registry):
    with pytest.raises(ModelNotFound, match=r"main\.ml\.nothing@champion not found"):
        registry.get("main.ml.nothing", "champion")
