"""The two stack services that are plain processes: the MLflow server and the Sail server.

Each is a :class:`ProcessService`: a command line, its environment, and how to tell it
answers. Both run from this Python installation (``python -m mlflow`` / ``python -m
pysail``), so they need nothing on the PATH and match the client's versions.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lakestep.errors import PortInUse, StackError
from lakestep.stack.backend import Backend
from lakestep.stack.config import LOOPBACK, PORT_OPTIONS, StackConfig, port_answers, port_is_free
from lakestep.stack.processes import (
    alive,
    exit_code,
    is_ours,
    last_log_line,
    read_pid,
    spawn,
    stop,
    wait_until,
)


@dataclass(frozen=True)
class ProcessService:
    """How to start one service process and how to tell it is up."""

    name: str
    port: int
    command: list[str]
    env: dict[str, str]
    answers: Callable[[], bool]
    # Markers of its command line, so a reused pid is never taken for the service.
    markers: tuple[str, ...]
    log_file: Path
    pid_file: Path
    cwd: Path
    # A deeper check run once after it answers (e.g. a real query); raises on failure.
    verify: Callable[[], None] | None = field(default=None)

    def pid(self) -> int | None:
        """The pid of the running service, or ``None`` (a stale pid file is removed)."""
        pid = read_pid(self.pid_file)
        if pid is None:
            return None
        if is_ours(pid, self.markers):
            return pid
        self.pid_file.unlink(missing_ok=True)
        return None

    def error(self, message: str, hint: str) -> StackError:
        """An error naming this service and its log file."""
        return StackError(self.name, message, hint, log_file=str(self.log_file))


def mlflow_service(config: StackConfig, backend: Backend) -> ProcessService:
    """The MLflow tracking + registry server; it stores and serves the artifacts itself."""
    port = config.mlflow_port
    command = [
        sys.executable, "-m", "mlflow", "server",
        "--host", LOOPBACK, "--port", str(port), "--workers", "1",
        "--serve-artifacts", "--artifacts-destination", str(config.artifacts_dir),
        "--default-artifact-root", "mlflow-artifacts:/",
    ]
    env = {
        **os.environ,
        # The URI goes through the environment so a password never shows in `ps`.
        "MLFLOW_BACKEND_STORE_URI": backend.uri,
        # MLflow 3's job runner starts eight more processes for GenAI jobs lakestep never
        # submits; without it the server starts faster and uses far less memory.
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    }
    if backend.kind == "private":
        env["PGPASSFILE"] = str(config.pgpass_file)
    return ProcessService(
        name="mlflow", port=port, command=command, env=env,
        answers=lambda: mlflow_answers(port),
        markers=("mlflow", "server", f"--port {port}"),
        log_file=config.log_file("mlflow"), pid_file=config.pid_file("mlflow"),
        cwd=config.state_dir,
    )


def mlflow_answers(port: int) -> bool:
    """True when the MLflow server's /health endpoint says OK."""
    try:
        with urllib.request.urlopen(f"http://{LOOPBACK}:{port}/health", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def spark_service(config: StackConfig) -> ProcessService:
    """The Sail Spark Connect server, with the lakehouse's catalogs."""
    from lakestep.platform.sail import engine_config

    port = config.spark_port
    catalogs = config.sail_catalogs()
    command = [sys.executable, "-m", "pysail", "spark", "server",
               "--ip", LOOPBACK, "--port", str(port)]
    return ProcessService(
        name="spark", port=port, command=command,
        env={**os.environ, **engine_config(catalogs, catalogs[0], memory=config.engine_memory,
                                           spill_dir=config.state_dir)},
        answers=lambda: port_answers(port),
        markers=("pysail", "spark", f"--port {port}"),
        log_file=config.log_file("spark"), pid_file=config.pid_file("spark"),
        cwd=config.state_dir, verify=lambda: spark_query(port),
    )


def spark_query(port: int) -> None:
    """Run ``SELECT 1`` over Spark Connect; raises when the server does not answer it."""
    from lakestep.platform.sail import connect_session

    spark = connect_session(f"sc://{LOOPBACK}:{port}", attempts=10)
    try:
        spark.sql("SELECT 1").collect()
    finally:
        spark.stop()


def ensure_running(service: ProcessService, timeout: float) -> str:
    """Start ``service`` unless it already runs and answers; say which it was."""
    pid = service.pid()
    if pid is not None:
        if wait_until(service.answers, timeout):
            return f"already running (pid {pid}) on port {service.port}"
        raise service.error(
            f"runs (pid {pid}) but does not answer on port {service.port}",
            f"`lakestep stack restart {service.name}` restarts it",
        )
    if not port_is_free(service.port):
        raise PortInUse(service.name, service.port, PORT_OPTIONS[service.name])
    pid = spawn(service.command, env=service.env, log_file=service.log_file,
                pid_file=service.pid_file, cwd=service.cwd)
    _wait_answering(service, pid, timeout)
    return f"started (pid {pid}) on port {service.port}"


def _wait_answering(service: ProcessService, pid: int, timeout: float) -> None:
    """Wait until the new process answers; on failure stop it and say why."""
    answered = wait_until(lambda: not alive(pid) or service.answers(), timeout)
    if not alive(pid):
        code = exit_code(pid)
        last = last_log_line(service.log_file)
        service.pid_file.unlink(missing_ok=True)
        raise service.error(
            f"exited{'' if code is None else f' with code {code}'} while starting"
            + (f"; last log line: {last}" if last else ""),
            "read the log, fix the cause, then `lakestep stack up` again",
        )
    try:
        if not answered:
            raise service.error(f"did not answer on port {service.port} within {timeout:.0f}s",
                                "read the log; a slow first start may need a longer timeout")
        if service.verify is not None:
            service.verify()
    except Exception as exc:
        stop(pid)
        service.pid_file.unlink(missing_ok=True)
        if isinstance(exc, StackError):
            raise
        raise service.error(f"started but failed its check: {exc}",
                            "read the log, then `lakestep stack up` again") from exc


def stop_service(service: ProcessService, timeout: float = 15.0) -> str:
    """Stop ``service`` if it runs; say what happened."""
    pid = service.pid()
    if pid is None:
        return "not running"
    if not stop(pid, timeout=timeout):
        raise service.error(f"pid {pid} did not stop, even after SIGKILL",
                            f"check `ps -o pid,stat,cmd -g {pid}`")
    service.pid_file.unlink(missing_ok=True)
    # A multi-threaded server's main thread may be a zombie while its other threads still
    # hold the listening socket; a restart must not find its own port taken.
    if not wait_until(lambda: port_is_free(service.port), timeout):
        raise PortInUse(service.name, service.port, PORT_OPTIONS[service.name])
    return f"stopped (pid {pid})"
