"""Benchmark (not a test): engine start, embedded Sail vs a local JVM Spark session.

    lakestep bench engine --repeats 3

Each start is a fresh process (so nothing is warm but the OS page cache), timed from before
the imports to the first answered query (``spark.range(10).count()``):
  * ``sail``: pysail's Spark Connect server started in-process on a loopback port, and a
    PySpark Spark Connect session on it — how lakestep's embedded default starts;
  * ``jvm``: ``SparkSession.builder.master("local[2]")`` — a JVM Spark from the jars PySpark
    ships (needs Java; reported as skipped without it). No Delta jars: they come from Maven
    Central, which is what the embedded default avoids.
Also the first query of each, and the child's peak RSS (the JVM is a separate process: its
RSS is read from /proc before stopping it). Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ENGINES = ("sail", "jvm")


def _rss_mib(pid: int) -> float | None:
    status = Path(f"/proc/{pid}/status")
    if not status.is_file():
        return None
    for line in status.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def child(engine: str) -> dict[str, Any]:
    started = time.perf_counter()
    if engine == "sail":
        from pysail.spark import SparkConnectServer
        from pyspark.sql import SparkSession

        server = SparkConnectServer("127.0.0.1", 0)
        server.start(background=True)
        _, port = server.listening_address
        spark = SparkSession.builder.remote(f"sc://127.0.0.1:{port}").getOrCreate()
        engine_pid = os.getpid()
    else:
        from pyspark.sql import SparkSession

        spark = (SparkSession.builder.master("local[2]").appName("lakestep-bench")
                 .config("spark.ui.enabled", "false").getOrCreate())
        gateway: Any = spark.sparkContext._gateway
        jvm = getattr(gateway, "proc", None)
        engine_pid = jvm.pid if jvm is not None else os.getpid()
    session = time.perf_counter() - started
    assert spark.range(10).count() == 10
    first_query = time.perf_counter() - started
    started_query = time.perf_counter()
    spark.range(1_000_000).selectExpr("sum(id)").collect()
    query = time.perf_counter() - started_query
    rss = _rss_mib(engine_pid)
    spark.stop()
    if engine == "sail":
        server.stop()
    return {"session_s": round(session, 3), "first_query_s": round(first_query, 3),
            "sum_1m_s": round(query, 3), "engine_rss_mib": rss}


def run(repeats: int = 3) -> dict[str, Any]:
    result: dict[str, Any] = {"repeats": repeats, "engines": {}}
    for engine in ENGINES:
        if engine == "jvm" and shutil.which("java") is None:
            result["engines"][engine] = {"skipped": "no java on PATH"}
            continue
        runs, errors = [], []
        for _ in range(repeats):
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "lakestep.bench.engine", "--child",
                                   engine], capture_output=True, text=True, check=False)
            wall = time.perf_counter() - started
            lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
            if done.returncode != 0 or not lines:
                errors.append(f"exit {done.returncode}: {done.stderr.strip()[-600:]}")
                continue
            runs.append({**json.loads(lines[-1]), "process_s": round(wall, 3)})
        summary: dict[str, Any] = {"runs": runs}
        for key in ("session_s", "first_query_s", "sum_1m_s", "process_s", "engine_rss_mib"):
            values = [r[key] for r in runs if r.get(key) is not None]
            if values:
                summary[key] = {"median": round(statistics.median(values), 3),
                                "spread": round(max(values) - min(values), 3)}
        if errors:
            summary["errors"] = errors
        result["engines"][engine] = summary
    return result


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", choices=ENGINES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child)), flush=True)
        # Measured and printed: leave now. PySpark's Spark Connect client can keep a
        # release-retry thread alive at interpreter exit once its server is gone.
        os._exit(0)
    print(json.dumps(run(args.repeats), indent=1))


if __name__ == "__main__":
    main()
