"""``${...}`` references in bundle configuration, resolved the way the Databricks CLI does.

Supported: ``${var.<name>}``, ``${bundle.name}``, ``${bundle.target}``,
``${bundle.git.commit}``, ``${bundle.git.branch}``, ``${workspace.*}``
(``root_path``, ``file_path``, ``artifact_path``, ``state_path``, ``current_user.userName``,
``current_user.short_name``) and ``${resources.<type>.<key>.<field>}`` for any field that
is declared in the configuration. ``${resources.jobs.<key>.id}`` and anything else only a
deployment knows stay as written; the runner reads job ids itself and reports any other
leftover reference in a task it is asked to run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from lakestep.errors import BundleError

REFERENCE = re.compile(r"\$\{([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\d+\])+)\}")
_WHOLE = re.compile(rf"^{REFERENCE.pattern}$")
_MAX_PASSES = 10  # references may point at references; bounded so a cycle cannot hang


class _Missing:
    """Marker for a reference this process cannot resolve."""


MISSING = _Missing()

Lookup = Callable[[str], Any]


def path_lookup(context: Mapping[str, Any]) -> Lookup:
    """A lookup that walks ``a.b[0].c`` through nested mappings and lists."""

    def lookup(path: str) -> Any:
        node: Any = context
        for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
            if part.startswith("["):
                index = int(part[1:-1])
                if not isinstance(node, list) or index >= len(node):
                    return MISSING
                node = node[index]
            elif isinstance(node, Mapping) and part in node:
                node = node[part]
            else:
                return MISSING
        return node

    return lookup


def substitute(value: Any, lookup: Lookup) -> Any:
    """One pass over a tree: replace every resolvable reference, keep the others."""
    if isinstance(value, Mapping):
        return {key: substitute(item, lookup) for key, item in value.items()}
    if isinstance(value, list):
        return [substitute(item, lookup) for item in value]
    if not isinstance(value, str) or "${" not in value:
        return value
    whole = _WHOLE.match(value)
    if whole:
        # A value that is exactly one reference takes the referenced value's type
        # (a complex variable stays a mapping, an integer stays an integer).
        found = lookup(whole.group(1))
        return value if found is MISSING else found

    def replace(match: re.Match[str]) -> str:
        found = lookup(match.group(1))
        return match.group(0) if found is MISSING else _as_text(found)

    return REFERENCE.sub(replace, value)


def resolve(tree: Any, context_of: Callable[[Any], Mapping[str, Any]]) -> Any:
    """Substitute until nothing changes; ``context_of(tree)`` gives the lookup roots.

    Each pass reads from the tree of the previous pass, so a job parameter that names
    ``${resources.schemas.gold.name}``, itself ``${var.gold_schema}``, resolves fully.
    """
    for _ in range(_MAX_PASSES):
        updated = substitute(tree, path_lookup(context_of(tree)))
        if updated == tree:
            return updated
        tree = updated
    raise BundleError(
        "bundle references do not settle after 10 passes",
        "two variables probably refer to each other; check databricks.yml variables",
    )


def leftover_references(value: Any) -> list[str]:
    """Every ``${...}`` still present in a tree (for error messages)."""
    if isinstance(value, Mapping):
        return [ref for item in value.values() for ref in leftover_references(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in leftover_references(item)]
    if isinstance(value, str):
        return [match.group(0) for match in REFERENCE.finditer(value)]
    return []


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
