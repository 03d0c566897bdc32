"""``lakestep stack up|down|status|restart``: the native local stack from the command line.

Mounted by :mod:`lakestep.cli` as ``app.add_typer(stack_app, name="stack")``. The stack's
home is ``--home`` of the sub-command, else the global ``lakestep --home``, else the
lakestep home from the settings (``LAKESTEP_HOME``, ``.lakestep/``), so ``lakestep run
--stack`` finds the same stack. Options not given to ``up`` keep the values it saved last.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from lakestep.errors import LakestepError

if TYPE_CHECKING:
    from lakestep.config import Settings
    from lakestep.stack import StackConfig, StackStatus

T = TypeVar("T")

stack_app = typer.Typer(
    help="Run PostgreSQL, an MLflow server and a Sail server as local processes.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)

HOME_HELP = "lakestep home; the stack keeps its state in <home>/stack (default .lakestep/)."


def _guarded(ctx: typer.Context, action: Callable[[], T]) -> T:
    """A LakestepError becomes its message, its hint and its exit code (--debug re-raises)."""
    try:
        return action()
    except LakestepError as exc:
        if ctx.find_root().params.get("debug"):
            raise
        err_console.print(f"[bold red]error:[/] {exc.message}", highlight=False)
        if exc.hint:
            err_console.print(f"[yellow]hint:[/] {exc.hint}", highlight=False)
        raise typer.Exit(exc.exit_code) from None


def _settings(ctx: typer.Context, home: Path | None) -> Settings:
    from lakestep.config import load_settings

    root = ctx.find_root().params
    return load_settings("local", home=home or root.get("home"), project_dir=root.get("project"))


def _config(ctx: typer.Context, home: Path | None, **overrides: Any) -> StackConfig:
    from lakestep.stack import StackConfig

    settings = _settings(ctx, home)
    # The engine's memory follows LAKESTEP_ENGINE_MEMORY on every `up` (not the saved value).
    return StackConfig.load(settings.home, **overrides, engine_memory=settings.engine_memory)


@stack_app.command("up")
def up_command(
    ctx: typer.Context,
    home: Path = typer.Option(None, "--home", help=HOME_HELP),
    spark_port: int = typer.Option(None, "--spark-port", help="Sail server port [50051]."),
    mlflow_port: int = typer.Option(None, "--mlflow-port", help="MLflow server port [5000]."),
    postgres_port: int = typer.Option(
        None, "--postgres-port", help="Port of the stack's own PostgreSQL cluster [5432]."),
    postgres_uri: str = typer.Option(
        None, "--postgres-uri",
        help="Use this PostgreSQL server (postgresql://user:pw@host:port/db) as MLflow's store."),
    sqlite: bool = typer.Option(None, "--sqlite/--no-sqlite",
                                help="Force MLflow onto SQLite (no PostgreSQL)."),
    catalog: list[str] = typer.Option(
        None, "--catalog", help="Catalog the Sail server knows (repeatable) [main]."),
    free_ports: bool = typer.Option(False, "--free-ports",
                                    help="Pick three free ports instead of the defaults."),
    timeout: float = typer.Option(None, "--timeout", help="Seconds to wait per service [120]."),
) -> None:
    """Start the stack (a no-op for services that already run and answer)."""
    from lakestep.stack import up

    def body() -> None:
        config = _config(ctx, home, spark_port=spark_port, mlflow_port=mlflow_port,
                         postgres_port=postgres_port, postgres_uri=postgres_uri, sqlite=sqlite,
                         catalogs=tuple(catalog) if catalog else None, start_timeout=timeout)
        if free_ports:
            config = config.with_free_ports()
        status = up(config)
        _print_status(status)
        console.print(f"run the pipeline on it: [bold]lakestep --home {config.home} run "
                      "--stack[/]", highlight=False)

    _guarded(ctx, body)


@stack_app.command("down")
def down_command(
    ctx: typer.Context,
    home: Path = typer.Option(None, "--home", help=HOME_HELP),
    purge: bool = typer.Option(
        False, "--purge",
        help="Also delete <home>/stack: MLflow's runs, models and artifacts, logs. "
        "Tables in <home>/lakehouse are kept."),
) -> None:
    """Stop every service the stack started."""
    from lakestep.stack import down

    _guarded(ctx, lambda: _print_status(down(_config(ctx, home), purge=purge)))


@stack_app.command("status")
def status_command(
    ctx: typer.Context,
    home: Path = typer.Option(None, "--home", help=HOME_HELP),
) -> None:
    """Show each service (state, pid, port, log); exit code 1 unless all are up."""
    from lakestep.stack import status

    def body() -> None:
        current = status(_config(ctx, home))
        _print_status(current)
        if not current.healthy:
            raise typer.Exit(1)

    _guarded(ctx, body)


@stack_app.command("restart")
def restart_command(
    ctx: typer.Context,
    service: str = typer.Argument(None, help="postgres, mlflow or spark (default: all)."),
    home: Path = typer.Option(None, "--home", help=HOME_HELP),
) -> None:
    """Stop and start one service, or all of them."""
    from lakestep.stack import restart

    _guarded(ctx, lambda: _print_status(restart(_config(ctx, home), service)))


def _print_status(status: StackStatus) -> None:
    backend = status.backend.shown_uri if status.backend else "not chosen yet"
    table = Table(title=f"lakestep stack under {status.config.state_dir}")
    for column in ("service", "state", "pid", "port", "log"):
        table.add_column(column, overflow="fold")
    for service in status.services:
        state = f"[green]{service.state}[/]" if service.healthy else f"[red]{service.state}[/]"
        table.add_row(service.name, state, str(service.pid or "-"), str(service.port or "-"),
                      str(service.log_file or "-"))
    console.print(table)
    console.print(f"MLflow backend store: {backend}", highlight=False)
    for key, value in status.endpoints.items():
        console.print(f"{key} = {value}", highlight=False)
