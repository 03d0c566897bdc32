"""A private PostgreSQL cluster for MLflow's backend store, under ``<home>/stack/postgres``.

The cluster listens on loopback TCP only (no Unix socket, so it never collides with a
system cluster's socket) and requires a password, generated at ``initdb`` and kept in a
libpq password file (``<home>/stack/pgpass``, mode 0600) so it never appears on a
command line. PostgreSQL refuses to run as root; as root the cluster runs as the
``postgres`` system user that Debian's package creates.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakestep.errors import PortInUse, StackError
from lakestep.stack.config import LOOPBACK, PORT_OPTIONS, StackConfig, port_is_free
from lakestep.stack.processes import alive, last_log_line

SUPERUSER = "lakestep"
DATABASE = "mlflow"
SERVICE = "postgres"
_REQUIRED = ("initdb", "pg_ctl", "postgres")


def find_binaries(search: Sequence[Path] | None = None) -> Path | None:
    """The bin directory of a real PostgreSQL server installation, newest version first.

    Debian keeps the server programs in /usr/lib/postgresql/<major>/bin, off the PATH;
    a ``pg_ctl`` on the PATH may be a symlink or wrapper, so it is resolved and accepted
    only when ``initdb`` and ``postgres`` sit next to the real file.
    """
    if search is None:
        versioned = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                           key=lambda p: _major(p.parent.name), reverse=True)
        on_path = [Path(found).resolve().parent
                   for found in (shutil.which("pg_ctl"), shutil.which("initdb")) if found]
        search = [*versioned, *on_path]
    for directory in search:
        if all(os.access(directory / name, os.X_OK) and (directory / name).is_file()
               for name in _REQUIRED):
            return directory
    return None


def _major(name: str) -> int:
    return int(name) if name.isdigit() else -1


def blocking_directory(path: Path, uid: int, gids: set[int]) -> Path | None:
    """The first directory on the way to ``path`` that user ``uid`` cannot enter, if any."""
    for directory in [*reversed(path.parents), path]:
        mode = directory.stat()
        if mode.st_uid == uid:
            bit = 0o100
        elif mode.st_gid in gids:
            bit = 0o010
        else:
            bit = 0o001
        if not mode.st_mode & bit:
            return directory
    return None


@dataclass(frozen=True)
class RunAs:
    """The account the server programs run under (``None`` fields: the current user)."""

    name: str | None = None
    uid: int | None = None
    gid: int | None = None

    @classmethod
    def for_current_user(cls) -> RunAs:
        if os.geteuid() != 0:
            return cls()
        try:
            account = pwd.getpwnam("postgres")
        except KeyError as exc:
            raise StackError(
                SERVICE, "PostgreSQL refuses to run as root and there is no `postgres` user",
                "install PostgreSQL from your distribution's packages (it creates the user), "
                "run the stack as a normal user, or pass --postgres-uri / --sqlite",
            ) from exc
        return cls(account.pw_name, account.pw_uid, account.pw_gid)

    def popen_args(self) -> dict[str, Any]:
        if self.uid is None:
            return {}
        # extra_groups=[] drops root's supplementary groups in the child as well.
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def give(self, path: Path) -> None:
        """Hand ``path`` to the server's account (a no-op when that is the current user)."""
        if self.uid is not None:
            os.chown(path, self.uid, self.gid if self.gid is not None else -1)


