"""How a local job run is shown: one rich table, or plain lines for logs and CI."""

from __future__ import annotations

from rich.table import Table

from lakestep.bundle.runner import JobResult

_STYLES = {
    "succeeded": "green",
    "excluded": "dim",
    "failed": "bold red",
    "timed_out": "bold red",
    "upstream_failed": "yellow",
}


def result_table(result: JobResult) -> Table:
    """Task, kind, status, seconds and a short detail per task, nested runs indented."""
    verdict = "[green]succeeded[/]" if result.ok else "[bold red]failed[/]"
    table = Table(title=f"job {result.job} (target {result.target}) {verdict} "
                        f"in {result.seconds:.1f}s")
    for column in ("task", "kind", "status", "seconds", "detail"):
        table.add_column(column, justify="right" if column == "seconds" else "left")
    for path, task in result.walk():
        detail = task.message or ""
        if not task.ok and task.stderr_tail:
            detail = f"{detail}\n{task.stderr_tail.splitlines()[-1]}".strip()
        style = _STYLES.get(task.status, "")
        table.add_row(path, task.kind, f"[{style}]{task.status}[/]" if style else task.status,
                      f"{task.seconds:.1f}", detail)
    return table


def result_lines(result: JobResult) -> list[str]:
    """The same content as :func:`result_table`, one plain line per task."""
    lines = [f"job {result.job} (target {result.target}): "
             f"{'succeeded' if result.ok else 'failed'} in {result.seconds:.1f}s"]
    for path, task in result.walk():
        detail = f" — {task.message}" if task.message else ""
        lines.append(f"  {path}: {task.status} {task.seconds:.1f}s{detail}")
    if not result.ok:
        lines.append(f"logs: {result.workdir}")
    return lines
