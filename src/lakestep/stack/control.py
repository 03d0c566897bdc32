"""``up``, ``down``, ``status`` and ``restart`` of the native local stack.

``up`` is idempotent: a service that already runs and answers is left alone. Every
service prints one progress line with its timing; every failure names the service, its
log file and what to do.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lakestep.config import Settings
from lakestep.console import Steps
from lakestep.errors import StackError
from lakestep.stack.backend import Backend, private_cluster, resolve_backend
from lakestep.stack.config import (
    LOOPBACK,
    SERVICES,
    StackConfig,
    port_answers,
    read_state,
    write_state,
)
from lakestep.stack.services import (
    ProcessService,
    ensure_running,
    mlflow_service,
    spark_service,
    stop_service,
)


@dataclass(frozen=True)
class ServiceStatus:
    """One service as ``status`` sees it; ``healthy`` is true for a service not in use."""

    name: str
    state: str
    healthy: bool
    pid: int | None = None
    port: int | None = None
    log_file: Path | None = None


@dataclass(frozen=True)
class StackStatus:
    """Every service of one stack, with the backend ``up`` chose (``None`` before it ran)."""

    config: StackConfig
    backend: Backend | None
    services: tuple[ServiceStatus, ...]

    @property
    def healthy(self) -> bool:
        return all(service.healthy for service in self.services)

    def service(self, name: str) -> ServiceStatus:
        return next(s for s in self.services if s.name == name)

    @property
    def endpoints(self) -> dict[str, str]:
        return stack_endpoints(self.config)


def stack_endpoints(config: StackConfig) -> dict[str, str]:
    """The ``lakestep.connect`` overrides that point a run at the stack's servers."""
    tracking = f"http://{LOOPBACK}:{config.mlflow_port}"
    return {"spark_remote": f"sc://{LOOPBACK}:{config.spark_port}",
            "tracking_uri": tracking, "registry_uri": tracking}


def running_endpoints(home: str | Path) -> dict[str, str]:
    """Endpoints of the stack started under ``home``; fails clearly when it is not up."""
    current = status(StackConfig.load(home))
    for service in current.services:
        if not service.healthy:
            raise StackError(
                service.name, f"the local stack under {current.config.home} is not up "
                f"({service.name}: {service.state})",
                f"start it with `lakestep --home {current.config.home} stack up`",
                log_file=str(service.log_file) if service.log_file else None,
            )
    return current.endpoints


def run_endpoints(settings: Settings) -> dict[str, str]:
    """``lakestep.connect`` overrides for ``lakestep run --stack``.

    Servers already named by ``--spark-remote``/``--tracking-uri`` (or
    ``LAKESTEP_SPARK_REMOTE``/``LAKESTEP_TRACKING_URI``, as docker compose sets them) are
    kept; the rest are those of the native stack under the same home, which must be up.
    """
    remote_tracking = settings.tracking_uri.startswith(("http://", "https://"))
    if settings.spark_remote and remote_tracking:
        return {}
    endpoints = running_endpoints(settings.home)
    if settings.spark_remote:
        del endpoints["spark_remote"]
    if remote_tracking:
        del endpoints["tracking_uri"], endpoints["registry_uri"]
    return endpoints


# -- up / down ---------------------------------------------------------------------------


def up(config: StackConfig, steps: Steps | None = None) -> StackStatus:
    """Start PostgreSQL (or choose SQLite), the MLflow server and the Sail server."""
    steps = steps or Steps()
    _refuse_changed_settings(config)
    with steps.step("postgres"):
        backend = resolve_backend(config, _note(steps))
    write_state(config, backend=backend.to_json())
    with steps.step("mlflow"):
        _note(steps)(ensure_running(mlflow_service(config, backend), config.start_timeout))
    with steps.step("spark"):
        _note(steps)(ensure_running(spark_service(config), config.start_timeout))
    return status(config)


def down(config: StackConfig, steps: Steps | None = None, *, purge: bool = False) -> StackStatus:
    """Stop every service the stack started; ``purge`` also deletes ``<home>/stack``.

    Tables under ``<home>/lakehouse`` are never touched.
    """
    steps = steps or Steps()
    backend = saved_backend(config)
    failures: list[StackError] = []
    for name in ("spark", "mlflow", "postgres"):
        try:
            with steps.step(name):
                _note(steps)(_stop(config, backend, name))
        except StackError as exc:  # stop the others anyway, then report the first failure
            failures.append(exc)
    if failures:
        raise failures[0]
    if purge and config.state_dir.exists():
        with steps.step(f"purge {config.state_dir}"):
            shutil.rmtree(config.state_dir)
    return status(config)


