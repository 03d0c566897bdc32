"""What the local stack is: its ports, its backend choice and where its state lives.

All state sits under ``<home>/stack/`` (``home`` is the lakestep home, so the Sail server and
every client see the same ``<home>/lakehouse`` paths). ``up`` saves the configuration it
used to ``<home>/stack/stack.json`` so ``status``, ``down``, ``restart`` and
``lakestep run --stack`` find the same ports without being told again.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from lakestep.config import DEFAULT_ENGINE_MEMORY, check_identifier, memory_limit
from lakestep.errors import ConfigError

SERVICES: tuple[str, ...] = ("postgres", "mlflow", "spark")
LOOPBACK = "127.0.0.1"

# The CLI option that sets each service's port, named in "port in use" errors.
PORT_OPTIONS = {
    "postgres": "--postgres-port",
    "mlflow": "--mlflow-port",
    "spark": "--spark-port",
}


@dataclass(frozen=True)
class StackConfig:
    """Ports and backend choice of the native stack; state lives under ``<home>/stack``.

    ``postgres_uri`` names an existing PostgreSQL server to use as MLflow's backend store;
    without it a private cluster is created when PostgreSQL is installed, else SQLite.
    ``sqlite`` forces SQLite. ``catalogs`` are the Unity-Catalog-style catalogs the Sail
    server knows (catalog directories found under ``<home>/lakehouse`` are added).
    """

    home: Path
    spark_port: int = 50051
    mlflow_port: int = 5000
    postgres_port: int = 5432
    postgres_uri: str | None = None
    sqlite: bool = False
    catalogs: tuple[str, ...] = ("main",)
    # The Sail server's execution memory (LAKESTEP_ENGINE_MEMORY: a share or a size).
    engine_memory: str = DEFAULT_ENGINE_MEMORY
    # Seconds to wait for a service to answer after starting it.
    start_timeout: float = 120.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "home", Path(self.home).expanduser().resolve())
        object.__setattr__(self, "catalogs", tuple(self.catalogs))
        for service in SERVICES:
            port = self.port(service)
            if not isinstance(port, int) or not 0 < port < 65536:
                raise ConfigError(f"invalid {service} port {port!r}",
                                  f"use a number between 1 and 65535 for {PORT_OPTIONS[service]}")
        ports = [self.port(s) for s in SERVICES]
        if len(set(ports)) != len(ports):
            raise ConfigError(f"the stack services need distinct ports, got {ports}",
                              "set --spark-port, --mlflow-port and --postgres-port apart")
        if not self.catalogs:
            raise ConfigError("the stack needs at least one catalog", "pass --catalog main")
        for catalog in self.catalogs:
            check_identifier("catalog", catalog)
        memory_limit(self.engine_memory)
        if self.sqlite and self.postgres_uri:
            raise ConfigError("--sqlite and --postgres-uri exclude each other",
                              "pass one of them")

    # -- ports -------------------------------------------------------------------------
    def port(self, service: str) -> int:
        """The TCP port of ``postgres``, ``mlflow`` or ``spark``."""
        if service not in SERVICES:
            raise ConfigError(f"unknown stack service {service!r}",
                              f"services: {', '.join(SERVICES)}")
        return int(getattr(self, f"{service}_port"))

    def with_free_ports(self) -> StackConfig:
        """The same stack on three currently free loopback ports (for tests, parallel stacks)."""
        spark, mlflow, postgres = free_ports(3)
        return replace(self, spark_port=spark, mlflow_port=mlflow, postgres_port=postgres)

    # -- where state lives ---------------------------------------------------------------
    @property
    def state_dir(self) -> Path:
        return self.home / "stack"

    @property
    def state_file(self) -> Path:
        return self.state_dir / "stack.json"

    @property
    def logs_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def run_dir(self) -> Path:
        """Pid files of the processes the stack started."""
        return self.state_dir / "run"

    @property
    def postgres_dir(self) -> Path:
        """Data directory of the private PostgreSQL cluster."""
        return self.state_dir / "postgres"

    @property
    def pgpass_file(self) -> Path:
        """libpq password file for the private cluster (mode 0600)."""
        return self.state_dir / "pgpass"

    @property
    def sqlite_file(self) -> Path:
        return self.state_dir / "mlflow.db"

    @property
    def artifacts_dir(self) -> Path:
        """Where the MLflow server stores the artifacts it serves."""
        return self.state_dir / "mlartifacts"

    @property
    def lakehouse_dir(self) -> Path:
        """Same directory as :attr:`lakestep.config.Settings.lakehouse_dir` for this home."""
        return self.home / "lakehouse"

    def log_file(self, service: str) -> Path:
        return self.logs_dir / f"{service}.log"

    def pid_file(self, service: str) -> Path:
        return self.run_dir / f"{service}.pid"

    def sail_catalogs(self) -> list[str]:
        """Configured catalogs plus every catalog directory already in the lakehouse."""
        names = list(self.catalogs)
        if self.lakehouse_dir.is_dir():
            names += sorted(p.name for p in self.lakehouse_dir.iterdir() if p.is_dir())
        return distinct(names)

    # -- persistence ----------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        values = asdict(self)
        values.pop("home")
        values["catalogs"] = list(self.catalogs)
        return values

    @classmethod
    def load(cls, home: str | Path, **defaults: Any) -> StackConfig:
        """The configuration ``up`` last saved under ``home``, else ``defaults``."""
        state = read_state(Path(home).expanduser().resolve() / "stack" / "stack.json")
        saved = state.get("config", {})
        known = {name for name in cls.__dataclass_fields__ if name != "home"}
        values = {k: v for k, v in saved.items() if k in known}
        values.update({k: v for k, v in defaults.items() if v is not None})
        if "catalogs" in values:
            values["catalogs"] = tuple(values["catalogs"])
        return cls(home=Path(home), **values)


def read_state(path: Path) -> dict[str, Any]:
    """The saved stack state, or ``{}`` before the first ``up``."""
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the stack state {path}: {exc}",
                          "delete the file; `lakestep stack up` writes it again") from exc
    return document if isinstance(document, dict) else {}


def write_state(config: StackConfig, **extra: Any) -> None:
    """Save the configuration (and the resolved backend) for later commands.

    Mode 0600: an external ``postgres_uri`` may hold a password.
    """
    config.state_dir.mkdir(parents=True, exist_ok=True)
    document = {"config": config.to_json(), **extra}
    temporary = config.state_file.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(document, handle, indent=2, sort_keys=True)
    temporary.replace(config.state_file)


def free_ports(count: int) -> list[int]:
    """``count`` distinct loopback ports that are free right now.

    All sockets stay open until every port is chosen, so the kernel never hands out the
    same port twice; another process may still take one before a service binds it.
    """
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            probe.bind((LOOPBACK, 0))
            sockets.append(probe)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for probe in sockets:
            probe.close()


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    """True when nothing listens on ``host:port``.

    SO_REUSEADDR lets the probe bind over connections still in TIME_WAIT after a restart,
    which the services themselves also bind over; only a live listener makes it fail.
    """
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        probe.bind((host, port))
    except OSError:
        return False
    finally:
        probe.close()
    return True


def port_answers(port: int, host: str = LOOPBACK, timeout: float = 0.5) -> bool:
    """True when a TCP connection to ``host:port`` succeeds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def distinct(items: Iterable[str]) -> list[str]:
    """Items in first-seen order without repeats."""
    seen: list[str] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen
