"""The packaged model on a real MLflow store: log, load, predict, and what MLflow sees."""

from __future__ import annotations

import decimal
import json
from importlib.metadata import version
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.models import Model
from sklearn.ensemble import IsolationForest, RandomForestClassifier
from sklearn.linear_model import LinearRegression
from xgboost import XGBClassifier, XGBRegressor

from lakestep.errors import LakestepError, PackagingError, SignatureMismatch
from lakestep.models import packaging
from lakestep.models.baseline import TrainingBaseline
from lakestep.models.packaging import PackagedModel, load, log_model
from lakestep.preprocessing import fit, infer_spec

D = decimal.Decimal


@pytest.fixture(scope="module")
def mlflow_uri(tmp_path_factory):
    """One real SQLite MLflow store for this module (overrides the per-test one): creating
    a store runs MLflow's migrations, ~5 s each; every test here logs its own models."""
    path = tmp_path_factory.mktemp("mlflow-packaging")
    uri = f"sqlite:///{path / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(path)
        mlflow.set_tracking_uri(uri)
        mlflow.set_registry_uri(uri)
        yield uri
    mlflow.set_tracking_uri(None)


@pytest.fixture(scope="module")
def training():
    rng = np.random.default_rng(7)
    rows = 120
    frame = pd.DataFrame({
        "nights": rng.integers(1, 10, rows),
        "price": [D(f"{v:.2f}") for v in rng.uniform(40, 400, rows)],
        "member": rng.random(rows) > 0.5,
        "country": rng.choice(["DE", "FR", "IT", None], rows),
        "checkin": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, rows),
                                                                 unit="D"),
    })
    target = frame["nights"] * 3.0 + frame["member"] + rng.normal(size=rows)
    fitted = fit(frame, infer_spec(frame))
    return frame, target, fitted, fitted.transform(frame)


def test_regression_round_trip_and_what_the_model_holds(mlflow_uri, training):
    frame, target, fitted, matrix = training
    estimator = XGBRegressor(n_estimators=8, max_depth=3).fit(matrix, target)
    lookups = [{"table_name": "main.features.guests", "lookup_key": ["guest_id"]}]
    baseline = PackagedModel(estimator, fitted, kind="regression").compute_baseline(frame)
    info = log_model(estimator, fitted, kind="regression", raw_input_example=frame,
                     feature_lookups=lookups, baseline=baseline, name="demand")
    model = load(info.model_uri)
    assert model.kind == "regression"
    assert model.feature_lookups == lookups
    assert model.baseline == baseline
    assert model.fitted_preprocessor == fitted
    assert model.input_schema.input_types_dict() == {
        "nights": mlflow.types.DataType.double, "price": mlflow.types.DataType.double,
        "member": mlflow.types.DataType.boolean, "country": mlflow.types.DataType.string,
        "checkin": mlflow.types.DataType.datetime}
    predictions = model.predict(frame)
    assert predictions.dtypes.astype(str).to_dict() == {"prediction": "float64"}
    assert predictions["prediction"].tolist() == estimator.predict(matrix).astype(float).tolist()


def test_signature_has_inputs_and_outputs_and_the_example_is_conformed(mlflow_uri, training):
    frame, target, fitted, matrix = training
    estimator = LinearRegression().fit(matrix, target)
    info = log_model(estimator, fitted, kind="regression", raw_input_example=frame)
    assert info.signature.inputs.input_names() == list(fitted.input_types)
    assert info.signature.outputs.input_types_dict() == {
        "prediction": mlflow.types.DataType.double}
    meta = Model.load(info.model_uri).metadata["lakestep"]
    assert meta["kind"] == "regression"
    assert [c["type"] for c in meta["input_schema"]] == [
        "double", "double", "boolean", "string", "datetime"]
    example = mlflow.models.Model.load(info.model_uri).load_input_example(
        mlflow.artifacts.download_artifacts(info.model_uri))
    assert len(example) == packaging.EXAMPLE_ROWS
    assert example["price"].dtype == "float64"  # Decimal was conformed to double


def test_requirements_are_pinned_and_lakestep_travels_as_code(mlflow_uri, training):
    frame, target, fitted, matrix = training
    estimator = XGBRegressor(n_estimators=2).fit(matrix, target)
    info = log_model(estimator, fitted, kind="regression", raw_input_example=frame,
                     extra_pip_requirements=["requests==2.0.0"])
    local = Path(mlflow.artifacts.download_artifacts(info.model_uri))
    requirements = (local / "requirements.txt").read_text().split()
    for package in ("mlflow", "pandas", "numpy", "pyarrow", "scikit-learn", "xgboost"):
        assert f"{package}=={version(package)}" in requirements
    assert "requests==2.0.0" in requirements
    assert not any(r.startswith("lakestep") for r in requirements)
    assert (local / "code" / "lakestep" / "preprocessing.py").is_file()


def test_mlflow_pyfunc_accepts_decimal_bool_and_int_inputs(mlflow_uri, training):
    """MLflow's own enforcement would refuse int64 and bool for double columns."""
    frame, target, fitted, matrix = training
    estimator = XGBRegressor(n_estimators=4).fit(matrix, target)
    info = log_model(estimator, fitted, kind="regression", raw_input_example=frame)
    raw = frame.assign(nights=frame["nights"].astype("int64"), extra="ignored")
    raw["price"] = [D(str(v)) for v in frame["price"]]
    as_spark_returns = raw.assign(member=raw["member"].astype(object),
                                  checkin=raw["checkin"].dt.date)
    expected = estimator.predict(matrix).astype(float).tolist()
    pyfunc = mlflow.pyfunc.load_model(info.model_uri)
    assert pyfunc.predict(raw)["prediction"].tolist() == expected
    assert pyfunc.predict(as_spark_returns)["prediction"].tolist() == expected
    with pytest.raises(SignatureMismatch, match="member: expected boolean, got int64 .values "
                                                "other than 0/1., e.g. 2"):
        pyfunc.predict(raw.assign(member=2))


