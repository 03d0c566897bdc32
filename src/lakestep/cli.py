"""The ``lakestep`` command line: a thin layer over the core functions.

Every command connects through :func:`lakestep.connect`, prints progress with timings, and
turns a :class:`~lakestep.errors.LakestepError` into one clear message and a non-zero exit
code — never a traceback as the only message (``--debug`` shows it).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from lakestep.errors import LakestepError
from lakestep.stack_cli import stack_app

app = typer.Typer(
    name="lakestep",
    help="Gold tables → features → training → gate → registry → scoring → monitoring.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(stack_app, name="stack")
# Piped output (CI logs, tests) is not cut at 80 columns: a table keeps its full names.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, soft_wrap=True)

T = TypeVar("T")


@dataclass
class Options:
    target: str | None
    home: Path | None
    project: Path | None
    catalog: str | None
    tracking_uri: str | None
    spark_remote: str | None
    debug: bool

    def connect(self, **extra: Any):
        import lakestep

        overrides = {
            "catalog": self.catalog,
            "tracking_uri": self.tracking_uri,
            "registry_uri": self.tracking_uri,
            "spark_remote": self.spark_remote,
            **extra,
        }
        return lakestep.connect(
            target=self.target,
            home=self.home,
            project=self.project,
            **{k: v for k, v in overrides.items() if v is not None},
        )


_options: Options | None = None


def options() -> Options:
    assert _options is not None, "the lakestep callback sets the options first"
    return _options


@app.callback()
def main_options(
    target: str = typer.Option(None, "--target", "-t", help="local (default), dev or prod."),
    home: Path = typer.Option(None, "--home", help="State directory (default .lakestep/)."),
    project: Path = typer.Option(
        None, "--project", help="A project directory with its own databricks.yml, contracts, "
        "feature tables and model specs (default: the demo)."
    ),
    catalog: str = typer.Option(None, "--catalog", help="Override the catalog."),
    tracking_uri: str = typer.Option(
        None, "--tracking-uri", help="MLflow tracking + registry URI (e.g. http://127.0.0.1:5000)."
    ),
    spark_remote: str = typer.Option(
        None, "--spark-remote", help="Spark Connect URL of a Sail server (sc://host:port)."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log every table operation."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks."),
) -> None:
    global _options
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    _options = Options(target, home, project, catalog, tracking_uri, spark_remote, debug)


def guarded(action: Callable[[], T]) -> T:
    """Run a command body; a LakestepError becomes a message and its exit code."""
    try:
        return action()
    except LakestepError as exc:
        if _options is not None and _options.debug:
            raise
        err_console.print(f"[bold red]error:[/] {exc.message}", highlight=False)
        if exc.hint:
            err_console.print(f"[yellow]hint:[/] {exc.hint}", highlight=False)
        raise typer.Exit(exc.exit_code) from None


# -- commands ------------------------------------------------------------------------------


@app.command("demo-data")
def demo_data(
    scale: int = typer.Option(200_000, "--scale", min=100, help="Number of bookings."),
    seed: int = typer.Option(7, "--seed", help="Generator seed (same seed → same tables)."),
    drift: bool = typer.Option(False, "--drift", help="Add a shifted scoring period."),
) -> None:
    """Generate the demo travel-bookings gold layer (validated against its contracts)."""
    from lakestep.commands import build_demo_data

    def body() -> None:
        with options().connect() as platform:
            summaries = build_demo_data(platform, scale=scale, seed=seed, drift=drift)
            console.print(_tables_table(platform, [s.name for s in summaries]))

    guarded(body)


@app.command("tables")
def tables(schema: str = typer.Option(None, "--schema", help="Only catalog.schema.")) -> None:
    """List tables with their rows, Delta version and properties."""

    def body() -> None:
        with options().connect() as platform:
            console.print(_tables_table(platform, platform.tables.list_tables(schema)))

    guarded(body)


@app.command("show")
def show(
    table: str = typer.Argument(..., help="Three-level table name, e.g. main.gold.fact_booking."),
    limit: int = typer.Option(20, "--limit", "-n", min=1),
    version: int = typer.Option(None, "--version", help="Delta version (time travel)."),
) -> None:
    """Print the first rows of a table."""

    def body() -> None:
        with options().connect() as platform:
            frame = platform.tables.read(table, version=version).limit(limit).toPandas()
            shown_version = version if version is not None else platform.tables.version(table)
            view = Table(title=f"{table} (version {shown_version})")
            for column in frame.columns:
                view.add_column(str(column), overflow="fold")
            for row in frame.itertuples(index=False):
                view.add_row(*(str(value) for value in row))
            console.print(view)

    guarded(body)


@app.command("run")
def run(
    scale: int = typer.Option(200_000, "--scale", min=100, help="Demo bookings to generate."),
    seed: int = typer.Option(7, "--seed"),
    stack: bool = typer.Option(
        False, "--stack", help="Run against the local stack: the servers of `lakestep stack up` "
        "under the same --home, or those --spark-remote/--tracking-uri (LAKESTEP_*) name."),
) -> None:
    """The whole pipeline on the demo data."""
    from lakestep.commands import run_pipeline

    def body() -> None:
        with options().connect(**_stack_endpoints(stack)) as platform:
            result = run_pipeline(platform, scale=scale, seed=seed)
            console.print(_tables_table(platform, [g.name for g in result.gold]))
            console.print(_timings_table(result.steps))

    guarded(body)


@app.command("doctor")
def doctor() -> None:
    """Check Python, Java, the engine, the home directory and the MLflow store."""
    from lakestep.doctor import run_checks

    def body() -> None:
        opts = options()
        results = run_checks(opts.connect)
        table = Table(title="lakestep doctor")
        for column in ("check", "status", "detail", "how to fix"):
            table.add_column(column)
        for result in results:
            status = {"ok": "[green]ok[/]", "warn": "[yellow]warn[/]", "fail": "[red]fail[/]"}
            table.add_row(result.name, status[result.status], result.detail, result.fix or "")
        console.print(table)
        if any(r.status == "fail" for r in results):
            raise typer.Exit(1)

    guarded(body)


bundle_app = typer.Typer(help="Run the jobs of the asset bundle locally.", no_args_is_help=True)
app.add_typer(bundle_app, name="bundle")


@bundle_app.command("run")
def bundle_run(
    job_key: str = typer.Argument(..., help="Job key in resources/*.yml, e.g. training_orchestrator."),
    bundle_target: str = typer.Option("dev", "--bundle-target", help="Bundle target whose "
                                      "variables the tasks get (they run locally)."),
    parallel: int = typer.Option(2, "--parallel", min=1, help="Tasks run at once."),
) -> None:
    """Run a bundle job's task graph here, through the same entry points and parameters."""
    from lakestep.bundle import load_bundle, result_table, run_job
    from lakestep.config import bundle_file, load_settings

    def body() -> None:
        opts = options()
        settings = load_settings("local", home=opts.home, project_dir=opts.project)
        bundle_path = bundle_file(settings.project_dir)
        if bundle_path is None:
            from lakestep.errors import BundleError

            raise BundleError("no databricks.yml here", "run from a lakestep checkout or pass "
                              "--project DIR")
        env = {"LAKESTEP_HOME": str(settings.home)}
        if settings.project_dir:
            env["LAKESTEP_PROJECT"] = str(settings.project_dir)
        if opts.tracking_uri:
            env["LAKESTEP_TRACKING_URI"] = opts.tracking_uri
        if opts.spark_remote:
            env["LAKESTEP_SPARK_REMOTE"] = opts.spark_remote
        result = run_job(load_bundle(bundle_path.parent, bundle_target), job_key,
                         max_parallel=parallel, env=env,
                         workdir=settings.home / "bundle-runs" / job_key,
                         on_task_end=lambda task: err_console.print(
                             f"  {task.name}: {task.status} ({task.seconds:.1f}s)"))
        console.print(result_table(result))
        if not result.ok:
            raise typer.Exit(1)

    guarded(body)


