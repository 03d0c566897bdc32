"""The stack's private PostgreSQL cluster on its own: started as the right user, stopped
by ``down`` even when ``up`` failed before saving its state, and clear when it cannot run."""

from __future__ import annotations

import os
import pwd
import socket
from pathlib import Path

import psycopg2
import pytest

from lakestep.errors import PortInUse, StackError
from lakestep.stack import StackConfig, down, free_ports, status
from lakestep.stack.postgres import PrivateCluster, find_binaries

pytestmark = pytest.mark.slow


@pytest.fixture
def bindir() -> Path:
    found = find_binaries()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI runs the stack on real PostgreSQL: `bash .ci/run` installs it")
        pytest.skip("PostgreSQL is not installed")
    return found


@pytest.fixture
def home(enterable_tmp_path: Path) -> Path:
    return enterable_tmp_path / "home"


def test_down_stops_a_cluster_whose_up_never_saved_its_state(bindir, home):
    config = StackConfig(home=home).with_free_ports()
    cluster = PrivateCluster(config, bindir)
    try:
        assert "created database mlflow" in cluster.up()
        connection = psycopg2.connect(**cluster.connect_args("mlflow"))
        connection.close()
        if os.geteuid() == 0:  # the server runs as `postgres`; its password stays root's
            assert config.postgres_dir.stat().st_uid == pwd.getpwnam("postgres").pw_uid
            assert config.pgpass_file.stat().st_uid == 0
        assert config.pgpass_file.stat().st_mode & 0o077 == 0
        assert status(config).service("postgres").state == "running"
    finally:
        down(config)
    assert cluster.pid() is None
    assert status(config).service("postgres").state == "never started"


def test_a_taken_port_names_postgres_and_both_ways_out(bindir, home):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        spark_port, mlflow_port = free_ports(2)  # never the port held by the listener
        config = StackConfig(home=home, postgres_port=port, spark_port=spark_port,
                             mlflow_port=mlflow_port)
        with pytest.raises(PortInUse, match=rf"stack service postgres: port {port}") as raised:
            PrivateCluster(config, bindir).up()
    assert "--postgres-port" in raised.value.hint and "--postgres-uri" in raised.value.hint
    assert not config.postgres_dir.exists(), "nothing is initialized for a server that cannot run"


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs PostgreSQL as another user")
def test_as_root_a_home_the_postgres_user_cannot_enter_is_named(bindir, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o700)
    with pytest.raises(StackError, match=r"stack service postgres: the `postgres` user "
                       r"PostgreSQL runs as cannot enter ") as raised:
        PrivateCluster(StackConfig(home=locked / "home").with_free_ports(), bindir).up()
    assert "--sqlite" in raised.value.hint
