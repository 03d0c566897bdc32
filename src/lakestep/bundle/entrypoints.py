"""``python_wheel_task`` → the command line of a local subprocess.

A wheel task names a package and an entry point. Locally the entry point is looked up
among the installed ``console_scripts`` (the metadata ``pyproject.toml`` declares), and run
as ``python -c <launcher> module:function name args...`` with the interpreter running the
runner — the same function the wheel calls on Databricks, with the same arguments, in a
fresh process so one task cannot leak state (a Spark session, MLflow globals) into another.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from lakestep.errors import BundleError, cap_list

LOCAL_TARGET = "local"

# Runs the entry point exactly as a console-script wrapper would: argv[0] is the script
# name, the return value becomes the exit code, an uncaught exception exits 1.
_LAUNCHER = (
    "import importlib, sys\n"
    "target, name = sys.argv[1], sys.argv[2]\n"
    "module, _, attr = target.partition(':')\n"
    "sys.argv = [name, *sys.argv[3:]]\n"
    "obj = importlib.import_module(module)\n"
    "for part in attr.split('.'):\n"
    "    obj = getattr(obj, part)\n"
    "sys.exit(obj())\n"
)


@dataclass(frozen=True)
class WheelCommand:
    """A resolved wheel task: which function, with which arguments."""

    package: str
    entry_point: str
    value: str  # "module:function", from the package metadata
    arguments: tuple[str, ...]

    def argv(self, arguments: Sequence[str] | None = None) -> list[str]:
        """The subprocess command; ``arguments`` replace the declared ones (after the
        runner resolved ``{{...}}`` values in them)."""
        chosen = self.arguments if arguments is None else tuple(arguments)
        return [sys.executable, "-c", _LAUNCHER, self.value, self.entry_point, *chosen]


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def resolve_entry_point(package: str, name: str, *, where: str) -> EntryPoint:
    """The installed console script ``name`` of distribution ``package``."""
    found = [ep for ep in entry_points(group="console_scripts") if ep.name == name]
    wanted = _normalise(package)
    ours = [ep for ep in found if ep.dist is None or _normalise(ep.dist.name) == wanted]
    if ours:
        return ours[0]
    owners = [ep.dist.name for ep in found if ep.dist is not None]
    detail = f" (it belongs to {cap_list(owners)})" if owners else ""
    raise BundleError(
        f"{where}: entry point {name!r} of package {package!r} is not installed{detail}",
        "declare it in [project.scripts] of pyproject.toml and reinstall (pip install -e .)",
    )


def wheel_arguments(spec: Mapping[str, Any], *, where: str) -> list[str]:
    """``parameters`` as given, or ``named_parameters`` as ``--key=value`` (never both)."""
    parameters = spec.get("parameters")
    named = spec.get("named_parameters")
    if parameters and named:
        raise BundleError(f"{where}: both parameters and named_parameters are set",
                          "Databricks accepts one of them; keep parameters")
    if named:
        return [f"--{key}={value}" for key, value in dict(named).items()]
    is_list = isinstance(parameters, Sequence) and not isinstance(parameters, str)
    if parameters is not None and not is_list:
        raise BundleError(f"{where}: parameters must be a list of strings", "one argument per item")
    return [str(item) for item in parameters or []]


def localize(arguments: Sequence[str], target: str = LOCAL_TARGET) -> list[str]:
    """Point ``--target`` at the local stack, keeping every other argument.

    The variables the bundle resolved for dev or prod (catalog, schemas, project) stay,
    so a local run uses the same names as the deployed job; only the platform changes.
    """
    out = list(arguments)
    for index, argument in enumerate(out):
        if argument == "--target" and index + 1 < len(out):
            out[index + 1] = target
        elif argument.startswith("--target="):
            out[index] = f"--target={target}"
    return out


def wheel_command(spec: Mapping[str, Any], *, where: str) -> WheelCommand:
    """Resolve a ``python_wheel_task`` mapping, or raise naming the task."""
    package = spec.get("package_name")
    name = spec.get("entry_point")
    if not package or not name:
        raise BundleError(f"{where}: python_wheel_task needs package_name and entry_point",
                          "see resources/training.yml for an example")
    entry = resolve_entry_point(str(package), str(name), where=where)
    arguments = localize(wheel_arguments(spec, where=where))
    return WheelCommand(str(package), str(name), entry.value, tuple(arguments))