def test_serving_input_json_scores_the_same(mlflow_uri, training):
    frame, target, fitted, matrix = training
    estimator = XGBRegressor(n_estimators=4).fit(matrix, target)
    info = log_model(estimator, fitted, kind="regression", raw_input_example=frame)
    head = frame.head(3).assign(price=[float(p) for p in frame["price"].head(3)])
    serving = mlflow.models.convert_input_example_to_serving_input(head)
    from mlflow.models.utils import _validate_serving_input

    served = _validate_serving_input(info.model_uri, serving)
    assert served["prediction"].tolist() == estimator.predict(matrix[:3]).astype(float).tolist()


def test_classification_outputs_prediction_and_probability(mlflow_uri, training):
    frame, target, fitted, matrix = training
    labels = (target > target.median()).astype(int)
    estimator = XGBClassifier(n_estimators=5, max_depth=2).fit(matrix, labels)
    info = log_model(estimator, fitted, kind="classification", raw_input_example=frame)
    assert info.signature.outputs.input_types_dict() == {
        "prediction": mlflow.types.DataType.long, "probability": mlflow.types.DataType.double}
    predictions = load(info.model_uri).predict(frame)
    assert predictions.dtypes.astype(str).to_dict() == {"prediction": "int64",
                                                       "probability": "float64"}
    assert predictions["prediction"].tolist() == estimator.predict(matrix).tolist()
    assert np.array_equal(predictions["probability"], estimator.predict_proba(matrix)[:, 1])


def test_multiclass_probability_is_that_of_the_predicted_class(mlflow_uri, training):
    frame, target, fitted, matrix = training
    labels = pd.qcut(target, 3, labels=False)
    estimator = RandomForestClassifier(n_estimators=5, random_state=0).fit(matrix, labels)
    model = load(log_model(estimator, fitted, kind="classification",
                           raw_input_example=frame).model_uri)
    predictions = model.predict(frame)
    assert set(predictions["prediction"]) <= {0, 1, 2}
    assert np.allclose(predictions["probability"], estimator.predict_proba(matrix).max(axis=1))


def test_anomaly_outputs_minus_one_and_one_as_long(mlflow_uri, training):
    frame, _, fitted, matrix = training
    estimator = IsolationForest(n_estimators=10, random_state=0).fit(matrix)
    info = log_model(estimator, fitted, kind="anomaly", raw_input_example=frame)
    predictions = load(info.model_uri).predict(frame)
    assert predictions.dtypes.astype(str).to_dict() == {"prediction": "int64"}
    assert set(predictions["prediction"]) <= {-1, 1}
    assert predictions["prediction"].tolist() == estimator.predict(matrix).tolist()


def test_frames_of_any_size_are_scored_in_chunks(mlflow_uri, training, monkeypatch):
    frame, target, fitted, matrix = training
    estimator = XGBRegressor(n_estimators=3).fit(matrix, target)
    model = load(log_model(estimator, fitted, kind="regression",
                           raw_input_example=frame).model_uri)
    monkeypatch.setattr(packaging, "CHUNK_ROWS", 7)
    big = pd.concat([frame] * 3, ignore_index=True)
    expected = np.tile(estimator.predict(matrix).astype(float), 3)
    assert model.predict(big)["prediction"].tolist() == expected.tolist()
    empty = model.predict(frame.iloc[:0])
    assert list(empty.columns) == ["prediction"] and len(empty) == 0


def test_package_json_is_plain_json(mlflow_uri, training):
    frame, target, fitted, matrix = training
    estimator = LinearRegression().fit(matrix, target)
    info = log_model(estimator, fitted, kind="regression", raw_input_example=frame,
                     baseline=PackagedModel(estimator, fitted, kind="regression")
                     .compute_baseline(frame))
    local = Path(mlflow.artifacts.download_artifacts(info.model_uri))
    package = json.loads(next(local.rglob(packaging.PACKAGE_FILE)).read_text())
    assert package["version"] == packaging.PACKAGE_VERSION
    assert TrainingBaseline.from_dict(package["baseline"]).row_count == len(frame)


def test_refusals_name_the_model(mlflow_uri, training):
    frame, target, fitted, matrix = training
    estimator = LinearRegression().fit(matrix, target)
    with pytest.raises(PackagingError, match="packaging demand: unknown model kind 'ranking'"):
        log_model(estimator, fitted, kind="ranking", raw_input_example=frame, name="demand")
    with pytest.raises(PackagingError, match="estimator builtins.object is not supported"):
        log_model(object(), fitted, kind="regression", raw_input_example=frame)
    with pytest.raises(PackagingError, match="feature lookups are not JSON-serialisable"):
        log_model(estimator, fitted, kind="regression", raw_input_example=frame,
                  feature_lookups=[{"key": object()}])
    with pytest.raises(PackagingError, match="raw_input_example must be a non-empty"):
        log_model(estimator, fitted, kind="regression", raw_input_example=frame.iloc[:0])


def test_loading_something_that_is_not_a_lakestep_model(mlflow_uri):
    class Echo(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return model_input

    info = mlflow.pyfunc.log_model(name="echo", python_model=Echo())
    with pytest.raises(LakestepError, match="was not logged by lakestep"):
        load(info.model_uri)
    with pytest.raises(LakestepError, match="cannot load model models:/nope/1"):
        load("models:/nope/1")
