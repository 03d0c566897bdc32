"""The Databricks platform: the job's Spark, Unity Catalog tables, Feature Engineering and
the ``databricks-uc`` registry.

Thin on purpose: every method is a direct Spark SQL statement or client call; behaviour
(validation, key checks, error translation) lives in the core base classes.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from lakestep.config import Settings, quote, split_name
from lakestep.errors import EngineError, TableNotFound
from lakestep.platform.base import Platform
from lakestep.tables import TableStore, WriteMode, merge_statement, set_properties_statement

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


class UnityCatalogTableStore(TableStore):
    """Managed Delta tables in Unity Catalog, addressed by their three-level names."""

    def _ensure_schema(self, name: str) -> None:
        catalog, schema, _ = split_name(name)
        self.spark.sql(f"CREATE SCHEMA IF NOT EXISTS {quote(f'{catalog}.{schema}')}")

    def _write(self, name: str, df: DataFrame, mode: WriteMode) -> None:
        writer = df.write.format("delta").mode(mode)
        if mode == "overwrite":
            writer = writer.option("overwriteSchema", "true")
        writer.saveAsTable(name)

    def _merge(self, name: str, df: DataFrame, keys: list[str]) -> None:
        view = f"lakestep_merge_{uuid.uuid4().hex}"
        df.createOrReplaceTempView(view)
        try:
            self.spark.sql("SET spark.databricks.delta.schema.autoMerge.enabled = true")
            self.spark.sql(merge_statement(name, view, df.columns, keys))
        finally:
            self.spark.catalog.dropTempView(view)

    def _replace_where(self, name: str, df: DataFrame, predicate: str) -> None:
        df.write.format("delta").mode("overwrite").option("replaceWhere", predicate).saveAsTable(
            name
        )

    def _read(self, name: str, version: int | None) -> DataFrame:
        reader = self.spark.read
        if version is not None:
            reader = reader.option("versionAsOf", int(version))
        return reader.table(name)

    def _exists(self, name: str) -> bool:
        return bool(self.spark.catalog.tableExists(name))

    def _version(self, name: str) -> int:
        row = self.spark.sql(f"DESCRIBE HISTORY {quote(name)} LIMIT 1").first()
        if row is None:
            raise TableNotFound(name)
        return int(row["version"])

    def _history(self, name: str) -> list[dict[str, Any]]:
        rows = self.spark.sql(f"DESCRIBE HISTORY {quote(name)}").collect()
        return [
            {
                "version": row["version"],
                "timestamp": row["timestamp"],
                "operation": row["operation"],
                "parameters": row["operationParameters"],
            }
            for row in rows
        ]

    def _properties(self, name: str) -> dict[str, str]:
        rows = self.spark.sql(f"SHOW TBLPROPERTIES {quote(name)}").collect()
        return {row["key"]: row["value"] for row in rows}

    def _set_properties(self, name: str, properties: dict[str, str]) -> None:
        self.spark.sql(set_properties_statement(name, properties))

    def _drop(self, name: str) -> None:
        self.spark.sql(f"DROP TABLE IF EXISTS {quote(name)}")

    def _list_tables(self, schema: str | None) -> list[str]:
        if schema is None:
            raise EngineError("listing every table of a workspace is not supported",
                              "pass a catalog.schema")
        rows = self.spark.sql(f"SHOW TABLES IN {quote(schema)}").collect()
        return [f"{schema}.{row['tableName']}" for row in rows if not row["isTemporary"]]


def job_spark() -> SparkSession:
    """The Spark session of the Databricks job (serverless or classic compute)."""
    from pyspark.sql import SparkSession

    spark = SparkSession.getActiveSession()
    if spark is None:
        try:
            spark = SparkSession.builder.getOrCreate()
        except Exception as exc:
            raise EngineError(
                f"no Spark session on target: {exc}",
                "run dev/prod targets as Databricks jobs (`databricks bundle run`), "
                "or use --target local",
            ) from exc
    return spark


def connect_databricks(settings: Settings, spark: SparkSession | None = None) -> Platform:
    """A Platform for a Databricks job; the clients are created on first use."""
    import mlflow

    from lakestep.platform.databricks_features import DatabricksFeatureStore

    spark = spark or job_spark()
    mlflow.set_tracking_uri(settings.tracking_uri)
    mlflow.set_registry_uri(settings.registry_uri)
    platform = Platform(settings, spark, UnityCatalogTableStore(spark))
    platform.attach(features=DatabricksFeatureStore())
    return platform
