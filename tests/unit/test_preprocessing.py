"""The fitted preprocessor: roles, fills, frozen vocabularies, date parts, JSON, errors."""

from __future__ import annotations

import datetime as dt
import decimal
import json

import numpy as np
import pandas as pd
import pytest

from lakestep.errors import PreprocessingError
from lakestep.preprocessing import (
    NULL,
    UNSEEN,
    FittedPreprocessor,
    PreprocessingSpec,
    fit,
    infer_spec,
)

D = decimal.Decimal


def bookings(rows: int = 4) -> pd.DataFrame:
    frame = pd.DataFrame({
        "booking_id": range(rows),
        "price": [D("100.00"), D("50.50"), None, D("10")][:rows],
        "nights": np.array([1, 2, 3, 10], dtype="int8")[:rows],
        "guests": pd.array([2, None, 4, 1], dtype="Int64")[:rows],
        "member": [True, False, True, None][:rows],
        "country": pd.array(["DE", "FR", None, "DE"], dtype="string[pyarrow]")[:rows],
        "checkin": pd.to_datetime(["2024-01-06", "2024-02-01", None, "2024-03-04"])[:rows],
        "label": [1.0, 0.0, 1.0, 0.0][:rows],
    })
    return frame


SPEC = PreprocessingSpec(numeric=["price", "nights", "guests"], boolean=["member"],
                         categorical=["country"], datetime={"checkin": ("month", "dayofweek")},
                         drop=["booking_id"])


def test_infer_spec_places_each_column_by_its_dtype():
    spec = infer_spec(bookings(), label="label", exclude=["booking_id"])
    assert spec.numeric == ("price", "nights", "guests")
    assert spec.boolean == ("member",)
    assert spec.categorical == ("country",)
    assert spec.datetime == {"checkin": ("year", "month", "day", "dayofweek", "hour")}
    assert spec.drop == ("booking_id",)


def test_infer_spec_names_the_columns_it_cannot_place():
    frame = bookings().assign(blob=[b"x"] * 4, empty=[None] * 4)
    with pytest.raises(PreprocessingError, match=r"cannot choose a role for blob \(bytes\), "
                                                 r"empty \(null\).*exclude"):
        infer_spec(frame, label="label")
    with pytest.raises(PreprocessingError, match="nope not in the frame"):
        infer_spec(bookings(), label="nope")


def test_transform_gives_float64_features_in_a_fixed_order():
    fitted = fit(bookings(), SPEC)
    matrix = fitted.transform(bookings())
    assert list(matrix.columns) == list(fitted.feature_names) == [
        "price", "nights", "guests", "member", "country__0_DE", "country__1_FR",
        "country__unseen", "country__null", "checkin__month", "checkin__dayofweek"]
    assert (matrix.dtypes == "float64").all()
    assert matrix["price"].tolist() == [100.0, 50.5, 50.5, 10.0]  # median fill
    assert matrix["guests"].tolist() == [2.0, 2.0, 4.0, 1.0]
    assert matrix["member"].tolist() == [1.0, 0.0, 1.0, 1.0]  # majority fill
    assert matrix["country__null"].tolist() == [0.0, 0.0, 1.0, 0.0]
    assert matrix["checkin__dayofweek"].tolist() == [5.0, 3.0, 3.0, 0.0]


def test_fill_values_are_learned_at_fit_not_per_batch():
    fitted = fit(bookings(), SPEC)
    later = bookings().assign(price=[None, None, None, D("999")])
    assert fitted.transform(later)["price"].tolist() == [50.5, 50.5, 50.5, 999.0]


def test_categories_are_frozen_unseen_and_null_have_their_own_bucket():
    fitted = fit(bookings(), SPEC)
    batch = bookings().assign(country=["FR", "XX", None, "DE"])
    assert fitted.vocabularies["country"] == ("DE", "FR")
    onehot = fitted.transform(batch).filter(like="country__")
    assert onehot.to_numpy().tolist() == [[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0]]
    single = fitted.transform(batch.iloc[[1]]).filter(like="country__")
    assert single.to_numpy().tolist() == [[0, 0, 1, 0]]  # same codes for a batch of one
    assert fitted.buckets("country", batch["country"]).tolist() == ["FR", UNSEEN, NULL, "DE"]


def test_ordinal_codes_are_vocabulary_positions_then_unseen_then_null():
    spec = PreprocessingSpec(categorical=["country"], categorical_encoding="ordinal")
    fitted = fit(bookings(), spec)
    codes = fitted.transform(pd.DataFrame({"country": ["FR", "DE", "XX", None]}))
    assert codes["country"].tolist() == [1.0, 0.0, 2.0, 3.0]


