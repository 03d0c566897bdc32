"""Run a bundle job's task graph on this machine, the way Databricks would run it.

:func:`run_job` checks the whole job before anything starts (every task kind runnable,
every entry point installed, every ``run_job_task`` pointing at a bundle job without
recursion, no unresolved ``${...}``), then runs tasks in dependency order: ready tasks in
parallel on a thread pool, each ``python_wheel_task`` as a subprocess of its entry point
with ``--target local`` (see :func:`lakestep.bundle.entrypoints.localize`), each
``condition_task`` from upstream task values, each ``run_job_task`` as a nested run of the
referenced job. ``run_if`` (default ``ALL_SUCCESS``) decides whether a task runs, is
excluded (condition branch not taken) or fails upstream; ``max_retries`` and
``timeout_seconds`` of a task apply. Job-level timeouts, schedules and notifications are
deployment concerns and are ignored.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from lakestep.bundle.conditions import (
    EXCLUDED_STATE,
    FAILURE,
    SUCCESS,
    RunContext,
    decide,
    evaluate_condition,
    resolve_dynamic,
    unknown_references,
)
from lakestep.bundle.entrypoints import WheelCommand, wheel_command
from lakestep.bundle.interpolate import leftover_references
from lakestep.bundle.model import (
    CONDITION,
    RUN_JOB,
    RUNNABLE_KINDS,
    WHEEL,
    Bundle,
    Dependency,
    Job,
    Task,
)
from lakestep.bundle.taskvalues import TASK_VALUES_ENV, read_task_values
from lakestep.errors import BundleError, LakestepError, cap_list

log = logging.getLogger("lakestep.bundle")

SUCCEEDED = "succeeded"
FAILED = "failed"
TIMED_OUT = "timed_out"
UPSTREAM_FAILED = "upstream_failed"
EXCLUDED = "excluded"
_BAD = (FAILED, TIMED_OUT, UPSTREAM_FAILED)
_TAIL_LINES = 20
_UNBOUNDED_RETRIES = 3  # max_retries: -1 means "forever" on Databricks; a laptop stops at 3
_JOB_REFERENCE = re.compile(r"^\$\{resources\.jobs\.([\w-]+)\.id\}$")


@dataclass
class TaskResult:
    """What happened to one task: status, time, exit code and the end of its stderr."""

    job: str
    name: str
    kind: str
    status: str
    seconds: float = 0.0
    returncode: int | None = None
    attempts: int = 0
    stderr_tail: str = ""
    message: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    outcome: str | None = None
    log_path: Path | None = None
    child: JobResult | None = None

    @property
    def ok(self) -> bool:
        return self.status not in _BAD


@dataclass
class JobResult:
    """A finished local job run; ``ok`` is False when any task failed or timed out."""

    job: str
    target: str
    run_id: str
    tasks: list[TaskResult]
    seconds: float
    workdir: Path

    @property
    def ok(self) -> bool:
        return all(task.ok for task in self.tasks)

    @property
    def failed(self) -> list[TaskResult]:
        return [task for task in self.tasks if not task.ok]

    def task(self, name: str) -> TaskResult:
        for task in self.tasks:
            if task.name == name:
                return task
        raise KeyError(name)

    def walk(self, prefix: str = "") -> Iterator[tuple[str, TaskResult]]:
        """Every task with its path, nested runs included (``retrain/train_x``)."""
        for task in self.tasks:
            yield f"{prefix}{task.name}", task
            if task.child is not None:
                yield from task.child.walk(f"{prefix}{task.name}/")


@dataclass(frozen=True)
class _Plan:
    job: Job
    commands: Mapping[str, WheelCommand]
    children: Mapping[str, _Plan]


def prepare(bundle: Bundle, job_key: str, _stack: tuple[str, ...] = ()) -> _Plan:
    """Check a job (and the jobs it triggers) completely before running any task."""
    if job_key in _stack:
        chain = " → ".join([*_stack, job_key])
        raise BundleError(f"run_job_task recursion: {chain}",
                          "a job must not trigger itself, directly or through another job")
    job = bundle.job(job_key)
    commands: dict[str, WheelCommand] = {}
    children: dict[str, _Plan] = {}
    for task in job.tasks:
        where = f"job {job.key}, task {task.key}"
        if task.kind not in RUNNABLE_KINDS:
            raise BundleError(f"{where}: a {task.kind} cannot run locally",
                              f"the local runner runs {cap_list(RUNNABLE_KINDS)}")
        if task.kind == RUN_JOB:
            child = referenced_job(task, where)
            children[task.key] = prepare(bundle, child, (*_stack, job_key))
            continue
        _check_references(task, where)
        if task.kind == WHEEL:
            commands[task.key] = wheel_command(task.spec, where=where)
    return _Plan(job, commands, children)


def referenced_job(task: Task, where: str) -> str:
    """The bundle job key a ``run_job_task`` names through ``${resources.jobs.<key>.id}``."""
    job_id = str(task.spec.get("job_id", ""))
    match = _JOB_REFERENCE.match(job_id)
    if not match:
        raise BundleError(f"{where}: job_id {job_id!r} is not a bundle job reference",
                          "write job_id: ${resources.jobs.<job_key>.id} so it can run locally")
    return match.group(1)


def _check_references(task: Task, where: str) -> None:
    leftovers = leftover_references(dict(task.spec))
    if leftovers:
        raise BundleError(f"{where}: unresolved {cap_list(sorted(set(leftovers)))}",
                          "give the variable a default, a target value or pass it with --var")
    texts = [str(v) for v in task.spec.get("parameters") or []] + [
        str(task.spec.get(side, "")) for side in ("left", "right")]
    unknown = [ref for text in texts for ref in unknown_references(text)]
    if unknown:
        raise BundleError(f"{where}: the local runner cannot provide {cap_list(unknown)}",
                          "use {{tasks.<task>.values.<key>}} or {{job.parameters.<name>}}")


def run_job(
    bundle: Bundle,
    job_key: str,
    *,
    max_parallel: int = 2,
    env: Mapping[str, str] | None = None,
    workdir: str | Path | None = None,
    on_task_end: Callable[[TaskResult], None] | None = None,
    only: Sequence[str] | None = None,
) -> JobResult:
    """Run ``job_key`` of ``bundle`` locally and return every task's result.

    ``max_parallel`` bounds concurrent tasks per job run; ``env`` is added to the task
    processes' environment; logs and task values go under ``workdir`` (a new temporary
    directory, kept for reading, when None). Raises :class:`BundleError` before running
    anything when the job cannot run; a failing task is a result, not an exception.
    ``on_task_end`` is called once per task as it settles (from worker threads too, for the
    tasks of a nested ``run_job_task`` run). ``only`` runs some tasks, as
    ``databricks bundle run --only`` does (see :meth:`Job.only`).
    """
    if max_parallel < 1:
        raise BundleError(f"max_parallel must be at least 1, got {max_parallel}")
    if only:
        bundle = replace(bundle, jobs={**bundle.jobs, job_key: bundle.job(job_key).only(only)})
    plan = prepare(bundle, job_key)
    directory = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix=f"lakestep-{job_key}-"))
    run_id = f"{datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
    return _JobRun(bundle, plan, max_parallel, dict(env or {}), directory, on_task_end,
                   run_id).execute()


class _JobRun:
    """One run of one job: the scheduler (main thread) and the task bodies (workers)."""

    def __init__(
        self,
        bundle: Bundle,
        plan: _Plan,
        max_parallel: int,
        env: dict[str, str],
        workdir: Path,
        on_task_end: Callable[[TaskResult], None] | None,
        run_id: str,
        parameters: Mapping[str, str] | None = None,
    ) -> None:
        self.bundle, self.plan, self.job = bundle, plan, plan.job
        self.max_parallel, self.env, self.workdir = max_parallel, env, workdir
        self.on_task_end, self.run_id = on_task_end, run_id
        defaults = {str(p.get("name")): str(p.get("default", ""))
                    for p in plan.job.raw.get("parameters") or [] if isinstance(p, Mapping)}
        self.parameters = {**defaults, **(parameters or {})}
        self.results: dict[str, TaskResult] = {}
        self.started = datetime.now()

    # -- scheduling ---------------------------------------------------------------------
    def execute(self) -> JobResult:
        clock = time.perf_counter()
        self.workdir.mkdir(parents=True, exist_ok=True)
        log.info("bundle run %s: job %s (target %s), logs in %s",
                 self.run_id, self.job.key, self.bundle.target, self.workdir)
        pending = self.job.order()
        running: dict[Future[TaskResult], str] = {}
        with ThreadPoolExecutor(self.max_parallel, thread_name_prefix=self.job.key) as pool:
            while pending or running:
                self._dispatch(pending, running, pool)
                if running:
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        running.pop(future)
                        self._record(future.result())
        ordered = [self.results[key] for key in self.job.order()]
        return JobResult(self.job.key, self.bundle.target, self.run_id, ordered,
                         time.perf_counter() - clock, self.workdir)

    def _dispatch(self, pending: list[str], running: dict[Future[TaskResult], str],
                  pool: ThreadPoolExecutor) -> None:
        """Start every task whose upstream is done; settle skipped and condition tasks
        inline, which may make more tasks ready, so repeat until nothing changes."""
        changed = True
        while changed:
            changed = False
            for key in list(pending):
                task = self.job.task(key)
                if not all(dep.task_key in self.results for dep in task.depends_on):
                    continue
                pending.remove(key)
                changed = True
                settled = self._settle_without_running(task)
                if settled is not None:
                    self._record(settled)
                else:
                    # The context is a snapshot taken here, on the scheduler thread: workers
                    # must not read self.results while the scheduler adds to it.
                    running[pool.submit(self._guarded, task, self._context())] = key

    def _settle_without_running(self, task: Task) -> TaskResult | None:
        if task.disabled:
            return self._result(task, EXCLUDED, message="disabled")
        upstream = [self._upstream_state(dep) for dep in task.depends_on]
        decision = decide(task.run_if, upstream)
        if decision == FAILURE:
            pairs = zip(task.depends_on, upstream, strict=True)
            failed = cap_list(dep.task_key for dep, state in pairs if state == FAILURE)
            return self._result(task, UPSTREAM_FAILED, message=f"upstream failed: {failed}")
        if decision == EXCLUDED_STATE:
            return self._result(task, EXCLUDED, message=f"run_if {task.run_if} not met")
        if task.kind == CONDITION:
            return self._condition(task)
        return None

    def _upstream_state(self, dep: Dependency) -> str:
        result = self.results[dep.task_key]
        if result.status in _BAD:
            return FAILURE
        if result.status == EXCLUDED or (dep.outcome is not None and result.outcome != dep.outcome):
            return EXCLUDED_STATE
        return SUCCESS

    def _record(self, result: TaskResult) -> None:
        self.results[result.name] = result
        detail = f" ({result.message})" if result.message else ""
        level = logging.INFO if result.ok else logging.ERROR
        log.log(level, "%s/%s %s in %.1fs%s", self.job.key, result.name, result.status,
                result.seconds, detail)
        if self.on_task_end is not None:
            self.on_task_end(result)

    def _result(self, task: Task, status: str, **fields: Any) -> TaskResult:
        return TaskResult(job=self.job.key, name=task.key, kind=task.kind, status=status, **fields)

    def _context(self) -> RunContext:
        values = {key: result.values for key, result in self.results.items()}
        return RunContext(self.job.key, self.job.name, self.run_id, self.started,
                          self.parameters, values)

    # -- task bodies --------------------------------------------------------------------
    def _condition(self, task: Task) -> TaskResult:
        context = self._context()
        where = f"job {self.job.key}, task {task.key}"
        try:
            outcome = evaluate_condition(
                task.spec, lambda text: resolve_dynamic(text, context, task.key), where=where)
        except LakestepError as exc:
            return self._result(task, FAILED, message=str(exc))
        return self._result(task, SUCCEEDED, outcome="true" if outcome else "false",
                            message=f"outcome {str(outcome).lower()}")

    def _guarded(self, task: Task, context: RunContext) -> TaskResult:
        # A worker must always hand back a result: an exception here would otherwise
        # surface only when the scheduler reads the future, with no task named.
        clock = time.perf_counter()
        try:
            if task.kind == RUN_JOB:
                return self._run_job_task(task)
            return self._run_wheel_task(task, context)
        except (LakestepError, OSError) as exc:
            return self._result(task, FAILED, seconds=time.perf_counter() - clock, message=str(exc))

    def _run_job_task(self, task: Task) -> TaskResult:
        clock = time.perf_counter()
        overrides = {str(k): str(v) for k, v in (task.spec.get("job_parameters") or {}).items()}
        child = _JobRun(self.bundle, self.plan.children[task.key], self.max_parallel, self.env,
                        self.workdir / f"{task.key}.{self.plan.children[task.key].job.key}",
                        self.on_task_end, self.run_id, overrides).execute()
        message = "" if child.ok else f"{len(child.failed)} task(s) of {child.job} failed"
        return self._result(task, SUCCEEDED if child.ok else FAILED, child=child, message=message,
                            seconds=time.perf_counter() - clock)

    def _run_wheel_task(self, task: Task, context: RunContext) -> TaskResult:
        command = self.plan.commands[task.key]
        arguments = [resolve_dynamic(arg, context, task.key) for arg in command.arguments]
        retries = _UNBOUNDED_RETRIES if task.max_retries < 0 else task.max_retries
        clock = time.perf_counter()
        for attempt in range(1, retries + 2):
            result = self._attempt(task, command, arguments, attempt)
            retry_timeout = bool(task.raw.get("retry_on_timeout", False))
            if result.status == SUCCEEDED or (result.status == TIMED_OUT and not retry_timeout):
                break
        result.seconds = time.perf_counter() - clock
        return result

    def _attempt(self, task: Task, command: WheelCommand, arguments: list[str],
                 attempt: int) -> TaskResult:
        stem = task.key if attempt == 1 else f"{task.key}.attempt{attempt}"
        values_path = self.workdir / f"{stem}.values.json"
        out_path, err_path = self.workdir / f"{stem}.out", self.workdir / f"{stem}.err"
        # A values file left by an earlier run in the same workdir must not leak into this one.
        values_path.unlink(missing_ok=True)
        env = {**os.environ, **self.env, TASK_VALUES_ENV: str(values_path)}
        returncode: int | None
        with out_path.open("wb") as out, err_path.open("wb") as err:
            try:
                returncode = subprocess.run(
                    command.argv(arguments), cwd=self.bundle.root, env=env,
                    stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                    timeout=task.timeout_seconds or None, check=False,
                ).returncode
            except subprocess.TimeoutExpired:
                returncode = None
        status = TIMED_OUT if returncode is None else (SUCCEEDED if returncode == 0 else FAILED)
        message = f"exceeded timeout_seconds={task.timeout_seconds}" if returncode is None else (
            "" if returncode == 0 else f"{command.entry_point} exited {returncode}")
        return self._result(task, status, returncode=returncode, attempts=attempt,
                            stderr_tail=_tail(err_path), message=message, log_path=err_path,
                            values=read_task_values(values_path))


def _tail(path: Path, lines: int = _TAIL_LINES) -> str:
    text = path.read_text(errors="replace") if path.is_file() else ""
    return "\n".join(text.splitlines()[-lines:])
