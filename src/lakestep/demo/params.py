"""Every constant of the demo world: dates, destinations, segments and planted signals.

Changing a number here changes the data; docs/demo-data.md documents each signal and the
tests in tests/integration/test_demo_signals.py check that it is really in the tables.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime

# -- time -----------------------------------------------------------------------------------
# Two years of activity ending on a fixed date: the data never depend on today's date.
START_DATE = date(2023, 7, 1)
END_DATE = date(2025, 6, 30)
DAYS = (END_DATE - START_DATE).days + 1  # 731
DRIFT_DAYS = 61  # drift=True appends 2025-07-01 … 2025-08-30
START_EPOCH = int(datetime(2023, 7, 1, tzinfo=UTC).timestamp())
SECONDS_PER_DAY = 86_400
# dim_date spans every booking, view and check-in date the generator can produce.
CALENDAR_START = date(2023, 1, 1)
CALENDAR_END = date(2026, 12, 31)
HOLIDAYS = ("01-01", "05-01", "12-24", "12-25", "12-26", "12-31")
EASTER_SUNDAYS = (date(2023, 4, 9), date(2024, 3, 31), date(2025, 4, 20), date(2026, 4, 5))


@dataclass(frozen=True)
class Destination:
    destination_id: int
    name: str
    country_code: str
    region: str
    kind: str  # beach | city | ski | countryside
    latitude: float
    longitude: float
    base_price: float  # EUR per night for a standard 3-star hotel room, the price reference
    weight: int  # share of properties


DESTINATIONS = (
    Destination(1, "Lisbon", "PT", "Southern Europe", "city", 38.72, -9.14, 95, 6),
    Destination(2, "Porto", "PT", "Southern Europe", "city", 41.15, -8.61, 80, 4),
    Destination(3, "Barcelona", "ES", "Southern Europe", "city", 41.39, 2.17, 120, 7),
    Destination(4, "Mallorca", "ES", "Southern Europe", "beach", 39.57, 2.65, 140, 6),
    Destination(5, "Tenerife", "ES", "Southern Europe", "beach", 28.29, -16.63, 110, 4),
    Destination(6, "Paris", "FR", "Western Europe", "city", 48.86, 2.35, 170, 8),
    Destination(7, "Nice", "FR", "Western Europe", "beach", 43.70, 7.27, 150, 4),
    Destination(8, "Chamonix", "FR", "Western Europe", "ski", 45.92, 6.87, 190, 2),
    Destination(9, "Rome", "IT", "Southern Europe", "city", 41.90, 12.50, 130, 7),
    Destination(10, "Amalfi Coast", "IT", "Southern Europe", "beach", 40.63, 14.60, 210, 3),
    Destination(11, "Dolomites", "IT", "Southern Europe", "ski", 46.41, 11.84, 165, 2),
    Destination(12, "Tuscany", "IT", "Southern Europe", "countryside", 43.32, 11.33, 150, 3),
    Destination(13, "Athens", "GR", "Southern Europe", "city", 37.98, 23.73, 85, 4),
    Destination(14, "Santorini", "GR", "Southern Europe", "beach", 36.39, 25.46, 220, 3),
    Destination(15, "Crete", "GR", "Southern Europe", "beach", 35.24, 24.81, 100, 4),
    Destination(16, "Berlin", "DE", "Central Europe", "city", 52.52, 13.40, 105, 5),
    Destination(17, "Amsterdam", "NL", "Western Europe", "city", 52.37, 4.90, 175, 5),
    Destination(18, "London", "GB", "Northern Europe", "city", 51.51, -0.13, 190, 8),
    Destination(19, "Edinburgh", "GB", "Northern Europe", "city", 55.95, -3.19, 125, 3),
    Destination(20, "Dubrovnik", "HR", "Southern Europe", "beach", 42.65, 18.09, 135, 3),
    Destination(21, "Innsbruck", "AT", "Central Europe", "ski", 47.27, 11.39, 140, 2),
    Destination(22, "Zermatt", "CH", "Central Europe", "ski", 46.02, 7.75, 260, 2),
    Destination(23, "Prague", "CZ", "Central Europe", "city", 50.08, 14.44, 75, 4),
    Destination(24, "Provence", "FR", "Western Europe", "countryside", 43.95, 4.81, 130, 2),
)


@dataclass(frozen=True)
class Season:
    """Yearly cycle of one destination kind: 1 + amplitude * cos(2π (day_of_year - peak) / 365)."""

    booking_peak: int  # day of year when most bookings are made
    booking_amplitude: float
    stay_peak: int  # day of year when stays are dearest
    price_amplitude: float


SEASONS = {
    "beach": Season(booking_peak=160, booking_amplitude=0.70, stay_peak=200, price_amplitude=0.35),
    "ski": Season(booking_peak=10, booking_amplitude=0.80, stay_peak=40, price_amplitude=0.40),
    "city": Season(booking_peak=120, booking_amplitude=0.20, stay_peak=130, price_amplitude=0.12),
    "countryside": Season(booking_peak=150, booking_amplitude=0.45, stay_peak=180,
                          price_amplitude=0.20),
}
DESTINATION_KINDS = tuple(SEASONS)

# Booking activity by ISO day of week (Mon=1 … Sun=7): weekends are quieter.
WEEKDAY_ACTIVITY = (1.00, 0.96, 0.92, 0.86, 0.72, 0.62, 0.84)
TREND_START = 0.80  # activity grows linearly from 0.80 to 1.00 over the two years

# -- customers ------------------------------------------------------------------------------
SEGMENTS = ("budget", "family", "business", "luxury")
SEGMENT_SHARE = (0.35, 0.25, 0.25, 0.15)
SEGMENT_ACTIVITY = (0.80, 0.60, 1.00, 0.70)  # relative booking frequency, by segment
LEAD_MEAN_DAYS = (28.0, 60.0, 7.0, 40.0)  # exponential lead time (view → check-in)
NIGHTS = ((1, 5), (3, 8), (1, 3), (2, 6))  # (min, count of values): uniform min … min+count-1
GUESTS = ((1, 3), (3, 4), (1, 1), (2, 1))
MOBILE_SHARE = (0.55, 0.40, 0.30, 0.40)
TABLET_SHARE = (0.08, 0.15, 0.05, 0.12)
COUNTRIES = ("GB", "DE", "FR", "NL", "ES", "IT", "US", "SE", "PL", "BE", "IE", "CH")
COUNTRY_SHARE = (0.18, 0.18, 0.14, 0.08, 0.08, 0.08, 0.10, 0.04, 0.04, 0.04, 0.02, 0.02)
LOYALTY_TIERS = ("none", "silver", "gold", "platinum")
# Customer activity falls exponentially with activity rank: the most active customer views
# (and books) about 1/ACTIVITY_DECAY = 4 times as often as the average one, the least
# active e**-4 times as often as the most active.
ACTIVITY_DECAY = 0.25
CUSTOMERS_PER_BOOKING = 1 / 8
SIGNUP_BEFORE_START = 0.70  # share of customers who signed up before START_DATE
CUSTOMER_CHANGES = (0.45, 0.35, 0.20)  # P(0, 1, 2 SCD2 changes) over the two years
CUSTOMER_CHANGE_KINDS = ("segment", "country", "loyalty")
CUSTOMER_CHANGE_SHARE = (0.30, 0.15, 0.55)

# -- properties -----------------------------------------------------------------------------
PROPERTY_TYPES = ("hotel", "apartment", "bnb", "hostel", "villa")
PROPERTY_TYPE_SHARE = (0.40, 0.30, 0.12, 0.08, 0.10)
TYPE_PRICE_FACTOR = (1.00, 0.90, 0.80, 0.45, 1.90)
STARS_RANGE = ((2, 4), (2, 3), (2, 3), (1, 2), (4, 2))  # (min, count of values) per type
MAX_GUESTS = ((2, 3), (2, 5), (2, 2), (1, 2), (6, 5))
PRICE_TIERS = ("budget", "standard", "premium", "luxury")
PRICE_TIER_LIMITS = (70.0, 140.0, 250.0)  # list price thresholds of the initial tier
BOOKINGS_PER_PROPERTY = 200
PROPERTY_CHANGES = (0.60, 0.30, 0.10)
TIER_UP_PRICE, TIER_DOWN_PRICE = 1.25, 0.80
STAR_PRICE = (0.45, 0.22)  # price factor = 0.45 + 0.22 * stars (1★ 0.67 … 5★ 1.55)

# How much each segment likes a property (1 = ideal), by stars (1–5), by property type (in
# PROPERTY_TYPES order) and by destination kind (in SEASONS order).
TASTE_BUDGET_STARS = (1.0, 1.0, 0.8, 0.45, 0.2)
TASTE_FAMILY_TYPE = (0.6, 1.0, 0.6, 0.25, 1.0)
TASTE_FAMILY_KIND = (1.0, 0.7, 0.6, 1.0)
TASTE_BUSINESS_TYPE = (1.0, 0.6, 0.4, 0.3, 0.15)
TASTE_BUSINESS_KIND = (0.25, 0.25, 1.0, 0.25)
TASTE_BUSINESS_WEEKEND = 0.5
TASTE_LUXURY_STARS = (0.1, 0.15, 0.35, 0.8, 1.0)
POPULARITY = (0.5, 0.5)  # property popularity uniform in 0.5 … 1.0

# -- the funnel -----------------------------------------------------------------------------
DEVICES = ("desktop", "mobile", "tablet")
CHANNELS = ("organic", "paid_search", "metasearch", "email", "direct")
CHANNEL_SHARE = (0.35, 0.25, 0.20, 0.10, 0.10)
MAX_LEAD_DAYS = 300
PRICE_NOISE = 0.12  # sd of log price around the list price
WEEKEND_CHECKIN_PRICE = 1.12  # Friday/Saturday check-ins


@dataclass(frozen=True)
class Conversion:
    """Log-odds that a page view converts (a booking follows within 7 days)."""

    intercept: float = -0.90
    log_price_ratio: float = -1.20  # per unit of log(price_shown / destination base price)
    lead_day: float = -0.006  # per day between the view and check-in
    device: tuple[float, ...] = (0.30, -0.45, 0.0)  # desktop, mobile, tablet
    channel: tuple[float, ...] = (0.0, -0.15, 0.10, 0.40, 0.30)


CONVERSION = Conversion()
SAME_DAY_BOOKING = 0.55  # otherwise the booking follows 1–6 days after the view
CONVERSION_WINDOW_DAYS = 7
CANCEL_INTERCEPT = -2.4
CANCEL_LEAD_DAY = 0.006
CANCEL_SEGMENT = (0.4, 0.0, -0.3, -0.2)
CANCEL_MOBILE = 0.2

# -- anomalies ------------------------------------------------------------------------------
ANOMALY_RATE = 0.005
ANOMALY_PRICE_SHARE = 0.55  # the rest are absurd stays
ANOMALY_PRICE_FACTOR = (12.0, 28.0)  # nightly price × (12 … 40)
ANOMALY_NIGHTS = (45, 136)  # 45 … 180 nights


@dataclass(frozen=True)
class Drift:
    """How the appended scoring period (drift=True) differs from the two base years."""

    price_factor: float = 1.20
    mobile_shift: float = 0.25  # added to the mobile share, taken from desktop
    lead_factor: float = 0.50


NO_DRIFT = Drift(price_factor=1.0, mobile_shift=0.0, lead_factor=1.0)
DRIFT = Drift()


def cumulative(shares: tuple[float, ...]) -> tuple[float, ...]:
    """Upper bounds for picking an option from a uniform number (last bound is 1)."""
    total, bounds = 0.0, []
    for share in shares:
        total += share
        bounds.append(total)
    if not math.isclose(total, 1.0, abs_tol=1e-9):
        raise ValueError(f"shares sum to {total}, not 1")
    return (*bounds[:-1], 1.0)
