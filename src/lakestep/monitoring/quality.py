"""Data-quality suites derived from contracts, feature tables and predictions, run with
great-expectations (GX Core 1.x).

How GX runs here, and why: GX's Spark datasource accepts a Spark Connect DataFrame
(``great_expectations.compatibility.pyspark.ConnectDataFrame``), so every suite validates
the whole table where it lives — on the embedded Sail engine as on Databricks — and GX
turns each expectation into Spark aggregations; only counts and at most 20 unexpected
values per expectation come back (``result_format="BASIC"``). No sample, no
``toPandas()``. The datasource is created with ``persist=False``: GX would otherwise
``persist()`` the frame, which serverless Databricks compute refuses and Sail does not
need. Each run uses a fresh ephemeral context (in memory, no files, analytics and progress
bars off), so nothing outlives the call.

A suite is plain data (:class:`QualitySuite` of :class:`Check`), built without GX, so it can
be inspected and tested on its own; :func:`validate_frame` turns it into GX expectations.
A check is *critical* (its failure raises the retrain signal, see
:mod:`lakestep.monitoring.assess`) or a *warning*; its GX ``severity`` says the same.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from lakestep.errors import MonitoringError, cap_list

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from lakestep.contracts import Contract
    from lakestep.features.table import FeatureTable
    from lakestep.platform.base import Platform

log = logging.getLogger(__name__)

RESULT_FORMAT = "BASIC"  # counts and up to 20 unexpected values; no value counts


@dataclass(frozen=True)
class Check:
    """One expectation: its GX name (``expect_…``), the column(s) and its arguments."""

    expectation: str
    column: str | None
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    critical: bool = True

    def to_gx(self, index: int) -> Any:
        """The GX expectation object (``meta.lakestep_check`` maps results back)."""
        from great_expectations.exceptions import ExpectationNotFoundError
        from great_expectations.expectations.metadata_types import FailureSeverity
        from great_expectations.expectations.registry import get_expectation_impl

        try:
            expectation_class = get_expectation_impl(self.expectation)
        except ExpectationNotFoundError as exc:
            raise MonitoringError(f"great-expectations has no expectation {self.expectation}",
                                  "use a GX Core 1.x expectation name") from exc
        return expectation_class(**dict(self.kwargs), meta={"lakestep_check": index},
                                 severity=FailureSeverity.CRITICAL if self.critical
                                 else FailureSeverity.WARNING)


@dataclass(frozen=True)
class QualitySuite:
    """The checks for one kind of table (a contract, a feature table, predictions)."""

    name: str
    checks: tuple[Check, ...]

    def __add__(self, other: QualitySuite) -> QualitySuite:
        return QualitySuite(f"{self.name}+{other.name}", self.checks + other.checks)


@dataclass(frozen=True)
class QualityResult:
    """What one expectation found on one table."""

    table: str
    column: str | None
    expectation: str
    success: bool
    observed: str | None
    unexpected_count: int | None
    element_count: int | None
    critical: bool

    def describe(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        seen = f": {self.unexpected_count:,} unexpected" if self.unexpected_count else ""
        seen += f" ({self.observed})" if self.observed else ""
        return f"{where} {self.expectation}{seen}"


# -- suites ------------------------------------------------------------------------------

def _column(expectation: str, column: str, critical: bool = True, **kwargs: Any) -> Check:
    return Check(expectation, column, {"column": column, **kwargs}, critical)


def _unique(columns: Sequence[str], critical: bool = True, **kwargs: Any) -> Check:
    """One column: expect_column_values_to_be_unique; several: the compound expectation."""
    if len(columns) == 1:
        return _column("expect_column_values_to_be_unique", columns[0], critical, **kwargs)
    return Check("expect_compound_columns_to_be_unique", ", ".join(columns),
                 {"column_list": list(columns), **kwargs}, critical)


def _bound(value: Any) -> Any:
    """Contract bounds as GX accepts them: dates as ISO strings, decimals as floats."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def quality_suite_for_contract(contract: Contract) -> QualitySuite:
    """Every rule of a gold contract as an expectation; all are critical.

    Columns exactly as declared; per column its Spark type class (GX checks the class:
    ``DecimalType`` whatever its precision — the exact type is the contract check's job
    at write time), NOT NULL, allowed values and min/max; the primary key unique; for an
    SCD2 table, one current row per business key.
    """
    checks = [Check("expect_table_columns_to_match_set", None,
                    {"column_set": list(contract.column_names), "exact_match": True})]
    for column in contract.columns:
        checks.append(_column("expect_column_values_to_be_of_type", column.name,
                              type_=type(column.data_type).__name__))
        if not column.nullable:
            checks.append(_column("expect_column_values_to_not_be_null", column.name))
        if column.allowed_values is not None:
            checks.append(_column("expect_column_values_to_be_in_set", column.name,
                                  value_set=list(column.allowed_values)))
        if column.min is not None or column.max is not None:
            checks.append(_column("expect_column_values_to_be_between", column.name,
                                  min_value=_bound(column.min), max_value=_bound(column.max)))
    checks.append(_unique(contract.primary_key))
    if contract.scd2:
        checks.append(_unique(contract.business_key, row_condition="is_current = true",
                              condition_parser="spark"))
    return QualitySuite(f"contract:{contract.table}", tuple(checks))


