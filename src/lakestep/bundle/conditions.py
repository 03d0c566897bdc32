"""Run-time rules of a job run: ``{{...}}`` dynamic values, ``condition_task`` and ``run_if``.

These mirror the Databricks semantics a local run must reproduce:
- ``{{tasks.<task>.values.<key>}}`` reads a task value (see :mod:`.taskvalues`);
  ``{{job.parameters.<name>}}`` the job parameter's default; ``{{job.run_id}}``,
  ``{{job.id}}``, ``{{job.name}}``, ``{{task.name}}``, ``{{job.start_time.iso_date}}`` and
  ``{{job.start_time.iso_datetime}}`` describe the local run.
- ``EQUAL_TO``/``NOT_EQUAL`` compare strings; the other operators compare numbers.
- ``run_if`` decides from the upstream states whether a task runs, is excluded (a
  condition branch not taken) or fails upstream.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lakestep.bundle.taskvalues import render_task_value
from lakestep.errors import BundleError, cap_list

DYNAMIC = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_KNOWN = re.compile(
    r"^(tasks\.[\w-]+\.values\.[\w-]+|job\.parameters\.[\w-]+|job\.(id|name|run_id)|task\.name"
    r"|job\.start_time\.(iso_date|iso_datetime))$"
)

# Upstream states as run_if sees them.
SUCCESS, FAILURE, EXCLUDED_STATE = "success", "failure", "excluded"
RUN = "run"


@dataclass(frozen=True)
class RunContext:
    """What ``{{...}}`` references can see during one local job run."""

    job_key: str
    job_name: str
    run_id: str
    start_time: datetime
    parameters: Mapping[str, str]
    task_values: Mapping[str, Mapping[str, Any]]


def unknown_references(text: str) -> list[str]:
    """References the local runner cannot provide (checked before anything runs)."""
    return [m.group(0) for m in DYNAMIC.finditer(text) if not _KNOWN.match(m.group(1))]


def resolve_dynamic(text: str, context: RunContext, task_key: str) -> str:
    """Replace every ``{{...}}`` in ``text``; a task value nobody set is an error."""

    def value(match: re.Match[str]) -> str:
        return _lookup(match.group(1), context, task_key)

    return DYNAMIC.sub(value, text)


def _lookup(reference: str, context: RunContext, task_key: str) -> str:
    parts = reference.split(".")
    if parts[0] == "tasks":
        upstream, name = parts[1], parts[3]
        values = context.task_values.get(upstream)
        if values is None or name not in values:
            set_names = cap_list(sorted(values or {})) or "nothing"
            raise BundleError(
                f"task {task_key} reads {{{{{reference}}}}}, but task {upstream} set {set_names}",
                f"make {upstream} call lakestep.bundle.set_task_value({name!r}, ...)",
            )
        return render_task_value(values[name])
    if parts[0] == "task":
        return task_key
    if parts[:2] == ["job", "parameters"]:
        if parts[2] not in context.parameters:
            raise BundleError(f"task {task_key} reads {{{{{reference}}}}}, an undeclared job "
                              "parameter", f"declare it under jobs.{context.job_key}.parameters")
        return context.parameters[parts[2]]
    if parts[:2] == ["job", "start_time"]:
        stamp = context.start_time
        return stamp.date().isoformat() if parts[2] == "iso_date" else stamp.isoformat()
    return {"id": context.job_key, "name": context.job_name, "run_id": context.run_id}[parts[1]]


_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "GREATER_THAN": lambda a, b: a > b,
    "GREATER_THAN_OR_EQUAL": lambda a, b: a >= b,
    "LESS_THAN": lambda a, b: a < b,
    "LESS_THAN_OR_EQUAL": lambda a, b: a <= b,
}


def evaluate_condition(
    spec: Mapping[str, Any], resolve: Callable[[str], str], *, where: str
) -> bool:
    """The outcome of a ``condition_task`` whose operands ``resolve`` turns into text."""
    op = str(spec.get("op", ""))
    left, right = resolve(str(spec.get("left", ""))), resolve(str(spec.get("right", "")))
    if op == "EQUAL_TO":
        return left == right
    if op == "NOT_EQUAL":
        return left != right
    if op not in _OPERATORS:
        raise BundleError(f"{where}: unknown condition op {op!r}",
                          f"use EQUAL_TO, NOT_EQUAL or {cap_list(_OPERATORS)}")
    try:
        return _OPERATORS[op](float(left), float(right))
    except ValueError as exc:
        raise BundleError(f"{where}: {op} needs numbers, got {left!r} and {right!r}",
                          "use EQUAL_TO for strings and booleans") from exc


def decide(run_if: str, upstream: Sequence[str]) -> str:
    """``RUN`` or the status a task gets without running, from its upstream states."""
    if not upstream:
        return RUN
    succeeded = [s == SUCCESS for s in upstream]
    failed = [s == FAILURE for s in upstream]
    rules: dict[str, tuple[bool, str]] = {
        "ALL_SUCCESS": (all(succeeded), FAILURE if any(failed) else EXCLUDED_STATE),
        "ALL_DONE": (True, EXCLUDED_STATE),
        "NONE_FAILED": (not any(failed) and any(succeeded),
                        FAILURE if any(failed) else EXCLUDED_STATE),
        "AT_LEAST_ONE_SUCCESS": (any(succeeded), FAILURE if any(failed) else EXCLUDED_STATE),
        "ALL_FAILED": (all(failed), EXCLUDED_STATE),
        "AT_LEAST_ONE_FAILED": (any(failed), EXCLUDED_STATE),
    }
    runs, otherwise = rules[run_if]
    return RUN if runs else otherwise
