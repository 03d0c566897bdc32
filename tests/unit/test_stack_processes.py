"""Service processes: clear errors when a service cannot start, and stopping for sure.

Real (tiny) processes stand in for the servers, so these run in well under a second each.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

from lakestep.errors import PortInUse, StackError
from lakestep.stack.config import free_ports
from lakestep.stack.processes import alive, group_alive, last_log_line, spawn, stop
from lakestep.stack.services import ProcessService, ensure_running, stop_service


def _service(tmp_path: Path, code: str, *, port: int | None = None,
             answers=lambda: False) -> ProcessService:
    port = port if port is not None else free_ports(1)[0]
    return ProcessService(
        name="mlflow", port=port, command=[sys.executable, "-c", code, f"--port {port}"],
        env=dict(os.environ), answers=answers, markers=("-c", f"--port {port}"),
        log_file=tmp_path / "logs" / "mlflow.log", pid_file=tmp_path / "run" / "mlflow.pid",
        cwd=tmp_path,
    )


def test_a_taken_port_names_the_port_the_service_and_the_option(tmp_path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        service = _service(tmp_path, "pass", port=port)
        with pytest.raises(PortInUse, match=rf"stack service mlflow: port {port} is already in "
                           r"use by another process") as raised:
            ensure_running(service, timeout=1)
    assert "--mlflow-port" in raised.value.hint
    assert not service.pid_file.exists(), "nothing may be started on a taken port"


def test_a_service_that_exits_names_its_code_last_log_line_and_log(tmp_path):
    service = _service(tmp_path, "import sys; print('bad backend uri: nope', flush=True); "
                       "sys.exit(3)")
    with pytest.raises(StackError) as raised:
        ensure_running(service, timeout=20)
    message = str(raised.value)
    assert "stack service mlflow: exited with code 3 while starting" in message
    assert "last log line: bad backend uri: nope" in message
    assert str(service.log_file) in message
    assert not service.pid_file.exists()


def test_a_service_that_never_answers_is_stopped_and_reported(tmp_path):
    service = _service(tmp_path, "import time; time.sleep(60)")
    with pytest.raises(StackError, match=rf"did not answer on port {service.port} within 1s"):
        ensure_running(service, timeout=1)
    assert service.pid() is None


def test_start_is_a_no_op_when_the_service_answers(tmp_path):
    service = _service(tmp_path, "import time; time.sleep(60)", answers=lambda: True)
    try:
        first = ensure_running(service, timeout=10)
        second = ensure_running(service, timeout=10)
        pid = service.pid()
        assert first == f"started (pid {pid}) on port {service.port}"
        assert second == f"already running (pid {pid}) on port {service.port}"
    finally:
        assert stop_service(service).startswith("stopped (pid ")
    assert stop_service(service) == "not running"


def test_a_reused_pid_is_never_taken_for_the_service(tmp_path):
    service = _service(tmp_path, "pass")
    service.pid_file.parent.mkdir(parents=True)
    service.pid_file.write_text(f"{os.getpid()}\n")  # this pytest process: alive, not ours
    assert service.pid() is None
    assert not service.pid_file.exists(), "the stale pid file is removed"


def test_stop_kills_a_group_that_ignores_sigterm(tmp_path):
    code = ("import signal, subprocess, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
            " subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
            " print('ready', flush=True); time.sleep(60)")
    log = tmp_path / "stubborn.log"
    pid = spawn([sys.executable, "-c", code], env=dict(os.environ), log_file=log,
                pid_file=tmp_path / "stubborn.pid", cwd=tmp_path)
    from lakestep.stack.processes import wait_until

    assert wait_until(lambda: last_log_line(log) == "ready", 20)
    assert stop(pid, timeout=0.5)
    assert not alive(pid)
    assert not group_alive(pid), "the child in the same process group is gone too"
