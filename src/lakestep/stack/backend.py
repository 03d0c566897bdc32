"""Which store MLflow's server keeps runs and models in, decided once by ``stack up``.

In order: ``--sqlite`` forces SQLite; ``--postgres-uri`` names a server that must answer;
otherwise a private cluster when PostgreSQL is installed, else SQLite (said on one line).
The decision is saved with the stack state so a restarted MLflow server reopens the same
store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from lakestep.errors import ConfigError, StackError
from lakestep.stack.config import StackConfig
from lakestep.stack.postgres import (
    DATABASE,
    SERVICE,
    PrivateCluster,
    create_database,
    find_binaries,
)

log = logging.getLogger(__name__)

BackendKind = Literal["private", "external", "sqlite"]
_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg2")
Note = Callable[[str], None]


@dataclass(frozen=True)
class Backend:
    """MLflow's backend store: ``uri`` is what the server gets (SQLAlchemy form)."""

    kind: BackendKind
    uri: str
    bindir: str | None = None

    @property
    def shown_uri(self) -> str:
        """The URI with any password masked, for messages and ``status``."""
        return mask_password(self.uri)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, values: dict[str, Any]) -> Backend:
        return cls(kind=values["kind"], uri=values["uri"], bindir=values.get("bindir"))


def resolve_backend(config: StackConfig, note: Note) -> Backend:
    """Decide MLflow's backend store and make it ready (cluster started, database made)."""
    if config.sqlite:
        note(f"SQLite forced (--sqlite): {config.sqlite_file}")
        return sqlite_backend(config)
    if config.postgres_uri:
        backend = external_backend(config.postgres_uri)
        note(f"using the PostgreSQL server at {backend.shown_uri}")
        return backend
    bindir = find_binaries()
    if bindir is None:
        message = (f"PostgreSQL is not installed (no initdb/pg_ctl/postgres found): MLflow "
                   f"uses SQLite at {config.sqlite_file}. For PostgreSQL, `apt-get install -y "
                   f"postgresql` or pass --postgres-uri")
        log.warning(message)
        note(message)
        return sqlite_backend(config)
    cluster = PrivateCluster(config, bindir)
    note(f"private PostgreSQL ({bindir}): {cluster.up()}")
    return Backend("private", cluster.mlflow_uri(), str(bindir))


def sqlite_backend(config: StackConfig) -> Backend:
    config.state_dir.mkdir(parents=True, exist_ok=True)
    return Backend("sqlite", f"sqlite:///{config.sqlite_file}")


def private_cluster(config: StackConfig, backend: Backend | None) -> PrivateCluster | None:
    """The private cluster of a saved backend decision, if that is what it was.

    Without a decision (``up`` failed before saving it) a cluster that runs anyway is
    still found, so ``down`` can stop it.
    """
    if backend is None:
        bindir = find_binaries()
        running = (config.postgres_dir / "postmaster.pid").is_file()
        return PrivateCluster(config, bindir) if bindir is not None and running else None
    if backend.kind != "private" or backend.bindir is None:
        return None
    return PrivateCluster(config, Path(backend.bindir))


# -- an existing server ------------------------------------------------------------------


def external_backend(uri: str) -> Backend:
    """Check that the server at ``uri`` answers, create its database, return the backend."""
    libpq, mlflow = normalize_postgres_uri(uri)
    if not _database_exists(libpq):
        maintenance = _with_database(libpq, "postgres")
        create_database(maintenance, _database_of(libpq),
                        hint="give the user CREATEDB, or create the database yourself")
    return Backend("external", mlflow)


def normalize_postgres_uri(uri: str) -> tuple[str, str]:
    """(libpq URI for psycopg2, SQLAlchemy URI for MLflow) of a PostgreSQL URI.

    The MLflow form names the psycopg2 driver: SQLAlchemy 2.1 maps a bare
    ``postgresql://`` to psycopg 3, which is not installed. Without a database in the
    path, ``mlflow`` is used.
    """
    parts = urlsplit(uri)
    if parts.scheme not in _SCHEMES or not parts.hostname:
        raise ConfigError(
            f"--postgres-uri {mask_password(uri)!r} is not a PostgreSQL URI",
            "use postgresql://user:password@host:5432/mlflow",
        )
    path = parts.path if parts.path.strip("/") else f"/{DATABASE}"
    rest = (parts.netloc, path, parts.query, parts.fragment)
    return urlunsplit(("postgresql", *rest)), urlunsplit(("postgresql+psycopg2", *rest))


def _database_exists(libpq_uri: str) -> bool:
    """True when the database of the URI accepts a connection; False when it is missing."""
    import psycopg2

    try:
        psycopg2.connect(libpq_uri, connect_timeout=3).close()
        return True
    except psycopg2.OperationalError as exc:
        text = str(exc).strip()
        if f'database "{_database_of(libpq_uri)}" does not exist' in text:
            return False
        raise StackError(
            SERVICE,
            f"no usable PostgreSQL server at {mask_password(libpq_uri)}: "
            f"{text.splitlines()[-1] if text else type(exc).__name__}",
            "start that server or fix --postgres-uri (host, port, user, password); "
            "without --postgres-uri the stack runs its own cluster or SQLite",
        ) from exc


def _database_of(uri: str) -> str:
    return urlsplit(uri).path.strip("/") or DATABASE


def _with_database(uri: str, database: str) -> str:
    parts = urlsplit(uri)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def mask_password(uri: str) -> str:
    """``uri`` with its password replaced by ``***``."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, f"{user}:***@{host}", parts.path, parts.query,
                       parts.fragment))
