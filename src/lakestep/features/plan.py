"""Resolve feature lookups against their tables, checking everything before any join runs.

``plan_training_set`` is where ``create_training_set`` fails: unknown table, a lookup key
missing from the label frame or of the wrong type, a feature that does not exist, output
names that clash with the label frame or with each other, inconsistent lookback windows,
default values of the wrong type. It needs only schemas, so it is pure Python and runs the
same in front of the local and the Databricks adapter.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lakestep.errors import FeatureLookupError, FeatureStoreError, FeatureTableNotFound, cap_list
from lakestep.features.lookup import DefaultValue, FeatureLookup
from lakestep.features.table import FeatureTable

# Internal columns of the point-in-time join start with this; label frames must not.
RESERVED_PREFIX = "__lakestep"

_INTEGRAL = ("tinyint", "smallint", "int", "bigint")
_FRACTIONAL = ("float", "double")


@dataclass(frozen=True)
class ResolvedLookup:
    """One join: a feature table, its key mapping and the features it adds."""

    table: str
    lookup_key: tuple[str, ...]
    table_keys: tuple[str, ...]
    timestamp_lookup_key: str | None
    table_timestamp_key: str | None
    lookback_window: datetime.timedelta | None
    outputs: tuple[tuple[str, str], ...]  # (feature column, output column)


@dataclass(frozen=True)
class TrainingPlan:
    """Everything ``load_df`` needs: the joins, defaults, and the output column order."""

    joins: tuple[ResolvedLookup, ...]
    defaults: tuple[tuple[str, DefaultValue, str], ...]  # (output, value, Spark type)
    columns: tuple[str, ...]
    labels: tuple[str, ...]
    feature_columns: tuple[str, ...]


def plan_training_set(
    label_types: Mapping[str, str],
    lookups: Sequence[FeatureLookup],
    tables: Mapping[str, FeatureTable | None],
    labels: Sequence[str],
    exclude_columns: Sequence[str],
) -> TrainingPlan:
    """Check the lookups against the label frame's ``label_types`` and the table metadata.

    ``label_types`` maps each label-frame column to its Spark type; ``tables`` maps each
    looked-up table to its metadata, or None when it does not exist.
    """
    _check_label_frame(label_types, labels, exclude_columns)
    _check_lookback_windows(lookups)
    outputs: dict[str, str] = {}  # output column -> table that produces it
    output_types: dict[str, str] = {}
    joins: list[ResolvedLookup] = []
    defaults: list[tuple[str, DefaultValue, str]] = []
    for lookup in lookups:
        table = tables.get(lookup.table_name)
        if table is None:
            raise FeatureTableNotFound(lookup.table_name)
        join = _resolve(lookup, table, label_types)
        for _feature, output in join.outputs:
            _check_clash(output, lookup.table_name, label_types, outputs, labels)
            outputs[output] = lookup.table_name
        output_types.update({o: table.columns[f] for f, o in join.outputs})
        defaults += _defaults(lookup, join, output_types)
        joins.append(join)
    excluded = set(exclude_columns)
    unknown = [c for c in exclude_columns if c not in label_types and c not in outputs]
    if unknown:
        raise FeatureStoreError(f"exclude_columns names {cap_list(unknown)}, which are neither "
                                "label-frame columns nor feature outputs",
                                "check the spelling, or drop them from exclude_columns")
    sources = [c for c in label_types if c not in labels and c not in excluded]
    features = [o for o in outputs if o not in excluded]
    return TrainingPlan(
        joins=_group(joins),
        defaults=tuple(defaults),
        columns=tuple(sources + features + list(labels)),
        labels=tuple(labels),
        feature_columns=tuple(features),
    )


def _check_label_frame(label_types: Mapping[str, str], labels: Sequence[str],
                       exclude_columns: Sequence[str]) -> None:
    if len(set(labels)) != len(labels):
        raise FeatureStoreError(f"label names {cap_list(labels)} repeat a column")
    for label in labels:
        if label not in label_types:
            raise FeatureStoreError(f"label column {label!r} is not a column of the label frame",
                                    f"label-frame columns: {cap_list(label_types)}")
        if label in exclude_columns:
            raise FeatureStoreError(f"label column {label!r} cannot be excluded",
                                    "remove it from exclude_columns")
    reserved = [c for c in label_types if c.startswith(RESERVED_PREFIX)]
    if reserved:
        raise FeatureStoreError(f"label-frame column(s) {cap_list(reserved)} use the reserved "
                                f"prefix {RESERVED_PREFIX}", "rename them")


def _check_lookback_windows(lookups: Sequence[FeatureLookup]) -> None:
    """One lookback window per table, as the real client requires."""
    windows: dict[str, set[datetime.timedelta | None]] = {}
    for lookup in lookups:
        windows.setdefault(lookup.table_name, set()).add(lookup.lookback_window)
    for table, values in windows.items():
        if len(values) > 1:
            shown = ", ".join(sorted(str(v) for v in values))
            raise FeatureLookupError(table, f"lookups use different lookback windows ({shown})",
                                     "use one lookback_window per feature table, as on Databricks")


def _resolve(lookup: FeatureLookup, table: FeatureTable,
             label_types: Mapping[str, str]) -> ResolvedLookup:
    name = table.name
    if len(lookup.lookup_key) != len(table.entity_keys):
        raise FeatureLookupError(
            name, f"lookup_key ({cap_list(lookup.lookup_key)}) does not match the table's "
            f"primary key ({cap_list(table.entity_keys)})",
            "give one label-frame column per primary key, in the table's key order "
            "(the timeseries column goes in timestamp_lookup_key)")
    for column, key in zip(lookup.lookup_key, table.entity_keys, strict=True):
        _check_key(name, column, key, "lookup key", label_types, table)
    _check_timestamp(lookup, table, label_types)
    features = lookup.feature_names or tuple(sorted(table.features))
    missing = [f for f in features if f not in table.columns]
    if missing:
        raise FeatureLookupError(
            name, f"feature(s) {cap_list(missing)} do not exist in the table",
            f"features of {name}: {cap_list(table.features)}")
    return ResolvedLookup(
        table=name,
        lookup_key=lookup.lookup_key,
        table_keys=table.entity_keys,
        timestamp_lookup_key=lookup.timestamp_lookup_key,
        table_timestamp_key=table.timeseries_column,
        lookback_window=lookup.lookback_window,
        outputs=tuple((f, lookup.output_name(f)) for f in features),
    )


def _check_key(table_name: str, column: str, key: str, kind: str,
               label_types: Mapping[str, str], table: FeatureTable) -> None:
    if column not in label_types:
        raise FeatureLookupError(
            table_name, f"{kind} {column!r} is not a column of the label frame",
            f"label-frame columns: {cap_list(label_types)}")
    expected, actual = table.columns.get(key), label_types[column]
    if expected != actual:
        raise FeatureLookupError(
            table_name, f"{kind} {column!r} is {actual} in the label frame, but key {key!r} is "
            f"{expected} in the feature table",
            f"cast it: df.withColumn({column!r}, F.col({column!r}).cast({expected!r}))")


def _check_timestamp(lookup: FeatureLookup, table: FeatureTable,
                     label_types: Mapping[str, str]) -> None:
    name, ts_key = table.name, table.timeseries_column
    if ts_key is not None and lookup.timestamp_lookup_key is None:
        raise FeatureLookupError(
            name, f"the table is a time series table (timeseries column {ts_key!r}) but the "
            "lookup has no timestamp_lookup_key",
            "set timestamp_lookup_key to the label-frame column holding each row's time")
    if ts_key is None and lookup.timestamp_lookup_key is not None:
        raise FeatureLookupError(
            name, f"timestamp_lookup_key {lookup.timestamp_lookup_key!r} is set but the table has "
            "no timeseries column", "drop timestamp_lookup_key for this lookup")
    if ts_key is not None and lookup.timestamp_lookup_key is not None:
        _check_key(name, lookup.timestamp_lookup_key, ts_key, "timestamp lookup key",
                   label_types, table)


def _check_clash(output: str, table: str, label_types: Mapping[str, str],
                 outputs: Mapping[str, str], labels: Sequence[str]) -> None:
    if output in label_types:
        what = "the label column" if output in labels else "a column of the label frame"
        raise FeatureLookupError(
            table, f"output column {output!r} clashes with {what}",
            f"rename it with rename_outputs={{{output!r}: 'new_name'}}, "
            "or drop the column from the label frame")
    if output in outputs:
        raise FeatureLookupError(
            table, f"output column {output!r} is also produced by the lookup on {outputs[output]}",
            f"rename one of them with rename_outputs={{{output!r}: 'new_name'}}")


def _defaults(lookup: FeatureLookup, join: ResolvedLookup,
              output_types: Mapping[str, str]) -> list[tuple[str, DefaultValue, str]]:
    produced = [o for _f, o in join.outputs]
    result = []
    for output, value in lookup.default_values.items():
        if output not in produced:
            raise FeatureLookupError(
                join.table, f"default_values names {output!r}, which this lookup does not output",
                f"outputs: {cap_list(produced)}")
        spark_type = output_types[output]
        if not _default_fits(value, spark_type):
            raise FeatureLookupError(
                join.table, f"default value {value!r} for {output!r} does not fit its type "
                f"{spark_type}", "defaults are allowed for int, float, bool and string features")
        result.append((output, value, spark_type))
    return result


def _default_fits(value: DefaultValue, spark_type: str) -> bool:
    if isinstance(value, bool):
        return spark_type == "boolean"
    if isinstance(value, int):
        return spark_type in _INTEGRAL + _FRACTIONAL
    if isinstance(value, float):
        return spark_type in _FRACTIONAL
    return spark_type == "string"


def _group(joins: Sequence[ResolvedLookup]) -> tuple[ResolvedLookup, ...]:
    """Merge lookups that differ only in features: one join per table, key and window."""
    merged: dict[tuple[object, ...], ResolvedLookup] = {}
    for join in joins:
        key = (join.table, join.lookup_key, join.timestamp_lookup_key, join.lookback_window)
        if key in merged:
            previous = merged[key]
            seen = {o for _f, o in previous.outputs}
            extra = tuple(p for p in join.outputs if p[1] not in seen)
            merged[key] = ResolvedLookup(**{**previous.__dict__,
                                            "outputs": previous.outputs + extra})
        else:
            merged[key] = join
    return tuple(merged.values())