def quality_suite_for_feature_table(table: FeatureTable) -> QualitySuite:
    """Keys not null and unique (per entity keys + timestamp); no feature entirely null."""
    checks = [_column("expect_column_values_to_not_be_null", key) for key in table.primary_keys]
    checks.append(_unique(table.primary_keys))
    checks += [_column("expect_column_proportion_of_non_null_values_to_be_between", feature,
                       min_value=0.0, strict_min=True) for feature in table.features]
    checks.append(Check("expect_table_row_count_to_be_between", None, {"min_value": 1}))
    return QualitySuite(f"feature_table:{table.name}", tuple(checks))


# Columns the scorer writes next to the outputs (lakestep.inference).
SCORING_COLUMNS = ("model_name", "model_version", "model_uri", "scored_at", "scoring_date")
_PREDICTION_TYPES = {"regression": "DoubleType", "classification": "LongType",
                     "anomaly": "LongType"}


def quality_suite_for_predictions(kind: str, keys: Sequence[str] = ()) -> QualitySuite:
    """Predictions of one scoring run: at least one row; outputs present and valid for the
    kind (probability in [0, 1], anomaly in {-1, 1}); scoring columns present; ``keys``
    not null and unique (one prediction per key and scoring date)."""
    if kind not in _PREDICTION_TYPES:
        raise MonitoringError(f"unknown model kind {kind!r} for a predictions suite",
                              f"use one of {', '.join(_PREDICTION_TYPES)}")
    checks = [
        Check("expect_table_row_count_to_be_between", None, {"min_value": 1}),
        _column("expect_column_values_to_be_of_type", "prediction",
                type_=_PREDICTION_TYPES[kind]),
        _column("expect_column_values_to_not_be_null", "prediction"),
    ]
    if kind == "classification":
        checks += [_column("expect_column_values_to_not_be_null", "probability"),
                   _column("expect_column_values_to_be_between", "probability",
                           min_value=0.0, max_value=1.0)]
    if kind == "anomaly":
        checks.append(_column("expect_column_values_to_be_in_set", "prediction",
                              value_set=[-1, 1]))
    checks += [_column("expect_column_values_to_not_be_null", c) for c in SCORING_COLUMNS]
    checks += [_column("expect_column_values_to_not_be_null", key) for key in keys]
    if keys:
        checks.append(_unique(keys))
    return QualitySuite(f"predictions:{kind}", tuple(checks))


# -- running a suite -----------------------------------------------------------------------