def test_vocabulary_keeps_the_most_frequent_values_sorted():
    values = pd.DataFrame({"c": ["b", "b", "a", "c", "c", "d"]})
    fitted = fit(values, PreprocessingSpec(categorical=["c"], max_categories=2))
    assert fitted.vocabularies["c"] == ("b", "c")
    assert fitted.buckets("c", values["c"]).tolist() == ["b", "b", UNSEEN, "c", "c", UNSEEN]


def test_extra_columns_are_ignored_missing_ones_are_named():
    fitted = fit(bookings(), SPEC)
    extra = bookings().assign(unused="x")
    assert fitted.transform(extra).equals(fitted.transform(bookings()))
    with pytest.raises(PreprocessingError, match="missing column.s. nights, country"):
        fitted.transform(bookings().drop(columns=["nights", "country"]))


def test_wrong_types_are_named_with_a_sample():
    fitted = fit(bookings(), SPEC)
    with pytest.raises(PreprocessingError,
                       match=r"transform with the fitted preprocessor: column.s. of the wrong "
                             r"type:\n  nights: expected double, got object\[str\], e\.g\. '1'"):
        fitted.transform(bookings().assign(nights=["1", "two", "3", "4"]))


def test_empty_frames_fit_with_an_error_and_transform_to_empty_matrices():
    with pytest.raises(PreprocessingError, match=r"empty frame \(0 rows\)"):
        fit(bookings().iloc[:0], SPEC)
    fitted = fit(bookings(), SPEC)
    empty = fitted.transform(bookings().iloc[:0])
    assert empty.shape == (0, len(fitted.feature_names))
    assert (empty.dtypes == "float64").all()


def test_infinities_are_missing_values():
    frame = pd.DataFrame({"x": [1.0, np.inf, -np.inf, 3.0]})
    fitted = fit(frame, PreprocessingSpec(numeric=["x"]))
    assert fitted.fill_values["x"] == 2.0
    assert fitted.transform(frame)["x"].tolist() == [1.0, 2.0, 2.0, 3.0]


def test_an_all_null_column_fills_with_zero():
    frame = pd.DataFrame({"x": [None, None]}, dtype=object)
    assert fit(frame, PreprocessingSpec(numeric=["x"])).transform(frame)["x"].tolist() == [0, 0]


def test_dates_from_spark_and_timestamps_with_zones_give_the_same_parts():
    spec = PreprocessingSpec(datetime={"d": ("year", "month", "day", "is_weekend")})
    as_dates = pd.DataFrame({"d": [dt.date(2024, 1, 6), None]}, dtype=object)
    fitted = fit(as_dates, spec)
    zoned = pd.DataFrame({"d": pd.to_datetime(["2024-01-06 00:30", None]).tz_localize("UTC")})
    expected = [[2024.0, 1.0, 6.0, 1.0], [2024.0, 1.0, 6.0, 1.0]]
    assert fitted.transform(as_dates).to_numpy().tolist() == expected
    assert fitted.transform(zoned).to_numpy().tolist() == expected


def test_json_round_trip_is_exact():
    fitted = fit(bookings(), SPEC)
    again = FittedPreprocessor.from_dict(json.loads(json.dumps(fitted.to_dict())))
    assert again == fitted
    pd.testing.assert_frame_equal(again.transform(bookings()), fitted.transform(bookings()))


def test_unknown_versions_and_edited_json_are_refused():
    data = fit(bookings(), SPEC).to_dict()
    with pytest.raises(PreprocessingError, match="format version 2 is not supported.*version 1"):
        FittedPreprocessor.from_dict({**data, "version": 2})
    with pytest.raises(PreprocessingError, match="unknown key.s. extra"):
        FittedPreprocessor.from_dict({**data, "extra": 1})
    tampered = {**data, "vocabularies": {"country": ["DE"]}}
    with pytest.raises(PreprocessingError, match="inconsistent"):
        FittedPreprocessor.from_dict(tampered)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"numeric": ["a"], "categorical": ["a"]}, "a appear in more than one role"),
    ({"datetime": {"d": ("fortnight",)}}, "unknown or empty date parts fortnight"),
    ({"categorical": ["c"], "categorical_encoding": "hash"}, "unknown categorical_encoding"),
    ({"categorical": ["c"], "max_categories": 0}, "max_categories must be at least 1"),
    ({"drop": ["x"]}, "declares no feature column"),
])
def test_invalid_specs_are_refused_when_declared(kwargs, message):
    with pytest.raises(PreprocessingError, match=message):
        PreprocessingSpec(**kwargs)


def test_feature_name_clashes_are_refused_at_fit():
    frame = pd.DataFrame({"c": ["a"], "c__null": [1.0]})
    with pytest.raises(PreprocessingError, match="c__null would appear twice"):
        fit(frame, PreprocessingSpec(numeric=["c__null"], categorical=["c"]))


def test_spark_frames_are_refused_with_what_to_do_instead():
    with pytest.raises(PreprocessingError, match="pandas DataFrame, got list.*mapInPandas"):
        fit(bookings(), SPEC).transform([1, 2])
