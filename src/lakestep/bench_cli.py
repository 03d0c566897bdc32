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
# command → (module whose main(argv) it runs, one line of help)
COMMANDS = {
    "scoring": ("lakestep.bench.scoring", "Scoring throughput vs the xgboost ceiling, toPandas "
                "and spark_udf (--rows N --json)."),
    "features": ("lakestep.bench.features", "Feature builds and point-in-time training sets by "
                 "scale (--bookings 250000,1000000)."),
    "run": ("lakestep.bench.pipeline", "`lakestep run` on the demo data, wall time per step "
            "(--scale N --repeats R)."),
    "engine": ("lakestep.bench.engine", "Engine start: embedded Sail vs a local JVM Spark "
               "session (--repeats R)."),
    "tests": ("lakestep.bench.suite", "The test suite's wall time and time by folder "
              "(--repeats R; from a checkout)."),
    "all": ("lakestep.bench.report", "Everything → docs/benchmarks.md and bench/results/ "
            "(`make bench`; --quick, --only)."),
}


def _forwarder(module: str) -> Callable[[typer.Context], None]:
    def forward(ctx: typer.Context) -> None:
        import importlib

        importlib.import_module(module).main(list(ctx.args))

    return forward


for _name, (_module, _help) in COMMANDS.items():
    bench_app.command(_name, context_settings=_PASS_THROUGH, help=_help + " --help for all "
                      "options.")(_forwarder(_module))
