"""The demo feature transforms on Sail: equal to brute-force oracles, and leakage-free.

Random small gold layers (hypothesis) go through each transform. Every value is compared
with a direct Python computation of its definition, and the "before D" rule is checked by
truncation: rebuilding from only the facts known before a day D gives the same rows for
every day up to D.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from lakestep.features import FeatureLookup, FeatureTable
from lakestep.features.definitions import demo_definitions
from lakestep.features.pit import as_of_join
from lakestep.features.plan import plan_training_set

BASE = datetime.date(2024, 1, 1)
DEFINITIONS = {d.name: d for d in demo_definitions()}
# No shrinking: each example runs Spark jobs, and shrinking one failure can take minutes;
# the failing example is printed whole.
_hyp = settings(max_examples=8, deadline=None,
                phases=(Phase.explicit, Phase.reuse, Phase.generate),
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

BOOKING_DDL = ("customer_id long, property_id long, destination_id int, booking_date date, "
               "checkin_date date, checkout_date date, nightly_price decimal(10,2), "
               "total_amount decimal(12,2), is_cancelled boolean")


@dataclass(frozen=True)
class Booking:
    customer_id: int
    property_id: int
    destination_id: int
    booking_date: datetime.date
    checkin_date: datetime.date
    checkout_date: datetime.date
    nightly_price: Decimal
    total_amount: Decimal
    is_cancelled: bool


@dataclass(frozen=True)
class Gold:
    bookings: tuple[Booking, ...]
    signups: dict[int, datetime.date]

    def frames(self, spark, known_before: datetime.date | None = None) -> dict:
        """The gold frames; with ``known_before`` only what was known before that day:
        bookings made before it, and a cancellation flag only once the stay has begun."""
        bookings, signups = list(self.bookings), dict(self.signups)
        if known_before is not None:
            bookings = [
                b if b.checkin_date < known_before else Booking(**{**b.__dict__,
                                                                   "is_cancelled": False})
                for b in bookings if b.booking_date < known_before
            ]
            signups = {c: d for c, d in signups.items() if d < known_before}
        # dim_customer is SCD2: repeat each customer as two versions with the same signup.
        versions = [(c, d) for c, d in signups.items() for _ in range(2)]
        days = [(BASE + datetime.timedelta(days=i),) for i in range(-120, 500)]
        return {
            "fact_booking": spark.createDataFrame([tuple(b.__dict__.values()) for b in bookings],
                                                  BOOKING_DDL),
            "dim_customer": spark.createDataFrame(versions, "customer_id long, signup_date date"),
            "dim_property": spark.createDataFrame([(p,) for p in range(1, 5)], "property_id long"),
            "dim_destination": spark.createDataFrame([(d,) for d in range(1, 4)],
                                                     "destination_id int"),
            "dim_date": _calendar(spark, days),
        }


def _calendar(spark, days):
    rows = [(d, d.isoweekday(), d.day, d.month, (d.month - 1) // 3 + 1, d.isocalendar()[1],
             d.isoweekday() >= 6, (d.month, d.day) in ((1, 1), (5, 1), (12, 25))) for (d,) in days]
    return spark.createDataFrame(rows, "date date, day_of_week int, day_of_month int, month int, "
                                 "quarter int, week_of_year int, is_weekend boolean, "
                                 "is_holiday boolean")


@st.composite
def gold_layers(draw) -> Gold:
    signups = {c: BASE + datetime.timedelta(days=draw(st.integers(-100, 60))) for c in (1, 2, 3)}
    raw = draw(st.lists(st.tuples(
        st.sampled_from([1, 2, 3]), st.integers(1, 3), st.integers(0, 420), st.integers(0, 12),
        st.integers(1, 4), st.integers(1_000, 30_000), st.booleans()), min_size=1, max_size=30))
    bookings = []
    for customer, prop, day, lead, nights, cents, cancelled in raw:
        booked = max(BASE + datetime.timedelta(days=day), signups[customer])
        price = Decimal(cents) / 100
        checkin = booked + datetime.timedelta(days=lead)
        bookings.append(Booking(customer, prop, 1 + prop % 2, booked, checkin,
                                checkin + datetime.timedelta(days=nights), price, price * nights,
                                cancelled))
    return Gold(tuple(bookings), signups)


def _days(gold: Gold) -> list[datetime.date]:
    """The days feature rows exist for: the day after the first booking to the day after
    the last."""
    first = min(b.booking_date for b in gold.bookings)
    last = max(b.booking_date for b in gold.bookings)
    return [first + datetime.timedelta(days=i) for i in range(1, (last - first).days + 2)]


def _window(bookings, day, days, when=lambda b: b.booking_date):
    return [b for b in bookings if day - datetime.timedelta(days=days) <= when(b) < day]


def _rows(df) -> dict:
    return {tuple(r[:2]): r.asDict() for r in df.collect()}


# -- oracles ------------------------------------------------------------------------------------

def customer_oracle(gold: Gold, customer: int, day: datetime.date) -> dict | None:
    first = min(b.booking_date for b in gold.bookings) + datetime.timedelta(days=1)
    signup = gold.signups[customer]
    if day < max(first, signup + datetime.timedelta(days=1)):
        return None
    mine = [b for b in gold.bookings if b.customer_id == customer]
    values = {"tenure_months": (day.year * 12 + day.month) - (signup.year * 12 + signup.month)}
    for n in (30, 90, 365):
        made = _window(mine, day, n)
        ended = _window([b for b in mine if b.is_cancelled], day, n, lambda b: b.checkin_date)
        values |= {f"bookings_{n}d": len(made),
                   f"spend_{n}d": float(sum(b.total_amount for b in made)),
                   f"cancellations_{n}d": len(ended)}
    return values


def property_oracle(gold: Gold, prop: int, day: datetime.date) -> dict:
    mine = [b for b in gold.bookings if b.property_id == prop]
    values: dict = {f"bookings_{n}d": len(_window(mine, day, n)) for n in (7, 30, 90)}
    for n in (30, 90):
        prices = [b.nightly_price for b in _window(mine, day, n)]
        values[f"avg_price_{n}d"] = float(sum(prices) / len(prices)) if prices else None
    prices = [b.nightly_price for b in _window(mine, day, 30)]
    values["min_price_30d"] = float(min(prices)) if prices else None
    values["max_price_30d"] = float(max(prices)) if prices else None
    nights = [day - datetime.timedelta(days=k) for k in range(1, 31)]
    occupied = sum(1 for night in nights for b in mine
                   if not b.is_cancelled and b.checkin_date <= night < b.checkout_date)
    values |= {"occupied_nights_30d": occupied, "occupancy_30d": occupied / 30}
    return values


def destination_oracle(gold: Gold, destination: int, day: datetime.date) -> dict:
    mine = [b for b in gold.bookings if b.destination_id == destination]
    first = min(b.booking_date for b in gold.bookings)
    values: dict = {}
    for n in (1, 7, 28):
        made = _window(mine, day, n)
        values |= {f"bookings_{n}d": len(made),
                   f"revenue_{n}d": float(sum(b.total_amount for b in made))}
    for k in (7, 14, 28):
        lagged = day - datetime.timedelta(days=k)
        made = [b for b in mine if b.booking_date == lagged]
        known = lagged >= first
        values |= {f"bookings_lag_{k}d": len(made) if known else None,
                   f"revenue_lag_{k}d": float(sum(b.total_amount for b in made)) if known else None}
    return values


def assert_matches(actual: dict, expected: dict, where) -> None:
    for column, value in expected.items():
        got = actual[column]
        if isinstance(value, float) and got is not None:
            assert got == pytest.approx(value, rel=1e-9), (where, column)
        else:
            assert got == value, (where, column, got, value)


# -- oracle tests -------------------------------------------------------------------------------

@_hyp
@given(gold=gold_layers())
def test_customer_daily_as_of_every_day_equals_the_oracle(spark, gold):
    features = DEFINITIONS["customer_daily"].build(spark, gold.frames(spark))
    days = _days(gold)
    labels = spark.createDataFrame([(c, d) for c in (1, 2, 3) for d in days],
                                   "customer_id long, date date")
    columns = [c for c in features.columns if c not in ("customer_id", "date")]
    looked_up = as_of_join(labels, features, keys=["customer_id"], timestamp="date",
                           outputs=columns)
    for key, row in _rows(looked_up).items():
        expected = customer_oracle(gold, *key)
        if expected is None:
            assert all(row[c] is None for c in columns), key
        else:
            assert_matches(row, expected, key)


@_hyp
@given(gold=gold_layers())
def test_property_daily_equals_the_oracle(spark, gold):
    rows = _rows(DEFINITIONS["property_daily"].build(spark, gold.frames(spark)))
    assert set(rows) == {(p, d) for p in range(1, 5) for d in _days(gold)}
    for key, row in rows.items():
        assert_matches(row, property_oracle(gold, *key), key)


@_hyp
@given(gold=gold_layers())
def test_destination_daily_equals_the_oracle(spark, gold):
    rows = _rows(DEFINITIONS["destination_daily"].build(spark, gold.frames(spark)))
    assert set(rows) == {(d, day) for d in range(1, 4) for day in _days(gold)}
    for key, row in rows.items():
        assert_matches(row, destination_oracle(gold, *key), key)


def test_calendar_flags_the_days_around_holidays(spark):
    gold = Gold((), {})
    rows = {r["date"]: r for r in DEFINITIONS["calendar"].build(spark, gold.frames(spark)).collect()}
    assert rows[datetime.date(2024, 12, 24)]["is_holiday_eve"]
    assert rows[datetime.date(2024, 12, 26)]["is_after_holiday"]
    assert not rows[datetime.date(2024, 12, 25)]["is_holiday_eve"]
    assert rows[datetime.date(2024, 6, 1)]["is_weekend"] and rows[datetime.date(2024, 6, 1)][
        "day_of_week"] == 6


# -- the before-D rule --------------------------------------------------------------------------

@_hyp
@given(gold=gold_layers(), pick=st.integers(0, 10_000))
def test_features_up_to_day_d_use_only_facts_known_before_d(spark, gold, pick):
    """Rebuilt from only what was known before D, every row up to D is the same.

    D is a booking's day, so a fact on D itself exists (a window that wrongly includes D
    differs), and a booking on D - 1 is added so the truncated build also ends on D.
    """
    chosen = gold.bookings[pick % len(gold.bookings)]
    day = chosen.booking_date
    earliest = min(gold.signups, key=gold.signups.get)
    assume(gold.signups[earliest] < day)
    before = Booking(**{**chosen.__dict__, "customer_id": earliest,
                        "booking_date": day - datetime.timedelta(days=1)})
    gold = Gold((*gold.bookings, before), gold.signups)
    for name in ("customer_daily", "property_daily", "destination_daily"):
        definition = DEFINITIONS[name]
        full = _rows(definition.build(spark, gold.frames(spark)))
        truncated = _rows(definition.build(spark, gold.frames(spark, known_before=day)))
        assert max(key[1] for key in truncated) == day, name
        assert truncated == {key: row for key, row in full.items() if key[1] <= day}, name


def test_a_model_training_set_joins_all_demo_tables(spark):
    """The tables work together as a model would use them: keys, types, point-in-time."""
    day = datetime.timedelta(days=1)
    bookings = tuple(
        Booking(1 + i % 3, 1 + i % 2, 1 + i % 2, BASE + i * 5 * day, BASE + (i * 5 + 3) * day,
                BASE + (i * 5 + 5) * day, Decimal("80.00"), Decimal("160.00"), i % 4 == 0)
        for i in range(12))
    gold = Gold(bookings, {1: BASE, 2: BASE, 3: BASE})
    frames = gold.frames(spark)
    built = {name: d.build(spark, frames) for name, d in DEFINITIONS.items()}
    tables = {f"main.features.{name}": FeatureTable(
        name=f"main.features.{name}", primary_keys=d.primary_keys,
        timestamp_keys=(d.timeseries_column,) if d.timeseries_column else (),
        columns={f.name: f.dataType.simpleString() for f in built[name].schema.fields})
        for name, d in DEFINITIONS.items()}
    lookups = [
        FeatureLookup("main.features.customer_daily", "customer_id", timestamp_lookup_key="date",
                      default_values={"bookings_30d": 0}),
        FeatureLookup("main.features.property_daily", "property_id", timestamp_lookup_key="date",
                      feature_names=["bookings_30d", "occupancy_30d"],
                      rename_outputs={"bookings_30d": "property_bookings_30d"}),
        FeatureLookup("main.features.destination_daily", "destination_id",
                      timestamp_lookup_key="date", feature_names=["bookings_7d"],
                      rename_outputs={"bookings_7d": "destination_bookings_7d"}),
        FeatureLookup("main.features.calendar", "date", feature_names=["is_weekend"]),
    ]
    labels = frames["fact_booking"].selectExpr(
        "customer_id", "property_id", "destination_id", "booking_date AS date",
        "CAST(total_amount AS double) AS amount")
    label_types = {f.name: f.dataType.simpleString() for f in labels.schema.fields}
    plan = plan_training_set(label_types, lookups, tables, ["amount"], [])
    from lakestep.features.pit import assemble

    result = assemble(labels, plan, lambda name: built[name.split(".")[-1]])
    assert result.count() == len(gold.bookings)
    assert "property_bookings_30d" in result.columns and result.columns[-1] == "amount"
