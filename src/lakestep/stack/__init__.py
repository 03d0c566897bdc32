"""The local stack, natively: PostgreSQL, an MLflow server and a Sail server as processes.

The same four services as ``docker-compose.yml`` (``postgres``, ``mlflow``, ``spark``; the
``pipeline`` is ``lakestep run --stack``), started on this machine::

    from lakestep.stack import StackConfig, up, stack_endpoints
    config = StackConfig(home=".lakestep")
    up(config)
    with lakestep.connect(home=config.home, **stack_endpoints(config)) as platform:
        ...

State (PostgreSQL cluster, MLflow artifacts, logs, pid files) lives under
``<home>/stack/``; tables stay in ``<home>/lakehouse`` and are registered again by every
session, so they survive a restart of the Sail server.
"""

from lakestep.stack.backend import Backend
from lakestep.stack.config import SERVICES, StackConfig, free_ports
from lakestep.stack.control import (
    ServiceStatus,
    StackStatus,
    down,
    restart,
    run_endpoints,
    running_endpoints,
    stack_endpoints,
    status,
    up,
)

__all__ = [
    "SERVICES",
    "Backend",
    "ServiceStatus",
    "StackConfig",
    "StackStatus",
    "down",
    "free_ports",
    "restart",
    "run_endpoints",
    "running_endpoints",
    "stack_endpoints",
    "status",
    "up",
]
