"""FeatureTable: what ``get_table`` says about a feature table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# Spark types a timeseries column may have, as on Databricks (TimestampType or DateType).
TIMESERIES_TYPES = ("timestamp", "date")


@dataclass(frozen=True, eq=True)
class FeatureTable:
    """Metadata of one feature table.

    ``primary_keys`` includes the timeseries column, as the real client's ``get_table``
    returns it; ``entity_keys`` are the other keys, the ones a lookup's ``lookup_key`` names
    in order. ``columns`` maps every column to its Spark type (``simpleString``) in table
    order.
    """

    name: str
    primary_keys: tuple[str, ...]
    timestamp_keys: tuple[str, ...] = ()
    description: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    columns: Mapping[str, str] = field(default_factory=dict)

    __hash__ = None  # type: ignore[assignment]  # mappings inside: compare, never hash

    @property
    def timeseries_column(self) -> str | None:
        return self.timestamp_keys[0] if self.timestamp_keys else None

    @property
    def entity_keys(self) -> tuple[str, ...]:
        return tuple(k for k in self.primary_keys if k not in self.timestamp_keys)

    @property
    def features(self) -> tuple[str, ...]:
        """Columns that are not keys, in table order."""
        keys = set(self.primary_keys) | set(self.timestamp_keys)
        return tuple(c for c in self.columns if c not in keys)
