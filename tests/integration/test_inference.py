"""Batch scoring on real parts: Delta keys and feature tables on Sail, models logged and
registered in a real MLflow store, predictions written to a real Delta table.

Four models share one module-scoped world (XGBoost and scikit-learn, regression and
classification), each with its own predictions table, so the tests stay independent.
"""

from __future__ import annotations

import datetime
import decimal
import uuid

import mlflow
import numpy as np
import pandas as pd
import pytest
from pyspark.sql import functions as F
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from xgboost import XGBClassifier, XGBRegressor

from lakestep.errors import FeatureLookupError, ModelNotFound, ScoringError, SignatureMismatch
from lakestep.features import FeatureLookup
from lakestep.inference import OUTPUT_COLUMNS, score, worker
from lakestep.models.packaging import PackagedModel, load, log_model
from lakestep.platform.base import Platform
from lakestep.platform.mlflow_registry import MlflowModelRegistry
from lakestep.preprocessing import fit, infer_spec

D = datetime.date
DAY = D(2024, 3, 1)
KEYS = 400
CUSTOMERS = 120
FEATURE_DATES = (D(2024, 1, 1), D(2024, 2, 1), D(2024, 2, 20))
ESTIMATORS = {
    "xgb_reg": ("regression", lambda: XGBRegressor(n_estimators=12, max_depth=3)),
    "xgb_clf": ("classification", lambda: XGBClassifier(n_estimators=12, max_depth=3)),
    "skl_reg": ("regression", lambda: RandomForestRegressor(n_estimators=8, random_state=0)),
    "skl_clf": ("classification",
                lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))),
}


@pytest.fixture(scope="module")
def scoring(platform, new_mlflow_store, tmp_path_factory):
    """The session's Sail + Delta platform with this module's own MLflow store.

    One migrated SQLite store (copied from the session template) serves the whole module:
    logging four models is the costly part, the tests then only score.
    """
    directory = tmp_path_factory.mktemp("inference-mlflow")
    uri = new_mlflow_store(directory)
    settings = platform.settings.with_overrides(tracking_uri=uri, registry_uri=uri)
    own = Platform(settings, platform.spark, platform.tables, features=platform.features,
                   registry=MlflowModelRegistry(uri, uri))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(directory)
        mlflow.set_tracking_uri(uri)
        mlflow.set_registry_uri(uri)
        yield own
    mlflow.set_tracking_uri(None)


@pytest.fixture(scope="module")
def world(scoring):
    """A point-in-time feature table, a keys table and four registered champions."""
    spark, suffix = scoring.spark, uuid.uuid4().hex[:8]
    schema = f"main.inference_{suffix}"
    rng = np.random.default_rng(11)
    feature_rows = [
        (customer, day, float(rng.uniform(0, 500)), ["gold", "silver", None][int(rng.integers(0, 3))],
         int(rng.integers(0, 9)))
        for customer in range(CUSTOMERS) for day in FEATURE_DATES if rng.random() < 0.8
    ]
    feature_table = f"{schema}.customer_daily"
    scoring.features.create_table(
        name=feature_table, primary_keys=["customer_id", "date"], timeseries_column="date",
        df=spark.createDataFrame(feature_rows, "customer_id long, date date, spend_30d double, "
                                               "segment string, bookings_90d int"))
    keys = pd.DataFrame({
        "booking_id": np.arange(KEYS, dtype="int64") + 10_000,
        "customer_id": rng.integers(0, CUSTOMERS + 10, KEYS),  # some never seen: null features
        "booking_date": [D(2024, 1, 1) + datetime.timedelta(days=int(d))
                         for d in rng.integers(0, 80, KEYS)],
        "nights": rng.integers(1, 12, KEYS),
        "price": [decimal.Decimal(f"{v:.2f}") for v in rng.uniform(40, 400, KEYS)],
        "member": rng.random(KEYS) < 0.4,
    })
    keys_schema = ("booking_id long, customer_id long, booking_date date, nights long, "
                   "price decimal(10,2), member boolean")
    keys_table = f"{schema}.keys"
    scoring.tables.write(keys_table, spark.createDataFrame(keys, keys_schema))
    lookups = [FeatureLookup(feature_table, "customer_id", timestamp_lookup_key="booking_date",
                             default_values={"bookings_90d": 0})]
    frame = scoring.features.create_training_set(
        df=scoring.tables.read(keys_table), feature_lookups=lookups, label=None
    ).load_df().toPandas().sort_values("booking_id", ignore_index=True)
    inputs = frame.drop(columns=["booking_id", "customer_id"])  # booking_date: key AND input
    fitted = fit(inputs, infer_spec(inputs))
    matrix = fitted.transform(inputs)
    target = inputs["nights"] * 3.0 + inputs["member"] + rng.normal(size=KEYS)
    models = {}
    for label, (kind, make) in ESTIMATORS.items():
        y = target if kind == "regression" else (target > target.median()).astype(int)
        estimator = make().fit(matrix, y)
        model = f"inf_{label}_{suffix}"
        info = log_model(estimator, fitted, kind=kind, raw_input_example=inputs,
                         feature_lookups=lookups, name=model)
        name = scoring.settings.model_name(model)
        version = scoring.registry.register(info.model_uri, name).version
        scoring.registry.set_alias(name, "champion", version)
        models[label] = model
    return {"keys_table": keys_table, "frame": frame, "models": models}


