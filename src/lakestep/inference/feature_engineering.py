"""Scoring through the feature store's own ``score_batch`` (Databricks Feature Engineering).

On Databricks, a model logged with ``fe.log_model`` carries a feature spec, and the Feature
Engineering client's ``score_batch(model_uri=..., df=keys)`` looks its features up and
predicts (with lineage recorded in Unity Catalog). The feature store adapter exposes that
call as ``score_batch``; the local store does not, so locally — and for models logged
without a feature spec — the Spark path scores. Either way the predictions table has the
same columns: this module maps the client's output (every column of ``df``, the looked-up
features, and a ``prediction`` column) onto them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from lakestep.errors import LakestepError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from lakestep.inference.model import LoadedModel
    from lakestep.platform.base import Platform

# Spark SQL names of the model output types (lakestep.models.estimators.OUTPUT_TYPES).
SPARK_TYPES = {"double": "double", "long": "bigint"}


class BatchScoringStore(Protocol):
    """A feature store that can score a model on keys itself (``fe.score_batch``)."""

    def score_batch(self, *, model_uri: str, df: DataFrame, result_type: str) -> DataFrame: ...


def feature_store_scorer(platform: Platform, loaded: LoadedModel
                         ) -> Callable[..., DataFrame] | None:
    """The feature store's ``score_batch`` when it has one and the model was logged with a
    feature spec; None means: score on the Spark path."""
    if not loaded.feature_spec:
        return None
    try:
        features: Any = platform.features
    except LakestepError:
        return None
    method = getattr(features, "score_batch", None)
    return method if callable(method) else None


def result_type(outputs: Sequence[tuple[str, str]]) -> str:
    """The ``result_type`` for ``score_batch``: a struct of the model's output columns.

    A struct keeps ``probability`` next to ``prediction`` (a scalar type would keep only
    the first output column of the pyfunc's DataFrame).
    """
    return ", ".join(f"{name} {SPARK_TYPES[kind]}" for name, kind in outputs)


def from_feature_store(scored: DataFrame, keys: Sequence[str],
                       outputs: Sequence[tuple[str, str]]) -> DataFrame:
    """The key columns and the model's outputs out of ``score_batch``'s result."""
    from pyspark.sql import functions as F

    return scored.select(
        *[F.col(f"`{key}`") for key in keys],
        *[F.col("prediction").getField(name).cast(SPARK_TYPES[kind]).alias(name)
          for name, kind in outputs],
    )


def score_with_feature_store(scorer: Callable[..., DataFrame], keys_frame: DataFrame,
                             loaded: LoadedModel, keys: Sequence[str],
                             outputs: Sequence[tuple[str, str]]) -> DataFrame:
    """Keys + outputs for every row of ``keys_frame``, scored by the feature store."""
    scored = scorer(model_uri=loaded.uri, df=keys_frame, result_type=result_type(outputs))
    return from_feature_store(scored, keys, outputs)
