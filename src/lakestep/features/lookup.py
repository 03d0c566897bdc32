"""FeatureLookup: which features to join into a training frame, and how.

The same value type as ``databricks.feature_engineering.FeatureLookup`` (same argument
names, same rules), but frozen and JSON round-trippable, because the packaged model stores
its lookups so batch inference can repeat them with nothing but the lookup keys.
Everything that can be checked without a feature table is checked here, when the lookup is
declared; the rest (keys exist, types match) when the training set is created.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from types import MappingProxyType
from typing import Any

from lakestep.config import check_identifier, split_name
from lakestep.errors import FeatureLookupError, LakestepError, cap_list

DefaultValue = bool | int | float | str

_DICT_KEYS = frozenset({
    "table_name", "lookup_key", "feature_names", "rename_outputs",
    "timestamp_lookup_key", "lookback_window_seconds", "default_values",
})


def _timestamp_key(value: str | Sequence[str] | None, table: str) -> str | None:
    if isinstance(value, list | tuple):  # the real client accepts a one-element list
        if len(value) > 1:
            raise FeatureLookupError(table, "only one timestamp_lookup_key is allowed")
        value = value[0] if value else None
    names = as_names(value, table, "timestamp_lookup_key")
    return names[0] if names else None


def as_names(value: str | Sequence[str] | None, table: str, what: str) -> tuple[str, ...]:
    """One name or a list of names as a tuple of validated column names."""
    if value is None:
        return ()
    names = (value,) if isinstance(value, str) else tuple(value)
    for name in names:
        try:
            check_identifier("column", name)
        except LakestepError as exc:
            raise FeatureLookupError(table, f"{what}: {exc.message}", exc.hint) from exc
    if len(set(names)) != len(names):
        raise FeatureLookupError(table, f"{what} {cap_list(names)} repeats a column")
    return names


@dataclass(frozen=True, init=False)
class FeatureLookup:
    """Features of one feature table, joined into a frame by ``lookup_key``.

    ``feature_names=None`` takes every column that is not a key (in alphabetical order, as
    Databricks does). With ``timestamp_lookup_key`` the join is point-in-time: per row, the
    feature row with the latest timestamp <= the row's timestamp, and no older than
    ``lookback_window`` (inclusive; zero means an exact timestamp match). ``default_values``
    fill nulls of the named outputs (after ``rename_outputs``).
    """

    table_name: str
    lookup_key: tuple[str, ...]
    feature_names: tuple[str, ...] | None
    rename_outputs: Mapping[str, str]
    timestamp_lookup_key: str | None
    lookback_window: datetime.timedelta | None
    default_values: Mapping[str, DefaultValue]

    def __init__(
        self,
        table_name: str,
        lookup_key: str | Sequence[str],
        *,
        feature_names: str | Sequence[str] | None = None,
        rename_outputs: Mapping[str, str] | None = None,
        timestamp_lookup_key: str | Sequence[str] | None = None,
        lookback_window: datetime.timedelta | None = None,
        default_values: Mapping[str, DefaultValue] | None = None,
    ) -> None:
        split_name(table_name)
        keys = as_names(lookup_key, table_name, "lookup_key")
        if not keys:
            raise FeatureLookupError(table_name, "lookup_key is empty",
                                     "name the label-frame column(s) matching the table's keys")
        names = as_names(feature_names, table_name, "feature_names") or None
        assign = partial(object.__setattr__, self)
        assign("table_name", table_name)
        assign("lookup_key", keys)
        assign("feature_names", names)
        assign("timestamp_lookup_key", _timestamp_key(timestamp_lookup_key, table_name))
        assign("lookback_window", lookback_window)
        self._check_lookback()
        assign("rename_outputs", MappingProxyType(self._renames(rename_outputs)))
        assign("default_values", MappingProxyType(self._defaults(default_values)))

    # -- validation of each argument ----------------------------------------------------------
    def _check_lookback(self) -> None:
        window = self.lookback_window
        if window is None:
            return
        if not isinstance(window, datetime.timedelta) or window < datetime.timedelta(0):
            raise FeatureLookupError(
                self.table_name, f"lookback_window {window!r} is not a non-negative timedelta",
                "pass e.g. datetime.timedelta(days=30)")
        if self.timestamp_lookup_key is None:
            raise FeatureLookupError(
                self.table_name, "lookback_window needs a timestamp_lookup_key",
                "lookback windows apply only to point-in-time lookups on time series tables")

    def _renames(self, given: Mapping[str, str] | None) -> dict[str, str]:
        renames = dict(given or {})
        as_names(list(renames), self.table_name, "rename_outputs keys")
        as_names(list(renames.values()), self.table_name, "rename_outputs values")
        if self.feature_names is not None:
            unknown = [name for name in renames if name not in self.feature_names]
            if unknown:
                raise FeatureLookupError(
                    self.table_name,
                    f"rename_outputs names {cap_list(unknown)}, which feature_names does not select",
                    f"selected features: {cap_list(self.feature_names)}")
        return renames

    def _defaults(self, given: Mapping[str, DefaultValue] | None) -> dict[str, DefaultValue]:
        defaults = dict(given or {})
        for name, value in defaults.items():
            if name in self.rename_outputs:
                raise FeatureLookupError(
                    self.table_name,
                    f"default_values names {name!r}, which is renamed to "
                    f"{self.rename_outputs[name]!r}",
                    "key default_values by the renamed output name")
            if not isinstance(value, bool | int | float | str):
                raise FeatureLookupError(
                    self.table_name,
                    f"default value for {name!r} is a {type(value).__name__}",
                    "defaults must be int, float, bool or str, as on Databricks")
        outputs = self.output_names
        if outputs is not None:
            unknown = [name for name in defaults if name not in outputs]
            if unknown:
                raise FeatureLookupError(
                    self.table_name,
                    f"default_values names {cap_list(unknown)}, which are not outputs of this lookup",
                    f"outputs: {cap_list(outputs)}")
        return defaults

    # -- derived values ------------------------------------------------------------------------
    def output_name(self, feature: str) -> str:
        """The column a feature becomes in the training frame."""
        return self.rename_outputs.get(feature, feature)

    @property
    def output_names(self) -> tuple[str, ...] | None:
        """Output columns, or None when the lookup takes every feature of the table."""
        if self.feature_names is None:
            return None
        return tuple(self.output_name(name) for name in self.feature_names)

    # -- JSON round trip ----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict; :meth:`from_dict` gives an equal lookup back."""
        window = self.lookback_window
        return {
            "table_name": self.table_name,
            "lookup_key": list(self.lookup_key),
            "feature_names": None if self.feature_names is None else list(self.feature_names),
            "rename_outputs": dict(self.rename_outputs),
            "timestamp_lookup_key": self.timestamp_lookup_key,
            "lookback_window_seconds": None if window is None else window.total_seconds(),
            "default_values": dict(self.default_values),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureLookup:
        """Rebuild a lookup from :meth:`to_dict` output; unknown keys are an error."""
        unknown = set(data) - _DICT_KEYS
        table = str(data.get("table_name", "?"))
        if unknown or "table_name" not in data or "lookup_key" not in data:
            raise FeatureLookupError(
                table, f"cannot read a stored lookup with keys {cap_list(sorted(data))}",
                f"expected keys: {cap_list(sorted(_DICT_KEYS))}")
        seconds = data.get("lookback_window_seconds")
        return cls(
            data["table_name"],
            data["lookup_key"],
            feature_names=data.get("feature_names"),
            rename_outputs=data.get("rename_outputs") or {},
            timestamp_lookup_key=data.get("timestamp_lookup_key"),
            lookback_window=None if seconds is None else datetime.timedelta(seconds=seconds),
            default_values=data.get("default_values") or {},
        )

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_dict(), sort_keys=True))
