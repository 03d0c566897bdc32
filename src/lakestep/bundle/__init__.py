"""The asset bundle, read and run locally.

``databricks.yml`` and ``resources/*.yml`` describe the Databricks jobs; this package reads
them for a target (:func:`load_bundle`) and runs a job's task graph on this machine
(:func:`run_job`) through the same entry points and arguments, so a job is tested before
it is deployed::

    from lakestep.bundle import load_bundle, run_job
    result = run_job(load_bundle(".", "dev"), "training_orchestrator")
    assert result.ok, [(t.name, t.status, t.stderr_tail) for t in result.failed]

Tasks hand values to ``condition_task``s with :func:`set_task_value` (Databricks task
values on a cluster, a JSON file named by ``BUNDLE_TASK_VALUES_FILE`` under the runner).
"""

from __future__ import annotations

from lakestep.bundle.loader import load_bundle
from lakestep.bundle.model import Bundle, Dependency, Job, Task
from lakestep.bundle.report import result_lines, result_table
from lakestep.bundle.runner import (
    EXCLUDED,
    FAILED,
    SUCCEEDED,
    TIMED_OUT,
    UPSTREAM_FAILED,
    JobResult,
    TaskResult,
    prepare,
    run_job,
)
from lakestep.bundle.taskvalues import TASK_VALUES_ENV, set_task_value

__all__ = [
    "EXCLUDED",
    "FAILED",
    "SUCCEEDED",
    "TASK_VALUES_ENV",
    "TIMED_OUT",
    "UPSTREAM_FAILED",
    "Bundle",
    "Dependency",
    "Job",
    "JobResult",
    "Task",
    "TaskResult",
    "load_bundle",
    "prepare",
    "result_lines",
    "result_table",
    "run_job",
    "set_task_value",
]
