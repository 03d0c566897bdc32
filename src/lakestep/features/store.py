"""The FeatureStore port: the Databricks Feature Engineering client's API, any backend.

Method and argument names are the real client's (all keyword-only), so feature and
training code read the same locally and on Databricks. The base class owns behaviour:
argument checks, primary-key checks before anything is written, lookup planning (every
``create_training_set`` error is raised here, before a join runs), logging with timings
and error translation. An adapter supplies only the I/O primitives (``_find_table``,
``_create_table``, ``_write_table``, ``_read_table``, ``_drop_table``, ``_training_set``).
"""

from __future__ import annotations

import logging
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from lakestep.config import check_identifier, split_name
from lakestep.errors import (
    FeatureStoreError,
    FeatureTableNotFound,
    FeatureTableWriteError,
    LakestepError,
    cap_list,
    engine_hint,
)
from lakestep.features.lookup import FeatureLookup
from lakestep.features.plan import TrainingPlan, plan_training_set
from lakestep.features.table import TIMESERIES_TYPES, FeatureTable
from lakestep.tables import key_problem

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.types import StructType

log = logging.getLogger(__name__)

# How a backend says "no such table" (the real client raises ValueError or a catalog error).
_NOT_FOUND = re.compile(r"could not be found|does not exist|not found|NOT_FOUND", re.IGNORECASE)


def is_not_found(exc: BaseException) -> bool:
    """Whether a backend exception means the table does not exist."""
    return isinstance(exc, FeatureTableNotFound) or bool(_NOT_FOUND.search(str(exc)))


class TrainingSet:
    """Label frame + feature lookups; ``load_df()`` runs the joins.

    ``feature_columns`` are the feature outputs that ``load_df`` returns (after
    ``exclude_columns``), known without running anything.
    """

    def __init__(
        self,
        *,
        feature_lookups: Sequence[FeatureLookup],
        plan: TrainingPlan,
        loader: Callable[[], DataFrame],
    ) -> None:
        self.feature_lookups = tuple(feature_lookups)
        self.labels = plan.labels
        self.feature_columns = plan.feature_columns
        self.columns = plan.columns
        self._loader = loader

    def load_df(self) -> DataFrame:
        """The training frame: label-frame columns, feature outputs, then the labels."""
        return self._loader()