def run_quality(platform: Platform, table: str, suite: QualitySuite, *,
                where: str | None = None) -> list[QualityResult]:
    """Validate the table ``table`` (three-level name) with ``suite``.

    ``where`` is a trusted Spark SQL predicate chosen by the caller (e.g. one scoring
    date of a predictions table), never user input.
    """
    if where:
        return validate_frame(platform.tables.read(table).where(where), suite, table=table)
    # A whole table at one Delta version gives the same results every time: monitoring
    # six models that read the same gold and feature tables validates each once.
    version = platform.tables.version(table)
    key = (table, version, repr(suite))
    if key not in _VALIDATED:
        if len(_VALIDATED) > 256:
            _VALIDATED.clear()
        _VALIDATED[key] = validate_frame(platform.tables.read(table, version=version), suite,
                                         table=table)
    return list(_VALIDATED[key])


_VALIDATED: dict[tuple[str, int, str], list[QualityResult]] = {}


def validate_frame(df: DataFrame, suite: QualitySuite, *, table: str) -> list[QualityResult]:
    """Validate a Spark DataFrame with GX; one result per check, in the suite's order."""
    import great_expectations as gx

    if not suite.checks:
        return []
    batch = _batch(df)
    # Passed to the constructor, not add_expectation: that compares each new expectation
    # with every earlier one (quadratic, a fifth of a suite's run time) and drops
    # look-alikes, which would leave a check without a result.
    expectations = gx.ExpectationSuite(
        name=suite.name, expectations=[c.to_gx(i) for i, c in enumerate(suite.checks)])
    try:
        validation = batch.validate(expectations, result_format=RESULT_FORMAT)
    except Exception as exc:  # GX raises for problems no single expectation owns
        raise MonitoringError(f"great-expectations could not validate {table} with suite "
                              f"{suite.name}: {str(exc).splitlines()[0][:300]}",
                              "check that the table is readable (lakestep doctor)") from exc
    by_index = {int(r.expectation_config.meta["lakestep_check"]): r for r in validation.results}
    results = [_result(table, check, by_index.get(i)) for i, check in enumerate(suite.checks)]
    failed = [r for r in results if not r.success]
    log.info("quality %s on %s: %d/%d checks pass%s", suite.name, table,
             len(results) - len(failed), len(results),
             f" — failed: {cap_list(r.describe() for r in failed)}" if failed else "")
    return results


def _batch(df: DataFrame) -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    context = gx.get_context(mode="ephemeral", project_config=DataContextConfig(
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
    ))
    source = context.data_sources.add_spark(name="lakestep", persist=False)
    definition = source.add_dataframe_asset(name="table").add_batch_definition_whole_dataframe(
        "whole table")
    return definition.get_batch(batch_parameters={"dataframe": df})


def _result(table: str, check: Check, result: Any) -> QualityResult:
    if result is None:  # GX returned nothing for it: count it as failed, never as passed
        return QualityResult(table, check.column, check.expectation, False,
                             "no result from great-expectations", None, None, check.critical)
    found = dict(result.result or {})
    error = _exception_message(result.exception_info)
    return QualityResult(
        table=table,
        column=check.column,
        expectation=check.expectation,
        success=bool(result.success) and error is None,
        observed=f"error: {error}" if error else _observed(found),
        unexpected_count=_int(found.get("unexpected_count")),
        element_count=_int(found.get("element_count")),
        critical=check.critical,
    )


def _exception_message(info: Any) -> str | None:
    """GX reports an exception either directly or per metric (a dict of such reports)."""
    if not isinstance(info, Mapping):
        return None
    reports: Iterable[Any] = [info] if "raised_exception" in info else info.values()
    for report in reports:
        if isinstance(report, Mapping) and report.get("raised_exception", True):
            message = str(report.get("exception_message") or "exception").strip()
            return message.splitlines()[0][:200] if message else "exception"
    return None


def _observed(found: Mapping[str, Any]) -> str | None:
    if found.get("observed_value") is not None:
        return _short(found["observed_value"])
    sample = found.get("partial_unexpected_list") or []
    if sample:
        return "e.g. " + _short(list(dict.fromkeys(map(repr, sample)))[:3]).replace('"', "")
    return None


def _short(value: Any, limit: int = 120) -> str:
    text = str(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _int(value: Any) -> int | None:
    return None if value is None else int(value)
