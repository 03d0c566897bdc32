"""What a bundle job is, once read: tasks, their dependencies, and a checked order.

The graph is validated when a :class:`Job` is built (unknown ``depends_on``, duplicate
task keys, cycles, an ``outcome`` on a task that is not a ``condition_task``), so a broken
wiring fails when the bundle is loaded, not halfway through a run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lakestep.errors import BundleError, cap_list

# Task kinds the local runner can execute; any other kind is reported by name.
WHEEL = "python_wheel_task"
CONDITION = "condition_task"
RUN_JOB = "run_job_task"
RUNNABLE_KINDS = (WHEEL, CONDITION, RUN_JOB)

RUN_IF_VALUES = (
    "ALL_SUCCESS",
    "ALL_DONE",
    "NONE_FAILED",
    "AT_LEAST_ONE_SUCCESS",
    "ALL_FAILED",
    "AT_LEAST_ONE_FAILED",
)


@dataclass(frozen=True)
class Dependency:
    """One ``depends_on`` entry; ``outcome`` is set only after a ``condition_task``."""

    task_key: str
    outcome: str | None = None


@dataclass(frozen=True)
class Task:
    """One task of a job, as declared (after variables are resolved)."""

    key: str
    kind: str
    spec: Mapping[str, Any]
    depends_on: tuple[Dependency, ...] = ()
    run_if: str = "ALL_SUCCESS"
    max_retries: int = 0
    timeout_seconds: int = 0
    disabled: bool = False
    environment_key: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Job:
    """A bundle job: its key in ``resources.jobs``, its tasks and where it was declared."""

    key: str
    name: str
    tasks: tuple[Task, ...]
    source: Path | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)

    def task(self, key: str) -> Task:
        for task in self.tasks:
            if task.key == key:
                return task
        raise BundleError(
            f"job {self.key} has no task {key!r}",
            f"its tasks: {cap_list(t.key for t in self.tasks)}",
        )

    def order(self) -> list[str]:
        """Task keys in a dependency order (upstream first, declaration order otherwise)."""
        return topological_order(self)

    def only(self, selection: Sequence[str]) -> Job:
        """The job cut to some tasks, as ``databricks bundle run --only`` selects them.

        Each item is a task key; ``+key`` also selects everything ``key`` depends on,
        ``key+`` everything that depends on it. Edges to tasks left out are dropped, so a
        selected task runs as if its unselected upstream had succeeded (as on Databricks).
        """
        wanted: set[str] = set()
        for item in selection:
            key = item.strip().strip("+")
            if not key:
                continue
            self.task(key)  # an unknown key names the tasks that exist
            wanted.add(key)
            if item.strip().startswith("+"):
                wanted |= self._closure(key, upstream=True)
            if item.strip().endswith("+"):
                wanted |= self._closure(key, upstream=False)
        if not wanted:
            raise BundleError(f"job {self.key}: --only selected no task",
                              f"name task keys, e.g. {cap_list(t.key for t in self.tasks)}")
        tasks = tuple(
            replace(task, depends_on=tuple(d for d in task.depends_on if d.task_key in wanted))
            for task in self.tasks if task.key in wanted)
        return replace(self, tasks=tasks)

    def _closure(self, key: str, *, upstream: bool) -> set[str]:
        edges: dict[str, set[str]] = {task.key: set() for task in self.tasks}
        for task in self.tasks:
            for dep in task.depends_on:
                if upstream:
                    edges[task.key].add(dep.task_key)
                else:
                    edges[dep.task_key].add(task.key)
        seen: set[str] = set()
        todo = [key]
        while todo:
            for nxt in edges[todo.pop()] - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen


@dataclass(frozen=True)
class Bundle:
    """A bundle read for one target: variables resolved, target overrides applied."""

    name: str
    target: str
    root: Path
    mode: str | None
    variables: Mapping[str, Any]
    config: Mapping[str, Any]
    jobs: Mapping[str, Job]
    files: tuple[Path, ...] = ()

    def job(self, key: str) -> Job:
        if key not in self.jobs:
            raise BundleError(
                f"bundle {self.name} has no job {key!r} (target {self.target})",
                f"jobs in resources/: {cap_list(sorted(self.jobs)) or 'none'}",
            )
        return self.jobs[key]


def build_job(key: str, spec: Mapping[str, Any], source: Path | None) -> Job:
    """Build a :class:`Job` from its resolved mapping and validate its task graph."""
    where = _where(key, source)
    if not isinstance(spec, Mapping):
        raise BundleError(f"{where} is not a mapping", "see resources/*.yml for the shape")
    raw_tasks = spec.get("tasks") or []
    if not isinstance(raw_tasks, Sequence) or isinstance(raw_tasks, str):
        raise BundleError(f"{where}: tasks must be a list", "each task needs a task_key")
    tasks = tuple(_build_task(where, raw) for raw in raw_tasks)
    job = Job(key=key, name=str(spec.get("name", key)), tasks=tasks, source=source, raw=spec)
    validate_graph(job)
    return job


def _build_task(where: str, raw: Any) -> Task:
    if not isinstance(raw, Mapping) or not raw.get("task_key"):
        raise BundleError(f"{where}: a task has no task_key", "give every task a task_key")
    key = str(raw["task_key"])
    kinds = [name for name in raw if str(name).endswith("_task")]
    if len(kinds) != 1:
        raise BundleError(
            f"{where}, task {key}: expected exactly one *_task mapping, found "
            f"{cap_list(kinds) or 'none'}",
            "declare one of python_wheel_task, condition_task, run_job_task",
        )
    depends = tuple(_dependency(where, key, item) for item in raw.get("depends_on") or [])
    run_if = str(raw.get("run_if", "ALL_SUCCESS"))
    if run_if not in RUN_IF_VALUES:
        raise BundleError(
            f"{where}, task {key}: unknown run_if {run_if!r}",
            f"use one of {cap_list(RUN_IF_VALUES)}",
        )
    return Task(
        key=key,
        kind=kinds[0],
        spec=raw[kinds[0]] or {},
        depends_on=depends,
        run_if=run_if,
        max_retries=_int(where, key, raw, "max_retries"),
        timeout_seconds=_int(where, key, raw, "timeout_seconds"),
        disabled=bool(raw.get("disabled", False)),
        environment_key=raw.get("environment_key"),
        raw=raw,
    )


def _dependency(where: str, key: str, item: Any) -> Dependency:
    if not isinstance(item, Mapping) or not item.get("task_key"):
        raise BundleError(f"{where}, task {key}: depends_on entries need a task_key")
    outcome = item.get("outcome")
    return Dependency(str(item["task_key"]), None if outcome is None else str(outcome).lower())


def _int(where: str, key: str, raw: Mapping[str, Any], name: str) -> int:
    value = raw.get(name, 0)
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise BundleError(
            f"{where}, task {key}: {name} must be an integer, got {value!r}",
            "check the variable it refers to",
        ) from exc


def validate_graph(job: Job) -> None:
    """Refuse duplicate keys, unknown dependencies, misplaced outcomes and cycles."""
    where = _where(job.key, job.source)
    keys = [task.key for task in job.tasks]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise BundleError(f"{where}: duplicate task_key {cap_list(duplicates)}",
                          "task keys must be unique within a job")
    kinds = {task.key: task.kind for task in job.tasks}
    for task in job.tasks:
        for dep in task.depends_on:
            if dep.task_key not in kinds:
                raise BundleError(
                    f"{where}, task {task.key} depends on unknown task {dep.task_key!r}",
                    f"tasks of this job: {cap_list(keys)}",
                )
            if dep.outcome is not None and kinds[dep.task_key] != CONDITION:
                raise BundleError(
                    f"{where}, task {task.key}: outcome {dep.outcome!r} on {dep.task_key}, "
                    "which is not a condition_task",
                    "use outcome only after a condition_task",
                )
    topological_order(job)


def topological_order(job: Job) -> list[str]:
    """Kahn's order, stable in declaration order; a cycle is named task by task."""
    remaining = {task.key: {d.task_key for d in task.depends_on} for task in job.tasks}
    order: list[str] = []
    while remaining:
        ready = [key for key, deps in remaining.items() if not deps]
        if not ready:
            raise BundleError(
                f"{_where(job.key, job.source)}: dependency cycle "
                f"{' → '.join(_find_cycle(remaining))} (→ means depends on)",
                "remove one depends_on edge of the cycle",
            )
        for key in ready:
            order.append(key)
            del remaining[key]
        for deps in remaining.values():
            deps.difference_update(ready)
    return order


def _find_cycle(graph: Mapping[str, set[str]]) -> list[str]:
    # Every node left has an unmet dependency inside the graph, so walking any
    # dependency chain must revisit a node: that loop is the cycle to report.
    path: list[str] = []
    node = sorted(graph)[0]
    while node not in path:
        path.append(node)
        node = sorted(graph[node] & set(graph))[0]
    cycle = path[path.index(node):]
    return [*cycle, cycle[0]]


def _where(key: str, source: Path | None) -> str:
    return f"job {key}" + (f" ({source.name})" if source is not None else "")
