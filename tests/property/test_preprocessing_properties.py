"""Properties of the fitted preprocessor on arbitrary mixed-dtype frames (pandas only)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import training_cases

from lakestep.models.packaging import input_schema_for
from lakestep.preprocessing import FittedPreprocessor, fit
from lakestep.signature import conform

_many = settings(max_examples=150, deadline=None)


@_many
@given(case=training_cases())
def test_json_round_trip_is_exact(case):
    train, score, spec = case
    fitted = fit(train, spec)
    again = FittedPreprocessor.from_dict(json.loads(json.dumps(fitted.to_dict())))
    assert again == fitted
    for frame in (train, score):
        pd.testing.assert_frame_equal(again.transform(frame), fitted.transform(frame))


@_many
@given(case=training_cases())
def test_matrix_is_finite_float64_in_feature_order(case):
    train, score, spec = case
    fitted = fit(train, spec)
    for frame in (train, score):
        matrix = fitted.transform(frame)
        assert list(matrix.columns) == list(fitted.feature_names)
        assert (matrix.dtypes == "float64").all()
        assert np.isfinite(matrix.to_numpy()).all()
        assert matrix.index.equals(frame.index)


@_many
@given(case=training_cases(), cut=st.integers(0, 12))
def test_codes_and_fills_never_depend_on_the_batch(case, cut):
    """Scoring rows in any batches gives the rows scoring them all at once gives."""
    train, score, spec = case
    fitted = fit(train, spec)
    whole = fitted.transform(score)
    parts = [fitted.transform(score.iloc[:cut]), fitted.transform(score.iloc[cut:])]
    pd.testing.assert_frame_equal(pd.concat(parts), whole)


@_many
@given(case=training_cases())
def test_conform_then_transform_equals_transform(case):
    """The inference path (conform to the model's input schema, then transform) and the
    training path (transform the raw frame) build the same matrix."""
    train, score, spec = case
    fitted = fit(train, spec)
    schema = input_schema_for(fitted)
    for frame in (train, score):
        conformed = conform(frame, schema).frame
        pd.testing.assert_frame_equal(fitted.transform(conformed), fitted.transform(frame))
