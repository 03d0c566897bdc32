"""One entry point per bundle task kind (``python_wheel_task``).

Each is a console script declared in ``pyproject.toml``; the bundle passes the target and
the variables as arguments. A task fails by exiting non-zero — a failed gate, a scoring
error or a retrain signal are exit codes, never a print — so Databricks marks the task
FAILED without ``dbutils.notebook.exit``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any

from lakestep.errors import LakestepError

log = logging.getLogger("lakestep.jobs")

EXIT_OK = 0
EXIT_ERROR = 1

# Settings each entry point accepts, as --flag → settings field.
SETTINGS_FLAGS = {
    "catalog": "catalog",
    "gold-schema": "gold_schema",
    "features-schema": "features_schema",
    "ml-schema": "ml_schema",
    "monitoring-schema": "monitoring_schema",
    "project-name": "project_name",
    "tracking-uri": "tracking_uri",
    "spark-remote": "spark_remote",
}


def base_parser(prog: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--target", choices=("local", "dev", "prod"), default=None)
    parser.add_argument("--home", default=None)
    parser.add_argument("--project", default=None, help="project directory")
    for flag in SETTINGS_FLAGS:
        parser.add_argument(f"--{flag}", default=None)
    return parser


def connect_from(args: argparse.Namespace) -> Any:
    import lakestep

    overrides = {field: getattr(args, flag.replace("-", "_")) for flag, field in
                 SETTINGS_FLAGS.items()}
    if overrides.get("tracking_uri"):
        overrides["registry_uri"] = overrides["tracking_uri"]
    return lakestep.connect(
        target=args.target, home=args.home, project=args.project,
        **{k: v for k, v in overrides.items() if v},
    )


def run_task(name: str, body: Callable[[], int | None]) -> int:
    """Run a task body; map errors to exit codes with one clear line on stderr."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        code = body()
    except LakestepError as exc:
        print(f"lakestep {name} failed: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return exc.exit_code
    return EXIT_OK if code is None else code


def _exit(code: int) -> None:
    # Databricks treats a python_wheel_task as failed when the entry point raises
    # SystemExit with a non-zero code.
    if code != EXIT_OK:
        sys.exit(code)


def demo_data(argv: Sequence[str] | None = None) -> None:
    """Task: generate the demo gold layer (dev only; prod reads real gold tables)."""
    parser = base_parser("lakestep-demo-data", demo_data.__doc__ or "")
    parser.add_argument("--scale", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--drift", action="store_true")
    args = parser.parse_args(argv)

    def body() -> None:
        from lakestep.commands import build_demo_data

        with connect_from(args) as platform:
            build_demo_data(platform, scale=args.scale, seed=args.seed, drift=args.drift)

    _exit(run_task("demo-data", body))


def _models(args: argparse.Namespace) -> list[str] | None:
    return list(args.model) if args.model else None


def _model_parser(prog: str, description: str) -> argparse.ArgumentParser:
    parser = base_parser(prog, description)
    parser.add_argument("--model", action="append", default=None,
                        help="model name (repeatable; default: every model spec)")
    return parser


def features(argv: Sequence[str] | None = None) -> None:
    """Task: build the feature tables and label tables from the gold layer."""
    parser = base_parser("lakestep-features", features.__doc__ or "")
    parser.add_argument("--table", action="append", default=None)
    args = parser.parse_args(argv)

    def body() -> None:
        from lakestep.commands import build_features

        with connect_from(args) as platform:
            build_features(platform, tables=args.table)

    _exit(run_task("features", body))


def train(argv: Sequence[str] | None = None) -> None:
    """Task: train, log and register models (each new version gets @challenger)."""
    parser = _model_parser("lakestep-train", train.__doc__ or "")
    parser.add_argument("--git-sha", default=None,
                        help="commit of the deployed source (the bundle passes "
                             "${bundle.git.commit}); default: asked from git")
    args = parser.parse_args(argv)

    def body() -> None:
        from lakestep.bundle import set_task_value
        from lakestep.commands import train as train_models

        with connect_from(args) as platform:
            results = train_models(platform, _models(args), git_sha=args.git_sha)
        for result in results:
            set_task_value(f"{result.model}_version", result.version)

    _exit(run_task("train", body))


def gate(argv: Sequence[str] | None = None) -> None:
    """Task: gate @challenger (or --version); exit code 3 when the gate fails."""
    parser = _model_parser("lakestep-gate", gate.__doc__ or "")
    parser.add_argument("--version", default=None)
    args = parser.parse_args(argv)

    def body() -> None:
        from lakestep.commands import gate_models

        with connect_from(args) as platform:
            gate_models(platform, _models(args), version=args.version)

    _exit(run_task("gate", body))


def score(argv: Sequence[str] | None = None) -> None:
    """Task: batch-score the latest rows of each model into its predictions table."""
    parser = _model_parser("lakestep-score", score.__doc__ or "")
    parser.add_argument("--alias", default="champion")
    parser.add_argument("--version", default=None)
    parser.add_argument("--date", default=None, help="scoring date YYYY-MM-DD")
    args = parser.parse_args(argv)

    def body() -> None:
        from datetime import date

        from lakestep.commands import score_models

        day = date.fromisoformat(args.date) if args.date else None
        with connect_from(args) as platform:
            score_models(platform, _models(args), alias=args.alias, version=args.version,
                         scoring_date=day)

    _exit(run_task("score", body))


EXIT_RETRAIN = 4


def monitor(argv: Sequence[str] | None = None) -> None:
    """Task: drift and quality of the latest scoring run; always publishes the task value
    ``retrain_needed``. With ``--retrain-signal=exit-code`` a needed retrain is also exit
    code 4 (for schedulers without task values)."""
    parser = _model_parser("lakestep-monitor", monitor.__doc__ or "")
    parser.add_argument("--date", default=None, help="scoring date YYYY-MM-DD")
    parser.add_argument("--retrain-signal", choices=("exit-code", "task-value"),
                        default="exit-code")
    args = parser.parse_args(argv)

    def body() -> int:
        from datetime import date

        from lakestep.bundle import set_task_value
        from lakestep.commands import monitor_models

        day = date.fromisoformat(args.date) if args.date else None
        with connect_from(args) as platform:
            results = monitor_models(platform, _models(args), scoring_date=day)
        needed = sorted(r.model for r in results if r.retrain)
        set_task_value("retrain_needed", bool(needed))
        set_task_value("retrain_models", needed)
        if needed:
            log.warning("retrain needed for %s", ", ".join(needed))
        return EXIT_RETRAIN if needed and args.retrain_signal == "exit-code" else EXIT_OK

    _exit(run_task("monitor", body))
