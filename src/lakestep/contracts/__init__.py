"""Gold-table contracts: one YAML file per table, and the checks that enforce them.

::

    from lakestep.contracts import get_contract, validate, current_rows
    contract = get_contract("dim_customer")
    validate(df, contract)                 # raises one ContractViolation listing every problem
    current_rows(df, contract)             # SCD2 only: the rows with is_current

The demo gold contracts ship inside the package (``lakestep/contracts/gold/*.yml``); a
project brings its own folder with ``load_contracts(<project>/contracts)``.
"""

from lakestep.contracts.checks import Rule, ValidationReport, current_rows, validate
from lakestep.contracts.loader import get_contract, load_contract, load_contracts, parse_contract
from lakestep.contracts.model import (
    EFFECTIVE_FROM,
    EFFECTIVE_TO,
    IS_CURRENT,
    ColumnSpec,
    Contract,
)
from lakestep.contracts.types import parse_type

__all__ = [
    "EFFECTIVE_FROM",
    "EFFECTIVE_TO",
    "IS_CURRENT",
    "ColumnSpec",
    "Contract",
    "Rule",
    "ValidationReport",
    "current_rows",
    "get_contract",
    "load_contract",
    "load_contracts",
    "parse_contract",
    "parse_type",
    "validate",
]
