"""Read ``databricks.yml`` and its ``include`` files for one target.

This follows the Databricks CLI closely enough to run a job locally: included files are
merged (a resource declared twice is an error naming both files), the target's
``variables``, ``resources``, ``presets``, ``workspace``, ``run_as`` and ``permissions``
override the top level (job ``tasks`` and ``environments`` merge by key, as in the CLI),
development mode pauses schedules unless a job says otherwise, and ``${...}`` references
are resolved. What only a deployment knows (job ids, the dev-mode name prefix of Unity
Catalog schemas) is left out on purpose: locally the tables keep their plain names.
"""

from __future__ import annotations

import copy
import getpass
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from lakestep.bundle.interpolate import resolve
from lakestep.bundle.model import Bundle, build_job
from lakestep.errors import BundleError, cap_list

BUNDLE_FILE = "databricks.yml"
LOCAL_TARGET = "local"

# Top-level keys an included file may carry; anything else belongs in databricks.yml.
_INCLUDABLE = ("resources", "targets", "variables", "artifacts")
# Target keys that replace (or deep-merge into) the top-level key of the same name.
_TARGET_OVERRIDES = ("workspace", "presets", "artifacts", "run_as", "permissions", "mode", "sync")
# Lists the CLI merges item by item (by this key) when a target overrides a resource.
_KEYED_LISTS = {
    "tasks": "task_key",
    "environments": "environment_key",
    "job_clusters": "job_cluster_key",
    "parameters": "name",
}


def load_bundle(
    root: str | Path,
    target: str | None = None,
    *,
    variables: Mapping[str, Any] | None = None,
    user: str | None = None,
) -> Bundle:
    """Read the bundle under ``root`` for ``target`` (the default target when None).

    ``variables`` override variable values like ``--var name=value`` does for the CLI.
    ``target="local"`` is accepted even when undeclared: the variable defaults, no
    overrides. ``user`` stands in for the workspace user in ``${workspace.*}``.
    """
    root = Path(root).resolve()
    document, owners, files = _read_documents(root)
    name = str((document.get("bundle") or {}).get("name") or "")
    if not name:
        raise BundleError(f"{root / BUNDLE_FILE} has no bundle.name", "add `bundle: {name: ...}`")
    target_name, target_spec = _choose_target(document, target, root)
    merged = _apply_target(document, target_spec)
    values = _variable_values(document, target_spec, variables or {})
    _apply_presets(merged)
    _default_workspace_paths(merged, name, target_name)
    bundle_context = {"name": name, "target": target_name, "git": _git(root)}
    user_context = {"userName": user or getpass.getuser(), "short_name": user or getpass.getuser()}

    def context_of(tree: Mapping[str, Any]) -> Mapping[str, Any]:
        workspace = dict(tree["document"].get("workspace") or {})
        workspace["current_user"] = user_context
        return {
            "var": tree["variables"],
            "bundle": bundle_context,
            "workspace": workspace,
            "resources": tree["document"].get("resources") or {},
        }

    resolved = resolve({"document": merged, "variables": values}, context_of)
    config = resolved["document"]
    jobs_spec = (config.get("resources") or {}).get("jobs") or {}
    jobs = {key: build_job(key, spec, owners.get(("jobs", key))) for key, spec in jobs_spec.items()}
    return Bundle(
        name=name,
        target=target_name,
        root=root,
        mode=config.get("mode"),
        variables=resolved["variables"],
        config=config,
        jobs=jobs,
        files=tuple(files),
    )


# -- files --------------------------------------------------------------------------------


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except OSError as exc:
        raise BundleError(f"cannot read {path}: {exc}", "check the path and permissions") from exc
    except yaml.YAMLError as exc:
        raise BundleError(f"{path} is not valid YAML: {exc}", "fix the syntax") from exc
    if not isinstance(document, dict):
        raise BundleError(f"{path} is not a YAML mapping", "a bundle file is a mapping of keys")
    return document


def _read_documents(root: Path) -> tuple[dict[str, Any], dict[tuple[str, str], Path], list[Path]]:
    """The root document with every included file merged in, and who declared what."""
    main = root / BUNDLE_FILE
    if not main.is_file():
        raise BundleError(
            f"no {BUNDLE_FILE} in {root}",
            "run from the repository root or pass the bundle directory",
        )
    document = _read_yaml(main)
    owners = {
        (kind, key): main
        for kind, items in (document.get("resources") or {}).items()
        for key in (items or {})
    }
    files = [main]
    for pattern in document.get("include") or []:
        for path in sorted(root.glob(str(pattern))):
            _merge_include(document, _read_yaml(path), path, owners)
            files.append(path)
    return document, owners, files


def _merge_include(
    document: dict[str, Any],
    included: Mapping[str, Any],
    path: Path,
    owners: dict[tuple[str, str], Path],
) -> None:
    for key, value in included.items():
        if key not in _INCLUDABLE:
            raise BundleError(
                f"{path}: {key!r} may only be set in {BUNDLE_FILE}",
                f"included files may carry {cap_list(_INCLUDABLE)}",
            )
        if key == "resources":
            _merge_resources(document, value or {}, path, owners)
        elif key == "targets":
            document["targets"] = merge(document.get("targets") or {}, value or {})
        else:
            section = document.setdefault(key, {})
            clash = sorted(set(section) & set(value or {}))
            if clash:
                raise BundleError(f"{path}: {key} {cap_list(clash)} already declared",
                                  "declare each once")
            section.update(value or {})


