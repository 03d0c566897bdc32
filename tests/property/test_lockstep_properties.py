"""Lockstep: the matrix and the predictions at inference equal those at training, for any
frame, after the frame went through Spark, a Delta table and conform.

Inference reads rows as Spark gives them back: Decimal objects, float64 for a long column
with nulls, object columns of bools and None, dates and timestamps. The training matrix
comes from the original pandas frame.
"""

from __future__ import annotations

import uuid

import mlflow
import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from strategies import training_cases
from xgboost import XGBRegressor

from lakestep.models.packaging import input_schema_for, load, log_model
from lakestep.preprocessing import fit
from lakestep.signature import conform

_spark = settings(max_examples=20, deadline=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture,
                                         HealthCheck.too_slow, HealthCheck.data_too_large])


def through_spark_and_delta(platform, *frames: pd.DataFrame) -> list[pd.DataFrame]:
    """Each frame after spark.createDataFrame, a Delta write and read, and toPandas."""
    tagged = [f.assign(_part=i) for i, f in enumerate(frames)]
    combined = pd.concat(tagged, ignore_index=True)
    combined["_row"] = np.arange(len(combined))
    # Spark Connect's createDataFrame cannot take a multi-chunk pyarrow string column (as
    # pd.concat makes); Spark returns strings as object columns anyway.
    for column in combined.columns:
        if isinstance(combined[column].dtype, pd.StringDtype):
            combined[column] = combined[column].astype(object)
    name = f"main.test.lockstep_{uuid.uuid4().hex[:12]}"
    platform.tables.write(name, platform.spark.createDataFrame(combined))
    try:
        back = platform.tables.read(name).toPandas().sort_values("_row")
    finally:
        platform.tables.drop(name)
    return [back[back["_part"] == i].drop(columns=["_part", "_row"]).reset_index(drop=True)
            for i in range(len(frames))]


def assert_same_matrix(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(actual.columns) == list(expected.columns)
    assert len(actual) == len(expected)
    # Sail 0.7.2 reads a double column whose Delta file statistics have min == max from those
    # statistics, up to one ULP off (tests/integration/test_table_store.py pins the defect).
    np.testing.assert_array_max_ulp(actual.to_numpy(), expected.to_numpy(), maxulp=1)


@_spark
@given(case=training_cases(spark_safe=True))
def test_matrix_at_training_equals_matrix_at_inference(platform, case):
    train, score, spec = case
    fitted = fit(train, spec)
    schema = input_schema_for(fitted)
    for original, back in zip((train, score), through_spark_and_delta(platform, train, score),
                              strict=True):
        at_inference = fitted.transform(conform(back, schema).frame)
        assert_same_matrix(at_inference, fitted.transform(original))


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(case=training_cases(spark_safe=True, bounded=True))
def test_loaded_model_predicts_what_the_estimator_predicted(platform, mlflow_uri, case):
    train, score, spec = case
    fitted = fit(train, spec)
    matrix = fitted.transform(train)
    estimator = XGBRegressor(n_estimators=4, max_depth=3, random_state=0)
    estimator.fit(matrix, np.arange(len(train)) % 3)
    info = log_model(estimator, fitted, kind="regression", raw_input_example=train)
    loaded = load(info.model_uri)
    pyfunc = mlflow.pyfunc.load_model(info.model_uri)
    for original, back in zip((train, score), through_spark_and_delta(platform, train, score),
                              strict=True):
        expected = estimator.predict(fitted.transform(original)).astype("float64")
        assert loaded.predict(back)["prediction"].tolist() == expected.tolist()
        assert pyfunc.predict(back)["prediction"].tolist() == expected.tolist()
