"""The worker side of batch scoring: the function Spark runs over Arrow batches.

It runs wherever the engine runs Python UDFs. On embedded Sail that is the driver process
itself, on one thread per partition (Sail deserialises the UDF once per partition); on a
Sail server or on Databricks it is a worker process. The packaged model travels inside the
UDF as pickled bytes (a few hundred KB for the demo models), so any worker that can run the
UDF can score: no shared file system, no registry credentials on workers. It is unpickled
once per process: a lock-protected, size-bounded cache keyed by the model URI and the
payload's content hash (two stores may both hold a ``main.ml.m/1``).

Engines hand over small Arrow batches (Sail: 8192 rows from Delta, 1024 from ``range``);
the per-call cost of conform → transform → predict would dominate at that size, so batches
are coalesced to ``batch_rows`` before predicting. Key columns are passed through as Arrow
arrays and never become pandas objects.
"""

from __future__ import annotations

import hashlib
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

    from lakestep.models.packaging import PackagedModel

# Rows per predict call: large enough that per-call overhead is small against the
# vectorised work, small enough that a batch of a wide frame stays a few MB. Equal to
# lakestep.models.packaging.CHUNK_ROWS, so PackagedModel.predict takes a batch in one
# chunk (131,072 rows split into 100,000 + 31,072 and cost a concat per batch).
BATCH_ROWS = 100_000
# Models kept per process; a long-lived Sail server scores many models in turn.
CACHE_SIZE = 4

_CACHE: OrderedDict[str, PackagedModel] = OrderedDict()
_LOCK = threading.Lock()
_LOADS: dict[str, int] = {}


def load_count(key: str | None = None) -> int:
    """How many times this process unpickled a model (one key, or all of them)."""
    with _LOCK:
        return _LOADS.get(key, 0) if key is not None else sum(_LOADS.values())


def model_payload(model: PackagedModel, model_uri: str) -> tuple[str, bytes]:
    """The cache key and the bytes that carry ``model`` to the workers.

    The training baseline is left out: workers only predict, and monitoring reads it from
    the registered model.
    """
    import copy

    slim = copy.copy(model)
    slim.baseline = None
    payload = pickle.dumps(slim, protocol=pickle.HIGHEST_PROTOCOL)
    digest = hashlib.sha256(payload).hexdigest()[:16]
    return f"{model_uri}#{digest}", payload


def cached_model(key: str, payload: bytes) -> PackagedModel:
    """The model for ``key``, unpickled from ``payload`` only on this process's first call.

    Concurrent partitions (threads on Sail) wait on one lock, so a model is never
    unpickled twice in a process.
    """
    model = _CACHE.get(key)
    if model is not None:
        return model
    with _LOCK:
        model = _CACHE.get(key)
        if model is None:
            model = pickle.loads(payload)  # our own bytes, made by model_payload
            _CACHE[key] = model
            _LOADS[key] = _LOADS.get(key, 0) + 1
            while len(_CACHE) > CACHE_SIZE:
                _CACHE.popitem(last=False)
        else:
            _CACHE.move_to_end(key)
        return model


@dataclass(frozen=True)
class BatchPlan:
    """What the UDF needs besides the batches; pickled with it to every worker.

    ``features`` are the conformed model inputs in signature order; ``passthrough`` maps a
    column of the input batch to its name in the output (the key columns); ``outputs`` are
    the model's output columns with their Arrow type names.
    """

    key: str
    payload: bytes
    features: tuple[str, ...]
    passthrough: tuple[tuple[str, str], ...]
    outputs: tuple[tuple[str, str], ...]
    batch_rows: int = BATCH_ROWS


def predict_batches(plan: BatchPlan) -> Callable[[Iterable[pa.RecordBatch]],
                                                 Iterable[pa.RecordBatch]]:
    """The ``mapInArrow`` function: Arrow batches of keys + features in, keys + outputs out."""

    def run(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        model = cached_model(plan.key, plan.payload)
        for table in coalesce(batches, plan.batch_rows):
            yield from predict_table(model, table, plan).to_batches()

    return run


def coalesce(batches: Iterable[pa.RecordBatch], rows: int) -> Iterator[pa.Table]:
    """Group consecutive batches into tables of at least ``rows`` rows (the last may be
    smaller); no data is copied."""
    import pyarrow as pa

    buffer: list[pa.RecordBatch] = []
    count = 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        buffer.append(batch)
        count += batch.num_rows
        if count >= rows:
            yield pa.Table.from_batches(buffer)
            buffer, count = [], 0
    if buffer:
        yield pa.Table.from_batches(buffer)


def predict_table(model: Any, table: pa.Table, plan: BatchPlan) -> pa.Table:
    """Keys of ``table`` (as they are) next to the model's outputs for its feature columns."""
    import pyarrow as pa

    frame = table.select(list(plan.features)).to_pandas(split_blocks=True)
    outputs = model.predict(frame)
    arrays = [table.column(source) for source, _ in plan.passthrough]
    names = [name for _, name in plan.passthrough]
    for name, arrow_type in plan.outputs:
        arrays.append(pa.array(outputs[name].to_numpy(), type=getattr(pa, _ARROW_TYPES[arrow_type])()))
        names.append(name)
    return pa.Table.from_arrays(arrays, names=names)


# Output types of lakestep.models.estimators.OUTPUT_TYPES as pyarrow type factories.
_ARROW_TYPES = {"double": "float64", "long": "int64"}
