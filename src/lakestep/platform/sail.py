"""Starting and reaching Sail, the Spark Connect engine of the local stacks.

Sail keeps its catalog in memory, so the table store re-registers every Delta table found
under the lakehouse directory when a session starts; tables therefore survive the process
and a restart of a Sail server.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from lakestep.config import DEFAULT_ENGINE_MEMORY, check_identifier, memory_limit
from lakestep.errors import EngineError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)


def catalog_config(catalogs: Iterable[str], default: str) -> dict[str, str]:
    """Sail environment configuration with one memory catalog per Unity-Catalog-style name."""
    names = sorted({check_identifier("catalog", c) for c in catalogs} | {default})
    entries = ", ".join(
        f'{{type="memory", name="{name}", initial_database=["default"]}}' for name in names
    )
    return {
        "SAIL_CATALOG__LIST": f"[{entries}]",
        "SAIL_CATALOG__DEFAULT_CATALOG": default,
        # Spark semantics for integer overflow etc. follow ANSI on Databricks as well.
        "RUST_LOG": os.environ.get("RUST_LOG", "error"),
    }


def memory_config(memory: str = DEFAULT_ENGINE_MEMORY,
                  spill_dir: Path | None = None) -> dict[str, str]:
    """Sail's execution memory: a ``fair`` pool of ``memory`` (see
    :func:`lakestep.config.memory_limit`) so sorts, aggregations and windows spill to
    ``spill_dir`` instead of growing until the kernel kills the process; an operator that
    cannot spill (a hash join's build side) fails its query with a clear error instead.

    Sail's default is an unbounded pool: a 2M-booking feature refresh grew to 22 GiB."""
    limit = memory_limit(memory)
    if limit is None:
        return {"SAIL_RUNTIME__MEMORY_POOL__TYPE": "unbounded"}
    config = {"SAIL_RUNTIME__MEMORY_POOL__TYPE": "fair",
              "SAIL_RUNTIME__MEMORY_POOL__FAIR__MAX_SIZE": str(limit)}
    if spill_dir is not None:  # must exist when the server starts (the caller creates it)
        config["SAIL_RUNTIME__TEMPORARY_FILES__PATHS"] = f'["{spill_dir}"]'
    return config


def engine_config(catalogs: Iterable[str], default: str, *, memory: str = DEFAULT_ENGINE_MEMORY,
                  spill_dir: Path | None = None) -> dict[str, str]:
    """Everything a Sail server of a lakestep stack is configured with (SAIL_* variables).

    A memory key the caller's environment already sets (``SAIL_RUNTIME__…``) is left to it."""
    config = catalog_config(catalogs, default)
    for key, value in memory_config(memory, spill_dir).items():
        if key not in os.environ:
            config[key] = value
    return config


class EmbeddedSail:
    """An in-process Sail Spark Connect server on a free loopback port."""

    def __init__(self, catalogs: Iterable[str], default_catalog: str, *,
                 memory: str = DEFAULT_ENGINE_MEMORY, spill_dir: Path | None = None) -> None:
        self._config = engine_config(catalogs, default_catalog, memory=memory,
                                     spill_dir=spill_dir)
        self._spill_dir = spill_dir
        self._server = None
        self.url: str | None = None

    def start(self) -> str:
        started = time.perf_counter()
        # Sail reads its configuration from the environment of its own process when the
        # server starts; the SAIL_* keys and RUST_LOG are set for that moment only, so
        # neither a later engine of this process nor a child process inherits them.
        if self._spill_dir is not None:
            self._spill_dir.mkdir(parents=True, exist_ok=True)
        saved = {key: os.environ.get(key) for key in self._config}
        os.environ.update(self._config)
        try:
            from pysail.spark import SparkConnectServer

            server = SparkConnectServer("127.0.0.1", 0)
            server.start(background=True)
            self._server = server
            _, port = server.listening_address
        except Exception as exc:
            raise EngineError(
                f"the embedded Sail engine did not start: {exc}",
                "run `lakestep doctor`; reinstall with `make run` if pysail is missing",
            ) from exc
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        self.url = f"sc://127.0.0.1:{port}"
        log.info("embedded Sail listening on %s (%.2fs)", self.url, time.perf_counter() - started)
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            try:
                self._server.stop()
            finally:
                self._server = None


def _reachable(url: str, timeout: float) -> bool:
    """A TCP check first: PySpark itself may hang for minutes on an unreachable server."""
    import socket
    from urllib.parse import urlparse

    parsed = urlparse(url.replace("sc://", "http://", 1))
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 15002),
                                      timeout=timeout):
            return True
    except OSError:
        return False


# Every Spark Connect session this process creates stays referenced until it exits.
# PySpark 4.0's SparkSession.__del__ shuts down a thread pool shared by all sessions; when
# the garbage collector finalises a closed session while another session is fetching a
# result (inside that pool's submit), the fetch deadlocks. Sessions are stopped explicitly
# by Platform.close(); keeping the objects means __del__ never runs mid-query.
_SESSIONS: list[object] = []


def connect_session(url: str, *, attempts: int = 20, wait_seconds: float = 10.0
                    ) -> SparkSession:
    """A new Spark Connect session on ``url`` (never the cached default session)."""
    from pyspark.sql import SparkSession

    deadline = time.monotonic() + wait_seconds
    while not _reachable(url, timeout=1.0):
        if time.monotonic() > deadline:
            raise EngineError(
                f"no Spark Connect server answers at {url}",
                "start it with `lakestep stack up`, or check --spark-remote / "
                "LAKESTEP_SPARK_REMOTE",
            )
        time.sleep(0.2)
    last: Exception | None = None
    for attempt in range(attempts):
        try:
            spark = SparkSession.builder.remote(url).create()
            _SESSIONS.append(spark)
            spark.range(1).collect()
            return spark
        except Exception as exc:  # the server may still be binding its port
            last = exc
            time.sleep(min(0.1 * (attempt + 1), 1.0))
    raise EngineError(
        f"cannot reach the Spark Connect server at {url}: {last}",
        "start it with `lakestep stack up`, or check --spark-remote / LAKESTEP_SPARK_REMOTE",
    ) from last
