"""Publishing a gold table: write a frame that passed its contract, and label the table.

Shared by the demo generator (:mod:`lakestep.demo.build`) and a project's own data
(:mod:`lakestep.project_data`), so both gold layers carry the same table properties: the
contract's description as the comment, the contract file, and the primary key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from lakestep.contracts import Contract
    from lakestep.platform.base import Platform


@dataclass(frozen=True)
class TableSummary:
    """One written gold table: three-level ``name``, rows, new Delta version, seconds."""

    name: str
    table: str
    rows: int
    version: int
    seconds: float


def contract_properties(contract: Contract) -> dict[str, str]:
    """The table properties every gold table gets from its contract."""
    return {
        "comment": contract.description,
        "lakestep.contract": contract.source or contract.table,
        "primary_key": ",".join(contract.primary_key),
    }


def write_gold_table(platform: Platform, contract: Contract, df: DataFrame,
                     properties: Mapping[str, str]) -> int:
    """Overwrite ``{catalog}.{gold_schema}.<table>`` with the contract's columns of ``df``
    (already validated) and set the contract's properties plus ``properties``; returns the
    new Delta version."""
    name = platform.settings.gold(contract.table)
    platform.tables.write(name, df.select(*contract.column_names), mode="overwrite")
    return platform.tables.set_properties(name, {**contract_properties(contract), **properties})
