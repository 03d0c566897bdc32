"""load_gold: a project's own gold data (``<project>/data/<table>.csv|.parquet``) into Delta.

Every file is read with Spark, each column cast to its contract's type (a value that does
not parse, or a decimal that would be rounded, is a problem, not a silent null), and
checked against the contract. All files are checked before any table is written, so one
bad file leaves the whole gold layer as it was. Each problem of a file is reported at once
in one :class:`~lakestep.errors.ContractViolation` that names the file.

CSV files have a header row; empty fields are nulls; dates are ``YYYY-MM-DD``; timestamps
``YYYY-MM-DD HH:MM:SS`` in the session time zone (UTC in lakestep) or with an offset;
booleans ``true``/``false``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lakestep.contracts import Contract, Rule, validate
from lakestep.errors import ContractViolation, Problem, ProjectError, cap_list
from lakestep.gold import TableSummary, write_gold_table

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    from lakestep.platform.base import Platform
    from lakestep.project import Project

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]
DATA_SUFFIXES = (".csv", ".parquet")


@dataclass(frozen=True)
class DataFile:
    """One gold table's data file and its contract."""

    table: str
    path: Path
    contract: Contract


def data_files(project: Project) -> list[DataFile]:
    """Each ``data/<table>.<csv|parquet>`` paired with its contract, in table order.

    A file without a contract, a contract without a file, or two files for one table is one
    :class:`ProjectError` naming both sides.
    """
    folder = project.data_folder()
    contracts = project.contracts
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith((".", "_")):
            continue
        if path.suffix.lower() not in DATA_SUFFIXES:
            raise ProjectError(f"data file {path} is neither .csv nor .parquet",
                               f"remove it or convert it; {folder} holds <table>.csv files")
        if path.stem in found:
            raise ProjectError(f"table {path.stem} has two data files: {found[path.stem].name} "
                               f"and {path.name}", "keep one")
        found[path.stem] = path
    orphans = sorted(set(found) - set(contracts))
    if orphans:
        files = cap_list(str(found[t]) for t in orphans)
        raise ProjectError(f"data file(s) without a contract: {files}",
                           f"add {cap_list(f'contracts/{t}.yml' for t in orphans)} to "
                           f"{project.root}, or remove the file; contracts: "
                           f"{cap_list(sorted(contracts))}")
    empty = sorted(set(contracts) - set(found))
    if empty:
        raise ProjectError(f"contract(s) without data: {cap_list(contracts[t].source or t for t in empty)}",
                           f"add {cap_list(f'{folder}/{t}.csv' for t in empty)}, or remove the "
                           "contract")
    return [DataFile(table, found[table], contracts[table]) for table in sorted(found)]


def load_gold(platform: Platform, project: Project | None = None,
              progress: Progress | None = None) -> list[TableSummary]:
    """Check every data file of the project against its contract, then write the gold tables.

    ``project`` defaults to ``platform.project``. Re-running on the same files gives the
    same tables (each write is an overwrite, so the Delta version grows).
    """
    chosen = platform.project if project is None else project
    if chosen.is_demo:
        raise ProjectError("the demo has no data folder: its gold layer is generated",
                           "use `lakestep demo-data`, or pass --project DIR")
    started = time.perf_counter()
    checked: list[tuple[DataFile, DataFrame, int, float]] = []
    for data_file in data_files(chosen):
        began = time.perf_counter()
        df, rows = check_data_file(platform, data_file)
        seconds = time.perf_counter() - began
        _report(progress, f"{data_file.table}: {data_file.path.name} checked", seconds)
        checked.append((data_file, df, rows, seconds))
    summaries = []
    for data_file, df, rows, check_seconds in checked:
        began = time.perf_counter()
        source = str(data_file.path.relative_to(chosen.root)) if chosen.root else str(data_file.path)
        version = write_gold_table(platform, data_file.contract, df,
                                   {"lakestep.project": chosen.name, "lakestep.source": source})
        seconds = time.perf_counter() - began
        _report(progress, f"{data_file.table}: written", seconds)
        summaries.append(TableSummary(platform.settings.gold(data_file.table), data_file.table,
                                      rows, version, check_seconds + seconds))
    log.info("gold layer of project %s (%d tables) loaded in %.2fs", chosen.name,
             len(summaries), time.perf_counter() - started)
    return summaries


