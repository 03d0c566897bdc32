"""The Databricks feature store: direct calls of ``FeatureEngineeringClient``.

Each primitive is one call of the real client; checks, planning and error translation live
in the :class:`~lakestep.features.store.FeatureStore` base, so a mistake fails the same way
here and locally. The client's constructor contacts the workspace, so it is created on
first use, never at import or construction. ``tests/contract`` checks every call below
against the installed client's signatures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from lakestep.features.lookup import FeatureLookup
from lakestep.features.plan import TrainingPlan
from lakestep.features.store import FeatureStore, TrainingSet
from lakestep.features.table import FeatureTable

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.types import StructType


def _client_class() -> Callable[[], Any]:
    from databricks.feature_engineering import FeatureEngineeringClient

    return FeatureEngineeringClient


def _lookup_class() -> Callable[..., Any]:
    from databricks.feature_engineering import FeatureLookup as DatabricksFeatureLookup

    return DatabricksFeatureLookup


class DatabricksFeatureStore(FeatureStore):
    """Feature tables in Unity Catalog through ``databricks.feature_engineering``."""

    def __init__(
        self,
        client_factory: Callable[[], Any] | None = None,
        lookup_factory: Callable[..., Any] | None = None,
    ) -> None:
        self._client_factory = client_factory
        self._lookup_factory = lookup_factory
        self._client: Any = None

    @property
    def client(self) -> Any:
        """The FeatureEngineeringClient, created on first use."""
        if self._client is None:
            factory = self._client_factory or _client_class()
            self._client = factory()
        return self._client

    def to_databricks(self, lookup: FeatureLookup) -> Any:
        """Our lookup as ``databricks.feature_engineering.FeatureLookup``."""
        factory = self._lookup_factory or _lookup_class()
        return factory(
            table_name=lookup.table_name,
            lookup_key=list(lookup.lookup_key),
            feature_names=None if lookup.feature_names is None else list(lookup.feature_names),
            rename_outputs=dict(lookup.rename_outputs) or None,
            timestamp_lookup_key=lookup.timestamp_lookup_key,
            lookback_window=lookup.lookback_window,
            default_values=dict(lookup.default_values) or None,
        )

    # -- primitives: one client call each ----------------------------------------------------------
    def _find_table(self, name: str) -> FeatureTable | None:
        table = self.client.get_table(name=name)
        schema = self.client.read_table(name=name).schema
        return FeatureTable(
            name=name,
            primary_keys=tuple(table.primary_keys),
            timestamp_keys=tuple(table.timestamp_keys or ()),
            description=table.description or None,
            tags=dict(getattr(table, "tags", None) or {}),
            columns={f.name: f.dataType.simpleString() for f in schema.fields},
        )

    def _create_table(self, *, name: str, primary_keys: list[str], timeseries_column: str | None,
                      df: DataFrame | None, schema: StructType, description: str | None,
                      tags: dict[str, str]) -> None:
        self.client.create_table(
            name=name,
            primary_keys=primary_keys,
            df=df,
            timeseries_column=timeseries_column,
            schema=None if df is not None else schema,
            description=description,
            tags=tags or None,
        )

    def _write_table(self, name: str, df: DataFrame, table: FeatureTable) -> None:
        self.client.write_table(name=name, df=df, mode="merge")

    def _read_table(self, name: str) -> DataFrame:
        return self.client.read_table(name=name)

    def _drop_table(self, name: str) -> None:
        self.client.drop_table(name=name)

    def _training_set(self, *, df: DataFrame, feature_lookups: list[FeatureLookup],
                      label: str | Sequence[str] | None, exclude_columns: list[str],
                      plan: TrainingPlan) -> TrainingSet:
        training_set = self.client.create_training_set(
            df=df,
            feature_lookups=[self.to_databricks(lookup) for lookup in feature_lookups],
            label=label if isinstance(label, str) or label is None else list(label),
            exclude_columns=exclude_columns,
        )
        return TrainingSet(feature_lookups=feature_lookups, plan=plan, loader=training_set.load_df)
