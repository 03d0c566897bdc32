"""The Databricks feature store adapter against the REAL installed client's signatures.

The client is never constructed (its constructor contacts a workspace): it is replaced by
``create_autospec`` of the installed ``FeatureEngineeringClient``, and every method we call
is additionally held to its *named* parameters, because the real methods take ``**kwargs``
and would silently swallow a misspelled or renamed argument. So a renamed or removed
argument on either side fails here, not in a deploy.
"""

from __future__ import annotations

import datetime
import inspect
from types import SimpleNamespace
from unittest import mock

import pytest

pytest.importorskip("databricks.feature_engineering")

from databricks.feature_engineering import FeatureEngineeringClient
from databricks.feature_engineering import FeatureLookup as RealFeatureLookup
from databricks.feature_engineering.training_set import TrainingSet as RealTrainingSet
from databricks.ml_features.entities.feature_table import FeatureTable as RealFeatureTable
from pyspark.sql.types import (
    DoubleType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from lakestep.errors import FeatureLookupError, FeatureTableNotFound
from lakestep.features import FeatureLookup, FeatureStore
from lakestep.platform import databricks_features
from lakestep.platform.databricks_features import DatabricksFeatureStore

PORT_METHODS = ("create_table", "write_table", "read_table", "get_table", "drop_table",
                "create_training_set")
TABLE = "main.features.customer_daily"
SCHEMA = StructType([
    StructField("customer_id", LongType()),
    StructField("date", TimestampType()),
    StructField("spend_30d", DoubleType()),
    StructField("segment", StringType()),
])


def named_parameters(function) -> dict[str, inspect.Parameter]:
    """Parameters a caller can name, i.e. not swallowed by *args/**kwargs."""
    return {
        p.name: p for p in inspect.signature(function).parameters.values()
        if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and p.name != "self"
    }


def strictly(function, label: str):
    """A side effect that binds a call to ``function``'s signature and refuses any keyword
    that only ``**kwargs`` would accept."""
    signature = inspect.signature(function)
    named = named_parameters(function)
    takes_self = "self" in signature.parameters

    def check(*args, **kwargs):
        signature.bind(*((None,) if takes_self else ()), *args, **kwargs)
        unknown = sorted(set(kwargs) - set(named))
        if unknown:
            raise TypeError(f"{label} has no parameter(s) {unknown}")
        return mock.DEFAULT

    return check


def real_table(**overrides) -> RealFeatureTable:
    values = dict(name=TABLE, table_id="id", description="daily customer features",
                  primary_keys=["customer_id", "date"], partition_columns=[],
                  features=["spend_30d", "segment"], timestamp_keys=["date"], tags={"team": "ml"})
    values.update(overrides)
    return RealFeatureTable(**values)


@pytest.fixture
def client():
    """An autospec of the installed client whose used methods are signature-strict."""
    fake = mock.create_autospec(FeatureEngineeringClient, instance=True)
    for method in PORT_METHODS:
        getattr(fake, method).side_effect = strictly(
            getattr(FeatureEngineeringClient, method), f"FeatureEngineeringClient.{method}")
    fake.get_table.return_value = real_table()
    fake.read_table.return_value = SimpleNamespace(schema=SCHEMA)
    fake.create_training_set.return_value = mock.create_autospec(RealTrainingSet, instance=True)
    return fake


def real_lookup_strictly(*args, **kwargs) -> RealFeatureLookup:
    """The real FeatureLookup (cheap, runs its own checks), held to its named parameters."""
    strictly(RealFeatureLookup.__init__, "FeatureLookup")(*args, **kwargs)
    return RealFeatureLookup(*args, **kwargs)


@pytest.fixture
def store(client):
    return DatabricksFeatureStore(client_factory=lambda: client,
                                  lookup_factory=real_lookup_strictly)


# -- (a) our port and value type use the real names -------------------------------------------------

@pytest.mark.parametrize("method", PORT_METHODS)
def test_port_arguments_are_named_keyword_arguments_of_the_real_client(method):
    ours = named_parameters(getattr(FeatureStore, method))
    real = named_parameters(getattr(FeatureEngineeringClient, method))
    unknown = sorted(set(ours) - set(real))
    assert not unknown, f"{method}: {unknown} are not parameters of the real client"
    for name, parameter in ours.items():
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, f"{method}({name}) keyword-only"
        assert real[name].kind is inspect.Parameter.KEYWORD_ONLY
    required = [n for n, p in real.items() if p.default is inspect.Parameter.empty]
    assert set(required) <= set(ours), f"{method}: real client requires {required}"
    defaults = {n: p.default for n, p in ours.items() if p.default is not inspect.Parameter.empty}
    for name, default in defaults.items():
        if real[name].default is not inspect.Parameter.empty:
            assert default == real[name].default, f"{method}({name}) default differs"


def test_feature_lookup_has_the_real_signature():
    ours = named_parameters(FeatureLookup.__init__)
    real = named_parameters(RealFeatureLookup.__init__)
    assert set(ours) <= set(real), sorted(set(ours) - set(real))
    assert {n: p.kind for n, p in ours.items()} == {n: real[n].kind for n in ours}
    assert [n for n, p in ours.items() if p.default is inspect.Parameter.empty] == [
        "table_name", "lookup_key"]


def test_the_strict_check_catches_what_kwargs_would_swallow(client):
    with pytest.raises(TypeError, match=r"no parameter\(s\) \['timeseries_columnn'\]"):
        client.create_table(name=TABLE, primary_keys=["k"], timeseries_columnn="ts")
    with pytest.raises(TypeError, match="missing a required argument: 'label'"):
        client.create_training_set(df=None, feature_lookups=[])


# -- (b) every call the adapter makes matches the real signature ------------------------------------

def test_the_client_is_created_lazily_and_once():
    factory = mock.Mock()
    store = DatabricksFeatureStore(client_factory=factory)
    factory.assert_not_called()
    assert store.client is store.client
    factory.assert_called_once_with()
    assert databricks_features._client_class() is FeatureEngineeringClient


def test_get_and_read_table(store, client):
    table = store.get_table(name=TABLE)
    assert table.primary_keys == ("customer_id", "date")
    assert table.timeseries_column == "date" and table.entity_keys == ("customer_id",)
    assert table.description == "daily customer features" and table.tags == {"team": "ml"}
    assert table.features == ("spend_30d", "segment")
    assert store.read_table(name=TABLE) is client.read_table.return_value
    client.get_table.assert_called_with(name=TABLE)


def test_create_table_from_a_schema(store, client):
    client.get_table.side_effect = [ValueError(f"The feature data table for '{TABLE}' could "
                                               "not be found."), real_table()]
    table = store.create_table(name=TABLE, primary_keys=["customer_id", "date"],
                               timeseries_column="date", schema=SCHEMA,
                               description="daily customer features", tags={"team": "ml"})
    assert table.name == TABLE
    client.create_table.assert_called_once_with(
        name=TABLE, primary_keys=["customer_id", "date"], df=None, timeseries_column="date",
        schema=SCHEMA, description="daily customer features", tags={"team": "ml"})


def test_write_and_drop_table(store, client, spark):
    df = spark.createDataFrame([(1, datetime.datetime(2024, 1, 1), 1.0, "a")], SCHEMA)
    store.write_table(name=TABLE, df=df)
    client.write_table.assert_called_once_with(name=TABLE, df=df, mode="merge")
    store.drop_table(name=TABLE)
    client.drop_table.assert_called_once_with(name=TABLE)


def test_unknown_table_is_feature_table_not_found(store, client):
    client.get_table.side_effect = ValueError("The feature data table for 'x' could not be found.")
    with pytest.raises(FeatureTableNotFound, match=f"feature table {TABLE} does not exist"):
        store.read_table(name=TABLE)
    client.read_table.assert_not_called()


def test_create_training_set_translates_every_lookup_argument(store, client):
    lookup = FeatureLookup(
        TABLE, "customer_id", feature_names=["spend_30d", "segment"],
        rename_outputs={"segment": "customer_segment"}, timestamp_lookup_key="booking_ts",
        lookback_window=datetime.timedelta(days=30), default_values={"spend_30d": 0.0})
    labels = SimpleNamespace(schema=StructType([
        StructField("customer_id", LongType()), StructField("booking_ts", TimestampType()),
        StructField("converted", DoubleType())]))
    training_set = store.create_training_set(df=labels, feature_lookups=[lookup],
                                             label="converted", exclude_columns=[])
    call = client.create_training_set.call_args
    assert call.kwargs["label"] == "converted" and call.kwargs["exclude_columns"] == []
    (real,) = call.kwargs["feature_lookups"]
    assert isinstance(real, RealFeatureLookup)
    assert (real.table_name, real.lookup_key, real.feature_names) == (
        TABLE, ["customer_id"], ["spend_30d", "segment"])
    assert real._get_output_name("segment") == "customer_segment"
    assert real.timestamp_lookup_key == "booking_ts"
    assert real.lookback_window == datetime.timedelta(days=30)
    assert real.default_values == {"spend_30d": 0.0}
    assert training_set.load_df() is client.create_training_set.return_value.load_df.return_value
    assert training_set.feature_columns == ("spend_30d", "customer_segment")


def test_lookup_errors_are_raised_before_the_client_is_called(store, client):
    labels = SimpleNamespace(schema=StructType([StructField("customer_id", StringType()),
                                                StructField("ts", TimestampType())]))
    lookup = FeatureLookup(TABLE, "customer_id", timestamp_lookup_key="ts")
    with pytest.raises(FeatureLookupError, match="'customer_id' is string in the label frame"):
        store.create_training_set(df=labels, feature_lookups=[lookup], label=None)
    client.create_training_set.assert_not_called()


def test_lookups_without_optional_arguments_translate_to_the_real_defaults(store):
    real = store.to_databricks(FeatureLookup(TABLE, ["customer_id"]))
    assert real.feature_names == [] and real.timestamp_lookup_key is None
    assert real.lookback_window is None and real.default_values == {}