class PrivateCluster:
    """The stack's own PostgreSQL cluster: ``initdb`` once, then ``pg_ctl start|stop``."""

    def __init__(self, config: StackConfig, bindir: Path) -> None:
        self.config = config
        self.bindir = bindir
        self.data_dir = config.postgres_dir
        self.log_file = config.log_file(SERVICE)
        self.run_as = RunAs.for_current_user()

    # -- state -------------------------------------------------------------------------
    @property
    def initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").is_file()

    def pid(self) -> int | None:
        """The postmaster's pid from its pid file, when that process runs."""
        try:
            first = (self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0]
        except OSError:
            return None
        pid = int(first) if first.strip().isdigit() else None
        return pid if pid is not None and alive(pid) else None

    def connect_args(self, database: str = "postgres") -> dict[str, Any]:
        """psycopg2.connect keywords; the password comes from the pgpass file."""
        return {"host": LOOPBACK, "port": self.config.postgres_port, "user": SUPERUSER,
                "dbname": database, "passfile": str(self.config.pgpass_file),
                "connect_timeout": 3}

    def mlflow_uri(self) -> str:
        # +psycopg2: SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3, not installed.
        return (f"postgresql+psycopg2://{SUPERUSER}@{LOOPBACK}:{self.config.postgres_port}"
                f"/{DATABASE}")

    # -- lifecycle -----------------------------------------------------------------------
    def up(self) -> str:
        """Initialize (first time), start (when stopped), create the database; say what."""
        done = []
        running = self.pid() is not None
        if not running and not port_is_free(self.config.postgres_port):
            raise PortInUse(SERVICE, self.config.postgres_port, PORT_OPTIONS[SERVICE]
                            + " (or --postgres-uri to use the server on that port)")
        if not self.initialized:
            self._initdb()
            done.append(f"initialized a cluster in {self.data_dir}")
        if running:
            done.append(f"already running on {LOOPBACK}:{self.config.postgres_port}")
        else:
            self._start()
            done.append(f"started it on {LOOPBACK}:{self.config.postgres_port}")
        if create_database(self.connect_args(), DATABASE, log_file=self.log_file):
            done.append(f"created database {DATABASE}")
        return "; ".join(done)

    def stop(self) -> bool:
        """Fast shutdown (running transactions are rolled back); True if it was running."""
        if self.pid() is None:
            return False
        self._pg_ctl(["stop", "-m", "fast", "-w", "-t", "60"], "stop")
        return True

    def _initdb(self) -> None:
        self._prepare_directories()
        password = secrets.token_urlsafe(24)
        password_file = self.config.state_dir / "postgres-initdb.pw"
        _write_private(password_file, password + "\n")
        self.run_as.give(password_file)
        try:
            self._run([str(self.bindir / "initdb"), "-D", str(self.data_dir),
                       f"--username={SUPERUSER}", "--auth=scram-sha-256",
                       f"--pwfile={password_file}", "--encoding=UTF8", "--no-locale"],
                      "initdb")
        finally:
            password_file.unlink(missing_ok=True)
        # Any port: the cluster may later run on another --postgres-port.
        _write_private(self.config.pgpass_file, f"{LOOPBACK}:*:*:{SUPERUSER}:{password}\n")

    def _prepare_directories(self) -> None:
        for directory in (self.config.state_dir, self.config.logs_dir):
            directory.mkdir(parents=True, exist_ok=True)
            if self.run_as.uid is not None:
                directory.chmod(0o755)  # the server's account must enter them
        if self.run_as.uid is not None:
            gids = {self.run_as.gid} if self.run_as.gid is not None else set()
            blocked = blocking_directory(self.config.logs_dir, self.run_as.uid, gids)
            if blocked is not None:
                raise StackError(
                    SERVICE,
                    f"the `{self.run_as.name}` user PostgreSQL runs as cannot enter {blocked}, "
                    f"so it cannot use a cluster under {self.data_dir}",
                    f"choose a --home outside {blocked}, allow entry with `chmod o+x "
                    f"{blocked}`, or pass --postgres-uri / --sqlite",
                )
        self.data_dir.mkdir(mode=0o700, exist_ok=True)
        self.run_as.give(self.data_dir)

    def _start(self) -> None:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.log_file.touch()
        self.run_as.give(self.log_file)
        # pg_ctl hands -o to a shell: '' is an empty unix_socket_directories (TCP only).
        options = (f"-c listen_addresses={LOOPBACK} -c port={self.config.postgres_port} "
                   "-c unix_socket_directories=''")
        timeout = str(int(self.config.start_timeout))
        self._pg_ctl(["start", "-w", "-t", timeout, "-l", str(self.log_file), "-o", options],
                     "start")

    def _pg_ctl(self, arguments: list[str], what: str) -> None:
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), *arguments],
                  f"pg_ctl {what}")

    def _run(self, command: list[str], what: str) -> None:
        environment = {**os.environ, "LC_ALL": "C"}
        if self.run_as.name is not None:
            environment["HOME"] = pwd.getpwnam(self.run_as.name).pw_dir
        result = subprocess.run(
            command, stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd="/",
            env=environment, timeout=self.config.start_timeout + 30,
            **self.run_as.popen_args(),
        )
        if result.returncode != 0:
            output = (result.stderr or result.stdout).strip().splitlines()
            detail = output[-1] if output else f"exit code {result.returncode}"
            logged = last_log_line(self.log_file)
            raise StackError(
                SERVICE, f"{what} failed: {detail}" + (f"; server log: {logged}" if logged else ""),
                f"read the log; to start over, `lakestep stack down --purge` removes "
                f"{self.data_dir}",
                log_file=str(self.log_file),
            )


def _write_private(path: Path, text: str) -> None:
    """Write a secret readable by its owner only (created 0600, never world-readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def create_database(connect_args: dict[str, Any] | str, name: str, *,
                    log_file: Path | None = None, hint: str | None = None) -> bool:
    """Create database ``name`` unless it exists; True when it was created.

    ``connect_args`` (psycopg2 keywords or a libpq URI) must reach an existing database of
    the server, usually the ``postgres`` maintenance database.
    """
    import psycopg2
    from psycopg2 import sql

    try:
        connection = (psycopg2.connect(connect_args, connect_timeout=3)
                      if isinstance(connect_args, str) else psycopg2.connect(**connect_args))
    except psycopg2.Error as exc:
        raise StackError(SERVICE, f"cannot connect to create database {name}: "
                         f"{str(exc).strip()}", hint or "check that the server runs and accepts the user",
                         log_file=str(log_file) if log_file else None) from exc
    try:
        connection.autocommit = True  # CREATE DATABASE cannot run inside a transaction
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cursor.fetchone():
                return False
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    finally:
        connection.close()
