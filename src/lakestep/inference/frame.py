"""The scoring frame: keys in, the model's own features looked up, conformed on the Spark
side before anything is predicted.

As ``fe.score_batch`` does, the caller gives only keys (lookup keys, timestamp keys and
any source columns the model reads as they are); the features come from the feature
lookups embedded in the model at training, point-in-time when they have a timestamp key.
Every check here reads schemas only, so a bad input fails before a job runs and before
anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lakestep.errors import ScoringError, cap_list
from lakestep.features.lookup import FeatureLookup
from lakestep.signature import conform

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from lakestep.inference.model import LoadedModel
    from lakestep.platform.base import Platform

# Columns of the predictions table that scoring adds; a key column cannot use these names.
OUTPUT_COLUMNS = ("prediction", "probability", "model_name", "model_version", "model_uri",
                  "scored_at", "scoring_date")
# Key columns ride through conform and the UDF under this prefix, so a key that is also a
# model input (a date used for date parts) keeps its original type in the output.
KEY_PREFIX = "__lakestep_key_"


@dataclass(frozen=True)
class ScoringFrame:
    """The conformed frame handed to the UDF: model inputs + prefixed key columns."""

    frame: DataFrame
    features: tuple[str, ...]
    keys: tuple[str, ...]

    @property
    def passthrough(self) -> tuple[tuple[str, str], ...]:
        return tuple((KEY_PREFIX + key, key) for key in self.keys)


def resolve_keys(platform: Platform, keys: DataFrame | str | None, model: str) -> DataFrame:
    """The keys frame: a Spark DataFrame as given, or a table read by its name."""
    if keys is None:
        raise ScoringError(
            f"no keys to score {model} on",
            "pass keys= a Spark DataFrame or a table name holding the lookup keys "
            "(and the timestamp column for point-in-time features)")
    if isinstance(keys, str):
        return platform.tables.read(keys)
    if not hasattr(keys, "schema") or not hasattr(keys, "mapInArrow"):
        raise ScoringError(f"keys must be a Spark DataFrame or a table name, got "
                           f"{type(keys).__name__}", "for pandas data, spark.createDataFrame it")
    return keys


def lookups_of(loaded: LoadedModel) -> list[FeatureLookup]:
    """The feature lookups stored in the model at training."""
    return [FeatureLookup.from_dict(data) for data in loaded.packaged.feature_lookups]


def key_columns(keys: DataFrame, loaded: LoadedModel, lookups: Sequence[FeatureLookup],
                chosen: Sequence[str] | None = None) -> tuple[str, ...]:
    """Columns of ``keys`` written next to each prediction.

    By default: the lookup and timestamp keys, plus every other column that is not a
    model input (a booking id, say); ``chosen`` overrides. Order follows ``keys``.
    """
    columns = list(keys.columns)
    if chosen is not None:
        missing = [c for c in chosen if c not in columns]
        if missing:
            raise ScoringError(f"key column(s) {cap_list(missing)} are not in the keys frame",
                               f"its columns: {cap_list(columns)}")
        picked = [c for c in columns if c in set(chosen)]
    else:
        lookup_keys = {k for lookup in lookups for k in lookup.lookup_key}
        lookup_keys |= {lookup.timestamp_lookup_key for lookup in lookups
                        if lookup.timestamp_lookup_key}
        inputs = set(loaded.packaged.input_schema.input_names())
        picked = [c for c in columns if c in lookup_keys or c not in inputs]
    if not picked:
        raise ScoringError(
            f"the keys frame of {loaded.label} has no key column to identify a prediction "
            f"(every column is a model input: {cap_list(columns)})",
            "add an id column to the keys, or pass key_columns=")
    reserved = [c for c in picked if c in OUTPUT_COLUMNS or c.startswith(KEY_PREFIX)]
    if reserved:
        raise ScoringError(f"key column(s) {cap_list(reserved)} clash with the predictions "
                           f"table's own columns ({cap_list(OUTPUT_COLUMNS)})",
                           "rename them in the keys frame")
    return tuple(picked)


def with_features(platform: Platform, keys: DataFrame,
                  lookups: Sequence[FeatureLookup]) -> DataFrame:
    """``keys`` joined with the model's features (lazy; lookup errors are raised here)."""
    if not lookups:
        return keys
    training_set = platform.features.create_training_set(
        df=keys, feature_lookups=list(lookups), label=None)
    return training_set.load_df()


def conformed(frame: DataFrame, loaded: LoadedModel, keys: Sequence[str]) -> ScoringFrame:
    """Model inputs conformed to the signature (Spark casts), plus the key columns as they
    are. A missing or incompatible input raises one SignatureMismatch naming every column.
    """
    from mlflow.types.schema import AnyType, ColSpec, Schema
    from pyspark.sql import functions as F

    schema = loaded.packaged.input_schema
    carried = frame.select(*frame.columns,
                           *[F.col(f"`{k}`").alias(KEY_PREFIX + k) for k in keys])
    extended = Schema([*schema.inputs, *[ColSpec(AnyType(), KEY_PREFIX + k) for k in keys]])
    result = conform(carried, extended, model=loaded.label)
    return ScoringFrame(result.frame, tuple(str(c) for c in schema.input_names()), tuple(keys))


def output_fields(loaded: LoadedModel) -> tuple[tuple[str, str], ...]:
    """The model's output columns and their types (``prediction`` [, ``probability``])."""
    spec: Any = loaded.packaged.output_schema
    return tuple((str(col.name), str(col.type.name)) for col in spec.inputs)
