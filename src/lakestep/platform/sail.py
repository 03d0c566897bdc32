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
from typing import TYPE_CHECKING

from lakestep.config import check_identifier
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


class EmbeddedSail:
    """An in-process Sail Spark Connect server on a free loopback port."""

    def __init__(self, catalogs: Iterable[str], default_catalog: str) -> None:
        self._config = catalog_config(catalogs, default_catalog)
        self._server = None
        self.url: str | None = None

    def start(self) -> str:
        started = time.perf_counter()
        # Sail reads its configuration from the environment of its own process when the
        # server object is built; we set only SAIL_* keys and RUST_LOG.
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
