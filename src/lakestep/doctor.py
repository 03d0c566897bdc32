"""`lakestep doctor`: what is wrong with this machine for lakestep, and how to fix it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from lakestep.errors import LakestepError

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: Status
    detail: str
    fix: str | None = None


def check_python() -> CheckResult:
    version = ".".join(map(str, sys.version_info[:3]))
    return CheckResult("python", "ok", f"{version} ({sys.executable})")


def check_java() -> CheckResult:
    """Java is optional: only the JVM Spark parity tests and engine benchmark need it."""
    java = shutil.which("java")
    if java is None:
        return CheckResult("java", "warn", "not found (only needed for JVM Spark parity tests)",
                           "install a JDK 17 (e.g. apt-get install openjdk-17-jre-headless)")
    out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    first = (out.stderr or out.stdout).strip().splitlines()[0] if (out.stderr or out.stdout) else "?"
    return CheckResult("java", "ok", first)


def check_packages() -> CheckResult:
    from importlib.metadata import PackageNotFoundError, version

    missing, found = [], []
    for package in ("pyspark", "pysail", "deltalake", "mlflow", "xgboost", "pandas"):
        try:
            found.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            missing.append(package)
    if missing:
        return CheckResult("packages", "fail", f"missing: {', '.join(missing)}",
                           "run `make run` (it installs the pinned dependencies)")
    return CheckResult("packages", "ok", ", ".join(found))


def check_platform(connect: Callable[[], Any]) -> list[CheckResult]:
    """Start the engine, write nothing, and open the MLflow store."""
    started = time.perf_counter()
    try:
        platform = connect()
    except LakestepError as exc:
        return [CheckResult("engine", "fail", exc.message, exc.hint)]
    with platform:
        seconds = time.perf_counter() - started
        results = [CheckResult("engine", "ok", f"Spark {platform.spark.version} answered "
                                               f"in {seconds:.2f}s")]
        home = platform.settings.home
        results.append(CheckResult("home", "ok",
                                   f"{home} ({len(platform.tables.list_tables())} tables)"))
        results.append(_check_mlflow(platform.settings.tracking_uri))
    return results


def _check_mlflow(uri: str) -> CheckResult:
    try:
        from mlflow.tracking import MlflowClient

        MlflowClient(tracking_uri=uri).search_experiments(max_results=1)
    except Exception as exc:
        return CheckResult("mlflow", "fail", f"{uri}: {str(exc).splitlines()[0][:200]}",
                           "check --tracking-uri, or start the stack with `lakestep stack up`")
    return CheckResult("mlflow", "ok", uri)


def run_checks(connect: Callable[[], Any]) -> list[CheckResult]:
    return [check_python(), check_java(), check_packages(), *check_platform(connect)]
