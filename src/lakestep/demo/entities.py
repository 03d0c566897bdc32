"""Customers and properties as functions of their id: every attribute of every SCD2 version.

Nothing is looked up: a customer's segment at any moment is a pure expression of
(seed, customer_id, moment). The dimension tables and the fact tables evaluate the same
expressions, so a fact row always points at the dimension version valid at its timestamp,
without an as-of join.

Each entity has at most two changes (three versions); version ``v``'s attributes are
columns ``<attr>_<v>`` and the change moments are ``<prefix>change1``/``<prefix>change2``
(epoch seconds; null when the change does not happen).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lakestep.demo import params as P
from lakestep.demo.rng import Rng, coprime_multiplier, lookup, pick_index

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

VERSIONS = 3  # surrogate key = business key * SK_FACTOR + version
SK_FACTOR = 10


@dataclass(frozen=True)
class World:
    """Seed, scale and the sizes derived from them."""

    seed: int
    scale: int
    customers: int
    properties: int

    @classmethod
    def create(cls, seed: int, scale: int) -> World:
        return cls(
            seed=int(seed),
            scale=int(scale),
            customers=max(200, round(scale * P.CUSTOMERS_PER_BOOKING)),
            properties=max(40, scale // P.BOOKINGS_PER_PROPERTY),
        )

    @property
    def rng(self) -> Rng:
        return Rng(self.seed)

    @property
    def customer_multiplier(self) -> int:
        """Customer ids are a permutation of activity ranks, so ids say nothing about activity."""
        return coprime_multiplier(self.customers)


def epoch_of_day(day: Column, seconds: Column | int = 0) -> Column:
    from pyspark.sql import functions as F

    return F.lit(P.START_EPOCH) + day.cast("bigint") * P.SECONDS_PER_DAY + seconds


def version_at(prefix: str, moment: Column) -> Column:
    """Index of the version valid at ``moment`` (epoch seconds)."""
    from pyspark.sql import functions as F

    first = F.coalesce(moment >= F.col(f"{prefix}change1"), F.lit(False)).cast("int")
    second = F.coalesce(moment >= F.col(f"{prefix}change2"), F.lit(False)).cast("int")
    return first + second


def at_version(name: str, version: Column) -> Column:
    """Attribute ``name`` as of a version column (0, 1 or 2)."""
    from pyspark.sql import functions as F

    return (F.when(version == 0, F.col(f"{name}_0"))
            .when(version == 1, F.col(f"{name}_1")).otherwise(F.col(f"{name}_2")))


def _change_moments(df: DataFrame, rng: Rng, prefix: str, key: Column,
                    shares: tuple[float, ...], first_day: Column) -> DataFrame:
    """Up to two change moments inside the two base years, after ``first_day``."""
    from pyspark.sql import functions as F

    wanted = pick_index(rng.uniform(f"{prefix}changes", key), P.cumulative(shares))
    day1 = first_day + F.floor(rng.uniform(f"{prefix}day1", key) * (P.DAYS - first_day))
    day2 = F.col("_day1") + 1 + F.floor(
        rng.uniform(f"{prefix}day2", key) * (P.DAYS - F.col("_day1") - 1))
    df = df.withColumns({"_wanted": wanted, "_day1": day1}).withColumn("_day2", day2)

    def moment(index: int) -> Column:
        day = F.col(f"_day{index}")
        happens = (F.col("_wanted") >= index) & (day < P.DAYS)
        second = F.floor(rng.uniform(f"{prefix}second{index}", key) * P.SECONDS_PER_DAY)
        return F.when(happens, epoch_of_day(day, second))

    return df.withColumns({f"{prefix}change1": moment(1), f"{prefix}change2": moment(2)}) \
        .drop("_wanted", "_day1", "_day2")


# -- customers --------------------------------------------------------------------------

def with_customer(df: DataFrame, world: World) -> DataFrame:
    """Add every customer attribute for the ``customer_id`` column (prefix ``c_``)."""
    from pyspark.sql import functions as F

    rng, key = world.rng, F.col("customer_id")
    inverse = pow(world.customer_multiplier, -1, world.customers)
    rank = F.pmod((key - 1) * F.lit(inverse), F.lit(world.customers))
    before = rng.uniform("c.signup.before", key) < P.SIGNUP_BEFORE_START
    signup_day = F.when(before, -1 - F.floor(rng.uniform("c.signup.old", key) * 1095)) \
        .otherwise(F.floor(rng.uniform("c.signup.new", key) * P.DAYS))
    # The most active customers hold the better loyalty tiers from the start.
    share = rank / F.lit(world.customers)
    tier = (F.when(share < 0.02, 3).when(share < 0.10, 2).when(share < 0.30, 1).otherwise(0)
            - (rng.uniform("c.tier.noise", key) < 0.3).cast("int"))
    df = df.withColumns({
        "c_signup_day": signup_day.cast("int"),
        "c_segment_0": pick_index(rng.uniform("c.segment", key), P.cumulative(P.SEGMENT_SHARE)),
        "c_country_0": pick_index(rng.uniform("c.country", key), P.cumulative(P.COUNTRY_SHARE)),
        "c_tier_0": F.greatest(tier, F.lit(0)),
    })
    df = df.withColumn("c_signup", epoch_of_day(
        F.col("c_signup_day"), F.floor(rng.uniform("c.signup.second", key) * 21_600)))
    df = _change_moments(df, rng, "c_", key, P.CUSTOMER_CHANGES,
                         F.greatest(F.col("c_signup_day") + 1, F.lit(0)))
    for version in (1, 2):
        df = _customer_change(df, rng, key, version)
    return df


def _customer_change(df: DataFrame, rng: Rng, key: Column, version: int) -> DataFrame:
    """Version ``version``: a new segment, a move abroad, or a loyalty upgrade."""
    from pyspark.sql import functions as F

    before = version - 1
    kind = pick_index(rng.uniform(f"c.kind{version}", key),
                      P.cumulative(P.CUSTOMER_CHANGE_SHARE))
    tier = F.col(f"c_tier_{before}")
    upgrade = (kind == 2) & (tier < 3)
    new_segment = (kind == 0) | ((kind == 2) & (tier >= 3))  # platinum cannot go up
    other = lambda options, salt: (  # noqa: E731 - a different option than before
        F.col(f"c_{salt}_{before}") + 1
        + F.floor(rng.uniform(f"c.{salt}{version}", key) * (options - 1))) % options
    return df.withColumns({
        f"c_segment_{version}": F.when(new_segment, other(len(P.SEGMENTS), "segment"))
        .otherwise(F.col(f"c_segment_{before}")),
        f"c_country_{version}": F.when(kind == 1, other(len(P.COUNTRIES), "country"))
        .otherwise(F.col(f"c_country_{before}")),
        f"c_tier_{version}": F.when(upgrade, tier + 1).otherwise(tier),
    })


def change_count(prefix: str) -> Column:
    """How many changes (0–2) an entity had: its number of versions minus one."""
    from pyspark.sql import functions as F

    return (F.col(f"{prefix}change1").isNotNull().cast("int")
            + F.col(f"{prefix}change2").isNotNull().cast("int"))


# -- properties -------------------------------------------------------------------------

def destination_slots() -> list[int]:
    """Destination indexes repeated by weight: a uniform slot picks a destination."""
    return [i for i, d in enumerate(P.DESTINATIONS) for _ in range(d.weight)]


def with_property(df: DataFrame, world: World) -> DataFrame:
    """Add every property attribute for the ``property_id`` column (prefix ``p_``)."""
    from pyspark.sql import functions as F

    rng, key = world.rng, F.col("property_id")
    slots = destination_slots()
    kind = pick_index(rng.uniform("p.type", key), P.cumulative(P.PROPERTY_TYPE_SHARE))
    df = df.withColumns({
        "p_dest": lookup(slots, F.floor(rng.uniform("p.destination", key) * len(slots))),
        "p_type": kind,
    })
    ptype = F.col("p_type")
    stars = lookup([lo for lo, _ in P.STARS_RANGE], ptype) + F.floor(
        rng.uniform("p.stars", key) * lookup([n for _, n in P.STARS_RANGE], ptype))
    guests = lookup([lo for lo, _ in P.MAX_GUESTS], ptype) + F.floor(
        rng.uniform("p.guests", key) * lookup([n for _, n in P.MAX_GUESTS], ptype))
    df = df.withColumns({
        "p_stars_0": stars.cast("int"),
        "p_max_guests": guests.cast("int"),
        "p_factor": F.exp(rng.normal("p.factor", key) * 0.12),
        "p_popularity": F.lit(P.POPULARITY[0]) + rng.uniform("p.popularity", key) * P.POPULARITY[1],
        "p_reposition_0": F.lit(1.0),
        "p_listed": epoch_of_day(-30 - F.floor(rng.uniform("p.listed", key) * 1500),
                                 F.floor(rng.uniform("p.listed.second", key) * 86_400)),
    })
    df = df.withColumn("p_price_0", list_price(0))
    limits = P.PRICE_TIER_LIMITS
    df = df.withColumn("p_tier_0", sum(
        (F.col("p_price_0") >= limit).cast("int") for limit in limits))  # type: ignore[arg-type]
    df = _change_moments(df, rng, "p_", key, P.PROPERTY_CHANGES, F.lit(0))
    for version in (1, 2):
        df = _property_change(df, rng, key, version)
    return df


def list_price(version: int) -> Column:
    """List price per night of a version: destination × type × stars × property factor."""
    from pyspark.sql import functions as F

    base = lookup([d.base_price for d in P.DESTINATIONS], F.col("p_dest"))
    stars = F.col(f"p_stars_{version}")
    return (base * lookup(P.TYPE_PRICE_FACTOR, F.col("p_type"))
            * (F.lit(P.STAR_PRICE[0]) + stars * P.STAR_PRICE[1])
            * F.col("p_factor") * F.col(f"p_reposition_{version}"))


def _property_change(df: DataFrame, rng: Rng, key: Column, version: int) -> DataFrame:
    """Version ``version``: the property moves one price tier up or down, and in most
    cases its star rating with it (a renovation, or a downgrade)."""
    from pyspark.sql import functions as F

    before = version - 1
    tier = F.col(f"p_tier_{before}")
    up = F.when(tier == 0, True).when(tier == 3, False) \
        .otherwise(rng.uniform(f"p.direction{version}", key) < 0.55)
    step = F.when(up, 1).otherwise(-1)
    rates = rng.uniform(f"p.restar{version}", key) < 0.6
    stars = F.least(F.greatest(F.col(f"p_stars_{before}") + F.when(rates, step).otherwise(0),
                               F.lit(1)), F.lit(5))
    df = df.withColumns({
        f"p_tier_{version}": tier + step,
        f"p_stars_{version}": stars.cast("int"),
        f"p_reposition_{version}": F.col(f"p_reposition_{before}")
        * F.when(up, 1.10).otherwise(0.90),
    })
    return df.withColumn(f"p_price_{version}", list_price(version))


def season(kind_index: Column, day_of_year: Column, *, stay: bool) -> Column:
    """Yearly cycle of a destination kind, scaled to at most 1 for bookings."""
    from pyspark.sql import functions as F

    seasons = [P.SEASONS[k] for k in P.DESTINATION_KINDS]
    peak = lookup([s.stay_peak if stay else s.booking_peak for s in seasons], kind_index)
    amplitude = lookup([s.price_amplitude if stay else s.booking_amplitude for s in seasons],
                       kind_index)
    cycle = F.lit(1.0) + amplitude * F.cos((day_of_year - peak) * (2 * math.pi / 365.0))
    return cycle if stay else cycle / (F.lit(1.0) + amplitude)


def destination_kind(dest_index: Column) -> Column:
    return lookup([P.DESTINATION_KINDS.index(d.kind) for d in P.DESTINATIONS], dest_index)


# -- profiles: one row per entity, joined to the candidate views -------------------------
# Evaluating the profile expressions once per customer (not once per candidate view) is
# what keeps the generator fast: there are ~30 candidates per customer.
CUSTOMER_PROFILE = ("customer_id", "c_signup", "c_change1", "c_change2",
                    "c_segment_0", "c_segment_1", "c_segment_2")
PROPERTY_PROFILE = ("property_id", "p_dest", "p_kind", "p_type", "p_popularity", "p_max_guests",
                    "p_change1", "p_change2", "p_stars_0", "p_stars_1", "p_stars_2",
                    "p_price_0", "p_price_1", "p_price_2")


def customer_profiles(spark: SparkSession, world: World) -> DataFrame:
    df = spark.range(1, world.customers + 1).withColumnRenamed("id", "customer_id")
    return with_customer(df, world).select(*CUSTOMER_PROFILE)


def property_profiles(spark: SparkSession, world: World) -> DataFrame:
    from pyspark.sql import functions as F

    df = spark.range(1, world.properties + 1).withColumnRenamed("id", "property_id")
    df = with_property(df, world).withColumn("p_kind", destination_kind(F.col("p_dest")))
    return df.select(*PROPERTY_PROFILE)
