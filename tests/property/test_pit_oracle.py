"""Point-in-time lookups equal a pandas.merge_asof oracle, and never leak the future.

Random feature histories (ties across keys, null feature values) and label frames (equal
timestamps, null keys and timestamps, rows before any feature row, duplicates) go through
the real local feature store — Delta tables, ``create_training_set(...).load_df()`` — and
are compared, row by row, with ``merge_asof(direction="backward",
allow_exact_matches=True, tolerance=lookback_window)``.
"""

from __future__ import annotations

import datetime
import uuid

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lakestep.features import FeatureLookup

BASE = datetime.datetime(2024, 3, 1)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)

_hyp = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

# Dense on purpose (few keys, few hours): ties, exact-window ages and rows before any
# feature row come up in most examples, not once in a while.
feature_rows = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 8), st.booleans()),
    max_size=20,
    unique_by=lambda row: (row[0], row[1]),
)
label_rows = st.lists(
    st.tuples(st.none() | st.integers(0, 3), st.none() | st.integers(-2, 10)),
    max_size=20,
)
windows = st.none() | st.sampled_from([0, 1, 2, 3]).map(lambda h: h * HOUR)
# Boundaries pinned: an equal timestamp matches; a row exactly one window old matches, an
# older one does not; a zero window is an exact match; a label before all features is null.
BOUNDARIES = [
    ([(0, 2, False)], [(0, 2), (0, 3), (0, 4), (0, 1)], 1 * HOUR),
    ([(0, 2, False), (0, 5, True)], [(0, 5), (0, 6), (1, 5)], datetime.timedelta(0)),
]


def _features(rows, step: datetime.timedelta = HOUR) -> pd.DataFrame:
    """Feature ``f`` is unique per row (its index) so a match identifies the row;
    ``g`` is sometimes null to show a matched null is not replaced by an older value."""
    return pd.DataFrame({
        "k": pd.array([k for k, _, _ in rows], dtype="int64"),
        "ts": pd.to_datetime([BASE + h * step for _, h, _ in rows]),
        "f": np.arange(len(rows), dtype="float64"),
        "g": [None if null else f"v{i}" for i, (_, _, null) in enumerate(rows)],
    })


def _labels(rows, step: datetime.timedelta = HOUR) -> pd.DataFrame:
    return pd.DataFrame({
        "rid": np.arange(len(rows), dtype="int64"),
        "k": pd.array([k for k, _ in rows], dtype="Int64"),
        "ts": pd.to_datetime([None if h is None else BASE + h * step for _, h in rows]),
    })


def merge_asof_oracle(labels: pd.DataFrame, features: pd.DataFrame,
                      window: datetime.timedelta | None) -> pd.DataFrame:
    """The expected join. merge_asof needs sorted, non-null ``on`` and ``by`` values, so
    rows with a null key or timestamp are set aside: they can never match."""
    matchable = labels["k"].notna() & labels["ts"].notna()
    left = labels[matchable].astype({"k": "int64"}).sort_values("ts", kind="stable")
    right = features.sort_values("ts", kind="stable")
    joined = pd.merge_asof(left, right, on="ts", by="k", direction="backward",
                           allow_exact_matches=True,
                           tolerance=None if window is None else pd.Timedelta(window))
    unmatched = labels[~matchable].assign(f=np.nan, g=None)
    expected = pd.concat([joined.astype({"k": "Int64"}), unmatched])
    return expected.sort_values("rid").reset_index(drop=True)


def _rows(frame: pd.DataFrame) -> list[tuple]:
    clean = frame[["rid", "f", "g"]].astype(object)
    clean = clean.where(clean.notna(), None)
    return sorted(tuple(row) for row in clean.itertuples(index=False))


def _spark_time(value, kind: str):
    if pd.isna(value):
        return None
    return value.to_pydatetime() if kind == "timestamp" else value.date()


def _store_table(platform, spark, features: pd.DataFrame, kind: str = "timestamp") -> str:
    name = f"main.pit_test.ft_{uuid.uuid4().hex[:12]}"
    records = [(int(k), _spark_time(ts, kind), float(f), g)
               for k, ts, f, g in features.itertuples(index=False)]
    df = spark.createDataFrame(records, f"k long, ts {kind}, f double, g string")
    platform.features.create_table(name=name, primary_keys=["k", "ts"], timeseries_column="ts",
                                   df=df)
    return name


def _label_frame(spark, labels: pd.DataFrame, kind: str = "timestamp"):
    records = [
        (int(rid), None if pd.isna(k) else int(k), _spark_time(ts, kind))
        for rid, k, ts in labels.itertuples(index=False)
    ]
    return spark.createDataFrame(records, f"rid long, k long, ts {kind}")