def _predictions(scoring: Platform, model: str) -> pd.DataFrame:
    table = scoring.settings.predictions_table(model)
    return scoring.tables.read(table).toPandas().sort_values(
        ["scoring_date", "booking_id"], ignore_index=True)


@pytest.mark.parametrize("label", list(ESTIMATORS))
def test_scored_rows_equal_the_in_memory_model(scoring, world, label):
    model = world["models"][label]
    name = scoring.settings.model_name(model)
    steps: list[str] = []
    result = score(scoring, model, keys=world["keys_table"], scoring_date=DAY,
                   progress=lambda step, seconds: steps.append(step))

    table = scoring.settings.predictions_table(model)
    assert (result.model, result.model_version, result.model_uri) == (
        name, "1", f"models:/{name}/1")
    assert (result.table, result.rows, result.scoring_date, result.path) == (
        table, KEYS, DAY, "spark")
    assert result.version == scoring.tables.version(table)
    assert steps == ["resolve", "load", "plan", "score_and_write", "count"]

    kind = ESTIMATORS[label][0]
    outputs = ["prediction", "probability"] if kind == "classification" else ["prediction"]
    written = scoring.tables.read(table)
    assert written.columns == ["booking_id", "customer_id", "booking_date", *outputs,
                               *OUTPUT_COLUMNS[2:]]
    types = dict(written.dtypes)
    assert (types["booking_date"], types["prediction"], types["scored_at"],
            types["scoring_date"]) == ("date", "double" if kind == "regression" else "bigint",
                                      "timestamp", "date")

    rows = _predictions(scoring, model)
    assert world["frame"]["spend_30d"].isna().any()  # unseen customers: null features too
    expected = load(f"models:/{name}@champion").predict(world["frame"])
    assert isinstance(load(f"models:/{name}/1"), PackagedModel)
    assert rows["booking_id"].tolist() == world["frame"]["booking_id"].tolist()
    assert rows["booking_date"].tolist() == world["frame"]["booking_date"].tolist()
    assert np.array_equal(rows["prediction"].to_numpy(), expected["prediction"].to_numpy())
    if kind == "classification":
        # Same inputs, same matrix; a BLAS dot product may round the last bit differently
        # for another batch size (LogisticRegression), so the tolerance is a few ULPs.
        np.testing.assert_allclose(rows["probability"], expected["probability"], rtol=1e-13,
                                   atol=0)
    assert set(rows["model_name"]) == {name} and set(rows["model_version"]) == {"1"}
    assert set(rows["model_uri"]) == {f"models:/{name}/1"}
    assert set(rows["scoring_date"]) == {DAY} and rows["scored_at"].nunique() == 1


