"""A signature with inputs only: Unity Catalog refuses to register such a model, late. A
lakestep model always has outputs, and a signature without them is refused up front."""

from __future__ import annotations

import pandas as pd
import pytest
from mlflow.models import ModelSignature
from mlflow.types.schema import ColSpec, DataType, Schema
from sklearn.linear_model import LinearRegression

from lakestep.errors import PackagingError
from lakestep.models.packaging import check_signature, log_model
from lakestep.preprocessing import PreprocessingSpec, fit

TRAIN = pd.DataFrame({"nights": [1.0, 2.0, 3.0]})


def test_a_signature_without_outputs_is_refused():
    inputs_only = ModelSignature(inputs=Schema([ColSpec(DataType.double, "nights")]))
    with pytest.raises(PackagingError, match=r"packaging main\.ml\.demand: the signature lacks "
                                             r"outputs.*Unity Catalog refuses"):
        check_signature(inputs_only, "main.ml.demand")
    with pytest.raises(PackagingError, match="lacks inputs and outputs"):
        check_signature(None, "main.ml.demand")


def test_logged_models_always_have_inputs_and_outputs(mlflow_uri):
    fitted = fit(TRAIN, PreprocessingSpec(numeric=["nights"]))
    estimator = LinearRegression().fit(fitted.transform(TRAIN), [1.0, 2.0, 3.0])
    info = log_model(estimator, fitted, kind="regression", raw_input_example=TRAIN)
    assert info.signature.inputs.input_names() == ["nights"]
    assert info.signature.outputs.input_names() == ["prediction"]
