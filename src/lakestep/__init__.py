"""lakestep: one package from gold tables to monitored batch predictions.

Start here::

    import lakestep
    with lakestep.connect() as platform:          # embedded Sail + Delta + MLflow
        platform.tables.read("main.gold.fact_booking").show()
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lakestep.platform.base import Platform

__version__ = "0.1.0"


def connect(
    target: str | None = None,
    home: str | Path | None = None,
    project: str | Path | None = None,
    **overrides: Any,
) -> Platform:
    """Return a :class:`~lakestep.platform.base.Platform` for ``target``.

    ``target`` defaults to ``LAKESTEP_TARGET`` or ``local``. ``local`` starts an embedded Sail engine over Delta tables under ``home``
    (``.lakestep/`` by default) unless ``spark_remote`` names a Sail server; ``dev`` and
    ``prod`` use the Databricks job's Spark. ``project`` is a project directory with its
    own ``databricks.yml``, contracts, feature tables and model specs. The platform is a
    context manager that stops the engine it started.
    """
    from lakestep.config import load_settings

    settings = load_settings(target, home=home, project_dir=project, **overrides)
    if settings.target == "local":
        from lakestep.platform.local import connect_local

        return connect_local(settings)
    from lakestep.platform.databricks import connect_databricks

    return connect_databricks(settings)


__all__ = ["__version__", "connect"]
