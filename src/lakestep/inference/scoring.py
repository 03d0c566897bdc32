"""``score``: batch scoring by alias into ``{catalog}.{ml_schema}.<model>_predictions``.

Steps (each timed and reported to ``progress(step, seconds)``):

1. ``resolve``: the alias (default ``champion``) or version → one pinned model version;
2. ``load``: its artifacts downloaded and read once on the driver (lookups, input schema);
3. ``plan``: keys + the model's own feature lookups, conformed to the signature on the
   Spark side — a missing or incompatible column fails here, before any job runs;
4. ``score_and_write``: one Spark job: Arrow batches through the model on the workers
   (``mapInArrow``; or ``fe.score_batch`` on Databricks), written with ``replaceWhere`` on
   the scoring date — one Delta commit, so a re-run replaces that date's rows and a failed
   or killed run leaves the previous version as it was;
5. ``count``: the rows of that date in the version just written.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from lakestep.console import StepTimer
from lakestep.errors import ScoringError, TableWriteError
from lakestep.inference.feature_engineering import feature_store_scorer, score_with_feature_store
from lakestep.inference.frame import (
    KEY_PREFIX,
    ScoringFrame,
    conformed,
    key_columns,
    lookups_of,
    output_fields,
    resolve_keys,
    with_features,
)
from lakestep.inference.model import LoadedModel, load_version, resolve
from lakestep.inference.worker import BatchPlan, model_payload, predict_batches

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from lakestep.platform.base import Platform

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]
SPARK_PATH = "spark"
FEATURE_STORE_PATH = "feature_store"
_SPARK_TYPES = {"double": "double", "long": "bigint"}


@dataclass(frozen=True)
class ScoreResult:
    """What a scoring run wrote: the table, its new Delta version, rows and timings."""

    model: str
    model_version: str
    model_uri: str
    table: str
    version: int
    rows: int
    scoring_date: date
    seconds: float
    path: str
    steps: Mapping[str, float] = field(default_factory=dict)


def score(
    platform: Platform,
    model: str,
    *,
    alias: str | None = "champion",
    version: str | int | None = None,
    keys: DataFrame | str | None = None,
    scoring_date: date | None = None,
    key_columns: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> ScoreResult:
    """Score ``keys`` with ``model`` (its short name) and replace ``scoring_date``'s rows of
    its predictions table.

    ``keys`` is a Spark DataFrame or a table name holding the lookup keys (and timestamp
    column) of the model's feature lookups, plus any source columns it reads directly.
    ``key_columns`` chooses which keys frame columns are written with each prediction
    (default: lookup and timestamp keys and every column that is not a model input).
    ``scoring_date`` defaults to today (UTC). Raises ModelNotFound (naming what exists),
    SignatureMismatch or FeatureLookupError (naming the columns) before anything is
    written, and ScoringError when the run fails; the table then keeps its version.
    """
    started = time.perf_counter()
    steps = StepTimer(progress, logger_name=__name__)
    settings = platform.settings
    table = settings.predictions_table(model)
    day = scoring_date or datetime.now(UTC).date()
    with steps("resolve"):
        registered = resolve(platform, model, alias, version)
    with steps("load"):
        loaded = load_version(settings, registered)
    with steps("plan"):
        predictions, path = _plan(platform, loaded, keys, key_columns, day)
    with steps("score_and_write"):
        written = _write(platform, table, predictions, day, loaded)
    with steps("count"):
        rows = _count(platform, table, written, day)
    seconds = time.perf_counter() - started
    log.info("scored %d row(s) with %s into %s for %s (Delta version %d, %s path) in %.2fs",
             rows, loaded.label, table, day, written, path, seconds)
    return ScoreResult(model=loaded.name, model_version=loaded.version, model_uri=loaded.uri,
                       table=table, version=written, rows=rows, scoring_date=day,
                       seconds=seconds, path=path, steps=dict(steps.seconds))


def _plan(platform: Platform, loaded: LoadedModel, keys: DataFrame | str | None,
          chosen: Sequence[str] | None, day: date) -> tuple[DataFrame, str]:
    """The predictions frame to write (lazy) and which path scores it."""
    keys_frame = resolve_keys(platform, keys, loaded.label)
    lookups = lookups_of(loaded)
    ids = key_columns(keys_frame, loaded, lookups, chosen)
    # Conformed on both paths: bad input fails here, naming its columns, on every target.
    scoring = conformed(with_features(platform, keys_frame, lookups), loaded, ids)
    outputs = output_fields(loaded)
    scorer = feature_store_scorer(platform, loaded)
    if scorer is not None:
        scored = score_with_feature_store(scorer, keys_frame, loaded, ids, outputs)
        path = FEATURE_STORE_PATH
    else:
        scored = _score_spark(scoring, loaded, outputs)
        path = SPARK_PATH
    return with_metadata(scored, loaded, ids, outputs, day), path


def _score_spark(scoring: ScoringFrame, loaded: LoadedModel,
                 outputs: Sequence[tuple[str, str]]) -> DataFrame:
    """Keys + outputs, predicted on the workers over Arrow batches."""
    from pyspark.sql.types import StructField, StructType, _parse_datatype_string

    key, payload = model_payload(loaded.packaged, loaded.uri)
    plan = BatchPlan(key=key, payload=payload, features=scoring.features,
                     passthrough=scoring.passthrough, outputs=tuple(outputs))
    source = scoring.frame.schema
    schema = StructType(
        [StructField(k, source[KEY_PREFIX + k].dataType) for k in scoring.keys]
        + [StructField(n, _parse_datatype_string(_SPARK_TYPES[t])) for n, t in outputs])
    return scoring.frame.mapInArrow(predict_batches(plan), schema)


def with_metadata(scored: DataFrame, loaded: LoadedModel, keys: Sequence[str],
                  outputs: Sequence[tuple[str, str]], day: date) -> DataFrame:
    """The predictions table's columns: keys, outputs, model and run metadata."""
    from pyspark.sql import functions as F

    scored_at = datetime.now(UTC).replace(microsecond=0)
    return scored.select(
        *[F.col(f"`{k}`") for k in keys],
        *[F.col(name) for name, _ in outputs],
        F.lit(loaded.name).alias("model_name"),
        F.lit(loaded.version).alias("model_version"),
        F.lit(loaded.uri).alias("model_uri"),
        F.lit(scored_at).alias("scored_at"),
        F.lit(day).alias("scoring_date"),
    )


