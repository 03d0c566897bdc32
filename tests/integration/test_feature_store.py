"""The local feature store on real Delta tables: keys enforced, merge upserts, metadata
survives restarts, refused writes change nothing, bad lookups fail at create_training_set."""

from __future__ import annotations

import datetime
import subprocess
import sys
import textwrap
import uuid

import pytest
from pyspark.sql import functions as F

from lakestep.errors import (
    FeatureLookupError,
    FeatureStoreError,
    FeatureTableNotFound,
    FeatureTableWriteError,
    InvalidName,
)
from lakestep.features import FeatureLookup, FeatureTable

D = datetime.date
SCHEMA = "customer_id long, date date, spend_30d double, segment string"
ROWS = [(1, D(2024, 1, 1), 10.0, "a"), (1, D(2024, 1, 5), 20.0, "b"), (2, D(2024, 1, 3), 5.0, None)]


@pytest.fixture
def features(platform):
    return platform.features


@pytest.fixture
def name() -> str:
    return f"main.features_test.ft_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def daily(features, spark, name) -> str:
    features.create_table(name=name, primary_keys=["customer_id", "date"],
                          timeseries_column="date", df=spark.createDataFrame(ROWS, SCHEMA),
                          description="daily spend", tags={"owner": "ml"})
    return name


def _content(df) -> list[tuple]:
    return sorted((tuple(r) for r in df.collect()), key=repr)


def test_create_and_get_table(features, daily):
    table = features.get_table(name=daily)
    assert table == FeatureTable(
        name=daily, primary_keys=("customer_id", "date"), timestamp_keys=("date",),
        description="daily spend", tags={"owner": "ml"},
        columns={"customer_id": "bigint", "date": "date", "spend_30d": "double",
                 "segment": "string"})
    assert table.features == ("spend_30d", "segment") and table.entity_keys == ("customer_id",)
    assert _content(features.read_table(name=daily)) == sorted(ROWS, key=repr)


def test_create_from_a_schema_then_merge(features, spark, name):
    schema = spark.createDataFrame([], SCHEMA).schema
    table = features.create_table(name=name, primary_keys="customer_id", schema=schema)
    assert table.primary_keys == ("customer_id",) and table.timestamp_keys == ()
    assert features.read_table(name=name).count() == 0
    features.write_table(name=name, df=spark.createDataFrame(ROWS[1:], SCHEMA))
    assert _content(features.read_table(name=name)) == sorted(ROWS[1:], key=repr)


def test_write_table_upserts_by_key_and_adds_new_features(features, spark, daily, platform):
    update = spark.createDataFrame(
        [(1, D(2024, 1, 5), 25.0, "c", 3), (3, D(2024, 1, 2), 1.0, "d", 1)],
        SCHEMA + ", bookings_7d int")
    features.write_table(name=daily, df=update)
    assert _content(features.read_table(name=daily)) == sorted([
        (1, D(2024, 1, 1), 10.0, "a", None), (1, D(2024, 1, 5), 25.0, "c", 3),
        (2, D(2024, 1, 3), 5.0, None, None), (3, D(2024, 1, 2), 1.0, "d", 1)], key=repr)
    assert features.get_table(name=daily).features == ("spend_30d", "segment", "bookings_7d")
    assert platform.tables.history(daily)[0]["operation"] == "MERGE"


@pytest.mark.parametrize(
    ("rows", "schema", "message"),
    [
        ([(1, D(2024, 1, 1), 1.0, "x"), (1, D(2024, 1, 1), 2.0, "y")], SCHEMA,
         r"duplicate primary key \{'customer_id': 1, 'date': datetime.date\(2024, 1, 1\)\}"),
        ([(None, D(2024, 1, 1), 1.0, "x")], SCHEMA, r"null value in primary key column\(s\)"),
        ([(1, D(2024, 1, 1), "1.0", "x")], "customer_id long, date date, spend_30d string, "
         "segment string", r"column type\(s\) differ: spend_30d \(double in the table, string"),
        ([(1, D(2024, 1, 1), 1.0)], "customer_id long, date date, spend_30d double",
         r"column\(s\) segment are missing from the input.*time series feature table"),
        ([(D(2024, 1, 1), 1.0, "x")], "date date, spend_30d double, segment string",
         r"primary key column\(s\) customer_id are missing"),
    ],
)
def test_refused_writes_leave_the_table_unchanged(features, spark, daily, platform, rows, schema,
                                                  message):
    version = platform.tables.version(daily)
    with pytest.raises(FeatureTableWriteError, match=message) as caught:
        features.write_table(name=daily, df=spark.createDataFrame(rows, schema))
    assert daily in str(caught.value) and "the table is unchanged" in str(caught.value)
    assert platform.tables.version(daily) == version
    assert _content(features.read_table(name=daily)) == sorted(ROWS, key=repr)