@_hyp
@given(features=feature_rows, labels=label_rows, window=windows)
@example(*BOUNDARIES[0])
@example(*BOUNDARIES[1])
def test_load_df_equals_merge_asof(platform, spark, features, labels, window):
    feature_frame, label_frame = _features(features), _labels(labels)
    name = _store_table(platform, spark, feature_frame)
    try:
        lookup = FeatureLookup(name, "k", timestamp_lookup_key="ts", lookback_window=window)
        training = platform.features.create_training_set(
            df=_label_frame(spark, label_frame), feature_lookups=[lookup], label=None)
        result = training.load_df().toPandas()
    finally:
        platform.features.drop_table(name=name)
    assert list(result.columns) == ["rid", "k", "ts", "f", "g"]
    assert len(result) == len(label_frame)
    assert _rows(result) == _rows(merge_asof_oracle(label_frame, feature_frame, window))


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(features=feature_rows, labels=label_rows, days=st.none() | st.sampled_from([0, 1, 2, 3]))
def test_date_keys_with_windows_in_days_equal_merge_asof(platform, spark, features, labels, days):
    window = None if days is None else days * DAY
    feature_frame, label_frame = _features(features, DAY), _labels(labels, DAY)
    name = _store_table(platform, spark, feature_frame, "date")
    try:
        lookup = FeatureLookup(name, "k", timestamp_lookup_key="ts", lookback_window=window)
        result = platform.features.create_training_set(
            df=_label_frame(spark, label_frame, "date"), feature_lookups=[lookup], label=None,
        ).load_df().toPandas()
    finally:
        platform.features.drop_table(name=name)
    assert _rows(result) == _rows(merge_asof_oracle(label_frame, feature_frame, window))


@_hyp
@given(features=feature_rows, labels=label_rows, window=windows,
       default=st.floats(-5, -1, allow_nan=False))
def test_default_values_fill_what_merge_asof_leaves_null(platform, spark, features, labels,
                                                         window, default):
    feature_frame, label_frame = _features(features), _labels(labels)
    name = _store_table(platform, spark, feature_frame)
    try:
        lookup = FeatureLookup(name, "k", feature_names=["f", "g"], timestamp_lookup_key="ts",
                               lookback_window=window, default_values={"f": default, "g": "none"})
        result = platform.features.create_training_set(
            df=_label_frame(spark, label_frame), feature_lookups=[lookup], label=None,
        ).load_df().toPandas()
    finally:
        platform.features.drop_table(name=name)
    expected = merge_asof_oracle(label_frame, feature_frame, window)
    expected = expected.assign(f=expected["f"].fillna(default),
                               g=expected["g"].where(expected["g"].notna(), "none"))
    assert _rows(result) == _rows(expected)


@_hyp
@given(features=feature_rows, labels=label_rows, shift=st.integers(0, 20),
       window=windows)
def test_no_feature_row_after_the_lookup_timestamp_is_ever_used(platform, spark, features,
                                                                 labels, shift, window):
    """Leakage: every matched feature row is at or before its label row's timestamp, also
    after shifting the labels into the future, and shifting never matches an older row."""
    feature_frame = _features(features)
    name = _store_table(platform, spark, feature_frame)
    label_frame = _labels(labels)
    shifted = label_frame.assign(ts=label_frame["ts"] + shift * HOUR)
    try:
        lookup = FeatureLookup(name, "k", feature_names=["f"], timestamp_lookup_key="ts",
                               lookback_window=window)
        frames = [
            platform.features.create_training_set(
                df=_label_frame(spark, frame), feature_lookups=[lookup], label=None,
            ).load_df().toPandas().sort_values("rid").reset_index(drop=True)
            for frame in (label_frame, shifted)
        ]
    finally:
        platform.features.drop_table(name=name)
    feature_time = feature_frame["ts"].to_numpy()
    for frame in frames:
        used = frame["f"].notna()
        matched_at = feature_time[frame.loc[used, "f"].astype(int).to_numpy()]
        assert (matched_at <= frame.loc[used, "ts"].to_numpy()).all()
    before, after = frames
    both = before["f"].notna() & after["f"].notna()
    # A later lookup time may only move to a later (or the same) feature row.
    earlier = feature_time[before.loc[both, "f"].astype(int).to_numpy()]
    later = feature_time[after.loc[both, "f"].astype(int).to_numpy()]
    assert (later >= earlier).all()