def replace_predicate(day: date) -> str:
    """The Delta ``replaceWhere`` predicate of one scoring date."""
    return f"scoring_date = DATE'{day.isoformat()}'"


def _write(platform: Platform, table: str, predictions: DataFrame, day: date,
           loaded: LoadedModel) -> int:
    try:
        return platform.tables.replace_where(table, predictions, replace_predicate(day))
    except TableWriteError as exc:
        reason = engine_reason(exc.__cause__) or exc.message
        raise ScoringError(
            f"scoring {loaded.label} into {table} for {day} failed: {reason}; "
            f"{table} is unchanged",
            exc.hint or "fix the cause and re-run the same date; it replaces that date's rows",
        ) from exc


_ENGINE_PREFIXES = ("RuntimeError: ", "Execution error: ", "PythonException: ")


def engine_reason(error: BaseException | None) -> str | None:
    """The line of an engine error that says why, without its traceback.

    A failure inside the UDF (a value guard of conform, the model's own error) reaches the
    driver as "An exception was thrown from the Python worker" followed by the worker's
    traceback; the reason is its last line.
    """
    lines = [line.strip() for line in str(error or "").splitlines() if line.strip()]
    if not lines:
        return None
    line = lines[-1] if any(line.startswith("Traceback") for line in lines) else lines[0]
    stripped = True
    while stripped:
        stripped = False
        for prefix in _ENGINE_PREFIXES:
            if line.startswith(prefix):
                line, stripped = line[len(prefix):], True
    return line[:400]


def _count(platform: Platform, table: str, version: int, day: date) -> int:
    from pyspark.sql import functions as F

    written = platform.tables.read(table, version=version)
    return int(written.filter(F.col("scoring_date") == F.lit(day)).count())