def _merge_resources(
    document: dict[str, Any],
    resources: Mapping[str, Any],
    path: Path,
    owners: dict[tuple[str, str], Path],
) -> None:
    section = document.setdefault("resources", {})
    for kind, items in resources.items():
        for key, spec in (items or {}).items():
            if (kind, key) in owners:
                raise BundleError(
                    f"resource {kind}.{key} is declared in both {owners[(kind, key)]} and {path}",
                    "rename one of them; resource keys are unique per type",
                )
            owners[(kind, key)] = path
            section.setdefault(kind, {})[key] = spec


# -- targets ------------------------------------------------------------------------------


def _choose_target(
    document: Mapping[str, Any], target: str | None, root: Path
) -> tuple[str, Mapping[str, Any]]:
    targets = document.get("targets") or {}
    if target is None:
        defaults = [name for name, spec in targets.items() if (spec or {}).get("default")]
        if len(defaults) != 1:
            raise BundleError(
                f"{root / BUNDLE_FILE} declares {len(defaults)} default targets",
                f"pass a target: {cap_list(targets) or LOCAL_TARGET}",
            )
        target = defaults[0]
    if target in targets:
        return target, targets[target] or {}
    if target == LOCAL_TARGET:
        return target, {}
    raise BundleError(
        f"target {target!r} is not defined in {root / BUNDLE_FILE}",
        f"defined targets: {cap_list(targets) or 'none'} ({LOCAL_TARGET!r} uses the defaults)",
    )


def _apply_target(document: Mapping[str, Any], spec: Mapping[str, Any]) -> dict[str, Any]:
    merged = {k: copy.deepcopy(v) for k, v in document.items() if k not in ("targets", "include")}
    if spec.get("resources"):
        merged["resources"] = merge(merged.get("resources") or {}, spec["resources"])
    for key in _TARGET_OVERRIDES:
        if key in spec:
            merged[key] = merge(merged.get(key), spec[key])
    return merged


def merge(base: Any, override: Any, parent: str | None = None) -> Any:
    """Deep-merge ``override`` into ``base`` as the CLI merges target overrides."""
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        out = dict(base)
        for key, value in override.items():
            out[key] = merge(base[key], value, key) if key in base else copy.deepcopy(value)
        return out
    id_key = _KEYED_LISTS.get(parent or "")
    if id_key and _all_mappings(base) and _all_mappings(override):
        out_list = list(base)
        index = {item.get(id_key): i for i, item in enumerate(out_list)}
        for item in override:
            if item.get(id_key) in index:
                position = index[item.get(id_key)]
                out_list[position] = merge(out_list[position], item)
            else:
                out_list.append(copy.deepcopy(item))
        return out_list
    return copy.deepcopy(override)


def _all_mappings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, Mapping) for item in value)


def _variable_values(
    document: Mapping[str, Any], target_spec: Mapping[str, Any], overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """Defaults, then the target's values, then explicit overrides (like ``--var``)."""
    declared = document.get("variables") or {}
    values = {
        name: spec["default"]
        for name, spec in declared.items()
        if isinstance(spec, Mapping) and "default" in spec
    }
    for name, value in (target_spec.get("variables") or {}).items():
        if isinstance(value, Mapping):
            if "default" in value:
                values[name] = value["default"]
        else:
            values[name] = value
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise BundleError(f"unknown bundle variable(s) {cap_list(unknown)}",
                          f"declared variables: {cap_list(sorted(declared))}")
    values.update(overrides)
    return values


def _apply_presets(merged: dict[str, Any]) -> None:
    """Pause status and tags from ``presets``; development mode pauses by default."""
    presets = dict(merged.get("presets") or {})
    if merged.get("mode") == "development":
        presets.setdefault("trigger_pause_status", "PAUSED")
    pause = presets.get("trigger_pause_status")
    for job in ((merged.get("resources") or {}).get("jobs") or {}).values():
        if not isinstance(job, dict):
            continue
        for field in ("schedule", "trigger", "continuous"):
            if pause and isinstance(job.get(field), dict):
                job[field].setdefault("pause_status", pause)
        for tag, value in (presets.get("tags") or {}).items():
            job.setdefault("tags", {}).setdefault(tag, value)


def _default_workspace_paths(merged: dict[str, Any], name: str, target: str) -> None:
    workspace = merged.setdefault("workspace", {}) or {}
    merged["workspace"] = workspace
    home = "/Workspace/Users/${workspace.current_user.userName}"
    workspace.setdefault("root_path", f"{home}/.bundle/{name}/{target}")
    for key, folder in (("file_path", "files"), ("artifact_path", "artifacts"),
                        ("state_path", "state")):
        workspace.setdefault(key, f"${{workspace.root_path}}/{folder}")


def _git(root: Path) -> dict[str, str]:
    """``${bundle.git.commit}`` and ``${bundle.git.branch}``, as the Databricks CLI fills
    them from the checkout being deployed (``unknown`` outside a git checkout)."""
    import subprocess

    def ask(*args: str) -> str:
        try:
            done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                                  timeout=5, check=False)
        except (OSError, subprocess.SubprocessError):
            return "unknown"
        return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else "unknown"

    return {"commit": ask("rev-parse", "HEAD"), "branch": ask("rev-parse", "--abbrev-ref", "HEAD")}
