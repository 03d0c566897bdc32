"""``lakestep bench …``: the benchmarks from the command line (``make bench`` runs ``all``).

Mounted by :mod:`lakestep.cli` as ``app.add_typer(bench_app, name="bench")``. Each command
hands its arguments to the benchmark module's own ``main`` (``lakestep.bench.<name>``), so
``lakestep bench scoring --rows N --json`` and ``python -m lakestep.bench.scoring --rows N
--json`` are the same program. Benchmarks measure; they never run in the test suite.
"""

from __future__ import annotations

from collections.abc import Callable

import typer

bench_app = typer.Typer(
    help="Measure scoring, features, `lakestep run`, engine start and the test suite.",
    no_args_is_help=True,
    add_completion=False,
)
_PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True,
                 "help_option_names": []}


def _forward(main: Callable[[list[str]], None], ctx: typer.Context) -> None:
    main(list(ctx.args))


@bench_app.command("scoring", context_settings=_PASS_THROUGH)
def scoring(ctx: typer.Context) -> None:
    """Scoring throughput vs the xgboost ceiling, toPandas and spark_udf (--rows N --json)."""
    from lakestep.bench.scoring import main

    _forward(main, ctx)


@bench_app.command("features", context_settings=_PASS_THROUGH)
def features(ctx: typer.Context) -> None:
    """Feature builds and point-in-time training sets by scale (--bookings 250000,1000000)."""
    from lakestep.bench.features import main

    _forward(main, ctx)


@bench_app.command("run", context_settings=_PASS_THROUGH)
def run(ctx: typer.Context) -> None:
    """`lakestep run` on the demo data, wall time per step (--scale N --repeats R)."""
    from lakestep.bench.pipeline import main

    _forward(main, ctx)


@bench_app.command("engine", context_settings=_PASS_THROUGH)
def engine(ctx: typer.Context) -> None:
    """Engine start: embedded Sail vs a local JVM Spark session (--repeats R)."""
    from lakestep.bench.engine import main

    _forward(main, ctx)


@bench_app.command("tests", context_settings=_PASS_THROUGH)
def tests(ctx: typer.Context) -> None:
    """The test suite's wall time and time by folder (--repeats R; from a checkout)."""
    from lakestep.bench.suite import main

    _forward(main, ctx)


@bench_app.command("all", context_settings=_PASS_THROUGH)
def all_(ctx: typer.Context) -> None:
    """Everything → docs/benchmarks.md and bench/results/ (`make bench`; --quick, --only)."""
    from lakestep.bench.report import main

    _forward(main, ctx)
