"""Stack configuration: ports, saved state, PostgreSQL URIs and installations."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

from lakestep.config import load_settings
from lakestep.errors import ConfigError, InvalidName, StackError
from lakestep.stack import (
    StackConfig,
    free_ports,
    run_endpoints,
    running_endpoints,
    stack_endpoints,
    status,
)
from lakestep.stack.backend import (
    external_backend,
    mask_password,
    normalize_postgres_uri,
    resolve_backend,
)
from lakestep.stack.config import port_is_free, write_state
from lakestep.stack.control import restart
from lakestep.stack.postgres import blocking_directory, find_binaries


def test_defaults_and_state_paths(tmp_path):
    config = StackConfig(home=tmp_path)
    assert (config.spark_port, config.mlflow_port, config.postgres_port) == (50051, 5000, 5432)
    assert config.state_dir == tmp_path / "stack"
    assert config.log_file("mlflow") == tmp_path / "stack" / "logs" / "mlflow.log"
    assert config.lakehouse_dir == tmp_path / "lakehouse"
    assert stack_endpoints(config) == {"spark_remote": "sc://127.0.0.1:50051",
                                       "tracking_uri": "http://127.0.0.1:5000",
                                       "registry_uri": "http://127.0.0.1:5000"}


@pytest.mark.parametrize(("values", "message"), [
    ({"mlflow_port": 0}, "invalid mlflow port 0"),
    ({"spark_port": 70000}, "invalid spark port 70000"),
    ({"spark_port": 5000}, "distinct ports"),
    ({"sqlite": True, "postgres_uri": "postgresql://h/db"}, "exclude each other"),
])
def test_invalid_configuration_is_refused(tmp_path, values, message):
    with pytest.raises(ConfigError, match=message):
        StackConfig(home=tmp_path, **values)


def test_catalog_names_are_checked_like_every_identifier(tmp_path):
    with pytest.raises(InvalidName, match="invalid catalog name 'bad-name'"):
        StackConfig(home=tmp_path, catalogs=("main", "bad-name"))


def test_unknown_service_names_the_known_ones(tmp_path):
    with pytest.raises(ConfigError, match="unknown stack service 'db'") as raised:
        StackConfig(home=tmp_path).port("db")
    assert raised.value.hint == "services: postgres, mlflow, spark"


def test_free_ports_are_distinct_and_bindable(tmp_path):
    config = StackConfig(home=tmp_path).with_free_ports()
    ports = [config.port(s) for s in ("postgres", "mlflow", "spark")]
    assert len(set(ports)) == 3
    assert all(port_is_free(port) for port in ports)
    assert len(set(free_ports(5))) == 5


def test_a_listening_port_is_not_free():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert not port_is_free(listener.getsockname()[1])


def test_saved_configuration_is_reused_and_overridden(tmp_path):
    write_state(StackConfig(home=tmp_path, mlflow_port=5111, catalogs=("main", "sandbox")))
    assert os.stat(tmp_path / "stack" / "stack.json").st_mode & 0o077 == 0
    loaded = StackConfig.load(tmp_path)
    assert (loaded.mlflow_port, loaded.catalogs) == (5111, ("main", "sandbox"))
    assert StackConfig.load(tmp_path, mlflow_port=5222, spark_port=None).mlflow_port == 5222
    assert StackConfig.load(tmp_path / "elsewhere").mlflow_port == 5000


def test_corrupt_state_names_the_file(tmp_path):
    (tmp_path / "stack").mkdir()
    (tmp_path / "stack" / "stack.json").write_text("{not json")
    with pytest.raises(ConfigError, match=r"cannot read the stack state .*stack\.json"):
        StackConfig.load(tmp_path)


def test_sail_catalogs_include_those_on_disk(tmp_path):
    (tmp_path / "lakehouse" / "sandbox" / "gold").mkdir(parents=True)
    (tmp_path / "lakehouse" / "main").mkdir()
    assert StackConfig(home=tmp_path).sail_catalogs() == ["main", "sandbox"]


@pytest.mark.parametrize(("uri", "libpq", "mlflow"), [
    ("postgresql://u:p@db:5432/runs", "postgresql://u:p@db:5432/runs",
     "postgresql+psycopg2://u:p@db:5432/runs"),
    ("postgres://u@db", "postgresql://u@db/mlflow", "postgresql+psycopg2://u@db/mlflow"),
    ("postgresql+psycopg2://u@db:6543/x?sslmode=disable",
     "postgresql://u@db:6543/x?sslmode=disable",
     "postgresql+psycopg2://u@db:6543/x?sslmode=disable"),
])
def test_postgres_uris_name_the_installed_driver(uri, libpq, mlflow):
    assert normalize_postgres_uri(uri) == (libpq, mlflow)


def test_a_non_postgres_uri_is_refused_without_its_password():
    with pytest.raises(ConfigError, match="is not a PostgreSQL URI") as raised:
        normalize_postgres_uri("mysql://user:secret@db/x")
    assert "secret" not in str(raised.value)
    assert mask_password("postgresql://u:secret@h:1/d") == "postgresql://u:***@h:1/d"


def test_an_unreachable_postgres_server_is_named_without_its_password():
    (port,) = free_ports(1)
    with pytest.raises(StackError, match=rf"stack service postgres: no usable PostgreSQL server "
                       rf"at postgresql://u:\*\*\*@127.0.0.1:{port}/mlflow") as raised:
        external_backend(f"postgresql://u:secret@127.0.0.1:{port}/mlflow")
    assert "secret" not in str(raised.value)
    assert "--postgres-uri" in raised.value.hint


def test_sqlite_can_be_forced(tmp_path):
    notes: list[str] = []
    backend = resolve_backend(StackConfig(home=tmp_path, sqlite=True), notes.append)
    assert (backend.kind, backend.uri) == ("sqlite", f"sqlite:///{tmp_path}/stack/mlflow.db")
    assert notes == [f"SQLite forced (--sqlite): {tmp_path}/stack/mlflow.db"]


def _fake_installation(directory: Path, programs: tuple[str, ...]) -> Path:
    directory.mkdir(parents=True)
    for program in programs:
        (directory / program).write_text("#!/bin/sh\n")
        (directory / program).chmod(0o755)
    return directory


def test_postgres_binaries_need_initdb_pg_ctl_and_postgres_together(tmp_path):
    client_only = _fake_installation(tmp_path / "client", ("pg_ctl", "psql"))
    server = _fake_installation(tmp_path / "server", ("initdb", "pg_ctl", "postgres"))
    assert find_binaries([client_only]) is None
    assert find_binaries([client_only, server]) == server


def test_a_directory_the_server_user_cannot_enter_is_found():
    root = Path(tempfile.mkdtemp())
    try:
        root.chmod(0o755)
        locked = root / "locked"
        (locked / "stack").mkdir(parents=True)
        locked.chmod(0o700)
        stranger = os.getuid() + 4242
        assert blocking_directory(locked / "stack", stranger, set()) == locked
        assert blocking_directory(locked / "stack", os.getuid(), set()) is None
    finally:
        shutil.rmtree(root)


def test_status_of_a_stack_never_started(tmp_path):
    current = status(StackConfig(home=tmp_path))
    assert not current.healthy
    assert [(s.name, s.state) for s in current.services] == [
        ("postgres", "never started"), ("mlflow", "stopped"), ("spark", "stopped")]


def test_endpoints_of_a_stack_that_is_not_up_say_how_to_start_it(tmp_path):
    with pytest.raises(StackError, match=r"stack service postgres: the local stack under "
                       r".* is not up \(postgres: never started\)") as raised:
        running_endpoints(tmp_path)
    assert "stack up" in raised.value.hint


def test_restart_before_up_says_how_to_start(tmp_path):
    with pytest.raises(StackError, match="never started under") as raised:
        restart(StackConfig(home=tmp_path), "spark")
    assert raised.value.hint == f"start it with `lakestep --home {tmp_path} stack up`"


def test_run_keeps_servers_named_by_settings(tmp_path):
    """docker compose names the servers through LAKESTEP_*; no native stack is needed."""
    settings = load_settings(home=tmp_path, environ={
        "LAKESTEP_SPARK_REMOTE": "sc://spark:50051", "LAKESTEP_TRACKING_URI": "http://mlflow:5000"})
    assert run_endpoints(settings) == {}


def test_run_without_named_servers_needs_the_native_stack(tmp_path):
    settings = load_settings(home=tmp_path, environ={"LAKESTEP_SPARK_REMOTE": "sc://h:1"})
    with pytest.raises(StackError, match="is not up") as raised:
        run_endpoints(settings)
    assert raised.value.hint == f"start it with `lakestep --home {tmp_path} stack up`"