def test_merge_is_the_only_write_mode(features, spark, daily):
    with pytest.raises(FeatureTableWriteError, match="unsupported mode 'overwrite'.*'merge'"):
        features.write_table(name=daily, df=spark.createDataFrame(ROWS, SCHEMA), mode="overwrite")


def test_duplicate_keys_on_create_write_nothing(features, spark, name, platform):
    df = spark.createDataFrame([*ROWS, ROWS[0]], SCHEMA)
    with pytest.raises(FeatureTableWriteError, match="duplicate primary key"):
        features.create_table(name=name, primary_keys=["customer_id", "date"], df=df)
    assert not platform.tables.exists(name)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"primary_keys": ["customer_id"], "timeseries_column": "date"},
         r"timeseries column 'date' is not one of primary_keys"),
        ({"primary_keys": ["date"], "timeseries_column": "date"},
         "the timeseries column is the only primary key"),
        ({"primary_keys": ["customer_id", "segment"], "timeseries_column": "segment"},
         "timeseries column 'segment' is string"),
        ({"primary_keys": ["customer_id", "nope"]}, r"primary key column\(s\) nope are not in"),
        ({"primary_keys": []}, "non-empty list"),
    ],
)
def test_create_table_checks_its_keys(features, spark, name, kwargs, message):
    with pytest.raises(FeatureTableWriteError, match=message):
        features.create_table(name=name, df=spark.createDataFrame(ROWS, SCHEMA), **kwargs)


def test_create_table_needs_df_or_schema_and_three_level_names(features):
    with pytest.raises(FeatureTableWriteError, match="neither df nor schema"):
        features.create_table(name="main.features_test.x", primary_keys=["k"])
    with pytest.raises(InvalidName):
        features.create_table(name="features_test.x", primary_keys=["k"])


def test_create_existing_returns_it_without_writing(features, spark, daily, platform):
    version = platform.tables.version(daily)
    again = features.create_table(name=daily, primary_keys=["customer_id", "date"],
                                  timeseries_column="date", df=spark.createDataFrame(ROWS[:1], SCHEMA))
    assert again.primary_keys == ("customer_id", "date")
    assert platform.tables.version(daily) == version
    with pytest.raises(FeatureTableWriteError, match=r"exists with primary keys \['customer_id', "
                       r"'date'\]"):
        features.create_table(name=daily, primary_keys=["customer_id"],
                              df=spark.createDataFrame(ROWS, SCHEMA))


def test_a_plain_delta_table_is_not_a_feature_table(features, spark, name, platform):
    platform.tables.write(name, spark.createDataFrame(ROWS, SCHEMA))
    with pytest.raises(FeatureTableNotFound, match=f"feature table {name} does not exist"):
        features.get_table(name=name)
    with pytest.raises(FeatureTableWriteError, match="not a feature table already exists"):
        features.create_table(name=name, primary_keys=["customer_id", "date"],
                              df=spark.createDataFrame(ROWS, SCHEMA))


def test_unknown_tables(features, spark, name):
    df = spark.createDataFrame(ROWS, SCHEMA)
    for call in (lambda: features.get_table(name=name), lambda: features.read_table(name=name),
                 lambda: features.write_table(name=name, df=df),
                 lambda: features.drop_table(name=name)):
        with pytest.raises(FeatureTableNotFound, match=f"{name} does not exist"):
            call()


def test_drop_table(features, daily, platform):
    features.drop_table(name=daily)
    assert not platform.tables.exists(daily)


def test_metadata_survives_a_restart(tmp_path):
    """A second, separate process sees the keys, description, tags and the merged rows."""
    writer = textwrap.dedent(f"""
        import lakestep
        with lakestep.connect(home={str(tmp_path)!r}, environ={{}}) as p:
            df = p.spark.createDataFrame([(1, 'a'), (2, 'b')], 'id long, v string')
            p.features.create_table(name='main.features.kept', primary_keys='id', df=df,
                                    description='kept across restarts', tags={{'team': 'ml'}})
            p.features.write_table(name='main.features.kept',
                                   df=p.spark.createDataFrame([(2, 'z')], 'id long, v string'))
    """)
    reader = textwrap.dedent(f"""
        import lakestep
        with lakestep.connect(home={str(tmp_path)!r}, environ={{}}) as p:
            t = p.features.get_table(name='main.features.kept')
            rows = sorted(tuple(r) for r in p.features.read_table(name='main.features.kept').collect())
            print(t.primary_keys, t.description, t.tags, rows, sep='|')
    """)
    subprocess.run([sys.executable, "-c", writer], check=True, capture_output=True)
    out = subprocess.run([sys.executable, "-c", reader], check=True, capture_output=True, text=True)
    assert out.stdout.strip().split("|") == [
        "('id',)", "kept across restarts", "{'team': 'ml'}", "[(1, 'a'), (2, 'z')]"]