class FeatureStore(ABC):
    """Feature tables with primary keys (and a timeseries key) plus point-in-time lookups."""

    # -- tables ------------------------------------------------------------------------------
    def create_table(
        self,
        *,
        name: str,
        primary_keys: str | Sequence[str],
        df: DataFrame | None = None,
        timeseries_column: str | Sequence[str] | None = None,
        schema: StructType | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> FeatureTable:
        """Create a feature table from ``df`` (written) or ``schema`` (empty table).

        ``timeseries_column`` must be one of ``primary_keys``. As on Databricks, creating a
        table that already exists with the same keys returns it and does not write ``df``.
        """
        keys, timeseries = _check_keys(name, primary_keys, timeseries_column)
        table_schema = _check_source(name, df, schema)
        _check_columns(name, table_schema, keys, timeseries)
        existing = self._find(name)
        if existing is not None:
            return _existing(existing, keys, timeseries)
        if df is not None:
            self._check_unique(name, df, keys)
        with self._translating("create_table", name):
            self._create_table(name=name, primary_keys=keys, timeseries_column=timeseries,
                               df=df, schema=table_schema, description=description,
                               tags=dict(tags or {}))
        return self.get_table(name=name)

    def write_table(self, *, name: str, df: DataFrame, mode: str = "merge") -> None:
        """Upsert ``df`` by the primary keys; new columns become new features."""
        if mode != "merge":
            raise FeatureTableWriteError(
                name, f"unsupported mode {mode!r}",
                "'merge' is the only mode, as on Databricks; drop and recreate to overwrite")
        table = self.get_table(name=name)
        _check_write_schema(table, df)
        self._check_unique(name, df, table.primary_keys)
        with self._translating("write_table", name):
            self._write_table(name, df, table)

    def read_table(self, *, name: str) -> DataFrame:
        """The feature table's current contents."""
        self.get_table(name=name)
        return self._read_table(name)

    def get_table(self, *, name: str) -> FeatureTable:
        """Keys, timestamp keys, description, tags and columns of a feature table."""
        table = self._find(name)
        if table is None:
            raise FeatureTableNotFound(name)
        return table

    def drop_table(self, *, name: str) -> None:
        """Delete the feature table and its data."""
        self.get_table(name=name)
        with self._translating("drop_table", name):
            self._drop_table(name)

    # -- training sets -------------------------------------------------------------------------
    def create_training_set(
        self,
        *,
        df: DataFrame,
        feature_lookups: Sequence[FeatureLookup],
        label: str | Sequence[str] | None,
        exclude_columns: Sequence[str] | None = None,
    ) -> TrainingSet:
        """Plan the joins of ``feature_lookups`` onto ``df``; every error is raised here.

        ``label=None`` builds an unlabelled set. Nothing is joined until ``load_df()``.
        """
        lookups = list(feature_lookups)
        bad = [type(lookup).__name__ for lookup in lookups if not isinstance(lookup, FeatureLookup)]
        if bad:
            raise FeatureStoreError(f"feature_lookups must be FeatureLookup values, got {cap_list(bad)}",
                                    "import FeatureLookup from lakestep.features")
        labels = [label] if isinstance(label, str) else list(label or [])
        excluded = list(exclude_columns or [])
        label_types = {f.name: f.dataType.simpleString() for f in df.schema.fields}
        tables = {lookup.table_name: self._find(lookup.table_name) for lookup in lookups}
        plan = plan_training_set(label_types, lookups, tables, labels, excluded)
        log.info("training set: %d lookup(s), %d join(s), %d column(s)",
                 len(lookups), len(plan.joins), len(plan.columns))
        return self._training_set(df=df, feature_lookups=lookups, label=label,
                                  exclude_columns=excluded, plan=plan)

    # -- checks shared by every adapter -----------------------------------------------------------
    def _find(self, name: str) -> FeatureTable | None:
        split_name(name)
        try:
            return self._find_table(name)
        except LakestepError:
            raise
        except Exception as exc:
            if is_not_found(exc):
                return None
            raise FeatureStoreError(f"cannot read feature table {name}: {_first_line(exc)}") from exc

    def _check_unique(self, name: str, df: DataFrame, keys: Sequence[str]) -> None:
        """Refuse null or duplicate primary keys in ``df`` before anything is written."""
        problem = key_problem(df, keys)
        if problem == "null":
            raise FeatureTableWriteError(name, f"null value in primary key column(s) {cap_list(keys)}",
                                         "every feature row needs its full primary key")
        if problem is not None:
            raise FeatureTableWriteError(
                name, f"duplicate primary key {problem} in the input (keys: {cap_list(keys)})",
                "deduplicate the input, e.g. keep the latest row per key")

    @contextmanager
    def _translating(self, operation: str, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        except LakestepError:
            raise
        except Exception as exc:  # backend errors become one error naming the table
            raise FeatureTableWriteError(name, f"{operation}: {_first_line(exc)}",
                                         engine_hint(exc)) from exc
        log.info("%s %s in %.2fs", operation, name, time.perf_counter() - started)

    # -- adapter primitives ----------------------------------------------------------------------
    @abstractmethod
    def _find_table(self, name: str) -> FeatureTable | None:
        """Metadata of a feature table, or None (or a not-found error) when there is none."""

    @abstractmethod
    def _create_table(self, *, name: str, primary_keys: list[str], timeseries_column: str | None,
                      df: DataFrame | None, schema: StructType, description: str | None,
                      tags: dict[str, str]) -> None: ...

    @abstractmethod
    def _write_table(self, name: str, df: DataFrame, table: FeatureTable) -> None: ...

    @abstractmethod
    def _read_table(self, name: str) -> DataFrame: ...

    @abstractmethod
    def _drop_table(self, name: str) -> None: ...

    @abstractmethod
    def _training_set(self, *, df: DataFrame, feature_lookups: list[FeatureLookup],
                      label: str | Sequence[str] | None, exclude_columns: list[str],
                      plan: TrainingPlan) -> TrainingSet: ...


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:400] if text else type(exc).__name__


def _check_keys(name: str, primary_keys: str | Sequence[str],
                timeseries_column: str | Sequence[str] | None) -> tuple[list[str], str | None]:
    split_name(name)
    keys = [primary_keys] if isinstance(primary_keys, str) else list(primary_keys or [])
    if not keys or len(set(keys)) != len(keys):
        raise FeatureTableWriteError(name, f"primary_keys {keys} must be a non-empty list of "
                                     "distinct columns", "e.g. primary_keys=['customer_id', 'date']")
    for key in keys:
        check_identifier("column", key)
    timeseries: Any = timeseries_column
    if isinstance(timeseries, list | tuple):  # the real client accepts a one-element list
        if len(timeseries) > 1:
            raise FeatureTableWriteError(name, "only one timeseries column is allowed")
        timeseries = timeseries[0] if timeseries else None
    if timeseries is not None and timeseries not in keys:
        raise FeatureTableWriteError(
            name, f"timeseries column {timeseries!r} is not one of primary_keys {keys}",
            "timeseries columns must be primary keys: add it to primary_keys")
    if timeseries is not None and len(keys) < 2:
        raise FeatureTableWriteError(
            name, "the timeseries column is the only primary key",
            "a feature table needs at least one primary key that is not the timeseries column")
    return keys, timeseries


def _check_source(name: str, df: DataFrame | None, schema: StructType | None) -> StructType:
    if df is None and schema is None:
        raise FeatureTableWriteError(name, "neither df nor schema was given", "pass one of them")
    if df is not None and schema is not None and df.schema != schema:
        raise FeatureTableWriteError(name, "df and schema were both given and differ",
                                     "pass only one of them")
    return df.schema if df is not None else schema  # type: ignore[return-value]


def _check_columns(name: str, schema: StructType, keys: Sequence[str],
                   timeseries: str | None) -> None:
    types = {f.name: f.dataType.simpleString() for f in schema.fields}
    for column in types:
        check_identifier("column", column)
    missing = [k for k in keys if k not in types]
    if missing:
        raise FeatureTableWriteError(name, f"primary key column(s) {cap_list(missing)} are not in "
                                     "the input", f"input columns: {cap_list(types)}")
    if timeseries is not None and types[timeseries] not in TIMESERIES_TYPES:
        raise FeatureTableWriteError(
            name, f"timeseries column {timeseries!r} is {types[timeseries]}",
            f"cast it to one of {', '.join(TIMESERIES_TYPES)}")


def _existing(table: FeatureTable, keys: list[str], timeseries: str | None) -> FeatureTable:
    if list(table.primary_keys) != keys or table.timeseries_column != timeseries:
        raise FeatureTableWriteError(
            table.name, f"it exists with primary keys {list(table.primary_keys)} and timeseries "
            f"column {table.timeseries_column!r}", "drop it first, or use another name")
    log.warning("feature table %s exists; create_table returns it without writing df "
                "(as on Databricks) — use write_table to upsert", table.name)
    return table


def _check_write_schema(table: FeatureTable, df: DataFrame) -> None:
    types = {f.name: f.dataType.simpleString() for f in df.schema.fields}
    for column in types:
        check_identifier("column", column)
    missing = [k for k in table.primary_keys if k not in types]
    if missing:
        raise FeatureTableWriteError(table.name, f"primary key column(s) {cap_list(missing)} are "
                                     "missing from the input", f"input columns: {cap_list(types)}")
    changed = [f"{c} ({t} in the table, {types[c]} in the input)"
               for c, t in table.columns.items() if c in types and types[c] != t]
    if changed:
        raise FeatureTableWriteError(table.name, f"column type(s) differ: {cap_list(changed)}",
                                     "cast the input columns to the table's types")
    if table.timestamp_keys:
        absent = [c for c in table.columns if c not in types]
        if absent:
            raise FeatureTableWriteError(
                table.name, f"column(s) {cap_list(absent)} are missing from the input",
                "a time series feature table needs every column on each write, as on Databricks")
