"""Stores the task processes of a local job run share, prepared before any task starts.

Tasks of one job run in parallel processes (``train_*`` of the training orchestrator).
MLflow creates a SQLite store on first use by running its schema migrations; two processes
opening the same fresh ``mlflow.db`` at once both run them and one dies with
``duplicate column name``. So the runner's caller creates the store once, up front.
"""

from __future__ import annotations

from pathlib import Path


def initialise_tracking_store(tracking_uri: str, artifacts_dir: Path) -> bool:
    """Create (or migrate) a local SQLite MLflow store; True when ``tracking_uri`` is one.

    A server URI (``http://…``, the local stack) manages its own store and is left alone.
    The default experiment's artifacts go under ``artifacts_dir``, not the working directory.
    """
    if not tracking_uri.startswith("sqlite:"):
        return False
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    artifacts_dir.mkdir(parents=True, exist_ok=True)
    store = SqlAlchemyStore(tracking_uri, artifacts_dir.as_uri())
    store.engine.dispose()
    return True