def restart(config: StackConfig, service: str | None = None,
            steps: Steps | None = None) -> StackStatus:
    """Stop and start one service (or all, in dependency order)."""
    steps = steps or Steps()
    names = list(SERVICES) if service is None else [service]
    config.port(names[0])  # validates the service name
    backend = saved_backend(config)
    if backend is None:
        raise StackError(names[0], f"the stack was never started under {config.home}",
                         f"start it with `lakestep --home {config.home} stack up`")
    for name in names:
        with steps.step(f"restart {name}"):
            _note(steps)(_restart_one(config, backend, name))
    return status(config)


def _restart_one(config: StackConfig, backend: Backend, name: str) -> str:
    if name == "postgres":
        cluster = private_cluster(config, backend)
        if cluster is None:
            return f"not managed by the stack (MLflow uses {backend.shown_uri})"
        stopped = "stopped" if cluster.stop() else "was not running"
        return f"{stopped}; {cluster.up()}"
    service = _process_service(config, backend, name)
    stopped = stop_service(service)
    return f"{stopped}; {ensure_running(service, config.start_timeout)}"


def _stop(config: StackConfig, backend: Backend | None, name: str) -> str:
    if name == "postgres":
        cluster = private_cluster(config, backend)
        if cluster is not None:
            return "stopped" if cluster.stop() else "not running"
        if backend is not None and backend.kind == "external":
            return f"left running: the stack does not own {backend.shown_uri}"
        return "not used" if backend is not None else "never started"
    return stop_service(_process_service(config, backend, name))


def _process_service(config: StackConfig, backend: Backend | None, name: str) -> ProcessService:
    if name == "mlflow":
        # Stopping needs no backend; a placeholder keeps the pid file and markers right.
        return mlflow_service(config, backend or Backend("sqlite", ""))
    return spark_service(config)


# -- status ------------------------------------------------------------------------------


def status(config: StackConfig) -> StackStatus:
    """What runs now; starts and stops nothing."""
    backend = saved_backend(config)
    services = (_postgres_status(config, backend),
                _process_status(_process_service(config, backend, "mlflow")),
                _process_status(_process_service(config, backend, "spark")))
    return StackStatus(config, backend, services)


def _process_status(service: ProcessService) -> ServiceStatus:
    pid = service.pid()
    if pid is None:
        return ServiceStatus(service.name, "stopped", False, None, service.port,
                             service.log_file)
    answers = service.answers()
    return ServiceStatus(service.name, "running" if answers else "not answering", answers, pid,
                         service.port, service.log_file)


def _postgres_status(config: StackConfig, backend: Backend | None) -> ServiceStatus:
    log_file = config.log_file("postgres")
    cluster = private_cluster(config, backend)
    if cluster is None:
        if backend is None:
            return ServiceStatus("postgres", "never started", False, None, config.postgres_port)
        state = "not used (SQLite)" if backend.kind == "sqlite" else f"external {backend.shown_uri}"
        return ServiceStatus("postgres", state, True)
    pid = cluster.pid()
    if pid is None:
        return ServiceStatus("postgres", "stopped", False, None, config.postgres_port, log_file)
    answers = port_answers(config.postgres_port)
    return ServiceStatus("postgres", "running" if answers else "not answering", answers, pid,
                         config.postgres_port, log_file)


def saved_backend(config: StackConfig) -> Backend | None:
    """The backend ``up`` chose under this home, or ``None`` before the first ``up``."""
    saved = read_state(config.state_file).get("backend")
    return Backend.from_json(saved) if isinstance(saved, dict) else None


def _refuse_changed_settings(config: StackConfig) -> None:
    """``up`` with other ports or backend while services run would split the stack."""
    saved = read_state(config.state_file).get("config")
    if not saved or _without_timeout(saved) == _without_timeout(config.to_json()):
        return
    running = [s.name for s in status(StackConfig.load(config.home)).services
               if s.pid is not None]
    if running:
        raise StackError(
            running[0], f"the stack under {config.home} already runs ({', '.join(running)}) "
            "with other settings",
            "run `lakestep stack down` first, or leave the options out to reuse the saved ones",
        )


def _without_timeout(values: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in values.items() if k != "start_timeout"}


def _note(steps: Steps) -> Callable[[str], None]:
    """A progress line under the current step."""
    return lambda text: steps.console.print(f"  [dim]· {text}[/]", highlight=False)
