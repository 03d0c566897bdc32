"""Loading contracts: the packaged gold contracts, or a user project's ``contracts/`` folder.

A contract file is ``<table>.yml``. Any problem — YAML syntax, an unknown key, a bad type,
a primary key naming a missing column — becomes one :class:`ContractError` of one line
naming the file and the problem.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from lakestep.contracts.model import ColumnSpec, Contract
from lakestep.errors import ContractError, cap_list

SUFFIXES = (".yml", ".yaml")
PACKAGED = "gold"  # folder of lakestep/contracts holding the demo gold-layer contracts


def load_contract(path: str | Path) -> Contract:
    """Parse and check one contract file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ContractError(f"contract {path}: cannot be read ({exc.strerror})") from exc
    return parse_contract(text, str(path))


def parse_contract(text: str, source: str) -> Contract:
    """Parse contract YAML ``text``; ``source`` names the file in every error."""
    label = Path(source).name
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise ContractError(f"contract {label}: malformed YAML{where}: {problem}",
                            "fix the YAML syntax") from None
    if not isinstance(document, dict):
        raise ContractError(f"contract {label}: expected a mapping with table, columns, "
                            f"primary_key…, got {type(document).__name__}")
    try:
        contract = Contract.model_validate(document)
    except ValidationError as exc:
        raise ContractError(f"contract {label}: {_describe(exc, document)}",
                            "see docs/demo-data.md for the contract format") from None
    stem = Path(source).stem
    if Path(source).suffix in SUFFIXES and stem != contract.table:
        raise ContractError(
            f"contract {label}: declares table {contract.table!r} but the file is named {stem!r}",
            f"rename the file to {contract.table}.yml",
        )
    return contract.with_source(source)


def load_contracts(directory: str | Path | None = None) -> dict[str, Contract]:
    """Every contract of a folder by table name; the packaged gold contracts by default.

    ``directory`` is a user project's ``contracts/`` folder of ``<table>.yml`` files.
    """
    if directory is None:
        return dict(_packaged())
    folder = Path(directory)
    if not folder.is_dir():
        raise ContractError(f"contracts folder {folder} does not exist",
                            "create it with one <table>.yml per table")
    files = sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES and p.is_file())
    return _by_table(((p.name, p.read_text(encoding="utf-8"), str(p)) for p in files), folder)


def get_contract(table: str, directory: str | Path | None = None) -> Contract:
    """The contract of one table, or a :class:`ContractError` listing the known tables."""
    contracts = load_contracts(directory)
    if table not in contracts:
        raise ContractError(f"no contract for table {table!r}",
                            f"known contracts: {cap_list(sorted(contracts))}")
    return contracts[table]


@cache
def _packaged() -> tuple[tuple[str, Contract], ...]:
    folder: Traversable = resources.files("lakestep.contracts") / PACKAGED
    entries = sorted((e for e in folder.iterdir() if e.name.endswith(SUFFIXES)),
                     key=lambda e: e.name)
    contracts = _by_table(((e.name, e.read_text(encoding="utf-8"), f"lakestep/contracts/"
                            f"{PACKAGED}/{e.name}") for e in entries), folder)
    return tuple(contracts.items())


def _by_table(files: Iterable[tuple[str, str, str]], folder: Any) -> dict[str, Contract]:
    contracts: dict[str, Contract] = {}
    for name, text, source in files:
        contract = parse_contract(text, source)
        if contract.table in contracts:
            raise ContractError(f"contract {name}: table {contract.table} is declared twice "
                                f"in {folder}")
        contracts[contract.table] = contract
    if not contracts:
        raise ContractError(f"no contracts (*.yml) in {folder}",
                            "add one <table>.yml per table")
    return contracts


def _describe(exc: ValidationError, document: dict[str, Any]) -> str:
    """pydantic's errors as one line: where (column names, not indexes) and what."""
    parts = []
    for error in exc.errors(include_url=False):
        where = _location(error["loc"], document)
        if error["type"] == "extra_forbidden":
            model = ColumnSpec if "columns" in map(str, error["loc"][:1]) else Contract
            allowed = ", ".join(model.model_fields)
            key = error["loc"][-1]
            parent = _location(error["loc"][:-1], document)
            parts.append(f"{parent + ': ' if parent else ''}unknown key {key!r} "
                         f"(allowed: {allowed})")
            continue
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts[:5]) + (f"; and {len(parts) - 5} more" if len(parts) > 5 else "")


def _location(loc: tuple[Any, ...], document: dict[str, Any]) -> str:
    parts: list[str] = []
    for i, item in enumerate(loc):
        if isinstance(item, int) and i > 0 and loc[i - 1] == "columns":
            columns = document.get("columns")
            name = None
            if isinstance(columns, list) and item < len(columns) and isinstance(columns[item], dict):
                name = columns[item].get("name")
            parts[-1] = f"column {name}" if name else f"columns[{item}]"
        elif isinstance(item, str) and item.startswith(("function-", "union[")):
            continue  # pydantic's internal validator labels say nothing to a contract author
        else:
            parts.append(str(item))
    return ".".join(parts)
