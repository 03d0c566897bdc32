"""The local feature store: feature tables are Delta tables of the TableStore.

Metadata (primary keys, timeseries column, description, tags) is kept in Delta table
properties, so it lives in the table's own transaction log: it survives restarts, moves
with the table directory, and a plain Delta table (no such properties) is not mistaken for
a feature table. Training sets run the engine-neutral point-in-time join of
``lakestep.features.pit``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lakestep.errors import FeatureTableWriteError
from lakestep.features.lookup import FeatureLookup
from lakestep.features.pit import assemble
from lakestep.features.plan import TrainingPlan
from lakestep.features.store import FeatureStore, TrainingSet
from lakestep.features.table import FeatureTable

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.types import StructType

    from lakestep.platform.base import Platform

PRIMARY_KEYS = "lakestep.feature_table.primary_keys"
TIMESTAMP_KEYS = "lakestep.feature_table.timestamp_keys"
DESCRIPTION = "lakestep.feature_table.description"
TAGS = "lakestep.feature_table.tags"


class LocalFeatureStore(FeatureStore):
    """Feature tables on the platform's Delta TableStore."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.tables = platform.tables

    def _find_table(self, name: str) -> FeatureTable | None:
        if not self.tables.exists(name):
            return None
        properties = self.tables.properties(name)
        if PRIMARY_KEYS not in properties:
            return None  # a plain Delta table, not a feature table
        schema = self.tables.read(name).schema
        description = properties.get(DESCRIPTION)
        return FeatureTable(
            name=name,
            primary_keys=tuple(json.loads(properties[PRIMARY_KEYS])),
            timestamp_keys=tuple(json.loads(properties.get(TIMESTAMP_KEYS, "[]"))),
            description=description or None,
            tags=json.loads(properties.get(TAGS, "{}")),
            columns={f.name: f.dataType.simpleString() for f in schema.fields},
        )

    def _create_table(self, *, name: str, primary_keys: list[str], timeseries_column: str | None,
                      df: DataFrame | None, schema: StructType, description: str | None,
                      tags: dict[str, str]) -> None:
        if self.tables.exists(name):
            raise FeatureTableWriteError(
                name, "a Delta table that is not a feature table already exists",
                "drop it with platform.tables.drop, or choose another name")
        frame = df if df is not None else self.platform.spark.createDataFrame([], schema)
        self.tables.write(name, frame, mode="overwrite")
        metadata = {
            PRIMARY_KEYS: json.dumps(primary_keys),
            TIMESTAMP_KEYS: json.dumps([timeseries_column] if timeseries_column else []),
            DESCRIPTION: description or "",
            TAGS: json.dumps(tags, sort_keys=True),
        }
        try:
            self.tables.set_properties(name, metadata)
        except Exception:
            # Without its metadata the table is not a feature table: remove it, as Databricks
            # deletes a table whose creation failed halfway.
            self.tables.drop(name)
            raise

    def _write_table(self, name: str, df: DataFrame, table: FeatureTable) -> None:
        # write_table has just checked the keys (one pass over the input, not two).
        self.tables.merge(name, df, table.primary_keys, keys_checked=True)

    def _read_table(self, name: str) -> DataFrame:
        return self.tables.read(name)

    def _drop_table(self, name: str) -> None:
        self.tables.drop(name)

    def _training_set(self, *, df: DataFrame, feature_lookups: list[FeatureLookup],
                      label: str | Sequence[str] | None, exclude_columns: list[str],
                      plan: TrainingPlan) -> TrainingSet:
        return TrainingSet(feature_lookups=feature_lookups, plan=plan,
                           loader=lambda: assemble(df, plan, self._read_table))