# -- training sets ----------------------------------------------------------------------------------

@pytest.fixture
def calendar(features, spark, name) -> str:
    table = name + "_calendar"
    df = spark.createDataFrame([(D(2024, 1, d), d % 7 in (6, 0)) for d in range(1, 8)],
                               "date date, is_weekend boolean")
    features.create_table(name=table, primary_keys="date", df=df)
    return table


@pytest.fixture
def labels(spark):
    return spark.createDataFrame(
        [(100, 1, D(2024, 1, 4), 1.0), (101, 1, D(2024, 1, 6), 0.0), (102, 2, D(2024, 1, 2), 1.0),
         (103, 3, D(2024, 1, 6), 0.0)],
        "booking_id long, customer_id long, booking_date date, converted double")


def test_training_set_joins_point_in_time_and_plain_lookups(features, daily, calendar, labels):
    training = features.create_training_set(
        df=labels,
        feature_lookups=[
            FeatureLookup(daily, "customer_id", feature_names=["spend_30d", "segment"],
                          rename_outputs={"segment": "customer_segment"},
                          timestamp_lookup_key="booking_date", default_values={"spend_30d": 0.0}),
            FeatureLookup(calendar, "booking_date"),
        ],
        label="converted", exclude_columns=["booking_id"])
    assert training.feature_columns == ("spend_30d", "customer_segment", "is_weekend")
    result = training.load_df()
    assert result.columns == ["customer_id", "booking_date", "spend_30d", "customer_segment",
                              "is_weekend", "converted"]
    assert _content(result) == sorted([
        (1, D(2024, 1, 4), 10.0, "a", False, 1.0),   # latest row on or before Jan 4: Jan 1
        (1, D(2024, 1, 6), 20.0, "b", True, 0.0),    # Jan 5
        (2, D(2024, 1, 2), 0.0, None, False, 1.0),   # before the first row: default, null
        (3, D(2024, 1, 6), 0.0, None, True, 0.0),    # unknown customer
    ], key=repr)


def test_unlabelled_training_set_with_a_lookback_window(features, daily, labels):
    lookup = FeatureLookup(daily, "customer_id", feature_names=["spend_30d"],
                           timestamp_lookup_key="booking_date",
                           lookback_window=datetime.timedelta(days=2))
    result = features.create_training_set(df=labels, feature_lookups=[lookup], label=None)
    rows = {r["booking_id"]: r["spend_30d"] for r in result.load_df().collect()}
    # Jan 4 -> Jan 1 is 3 days old: outside the 2-day window; Jan 6 -> Jan 5 is inside.
    assert rows == {100: None, 101: 20.0, 102: None, 103: None}


def test_bad_lookups_fail_at_create_training_set(features, daily, labels, spark):
    def create(lookup, df=labels):
        return features.create_training_set(df=df, feature_lookups=[lookup], label="converted")

    with pytest.raises(FeatureTableNotFound, match="main.features_test.nope does not exist"):
        create(FeatureLookup("main.features_test.nope", "customer_id"))
    with pytest.raises(FeatureLookupError, match=rf"{daily}: lookup key 'client_id' is not a "
                       "column of the label frame"):
        create(FeatureLookup(daily, "client_id", timestamp_lookup_key="booking_date"))
    as_string = labels.withColumn("customer_id", F.col("customer_id").cast("string"))
    with pytest.raises(FeatureLookupError, match=rf"{daily}: lookup key 'customer_id' is string "
                       "in the label frame, but key 'customer_id' is bigint"):
        create(FeatureLookup(daily, "customer_id", timestamp_lookup_key="booking_date"), as_string)
    with pytest.raises(FeatureLookupError, match=rf"{daily}: feature\(s\) spend_90d do not exist"):
        create(FeatureLookup(daily, "customer_id", feature_names=["spend_90d"],
                             timestamp_lookup_key="booking_date"))
    with pytest.raises(FeatureLookupError, match="output column 'converted' clashes with the label "
                       "column.*rename_outputs"):
        create(FeatureLookup(daily, "customer_id", feature_names=["spend_30d"],
                             rename_outputs={"spend_30d": "converted"},
                             timestamp_lookup_key="booking_date"))
    with pytest.raises(FeatureStoreError, match="must be FeatureLookup values"):
        features.create_training_set(df=labels, feature_lookups=[object()], label=None)