def test_bad_keys_fail_naming_the_columns_and_write_nothing(scoring, world):
    model = world["models"]["xgb_reg"]
    table = scoring.settings.predictions_table(model)
    score(scoring, model, keys=world["keys_table"], scoring_date=D(2024, 2, 1))
    version, before = scoring.tables.version(table), _predictions(scoring, model)
    keys = scoring.tables.read(world["keys_table"])

    bad = keys.drop("nights").withColumn("member", F.col("member").cast("string"))
    with pytest.raises(SignatureMismatch) as caught:
        score(scoring, model, keys=bad, scoring_date=DAY)
    assert sorted(caught.value.columns) == ["member", "nights"]
    message = str(caught.value)
    assert "nights: expected double, got missing column" in message
    assert "member: expected boolean, got string (spark)" in message
    assert scoring.settings.model_name(model) in message

    with pytest.raises(FeatureLookupError, match="customer_id"):
        score(scoring, model, keys=keys.drop("customer_id"), scoring_date=DAY)
    with pytest.raises(ScoringError, match="key column.*order_id.*not in the keys frame"):
        score(scoring, model, keys=keys, scoring_date=DAY, key_columns=["order_id"])

    # A value only the running job can see (member = 2 is no boolean) fails the write.
    valued = keys.withColumn("member", F.when(F.col("booking_id") % 50 == 0, F.lit(2))
                             .otherwise(F.col("member").cast("int")))
    with pytest.raises(ScoringError, match=f"scoring .*{model}.* failed.*member"):
        score(scoring, model, keys=valued, scoring_date=D(2024, 2, 1))

    assert scoring.tables.version(table) == version
    pd.testing.assert_frame_equal(_predictions(scoring, model), before)


def test_unknown_alias_version_or_model_names_what_exists(scoring, world):
    model = world["models"]["xgb_clf"]
    name = scoring.settings.model_name(model)
    with pytest.raises(ModelNotFound, match=rf"model {name}@nobody not found.*what exists: "
                                            r"version 1 @champion"):
        score(scoring, model, alias="nobody", keys=world["keys_table"], scoring_date=DAY)
    with pytest.raises(ModelNotFound, match=rf"{name} version 7 not found.*version 1 @champion"):
        score(scoring, model, version=7, keys=world["keys_table"], scoring_date=DAY)
    with pytest.raises(ModelNotFound, match=r"model main\.ml\.no_such_model@champion not found"
                                            r" — train and register it first"):
        score(scoring, "no_such_model", keys=world["keys_table"], scoring_date=DAY)
    # Once a model of the project's inventory is registered, an unknown model names it.
    demand = scoring.settings.model_name("demand_predictor")
    scoring.registry.register(scoring.registry.get(name, 1).source, demand)
    scoring.registry.set_alias(demand, "champion", 1)
    with pytest.raises(ModelNotFound, match=r"no_such_model@champion not found — what exists: "
                                            rf"{demand} \(version 1 @champion\)"):
        score(scoring, "no_such_model", keys=world["keys_table"], scoring_date=DAY)
    assert not scoring.tables.exists(scoring.settings.predictions_table("no_such_model"))


def test_rescoring_a_date_replaces_only_that_dates_rows(scoring, world):
    model = world["models"]["skl_reg"]
    name, table = scoring.settings.model_name(model), scoring.settings.predictions_table(model)
    first, second = D(2024, 3, 10), D(2024, 3, 11)
    keys = scoring.tables.read(world["keys_table"])
    v1 = score(scoring, model, keys=keys, scoring_date=first).version
    v2 = score(scoring, model, keys=keys.filter(F.col("booking_id") % 2 == 0),
               scoring_date=second).version
    other_days = _predictions(scoring, model).query("scoring_date != @first")
    loads = worker.load_count()
    again = score(scoring, model, keys=keys, scoring_date=first)
    assert worker.load_count() == loads  # this process already holds the model: no unpickle
    assert (v2, again.version) == (v1 + 1, v1 + 2)  # one Delta commit per run
    assert again.rows == KEYS

    # A new champion re-scores a subset of the first date: that date's rows are replaced.
    new = scoring.registry.register(scoring.registry.get(name, 1).source, name).version
    scoring.registry.set_alias(name, "champion", new)
    subset = keys.filter(F.col("booking_id") < 10_100)
    replaced = score(scoring, model, keys=subset, scoring_date=first)
    assert (replaced.version, replaced.model_version, replaced.rows) == (v1 + 3, new, 100)

    rows = _predictions(scoring, model)
    assert not rows.duplicated(["booking_id", "scoring_date"]).any()
    counts = rows.groupby("scoring_date").size().to_dict()
    assert (counts[first], counts[second]) == (100, KEYS // 2)
    assert set(rows.query("scoring_date == @first")["model_version"]) == {new}
    pd.testing.assert_frame_equal(  # every other date, scored_at included, is untouched
        rows.query("scoring_date != @first").reset_index(drop=True),
        other_days.reset_index(drop=True))
    latest = scoring.tables.history(table)[0]
    assert latest["version"] == replaced.version and latest["operation"] == "WRITE"
