"""Label tables of the demo models: the training rows, their label and as-of timestamp.

A label table is declared like a feature table (a pure Spark transform of gold tables,
checked against the contracts) and written as a plain Delta table
``{catalog}.{ml_schema}.<name>`` by :func:`build_label_tables`. Each row is one
prediction a model would have made: its keys, the day it would have been made (the
timestamp the feature lookups are taken *as of*), the facts known at that moment that the
model reads as they are, and the label — what happened afterwards.

A label that needs a future window (bookings in the next 90 days…) is null while that
window is still open: the row is a scoring row, not a training row. So one table gives the
trainer its rows (label known) and batch scoring its keys (the latest days).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from lakestep.errors import FeatureDefinitionError, cap_list
from lakestep.features.daily import DATE, daily_grid, day_range
from lakestep.features.definitions import FeatureTableDefinition

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lakestep.platform.base import Platform

log = logging.getLogger(__name__)

LTV_HORIZON_DAYS = 90
PLAUSIBLE_NIGHTS = 30
PLAUSIBLE_PRICE = 1000


def _property_demand(spark: SparkSession, sources: Mapping[str, DataFrame]) -> DataFrame:
    """Bookings made per property per day (0 on a day without any)."""
    from pyspark.sql import functions as F

    bookings = sources["fact_booking"]
    daily = bookings.groupBy("property_id", F.col("booking_date").alias(DATE)).agg(
        F.count(F.lit(1)).cast("bigint").alias("bookings"))
    days = day_range(bookings, "booking_date")
    last = bookings.agg(F.max("booking_date").alias("last_day"))
    grid = daily_grid(sources["dim_property"], days, daily, "property_id", sums=["bookings"])
    # day_range ends the day after the last booking: that day is not observed yet.
    return (grid.crossJoin(last).filter(F.col(DATE) <= F.col("last_day"))
            .select("property_id", DATE, F.col("bookings").cast("double").alias("bookings")))


def _destination_revenue(spark: SparkSession, sources: Mapping[str, DataFrame]) -> DataFrame:
    """Gross booking revenue per destination per day (0 on a day without bookings)."""
    from pyspark.sql import functions as F

    bookings = sources["fact_booking"]
    # Implausible bookings (absurd price or stay: what booking_anomaly_detector flags) are
    # not revenue to forecast; they stay in the gold table.
    plausible = bookings.filter((F.col("nights") <= PLAUSIBLE_NIGHTS)
                                & (F.col("nightly_price") < PLAUSIBLE_PRICE))
    daily = plausible.groupBy("destination_id", F.col("booking_date").alias(DATE)).agg(
        F.sum(F.col("total_amount").cast("decimal(38,2)")).alias("revenue"))
    last = bookings.agg(F.max("booking_date").alias("last_day"))
    grid = daily_grid(sources["dim_destination"], day_range(bookings, "booking_date"), daily,
                      "destination_id", sums=["revenue"])
    return (grid.crossJoin(last).filter(F.col(DATE) <= F.col("last_day"))
            .select("destination_id", DATE, F.col("revenue").cast("double").alias("revenue")))


def _customer_ltv(spark: SparkSession, sources: Mapping[str, DataFrame]) -> DataFrame:
    """Monthly snapshots of customers who booked in the year before: revenue of their
    non-cancelled bookings made in the next 90 days, null while those 90 days are open.
    Segment and loyalty tier are the customer's SCD2 version valid on the snapshot day."""
    from pyspark.sql import functions as F

    bookings = sources["fact_booking"]
    bounds = bookings.agg(F.min("booking_date").alias("first"), F.max("booking_date").alias("last"))
    months = bounds.select(F.explode(F.sequence(
        F.add_months(F.trunc("first", "month"), 1), F.trunc("last", "month"),
        F.expr("interval 1 month"))).alias(DATE), "last")
    recent = bookings.select("customer_id", "booking_date").alias("b")
    active = (months.join(recent, (F.col("b.booking_date") < F.col(DATE))
                          & (F.col("b.booking_date") >= F.date_sub(F.col(DATE), 365)))
              .select("customer_id", DATE, "last").distinct())
    kept = bookings.filter(~F.col("is_cancelled")).select(
        F.col("customer_id").alias("c_id"), "booking_date",
        F.col("total_amount").cast("decimal(38,2)").alias("amount"))
    future = active.join(kept, (F.col("c_id") == F.col("customer_id"))
                         & (F.col("booking_date") >= F.col(DATE))
                         & (F.col("booking_date") < F.date_add(F.col(DATE), LTV_HORIZON_DAYS)),
                         "left")
    revenue = future.groupBy("customer_id", DATE, "last").agg(
        F.coalesce(F.sum("amount"), F.lit(0)).cast("double").alias("revenue_next_90d"))
    matured = F.date_add(F.col(DATE), LTV_HORIZON_DAYS - 1) <= F.col("last")
    labelled = revenue.select(
        "customer_id", DATE,
        F.when(matured, F.col("revenue_next_90d")).alias("revenue_next_90d"))
    versions = sources["dim_customer"].alias("v")
    as_of = F.col(DATE).cast("timestamp")
    valid = ((F.col("v.customer_id") == F.col("l.customer_id"))
             & (F.col("v.effective_from") <= as_of)
             & (F.col("v.effective_to").isNull() | (F.col("v.effective_to") > as_of)))
    return (labelled.alias("l").join(versions, valid, "left")
            .select("l.customer_id", F.col(f"l.{DATE}").alias(DATE), "v.segment",
                    "v.loyalty_tier", "revenue_next_90d"))