def check_data_file(platform: Platform, data_file: DataFile) -> tuple[DataFrame, int]:
    """The file read, cast to its contract's types and validated: ``(frame, rows)``.

    Raises one :class:`ContractViolation` naming the file with every problem: values that do
    not parse as their column's type and everything :func:`validate` finds.
    """
    raw = _read(platform, data_file)
    by_name = {c.name: c for c in data_file.contract.columns}
    types = dict(raw.dtypes)
    cast = {name: _cast(name, by_name[name].type, types[name]) for name in raw.columns
            if name in by_name and types[name] != by_name[name].type}
    df = raw.select(*[cast[name].alias(name) if name in cast else _column(name)
                      for name in raw.columns])
    problems = _cast_problems(raw, cast, data_file.contract)
    try:
        report = validate(df, data_file.contract, name=_label(data_file))
    except ContractViolation as exc:
        unparsed = {p.column for p in problems}
        problems += [p for p in exc.problems
                     if not (p.rule == Rule.NOT_NULL and p.column in unparsed)]
    if problems:
        raise ContractViolation(_label(data_file), problems)
    return df, report.rows


def _read(platform: Platform, data_file: DataFile) -> DataFrame:
    path = str(data_file.path.resolve())
    reader = platform.spark.read
    try:
        if data_file.path.suffix.lower() == ".csv":
            raw = reader.option("header", True).csv(path)
        else:
            raw = reader.parquet(path)
        raw.columns  # noqa: B018 - resolves the schema now, so a bad file fails here
    except Exception as exc:
        first_line = (str(exc).strip().splitlines() or [""])[0]
        raise ProjectError(f"cannot read {data_file.path}: {type(exc).__name__}: {first_line}",
                           "a CSV file needs a header row naming the contract's columns"
                           ) from exc
    return raw


def _label(data_file: DataFile) -> str:
    return f"{data_file.table} (data file {data_file.path})"


def _column(name: str) -> Column:
    """A column by its exact name: a header cell may hold dots or spaces (a file without a
    header row has data as its column names)."""
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


def _cast(column: str, spark_type: str, source_type: str) -> Column:
    from pyspark.sql import functions as F

    source = _column(column)
    if spark_type == "boolean" and source_type == "string":
        # Spark also reads yes/no/y/n/t/f/1/0 as booleans; a data file says true or false.
        text = F.lower(F.trim(source))
        return F.when(text == "true", True).when(text == "false", False) \
            .otherwise(F.lit(None).cast("boolean"))
    return source.try_cast(spark_type)


def _cast_problems(raw: DataFrame, cast: Mapping[str, Column],
                   contract: Contract) -> list[Problem]:
    """One aggregate pass: per cast column, values that did not parse (and, for decimals
    read as text, values the cast would round), with one sample value of each."""
    from pyspark.sql import functions as F

    checks: list[tuple[str, str, Column]] = []
    types = dict(raw.dtypes)
    for name, casted in cast.items():
        spark_type = contract.column(name).type
        checks.append((name, f"cannot be read as {spark_type}",
                       _column(name).isNotNull() & casted.isNull()))
        if spark_type.startswith("decimal") and types[name] == "string":
            exact = _column(name).try_cast("decimal(38,18)")
            checks.append((name, f"would be rounded to {spark_type}",
                           casted.isNotNull() & (casted != exact)))
    if not checks:
        return []
    aggregates = []
    for index, (name, _, failing) in enumerate(checks):
        aggregates.append(F.sum(F.when(failing, 1).otherwise(0)).alias(f"n{index}"))
        aggregates.append(F.min(F.when(failing, _column(name).cast("string")))
                          .alias(f"s{index}"))
    row = raw.agg(*aggregates).collect()[0]
    problems = []
    for index, (name, what, _) in enumerate(checks):
        if row[f"n{index}"]:
            problems.append(Problem(name, Rule.WRONG_TYPE.value,
                                    f"{row[f'n{index}']} value(s) {what}, e.g. "
                                    f"{row[f's{index}']!r}; read as {types[name]}"))
    return problems


def _report(progress: Progress | None, label: str, seconds: float) -> None:
    log.info("%s in %.2fs", label, seconds)
    if progress is not None:
        progress(label, seconds)
