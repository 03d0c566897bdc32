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
