"""The native local stack as a fixture: real PostgreSQL (when installed), a real MLflow
server over HTTP and a Sail server process, on free ports in a temporary home.

Use ``running_stack`` in any e2e test that must run against the stack; ``connect()`` gives a
platform whose Spark, tracking and registry all go over the network. Everything the fixture
started is stopped at the end of the module, also when a test fails.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import lakestep
from lakestep.platform.base import Platform
from lakestep.stack import StackConfig, StackStatus, down, stack_endpoints, status, up
from lakestep.stack.postgres import find_binaries


@dataclass
class RunningStack:
    config: StackConfig

    @property
    def endpoints(self) -> dict[str, str]:
        return stack_endpoints(self.config)

    def status(self) -> StackStatus:
        return status(self.config)

    def connect(self, project: Path | None = None) -> Platform:
        """A platform on the stack's servers, as ``lakestep run --stack`` builds it."""
        return lakestep.connect(home=self.config.home, project=project, environ={},
                                **self.endpoints)


def enterable_directory() -> Path:
    """A fresh directory under the system temp dir that the ``postgres`` user can enter.

    pytest's own tmp_path sits under a 0700 directory, which PostgreSQL (run as the
    ``postgres`` user when the tests run as root) could not reach.
    """
    root = Path(tempfile.mkdtemp(prefix="lakestep-stack-"))
    root.chmod(0o755)
    return root


@pytest.fixture
def enterable_tmp_path() -> Iterator[Path]:
    """Like ``tmp_path``, but a PostgreSQL cluster run as the ``postgres`` user fits in it."""
    root = enterable_directory()
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def running_stack() -> Iterator[RunningStack]:
    if os.environ.get("CI") and find_binaries() is None:
        pytest.fail("CI runs the stack on real PostgreSQL: `bash .ci/run` installs it")
    root = enterable_directory()
    config = StackConfig(home=root / "home", start_timeout=90).with_free_ports()
    try:
        up(config)
        yield RunningStack(config)
    finally:
        try:
            down(config)
        finally:
            _forget_mlflow_server()
            shutil.rmtree(root, ignore_errors=True)


def _forget_mlflow_server() -> None:
    """Later tests in this process must not talk to the stopped server."""
    import mlflow

    mlflow.set_tracking_uri(None)
    mlflow.set_registry_uri(None)
