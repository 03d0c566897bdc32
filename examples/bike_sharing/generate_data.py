"""Generate the bike-sharing example's gold data (data/*.csv), deterministically.

Run once from the repository root; the CSV files it writes are committed::

    .venv/bin/python examples/bike_sharing/generate_data.py

Twelve stations of a small city, six months of trips (April to September 2025), the
daily weather (with the forecast of 1 October, the day the models predict) and a daily
status per station. The planted signal, which the two models
must find to pass their gates:

* trips started per station and day follow the station's size, its district's weekly
  rhythm (business and university stations are busy on weekdays, park stations at the
  weekend, university stations quiet in the summer break), the temperature (warmer is
  busier) and the rain (wet is quieter), with Poisson noise;
* a station runs empty (``minutes_empty >= 30``, a dock shortage) more often when it
  drains (residential and university stations on weekday mornings), when it is warm and
  dry, and each station has its own persistent drain rate.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

SEED = 2025
FIRST_DAY = date(2025, 4, 1)
DAYS = 183  # trips and station status to 2025-09-30
FORECAST_DAYS = 1  # the weather has tomorrow's forecast too: the day scoring predicts
DATA = Path(__file__).resolve().parent / "data"

# name, district, capacity, size (mean trips/day at 15 °C on a neutral day), drain (-1..1)
STATIONS = (
    ("Central Station", "centre", 40, 7.0, 0.2),
    ("Market Square", "centre", 30, 5.5, -0.3),
    ("Harbour Front", "centre", 24, 4.0, 0.0),
    ("Tech Park", "business", 30, 5.0, -0.8),
    ("Finance Tower", "business", 20, 3.5, -0.6),
    ("Old Mill Quarter", "residential", 16, 3.0, 0.9),
    ("Linden Avenue", "residential", 14, 2.5, 0.7),
    ("Hillside", "residential", 12, 1.8, 1.0),
    ("Campus North", "university", 30, 5.5, 0.6),
    ("Library Steps", "university", 18, 3.0, 0.3),
    ("Riverside Park", "park", 20, 3.5, -0.2),
    ("Lake Pavilion", "park", 16, 2.5, 0.1),
)
# trips multiplier on a weekday, at the weekend
RHYTHM = {"centre": (1.0, 1.2), "business": (1.5, 0.35), "residential": (1.15, 0.8),
          "university": (1.4, 0.5), "park": (0.6, 1.9)}
# where trips end (weights), weekday and weekend
ATTRACTION = {"centre": (1.5, 1.5), "business": (1.8, 0.3), "residential": (0.6, 0.8),
              "university": (1.2, 0.4), "park": (0.5, 1.8)}
SUMMER_BREAK = (date(2025, 7, 1), date(2025, 8, 31))


def weather(rng: np.random.Generator) -> list[dict[str, object]]:
    rows = []
    for offset in range(DAYS + FORECAST_DAYS):
        day = FIRST_DAY + timedelta(days=offset)
        seasonal = 9.0 + 13.0 * np.sin(np.pi * (offset + 10) / 200)  # peaks late July
        temperature = seasonal + rng.normal(0, 3.0)
        rainy = rng.random() < 0.3
        precipitation = rng.exponential(4.0) if rainy else 0.0
        rows.append({"date": day.isoformat(), "temperature_c": f"{temperature:.1f}",
                     "precipitation_mm": f"{precipitation:.1f}",
                     "wind_speed_kmh": f"{abs(rng.normal(12, 6)):.1f}"})
    return rows


def stations(rng: np.random.Generator) -> list[dict[str, object]]:
    rows = []
    for index, (name, district, capacity, _, _) in enumerate(STATIONS, start=1):
        opened = date(2019, 1, 1) + timedelta(days=int(rng.integers(0, 5 * 365)))
        rows.append({"station_id": index, "station_name": name, "district": district,
                     "capacity": capacity,
                     "latitude": f"{52.37 + rng.normal(0, 0.02):.5f}",
                     "longitude": f"{4.89 + rng.normal(0, 0.03):.5f}",
                     "opened_date": opened.isoformat()})
    return rows


def demand(day: date, district: str, size: float, temperature: float,
           precipitation: float) -> float:
    weekday = day.weekday() < 5
    rhythm = RHYTHM[district][0 if weekday else 1]
    if district == "university" and SUMMER_BREAK[0] <= day <= SUMMER_BREAK[1]:
        rhythm *= 0.45
    return size * rhythm * np.exp(0.06 * (temperature - 15)) * np.exp(-0.15 * precipitation)


def trips(rng: np.random.Generator, days: list[dict[str, object]]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for day_row in days[:DAYS]:
        day = date.fromisoformat(str(day_row["date"]))
        temperature = float(str(day_row["temperature_c"]))
        precipitation = float(str(day_row["precipitation_mm"]))
        weekday = day.weekday() < 5
        weights = np.array([ATTRACTION[s[1]][0 if weekday else 1] for s in STATIONS])
        for station_id, (_, district, _, size, _) in enumerate(STATIONS, start=1):
            count = rng.poisson(demand(day, district, size, temperature, precipitation))
            for _ in range(count):
                rows.append(trip(rng, day, station_id, district, weekday, weights))
    rows.sort(key=lambda r: (str(r["started_at"]), int(str(r["start_station_id"]))))
    for trip_id, row in enumerate(rows, start=1):
        row["trip_id"] = trip_id
    return rows


def trip(rng: np.random.Generator, day: date, station_id: int, district: str, weekday: bool,
         weights: np.ndarray) -> dict[str, object]:
    commute = weekday and district in ("residential", "university", "business")
    hour = rng.choice([8, 17]) + rng.normal(0, 1.2) if commute and rng.random() < 0.6 \
        else rng.uniform(7, 22)
    started = datetime(day.year, day.month, day.day) + timedelta(
        seconds=int(np.clip(hour, 5, 23.9) * 3600) + int(rng.integers(0, 60)))
    end_station = int(rng.choice(len(STATIONS), p=weights / weights.sum())) + 1
    casual = rng.random() < (0.55 if district == "park" or not weekday else 0.25)
    electric = rng.random() < 0.3
    duration = int(np.clip(rng.gamma(3.0, 5.0 if not casual else 9.0), 2, 300))
    per_minute = (0.20 if casual else 0.05) + (0.10 if electric else 0.0)
    fare = (1.00 if casual else 0.50) + per_minute * duration
    return {"trip_id": 0, "started_at": started.strftime("%Y-%m-%d %H:%M:%S"),
            "start_date": day.isoformat(), "start_station_id": station_id,
            "end_station_id": end_station, "duration_minutes": duration,
            "rider_type": "casual" if casual else "member",
            "bike_type": "electric" if electric else "classic", "fare": f"{fare:.2f}"}


def station_status(rng: np.random.Generator,
                   days: list[dict[str, object]]) -> list[dict[str, object]]:
    rows = []
    for day_row in days[:DAYS]:
        day = date.fromisoformat(str(day_row["date"]))
        temperature = float(str(day_row["temperature_c"]))
        precipitation = float(str(day_row["precipitation_mm"]))
        weekday = day.weekday() < 5
        for station_id, (_, district, capacity, _, drain) in enumerate(STATIONS, start=1):
            logit = (-1.9 + 1.6 * drain + 0.12 * (temperature - 15) - 0.25 * precipitation
                     + (1.0 if weekday and district in ("residential", "university") else 0.0)
                     - (1.0 if not weekday and district == "business" else 0.0))
            shortage = rng.random() < 1 / (1 + np.exp(-logit))
            if shortage:
                minutes_empty = int(rng.integers(30, 300))
            else:
                minutes_empty = 0 if rng.random() < 0.8 else int(rng.integers(1, 30))
            lowest = 0 if minutes_empty else int(rng.integers(1, capacity // 3 + 1))
            rows.append({"station_id": station_id, "status_date": day.isoformat(),
                         "min_bikes_available": lowest, "minutes_empty": minutes_empty})
    return rows


def write(table: str, rows: list[dict[str, object]], columns: list[str]) -> None:
    with (DATA / f"{table}.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{table}: {len(rows)} rows")


def main() -> None:
    rng = np.random.default_rng(SEED)
    DATA.mkdir(exist_ok=True)
    days = weather(rng)
    write("weather", days, ["date", "temperature_c", "precipitation_mm", "wind_speed_kmh"])
    write("dim_station", stations(rng), ["station_id", "station_name", "district", "capacity",
                                         "latitude", "longitude", "opened_date"])
    write("fact_trip", trips(rng, days),
          ["trip_id", "started_at", "start_date", "start_station_id", "end_station_id",
           "duration_minutes", "rider_type", "bike_type", "fare"])
    write("fact_station_status", station_status(rng, days),
          ["station_id", "status_date", "min_bikes_available", "minutes_empty"])


if __name__ == "__main__":
    main()