PROPERTY_DEMAND = FeatureTableDefinition(
    name="property_demand_labels",
    primary_keys=("property_id", DATE),
    timeseries_column=DATE,
    description="Label of demand_predictor: bookings made per property per day.",
    columns_used={"fact_booking": ("property_id", "booking_date"),
                  "dim_property": ("property_id",)},
    transform=_property_demand,
)
DESTINATION_REVENUE = FeatureTableDefinition(
    name="destination_revenue_labels",
    primary_keys=("destination_id", DATE),
    timeseries_column=DATE,
    description=("Label of revenue_forecaster: gross revenue of plausible bookings (at most "
                 f"{PLAUSIBLE_NIGHTS} nights, under {PLAUSIBLE_PRICE} a night) per destination "
                 "per day."),
    columns_used={"fact_booking": ("destination_id", "booking_date", "total_amount", "nights",
                                   "nightly_price"),
                  "dim_destination": ("destination_id",)},
    transform=_destination_revenue,
)
CUSTOMER_LTV = FeatureTableDefinition(
    name="customer_ltv_labels",
    primary_keys=("customer_id", DATE),
    timeseries_column=DATE,
    description=(f"Label of customer_ltv: revenue in the {LTV_HORIZON_DAYS} days after a "
                 "monthly snapshot of every customer active in the year before it."),
    columns_used={"fact_booking": ("customer_id", "booking_date", "total_amount",
                                   "is_cancelled"),
                  "dim_customer": ("customer_id", "segment", "loyalty_tier", "effective_from",
                                   "effective_to")},
    transform=_customer_ltv,
)


def demo_label_definitions() -> tuple[FeatureTableDefinition, ...]:
    return (PROPERTY_DEMAND, DESTINATION_REVENUE, CUSTOMER_LTV)


Progress = Callable[[str, float], None]


def build_label_tables(platform: Platform, names: Iterable[str] | None = None,
                       progress: Progress | None = None) -> list[str]:
    """Rebuild label tables (all of the project's by default) from the gold layer.

    Each is one overwrite — one Delta commit — so a failed rebuild leaves the previous
    version, and a re-run gives the same table.
    """
    from lakestep.features.build import gold_frames

    definitions = platform.project.label_definitions
    wanted = list(definitions) if names is None else list(names)
    unknown = [n for n in wanted if n not in definitions]
    if unknown:
        raise FeatureDefinitionError(cap_list(unknown), "no such label table",
                                     f"label tables: {cap_list(definitions) or 'none'}")
    written = []
    for name in wanted:
        started = time.perf_counter()
        definition = definitions[name]
        table = platform.settings.ml_table(name)
        frame = definition.build(platform.spark, gold_frames(platform, definition))
        platform.tables.write(table, frame, mode="overwrite")
        platform.tables.set_properties(table, {
            "comment": definition.description,
            "lakestep.primary_key": ",".join(definition.primary_keys),
            "lakestep.timestamp": definition.timeseries_column or "",
            "lakestep.source_tables": ",".join(definition.source_tables),
        })
        seconds = time.perf_counter() - started
        log.info("label table %s built in %.1fs", table, seconds)
        if progress is not None:
            progress(table, seconds)
        written.append(table)
    return written
