"""FeatureLookup: the real client's rules, checked at declaration, and a JSON round trip."""

from __future__ import annotations

import datetime
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lakestep.errors import FeatureLookupError, InvalidName
from lakestep.features import FeatureLookup

TABLE = "main.features.customer_daily"
names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)


@st.composite
def lookups(draw) -> FeatureLookup:
    features = draw(st.none() | st.lists(names, min_size=1, max_size=4, unique=True))
    renames = {}
    if features:
        chosen = draw(st.lists(st.sampled_from(features), unique=True))
        targets = draw(st.lists(names.map(lambda n: f"r_{n}"), min_size=len(chosen),
                                max_size=len(chosen), unique=True))
        renames = dict(zip(chosen, targets, strict=True))
    timestamp = draw(st.none() | names)
    window = None
    if timestamp is not None:
        window = draw(st.none() | st.timedeltas(min_value=datetime.timedelta(0),
                                                max_value=datetime.timedelta(days=3650)))
    defaults = {}
    if features:
        outputs = [renames.get(f, f) for f in features]
        values = st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False,
                                                                         allow_infinity=False) | names
        defaults = draw(st.dictionaries(st.sampled_from(outputs), values, max_size=2))
    return FeatureLookup(
        TABLE, draw(names | st.lists(names, min_size=1, max_size=3, unique=True)),
        feature_names=features, rename_outputs=renames, timestamp_lookup_key=timestamp,
        lookback_window=window, default_values=defaults)


@given(lookups())
def test_json_round_trip_gives_an_equal_lookup(lookup):
    text = json.dumps(lookup.to_dict())
    again = FeatureLookup.from_dict(json.loads(text))
    assert again == lookup
    assert hash(again) == hash(lookup)
    assert again.lookback_window == lookup.lookback_window


def test_one_key_or_a_list_of_keys():
    assert FeatureLookup(TABLE, "customer_id").lookup_key == ("customer_id",)
    assert FeatureLookup(TABLE, ["a", "b"]).lookup_key == ("a", "b")
    assert FeatureLookup(TABLE, "k", timestamp_lookup_key=["ts"]).timestamp_lookup_key == "ts"
    assert FeatureLookup(TABLE, "k", feature_names=[]).feature_names is None


def test_lookups_are_frozen():
    lookup = FeatureLookup(TABLE, "k", rename_outputs={"a": "b"}, feature_names=["a"])
    with pytest.raises(AttributeError):
        lookup.table_name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        lookup.rename_outputs["a"] = "c"  # type: ignore[index]


def test_output_names_follow_renames():
    lookup = FeatureLookup(TABLE, "k", feature_names=["a", "b"], rename_outputs={"a": "x"})
    assert lookup.output_names == ("x", "b")
    assert FeatureLookup(TABLE, "k").output_names is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lookback_window": datetime.timedelta(days=1)}, "lookback_window needs a timestamp"),
        ({"timestamp_lookup_key": "ts", "lookback_window": datetime.timedelta(days=-1)},
         "not a non-negative timedelta"),
        ({"timestamp_lookup_key": "ts", "lookback_window": 3600}, "not a non-negative timedelta"),
        ({"timestamp_lookup_key": ["a", "b"]}, "only one timestamp_lookup_key"),
        ({"feature_names": ["a"], "rename_outputs": {"a": "x"}, "default_values": {"a": 0}},
         "default_values names 'a', which is renamed to 'x'"),
        ({"feature_names": ["a"], "default_values": {"b": 0}},
         r"default_values names b, which are not outputs"),
        ({"feature_names": ["a"], "default_values": {"a": [1]}}, "default value for 'a' is a list"),
        ({"feature_names": ["a"], "rename_outputs": {"b": "x"}},
         "rename_outputs names b, which feature_names does not select"),
        ({"feature_names": ["a", "a"]}, "repeats a column"),
        ({"feature_names": ["bad name"]}, "invalid column name 'bad name'"),
    ],
)
def test_invalid_lookups_fail_when_declared(kwargs, message):
    with pytest.raises(FeatureLookupError, match=message) as caught:
        FeatureLookup(TABLE, "k", **kwargs)
    assert TABLE in str(caught.value)


def test_lookup_key_must_not_be_empty_and_table_must_have_three_levels():
    with pytest.raises(FeatureLookupError, match="lookup_key is empty"):
        FeatureLookup(TABLE, [])
    with pytest.raises(InvalidName, match="catalog.schema.name"):
        FeatureLookup("features.customer_daily", "k")


def test_a_stored_lookup_with_unknown_keys_is_refused():
    data = FeatureLookup(TABLE, "k").to_dict() | {"lookback": 1}
    with pytest.raises(FeatureLookupError, match="cannot read a stored lookup"):
        FeatureLookup.from_dict(data)
