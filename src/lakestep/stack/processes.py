"""Detached service processes: start one with a log file and a pid file, find it again
from another command, stop it (gracefully, then by force).

Each service runs in its own session (``start_new_session``), so a Ctrl-C in the terminal
that ran ``lakestep stack up`` does not reach it, and the whole process group (MLflow's
uvicorn worker included) can be signalled at once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

_PROC = Path("/proc")

# Popen objects of the services this Python process started, so their exit is reaped
# (a dead child stays a zombie, which looks alive to kill(pid, 0)) and Python does not
# warn about a subprocess object dropped while its process runs.
_children: dict[int, subprocess.Popen[bytes]] = {}


def spawn(command: Sequence[str], *, env: Mapping[str, str], log_file: Path, pid_file: Path,
          cwd: Path) -> int:
    """Start ``command`` detached, output appended to ``log_file``; return its pid."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    cwd.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as log:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        log.write(f"\n=== {stamp} lakestep stack starts: {' '.join(command)}\n".encode())
        log.flush()
        process = subprocess.Popen(
            list(command), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env=dict(env), cwd=cwd, start_new_session=True,
        )
    _children[process.pid] = process
    pid_file.write_text(f"{process.pid}\n")
    return process.pid


def read_pid(pid_file: Path) -> int | None:
    """The pid recorded in ``pid_file``, or ``None`` when there is none."""
    try:
        text = pid_file.read_text().split()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return int(text[0]) if text and text[0].isdigit() else None


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie is dead)."""
    child = _children.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return _state(pid) not in ("Z", "X")


def exit_code(pid: int) -> int | None:
    """Exit code of a service this process started and that has ended, else ``None``."""
    child = _children.get(pid)
    return None if child is None else child.poll()


def command_line(pid: int) -> str | None:
    """The command line of ``pid`` when the OS shows it (Linux), else ``None``.

    Right after ``exec`` Linux may briefly show an empty command line; that is "unknown".
    """
    try:
        raw = (_PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return None
    return raw.replace(b"\0", b" ").decode(errors="replace").strip() or None


def is_ours(pid: int, markers: Sequence[str]) -> bool:
    """True when ``pid`` runs and its command line contains every one of ``markers``.

    Guards against a pid file that outlived its process while the pid was reused: we
    never signal a process that is not the service we started.
    """
    if not alive(pid):
        return False
    line = command_line(pid)
    return line is None or all(marker in line for marker in markers)


def stop(pid: int, *, timeout: float = 15.0) -> bool:
    """SIGTERM the process group of ``pid``, SIGKILL it after ``timeout``; True if it ended."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        _signal_group(pid, sig)
        if wait_until(lambda: not group_alive(pid), wait):
            _children.pop(pid, None)
            return True
    return False


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:  # not a group leader (started by someone else): signal only the process
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


def group_alive(pgid: int) -> bool:
    """True while any non-zombie process of group ``pgid`` runs."""
    child = _children.get(pgid)
    if child is not None:
        child.poll()  # reap the leader so it does not linger as a zombie
    if not _PROC.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    for stat in _PROC.glob("[0-9]*/stat"):
        fields = _stat_fields(stat)
        if fields is not None and fields[1] == str(pgid) and fields[0] not in ("Z", "X"):
            return True
    return False


def _stat_fields(stat: Path) -> tuple[str, str] | None:
    """(state, process group) from /proc/<pid>/stat; the name may hold spaces and ')'."""
    try:
        text = stat.read_text()
    except OSError:
        return None
    after_name = text[text.rfind(")") + 2:].split()
    return (after_name[0], after_name[2]) if len(after_name) > 2 else None


def _state(pid: int) -> str | None:
    fields = _stat_fields(_PROC / str(pid) / "stat")
    return None if fields is None else fields[0]


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def last_log_line(log_file: Path, limit: int = 300) -> str | None:
    """The last non-empty line of a service log (capped), to put in an error message."""
    try:
        with open(log_file, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 8192))
            lines = handle.read().decode(errors="replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        if line.strip():
            return line.strip()[:limit]
    return None
