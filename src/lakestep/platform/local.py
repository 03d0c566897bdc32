"""The local platform: Sail (embedded or a server) + Delta on disk + MLflow.

Tables live under ``<home>/lakehouse/<catalog>/<schema>/<table>`` as Delta tables. Sail
does the reading and writing; ``deltalake`` (delta-rs) reads the transaction log for what
Sail's SQL lacks (history, versions, properties), so callers never see the difference.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakestep.config import Settings, quote, split_name
from lakestep.errors import StorageError
from lakestep.platform.base import Platform
from lakestep.platform.mlflow_registry import MlflowModelRegistry
from lakestep.platform.sail import EmbeddedSail, connect_session
from lakestep.tables import (
    TableStore,
    WriteMode,
    merge_statement,
    set_properties_statement,
    sql_string,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)


class DeltaTableStore(TableStore):
    """Delta tables in a directory tree, registered in Sail's catalog by three-level name."""

    def __init__(self, spark: SparkSession, settings: Settings) -> None:
        super().__init__(spark)
        self.settings = settings
        self._registered: set[str] = set()
        self._schemas: set[str] = set()

    # -- paths and registration --------------------------------------------------------------
    def path(self, name: str) -> Path:
        return self.settings.table_path(name)

    def register_all(self) -> int:
        """Register every Delta table found on disk (tables survive the process)."""
        count = 0
        for name in self._list_tables(None):
            self._register(name)
            count += 1
        return count

    def _register(self, name: str) -> None:
        if name in self._registered:
            return
        self._ensure_schema(name)
        self.spark.sql(
            f"CREATE TABLE IF NOT EXISTS {quote(name)} USING delta "
            f"LOCATION {sql_string(str(self.path(name)))}"
        ).collect()
        self._registered.add(name)

    def _ensure_schema(self, name: str) -> None:
        catalog, schema, _ = split_name(name)
        key = f"{catalog}.{schema}"
        if key in self._schemas:
            return
        try:
            (self.settings.lakehouse_dir / catalog / schema).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot create {self.settings.lakehouse_dir / catalog / schema}: {exc.strerror}",
                "set LAKESTEP_HOME (or --home) to a writable directory",
            ) from exc
        self.spark.sql(f"CREATE SCHEMA IF NOT EXISTS {quote(key)}").collect()
        self._schemas.add(key)

    # -- primitives ----------------------------------------------------------------------
    def _write(self, name: str, df: DataFrame, mode: WriteMode) -> None:
        writer = df.write.format("delta").mode(mode)
        if mode == "overwrite":
            writer = writer.option("overwriteSchema", "true")
        writer.save(str(self.path(name)))
        self._register(name)

    def _merge(self, name: str, df: DataFrame, keys: list[str]) -> None:
        self._register(name)
        target_columns = self.spark.read.format("delta").load(str(self.path(name))).columns
        new_columns = [c for c in df.columns if c not in target_columns]
        if new_columns:
            # Schema evolution as its own commit: the new columns are null for old rows.
            (df.limit(0).write.format("delta").mode("append")
             .option("mergeSchema", "true").save(str(self.path(name))))
        view = f"lakestep_merge_{uuid.uuid4().hex}"
        df.createOrReplaceTempView(view)
        try:
            self.spark.sql(merge_statement(name, view, df.columns, keys)).collect()
        finally:
            self.spark.catalog.dropTempView(view)

    def _replace_where(self, name: str, df: DataFrame, predicate: str) -> None:
        (df.write.format("delta").mode("overwrite").option("replaceWhere", predicate)
         .save(str(self.path(name))))
        self._register(name)

    def _read(self, name: str, version: int | None) -> DataFrame:
        reader = self.spark.read.format("delta")
        if version is not None:
            reader = reader.option("versionAsOf", int(version))
        else:
            self._register(name)
        return reader.load(str(self.path(name)))

    def _exists(self, name: str) -> bool:
        log_dir = self.path(name) / "_delta_log"
        return log_dir.is_dir() and any(log_dir.glob("*.json"))

    def _delta(self, name: str) -> Any:
        from deltalake import DeltaTable

        return DeltaTable(str(self.path(name)))

    def _version(self, name: str) -> int:
        return int(self._delta(name).version())

    def _history(self, name: str) -> list[dict[str, Any]]:
        return [
            {
                "version": entry.get("version"),
                "timestamp": entry.get("timestamp"),
                "operation": entry.get("operation"),
                "parameters": entry.get("operationParameters", {}),
            }
            for entry in self._delta(name).history()
        ]

    def _properties(self, name: str) -> dict[str, str]:
        return dict(self._delta(name).metadata().configuration)

    def _set_properties(self, name: str, properties: dict[str, str]) -> None:
        self._register(name)
        self.spark.sql(set_properties_statement(name, properties)).collect()

    def _drop(self, name: str) -> None:
        self.spark.sql(f"DROP TABLE IF EXISTS {quote(name)}").collect()
        self._registered.discard(name)
        shutil.rmtree(self.path(name), ignore_errors=False)

    def _list_tables(self, schema: str | None) -> list[str]:
        root = self.settings.lakehouse_dir
        if not root.is_dir():
            return []
        names = []
        for log_dir in root.glob("*/*/*/_delta_log"):
            table_dir = log_dir.parent
            name = f"{table_dir.parent.parent.name}.{table_dir.parent.name}.{table_dir.name}"
            if schema is not None and not name.startswith(schema + "."):
                continue
            if any(log_dir.glob("*.json")):
                names.append(name)
        return names


def prepare_home(settings: Settings) -> None:
    """Create the home directory or fail with one clear line on what to do."""
    for directory in (settings.home, settings.lakehouse_dir, settings.artifacts_dir):
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot create lakestep home {directory}: {exc.strerror}",
                "set LAKESTEP_HOME (or --home) to a writable directory",
            ) from exc
    if not os.access(settings.home, os.W_OK):
        raise StorageError(
            f"lakestep home {settings.home} is not writable",
            "fix its permissions or set LAKESTEP_HOME (or --home) to a writable directory",
        )
    for char in ("'", "\\", "`"):
        if char in str(settings.home):
            raise StorageError(f"lakestep home {settings.home} contains {char!r}",
                               "choose a path without quotes or backslashes")


def connect_local(settings: Settings) -> Platform:
    """Start (or reach) Sail, register every table on disk, and point MLflow at the store."""
    prepare_home(settings)
    engine: EmbeddedSail | None = None
    if settings.spark_remote:
        url = settings.spark_remote
    else:
        on_disk = [p.name for p in settings.lakehouse_dir.iterdir() if p.is_dir()]
        engine = EmbeddedSail(on_disk, settings.catalog, memory=settings.engine_memory,
                              spill_dir=settings.home / "tmp" / "spill")
        url = engine.start()
    spark = connect_session(url)
    tables = DeltaTableStore(spark, settings)
    registered = tables.register_all()
    log.info("registered %d table(s) from %s", registered, settings.lakehouse_dir)

    def close() -> None:
        try:
            spark.stop()
        finally:
            if engine is not None:
                engine.stop()

    platform = Platform(settings, spark, tables, on_close=close)
    platform.attach(registry=MlflowModelRegistry(settings.tracking_uri, settings.registry_uri))
    _attach_feature_store(platform)
    return platform


def _attach_feature_store(platform: Platform) -> None:
    """Plug in the local feature store once its module exists in this installation."""
    try:
        from lakestep.platform.local_features import LocalFeatureStore
    except ModuleNotFoundError:
        return
    platform.attach(features=LocalFeatureStore(platform))