def _stack_endpoints(stack: bool) -> dict[str, str]:
    """Overrides pointing a run at the local stack's servers (none without --stack)."""
    if not stack:
        return {}
    from lakestep.config import load_settings
    from lakestep.stack import run_endpoints

    opts = options()
    settings = load_settings(opts.target, home=opts.home, project_dir=opts.project,
                             catalog=opts.catalog, tracking_uri=opts.tracking_uri,
                             spark_remote=opts.spark_remote)
    return run_endpoints(settings)


def _timings_table(steps: Any) -> Table:
    table = Table(title=f"pipeline steps ({steps.total_seconds:.1f}s)")
    table.add_column("step")
    table.add_column("seconds", justify="right")
    for timing in steps.timings:
        table.add_row(timing.name, f"{timing.seconds:.2f}")
    return table


def _tables_table(platform: Any, names: list[str]) -> Table:
    table = Table(title=f"tables under {platform.settings.lakehouse_dir}")
    for column in ("table", "rows", "version", "properties"):
        table.add_column(column, overflow="fold")
    for name in names:
        properties = platform.tables.properties(name)
        shown = ", ".join(f"{k}={v}" for k, v in sorted(properties.items())
                          if not k.startswith("delta."))
        rows = platform.tables.read(name).count()
        table.add_row(name, f"{rows:,}", str(platform.tables.version(name)), shown[:120])
    return table


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        err_console.print("[red]interrupted[/]")
        sys.exit(130)
