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

from lakestep.bench_cli import bench_app
from lakestep.bundle_cli import bundle_app
from lakestep.cli_tables import (
    gate_table,
    monitor_table,
    score_table,
    tables_table,
    timings_table,
    training_table,
    where,
)
from lakestep.errors import LakestepError, engine_errors
from lakestep.stack_cli import stack_app

app = typer.Typer(
    name="lakestep",
    help="Gold tables → features → training → gate → registry → scoring → monitoring.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(stack_app, name="stack")
app.add_typer(bench_app, name="bench")
app.add_typer(bundle_app, name="bundle")
# Piped output (CI logs, tests) is not cut at 80 columns: a table keeps its full names.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, soft_wrap=True)

T = TypeVar("T")

# `make run` must finish in under two minutes on two cores: the default run is smaller
# than `demo-data`'s default; benchmarks and `--scale` go as large as wanted.
DEFAULT_RUN_SCALE = 100_000


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
    """Run a command body; a LakestepError becomes a message and its exit code (as does an
    engine error lakestep knows what to do about, such as running out of memory)."""
    try:
        with engine_errors():
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
            console.print(tables_table(platform, [s.name for s in summaries]))

    guarded(body)


@app.command("tables")
def tables(schema: str = typer.Option(None, "--schema", help="Only catalog.schema.")) -> None:
    """List tables with their rows, Delta version and properties."""

    def body() -> None:
        with options().connect() as platform:
            console.print(tables_table(platform, platform.tables.list_tables(schema)))

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


@app.command("features")
def features(
    table: list[str] = typer.Option(None, "--table", help="Only these feature/label tables."),
) -> None:
    """Build the feature tables (merge by key) and label tables from the gold layer."""
    from lakestep.commands import build_features

    def body() -> None:
        with options().connect() as platform:
            built = build_features(platform, tables=table or None)
            console.print(tables_table(platform, built))

    guarded(body)


@app.command("train")
def train(
    model: list[str] = typer.Option(None, "--model", "-m", help="Model(s) to train."),
    all_models: bool = typer.Option(False, "--all", help="Every model spec of the project."),
) -> None:
    """Train, log and register models; each new version gets @challenger."""
    from lakestep.commands import train as train_models

    def body() -> None:
        chosen = _chosen_models(model, all_models)
        with options().connect() as platform:
            results = train_models(platform, chosen)
            console.print(training_table(results))

    guarded(body)


@app.command("gate")
def gate(
    model: list[str] = typer.Option(None, "--model", "-m", help="Model(s) to gate."),
    all_models: bool = typer.Option(False, "--all", help="Every model spec of the project."),
    version: str = typer.Option(None, "--version", help="Version to judge (default @challenger)."),
) -> None:
    """Judge @challenger (or --version): pass → @champion moves; fail → exit code 3."""
    from lakestep.commands import gate_models

    def body() -> None:
        chosen = _chosen_models(model, all_models)
        with options().connect() as platform:
            results = gate_models(platform, chosen, version=version, raise_on_fail=False)
            console.print(gate_table(results))
            failed = [r for r in results if not r.passed]
            if failed:
                from lakestep.errors import GateFailed

                first = failed[0]
                raise GateFailed(", ".join(r.name for r in failed), first.version,
                                 [f"{r.model} v{r.version}: {'; '.join(r.reasons)}"
                                  for r in failed])

    guarded(body)


@app.command("promote")
def promote(
    model: str = typer.Option(..., "--model", "-m"),
    version: str = typer.Option(None, "--version", help="Version (default @challenger)."),
    force: bool = typer.Option(False, "--force", help="Promote even if the gate fails "
                               "(recorded on the version)."),
    reason: str = typer.Option(None, "--reason", help="Why the gate is overridden (--force)."),
) -> None:
    """Move @champion to a version: the gate's pass path, or --force with a --reason."""
    from lakestep.gate import promote as promote_version

    def body() -> None:
        with options().connect() as platform:
            result = promote_version(platform, model, version=version, force=force,
                                     reason=reason)
            console.print(gate_table([result]))
            if result.forced:
                err_console.print(f"[yellow]warning:[/] {result.name} version {result.version} "
                                  f"promoted over a failed gate: {'; '.join(result.reasons)}")

    guarded(body)


@app.command("score")
def score(
    model: list[str] = typer.Option(None, "--model", "-m", help="Model(s) to score with."),
    all_models: bool = typer.Option(False, "--all", help="Every model spec of the project."),
    alias: str = typer.Option("champion", "--alias", help="Alias of the version to use."),
    version: str = typer.Option(None, "--version", help="Version number instead of an alias."),
    day: str = typer.Option(None, "--date", help="Scoring date YYYY-MM-DD (default: the "
                            "latest day of the model's scoring rows)."),
) -> None:
    """Batch-score the latest rows of each model's label table into <model>_predictions."""
    from lakestep.commands import score_models

    def body() -> None:
        chosen = _chosen_models(model, all_models)
        with options().connect() as platform:
            results = score_models(platform, chosen, alias=alias, version=version,
                                   scoring_date=_date(day))
            console.print(score_table(results))

    guarded(body)


@app.command("monitor")
def monitor(
    model: list[str] = typer.Option(None, "--model", "-m", help="Model(s) to monitor."),
    day: str = typer.Option(None, "--date", help="Scoring date YYYY-MM-DD (default: latest)."),
) -> None:
    """Drift and data quality of the latest scoring run. Exit code 0: no retrain needed;
    4: a retrain is needed (drift or quality crossed the spec's thresholds)."""
    from lakestep.commands import monitor_models

    def body() -> None:
        with options().connect() as platform:
            results = monitor_models(platform, model or None, scoring_date=_date(day))
            console.print(monitor_table(results))
            if any(r.retrain for r in results):
                err_console.print("[yellow]retrain needed:[/] " + ", ".join(
                    r.model for r in results if r.retrain))
                raise typer.Exit(RETRAIN_EXIT_CODE)

    guarded(body)


@app.command("run")
def run(
    scale: int = typer.Option(DEFAULT_RUN_SCALE, "--scale", min=100,
                              help="Demo bookings to generate."),
    seed: int = typer.Option(7, "--seed"),
    drift: bool = typer.Option(False, "--drift", help="Add the shifted scoring period."),
    stack: bool = typer.Option(
        False, "--stack", help="Run against the local stack: the servers of `lakestep stack up` "
        "under the same --home, or those --spark-remote/--tracking-uri (LAKESTEP_*) name."),
) -> None:
    """The whole pipeline: gold data → features → train → gate → score → monitor."""
    from lakestep.commands import run_pipeline

    def body() -> None:
        with options().connect(**_stack_endpoints(stack)) as platform:
            result = run_pipeline(platform, scale=scale, seed=seed, drift=drift)
            console.print(tables_table(platform, [g.name for g in result.gold]))
            console.print(gate_table(result.gates))
            console.print(score_table(result.scores))
            console.print(monitor_table(result.monitors))
            console.print(timings_table(result.steps))
            console.print(where(platform))

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


RETRAIN_EXIT_CODE = 4


def _chosen_models(models: list[str] | None, all_models: bool) -> list[str] | None:
    if models and all_models:
        raise LakestepError("--model and --all are exclusive", "name models or say --all")
    if not models and not all_models:
        raise LakestepError("no model chosen", "pass --model NAME (repeatable) or --all")
    return list(models) if models else None


def _date(text: str | None) -> Any:
    if text is None:
        return None
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise LakestepError(f"--date {text!r} is not a date", "use YYYY-MM-DD") from None


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


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        err_console.print("[red]interrupted[/]")
        sys.exit(130)
