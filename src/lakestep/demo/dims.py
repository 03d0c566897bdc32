"""The four dimensions: customers and properties (SCD2), destinations and the calendar."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from lakestep.demo import params as P
from lakestep.demo.activity import surrogate_key
from lakestep.demo.entities import (
    World,
    at_version,
    change_count,
    with_customer,
    with_property,
)
from lakestep.demo.rng import lookup

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")
_SEASONS = ("winter", "winter", "spring", "spring", "spring", "summer", "summer", "summer",
            "autumn", "autumn", "autumn", "winter")


def _versions(df: DataFrame, prefix: str, created: str) -> DataFrame:
    """One row per version with its SCD2 validity (``effective_to`` is exclusive)."""
    from pyspark.sql import functions as F

    df = df.withColumn("version", F.explode(F.sequence(F.lit(0), change_count(prefix))))
    version, last = F.col("version"), change_count(prefix)
    change1, change2 = F.col(f"{prefix}change1"), F.col(f"{prefix}change2")
    start = F.when(version == 0, F.col(created)).when(version == 1, change1).otherwise(change2)
    end = F.when(version == last, F.lit(None)).when(version == 0, change1).otherwise(change2)
    return df.withColumns({
        "effective_from": F.timestamp_seconds(start),
        "effective_to": F.timestamp_seconds(end),
        "is_current": version == last,
    })


def _at(name: str) -> Column:
    from pyspark.sql import functions as F

    return at_version(name, F.col("version"))


def dim_customer(spark: SparkSession, world: World) -> DataFrame:
    """Customers, one row per version: segment, home country and loyalty tier change."""
    from pyspark.sql import functions as F

    df = spark.range(1, world.customers + 1).withColumnRenamed("id", "customer_id")
    df = _versions(with_customer(df, world), "c_", "c_signup")
    return df.select(
        surrogate_key("customer_id", F.col("version")).alias("customer_sk"),
        "customer_id",
        lookup(P.SEGMENTS, _at("c_segment")).alias("segment"),
        lookup(P.COUNTRIES, _at("c_country")).alias("country_code"),
        lookup(P.LOYALTY_TIERS, _at("c_tier")).alias("loyalty_tier"),
        F.date_add(F.lit(P.START_DATE), F.col("c_signup_day")).alias("signup_date"),
        "effective_from", "effective_to", "is_current",
    )


def dim_property(spark: SparkSession, world: World) -> DataFrame:
    """Properties, one row per version: price tier and star rating change."""
    from pyspark.sql import functions as F

    df = spark.range(1, world.properties + 1).withColumnRenamed("id", "property_id")
    df = _versions(with_property(df, world), "p_", "p_listed")
    kind = lookup(P.PROPERTY_TYPES, F.col("p_type"))
    city = lookup([d.name for d in P.DESTINATIONS], F.col("p_dest"))
    return df.select(
        surrogate_key("property_id", F.col("version")).alias("property_sk"),
        "property_id",
        F.concat(F.initcap(kind), F.lit(" "), city, F.lit(" #"),
                 F.col("property_id").cast("string")).alias("property_name"),
        (F.col("p_dest") + 1).cast("int").alias("destination_id"),
        kind.alias("property_type"),
        _at("p_stars").alias("stars"),
        lookup(P.PRICE_TIERS, _at("p_tier")).alias("price_tier"),
        F.col("p_max_guests").alias("max_guests"),
        "effective_from", "effective_to", "is_current",
    )


def dim_destination(spark: SparkSession) -> DataFrame:
    """The 24 destinations (a fixed list: not SCD2)."""
    rows = [(d.destination_id, d.name, d.country_code, d.region, d.kind, d.latitude, d.longitude)
            for d in P.DESTINATIONS]
    schema = ("destination_id int, destination_name string, country_code string, region string, "
              "destination_type string, latitude double, longitude double")
    return spark.createDataFrame(rows, schema)


def dim_date(spark: SparkSession) -> DataFrame:
    """One row per calendar day from CALENDAR_START to CALENDAR_END."""
    from pyspark.sql import functions as F

    days = (P.CALENDAR_END - P.CALENDAR_START).days + 1
    df = spark.range(days).withColumn(
        "date", F.date_add(F.lit(P.CALENDAR_START), F.col("id").cast("int")))
    iso_dow = (F.col("id") + (P.CALENDAR_START.isoweekday() - 1)) % 7 + 1
    month, day = F.month("date"), F.dayofmonth("date")
    easter = [e + timedelta(days=offset) for e in P.EASTER_SUNDAYS for offset in (-2, 0, 1)]
    fixed = [int(h.replace("-", "")) for h in P.HOLIDAYS]
    return df.select(
        (F.year("date") * 10_000 + month * 100 + day).cast("int").alias("date_key"),
        "date",
        F.year("date").alias("year"),
        F.quarter("date").alias("quarter"),
        month.alias("month"),
        lookup(_MONTH_NAMES, month - 1).alias("month_name"),
        day.alias("day_of_month"),
        iso_dow.cast("int").alias("day_of_week"),
        lookup(_DAY_NAMES, iso_dow - 1).alias("day_name"),
        F.weekofyear("date").alias("week_of_year"),
        (iso_dow >= 6).alias("is_weekend"),
        ((month * 100 + day).isin(*fixed) | F.col("date").isin(*easter)).alias("is_holiday"),
        lookup(_SEASONS, month - 1).alias("season"),
    )
