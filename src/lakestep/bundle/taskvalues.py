"""Task values: how a task hands a small result (``retrain_needed``) to a later task.

On Databricks an entry point calls ``dbutils.jobs.taskValues.set`` and a
``condition_task`` reads ``{{tasks.<task>.values.<key>}}``. Locally the bundle runner
gives every task process its own JSON file, named by the environment variable
:data:`TASK_VALUES_ENV`; :func:`set_task_value` writes there and the runner reads the file
when the task ends. The variable deliberately does not start with ``LAKESTEP_``: it is a
protocol between a runner and a task process, not a setting, and
:func:`lakestep.config.load_settings` rejects unknown ``LAKESTEP_*`` names.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from lakestep.errors import BundleError

TASK_VALUES_ENV = "BUNDLE_TASK_VALUES_FILE"
# Set by every Databricks runtime, serverless included; absent on a laptop.
_DATABRICKS_RUNTIME_ENV = "DATABRICKS_RUNTIME_VERSION"

Sink = Literal["databricks", "file", "none"]


def set_task_value(key: str, value: Any, *, environ: Mapping[str, str] | None = None) -> Sink:
    """Publish ``key=value`` for downstream tasks; return where it went.

    ``value`` must be JSON-serialisable, as Databricks requires. Outside a job (no
    Databricks runtime, no runner file) the value has no reader and is dropped: ``"none"``.
    """
    env = os.environ if environ is None else environ
    try:
        json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise BundleError(
            f"task value {key!r} is not JSON-serialisable ({type(value).__name__})",
            "pass a bool, number, string, list or dict",
        ) from exc
    if env.get(TASK_VALUES_ENV):
        _write(Path(env[TASK_VALUES_ENV]), key, value)
        return "file"
    if env.get(_DATABRICKS_RUNTIME_ENV):
        from databricks.sdk.runtime import dbutils  # only importable with a job context

        dbutils.jobs.taskValues.set(key=key, value=value)
        return "databricks"
    return "none"


def read_task_values(path: Path) -> dict[str, Any]:
    """Values a task wrote to its file; an absent file means it set none."""
    if not path.is_file():
        return {}
    try:
        values = json.loads(path.read_text() or "{}")
    except (OSError, ValueError) as exc:
        raise BundleError(f"task values file {path} is unreadable: {exc}",
                          "write it only through lakestep.bundle.set_task_value") from exc
    if not isinstance(values, dict):
        raise BundleError(f"task values file {path} is not a JSON object",
                          "write it only through lakestep.bundle.set_task_value")
    return values


def render_task_value(value: Any) -> str:
    """The string a ``condition_task`` compares, as on Databricks: ``true``/``false`` for
    booleans, JSON for containers, ``str`` otherwise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)) or value is None:
        return json.dumps(value)
    return str(value)


def _write(path: Path, key: str, value: Any) -> None:
    values = read_task_values(path)
    values[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(values))
    # Atomic replace: the runner never reads a half-written file, even if the task dies.
    os.replace(partial, path)
