"""Build or refresh the declared feature tables through the FeatureStore port.

Idempotent: the first run creates each table (keys, timeseries column, description, tags);
a re-run upserts the same rows with ``write_table`` (merge), so the contents are the same
and the table gets a new Delta version. Merge never deletes: a key that disappeared from
the gold layer keeps its last row, as with ``write_table`` on Databricks; pass
``full_refresh=True`` to drop and recreate the tables instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from lakestep.errors import FeatureDefinitionError, FeatureTableNotFound, cap_list
from lakestep.features.definitions import FeatureTableDefinition, load_definitions

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from lakestep.features.store import FeatureStore
    from lakestep.platform.base import Platform

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]


def select_definitions(names: Iterable[str] | None,
                       definitions: Mapping[str, FeatureTableDefinition] | None = None,
                       ) -> list[FeatureTableDefinition]:
    """The named definitions (all when ``names`` is None), checked against the contracts."""
    known = load_definitions() if definitions is None else dict(definitions)
    wanted = list(known) if names is None else list(names)
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise FeatureDefinitionError(cap_list(unknown), "no such feature table",
                                     f"known feature tables: {cap_list(known)}")
    return [known[name] for name in wanted]


def gold_frames(platform: Platform, definition: FeatureTableDefinition) -> dict[str, DataFrame]:
    """The gold tables a definition reads, from the platform's table store."""
    settings = platform.settings
    return {table: platform.tables.read(settings.gold(table)) for table in definition.source_tables}


def build_feature_tables(
    platform: Platform,
    tables: Iterable[str] | None = None,
    progress: Progress | None = None,
    *,
    full_refresh: bool = False,
    definitions: Mapping[str, FeatureTableDefinition] | None = None,
) -> list[str]:
    """Create or refresh feature tables (all demo tables by default); returns their names.

    ``progress(name, seconds)`` is called after each table.
    """
    chosen = select_definitions(tables, definitions)
    built = []
    for definition in chosen:
        started = time.perf_counter()
        name = write_definition(platform, definition, full_refresh=full_refresh)
        seconds = time.perf_counter() - started
        log.info("feature table %s built in %.1fs", name, seconds)
        if progress is not None:
            progress(name, seconds)
        built.append(name)
    return built


def write_definition(platform: Platform, definition: FeatureTableDefinition, *,
                     full_refresh: bool = False) -> str:
    """Build one table from the gold layer and create it or merge into it."""
    name = platform.settings.feature_table(definition.name)
    store = platform.features
    df = definition.build(platform.spark, gold_frames(platform, definition))
    exists = _exists(store, name)
    if exists and full_refresh:
        store.drop_table(name=name)
        exists = False
    if exists:
        store.write_table(name=name, df=df)
    else:
        store.create_table(
            name=name, primary_keys=list(definition.primary_keys), df=df,
            timeseries_column=definition.timeseries_column, description=definition.description,
            tags={"lakestep.source_tables": ",".join(definition.source_tables)})
    return name


def _exists(store: FeatureStore, name: str) -> bool:
    try:
        store.get_table(name=name)
    except FeatureTableNotFound:
        return False
    return True
