"""Declared feature tables: a pure Spark transform of gold tables, keys and a timeseries key.

A :class:`FeatureTableDefinition` names every gold column its transform reads
(``columns_used``). Those columns are checked against the gold contracts when the
definitions are loaded (:func:`load_definitions`), so a typo or a dropped gold column fails
before any data is read; and the builder hands the transform only those columns, so an
undeclared column cannot slip in at run time either.

The rule for every demo table: features for day D use only facts known before D. Each
definition's description says how it keeps that rule; ``tests/integration`` checks it by
rebuilding from gold data truncated to what was known before D.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from lakestep.config import check_identifier
from lakestep.errors import ContractError, FeatureDefinitionError, LakestepError, cap_list

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakestep.contracts import Contract

Transform = Callable[["SparkSession", Mapping[str, "DataFrame"]], "DataFrame"]


@dataclass(frozen=True)
class FeatureTableDefinition:
    """One feature table: what it reads, how it is keyed, and the transform that builds it.

    ``name`` is the table's own name (``settings.feature_table(name)`` gives the
    three-level name); ``columns_used`` maps each gold table to the columns ``transform``
    reads; ``transform(spark, sources)`` gets those columns only, one DataFrame per gold
    table, and returns one row per primary key.
    """

    name: str
    primary_keys: tuple[str, ...]
    timeseries_column: str | None
    description: str
    columns_used: Mapping[str, tuple[str, ...]]
    transform: Transform = field(repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            check_identifier("table", self.name)
            for key in self.primary_keys:
                check_identifier("column", key)
        except LakestepError as exc:
            raise FeatureDefinitionError(self.name, exc.message, exc.hint) from exc
        if self.timeseries_column is not None and self.timeseries_column not in self.primary_keys:
            raise FeatureDefinitionError(
                self.name, f"timeseries column {self.timeseries_column!r} is not a primary key",
                "add it to primary_keys")
        if not self.columns_used:
            raise FeatureDefinitionError(self.name, "columns_used is empty",
                                         "name the gold columns the transform reads")
        frozen = {table: tuple(columns) for table, columns in self.columns_used.items()}
        object.__setattr__(self, "columns_used", MappingProxyType(frozen))

    @property
    def source_tables(self) -> tuple[str, ...]:
        return tuple(self.columns_used)

    def check_against(self, contracts: Mapping[str, Contract]) -> None:
        """Every used column exists in its gold table's contract, or one clear error."""
        for table, columns in self.columns_used.items():
            if table not in contracts:
                raise FeatureDefinitionError(
                    self.name, f"reads gold table {table!r}, which has no contract",
                    f"gold tables with a contract: {cap_list(sorted(contracts))}")
            for column in columns:
                try:
                    contracts[table].column(column)
                except ContractError as exc:
                    raise FeatureDefinitionError(self.name, f"uses {exc.message}",
                                                 exc.hint) from exc

    def sources(self, frames: Mapping[str, DataFrame]) -> dict[str, DataFrame]:
        """The declared columns of each gold frame: all a transform may read."""
        missing = [t for t in self.columns_used if t not in frames]
        if missing:
            raise FeatureDefinitionError(self.name, f"gold table(s) {cap_list(missing)} missing",
                                         "build the gold layer first (lakestep demo-data)")
        return {t: frames[t].select(*columns) for t, columns in self.columns_used.items()}

    def build(self, spark: SparkSession, frames: Mapping[str, DataFrame]) -> DataFrame:
        """Run the transform on the declared columns of ``frames`` (gold table -> frame)."""
        return self.transform(spark, self.sources(frames))


def demo_definitions() -> tuple[FeatureTableDefinition, ...]:
    """The demo feature tables, unchecked (see :func:`load_definitions`)."""
    from lakestep.features import calendar, customer_daily, destination_daily, property_daily

    return (customer_daily.DEFINITION, property_daily.DEFINITION, destination_daily.DEFINITION,
            calendar.DEFINITION)


def load_definitions(
    definitions: Iterable[FeatureTableDefinition] | None = None,
    contracts: Mapping[str, Contract] | None = None,
) -> dict[str, FeatureTableDefinition]:
    """Definitions by name, each checked against the gold contracts (packaged by default)."""
    from lakestep.contracts import load_contracts

    chosen = tuple(demo_definitions() if definitions is None else definitions)
    known = load_contracts() if contracts is None else contracts
    result: dict[str, FeatureTableDefinition] = {}
    for definition in chosen:
        if definition.name in result:
            raise FeatureDefinitionError(definition.name, "is defined twice")
        definition.check_against(known)
        result[definition.name] = definition
    return result
