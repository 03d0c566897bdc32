"""load_gold on real Delta: a project's CSV/Parquet files are cast to their contracts,
checked before anything is written, and a bad file leaves every table as it was."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from lakestep.contracts import Rule
from lakestep.demo import content_hash
from lakestep.errors import ContractViolation, ProjectError
from lakestep.platform.base import Platform
from lakestep.project_data import load_gold

RENTAL = """\
table: fact_rental
description: One row per rental.
primary_key: [rental_id]
columns:
  - {name: rental_id, type: bigint}
  - {name: rented_at, type: timestamp}
  - {name: rental_date, type: date}
  - {name: station_id, type: int, min: 1}
  - {name: fare, type: "decimal(6,2)", min: 0}
  - {name: is_electric, type: boolean}
  - {name: rider_type, type: string, allowed_values: [member, casual]}
  - {name: rating, type: double, nullable: true}
"""
RENTAL_CSV = """\
rental_id,rented_at,rental_date,station_id,fare,is_electric,rider_type,rating
1,2025-04-01 07:43:00,2025-04-01,3,2.50,true,member,4.5
2,2025-04-01 18:05:59,2025-04-01,1,12.05,false,casual,
3,2025-04-02 09:00:00,2025-04-02,2,0.00,false,member,3
"""
STATION = """\
table: dim_station
description: Stations.
primary_key: [station_id]
columns:
  - {name: station_id, type: int}
  - {name: station_name, type: string}
"""
STATION_CSV = "station_id,station_name\n1,Central\n2,Park\n3,\"Quay, north\"\n"


def make_project(root: Path) -> Path:
    for folder in ("contracts", "data"):
        (root / folder).mkdir(parents=True)
    (root / "contracts" / "fact_rental.yml").write_text(RENTAL)
    (root / "contracts" / "dim_station.yml").write_text(STATION)
    (root / "data" / "fact_rental.csv").write_text(RENTAL_CSV)
    (root / "data" / "dim_station.csv").write_text(STATION_CSV)
    return root


@pytest.fixture
def project(platform: Platform, tmp_path: Path) -> Platform:
    """The shared engine on a project of this test, with a gold schema of its own."""
    settings = platform.settings.with_overrides(
        project_dir=make_project(tmp_path / "rentals"), gold_schema=f"gold_{uuid.uuid4().hex[:8]}")
    return Platform(settings, platform.spark, platform.tables)


def rental_csv(project: Platform) -> Path:
    return project.settings.project_dir / "data" / "fact_rental.csv"


def test_every_column_is_cast_to_its_contract_type(project: Platform) -> None:
    steps: list[str] = []
    summaries = load_gold(project, progress=lambda step, seconds: steps.append(step))
    assert [(s.table, s.rows) for s in summaries] == [("dim_station", 3), ("fact_rental", 3)]
    assert steps[:2] == ["dim_station: dim_station.csv checked",
                         "fact_rental: fact_rental.csv checked"]
    name = project.settings.gold("fact_rental")
    df = project.tables.read(name)
    assert [(f.name, f.dataType.simpleString()) for f in df.schema.fields] == [
        ("rental_id", "bigint"), ("rented_at", "timestamp"), ("rental_date", "date"),
        ("station_id", "int"), ("fare", "decimal(6,2)"), ("is_electric", "boolean"),
        ("rider_type", "string"), ("rating", "double")]
    first, second, _ = sorted(df.collect(), key=lambda r: r.rental_id)
    assert first.rented_at == datetime.datetime(2025, 4, 1, 7, 43)
    assert first.rental_date == datetime.date(2025, 4, 1)
    assert (first.fare, second.fare) == (Decimal("2.50"), Decimal("12.05"))
    assert (first.is_electric, second.is_electric) == (True, False)
    assert (first.rating, second.rating) == (4.5, None)
    stations = project.tables.read(project.settings.gold("dim_station")).collect()
    assert sorted(r.station_name for r in stations) == ["Central", "Park", "Quay, north"]


def test_tables_carry_the_contract_and_the_source_file(project: Platform) -> None:
    load_gold(project)
    properties = project.tables.properties(project.settings.gold("fact_rental"))
    assert properties["comment"] == "One row per rental."
    assert properties["primary_key"] == "rental_id"
    assert properties["lakestep.contract"].endswith("contracts/fact_rental.yml")
    assert properties["lakestep.source"] == "data/fact_rental.csv"
    assert properties["lakestep.project"] == "rentals"


def test_a_rerun_gives_identical_tables(project: Platform) -> None:
    first = load_gold(project)
    hashes = {s.name: content_hash(project.tables.read(s.name)) for s in first}
    second = load_gold(project)
    assert {s.name: content_hash(project.tables.read(s.name)) for s in second} == hashes
    assert all(b.version > a.version for a, b in zip(first, second, strict=True))


def test_one_violation_names_the_file_and_every_bad_column(project: Platform) -> None:
    rental_csv(project).write_text(
        "rental_id,rented_at,rental_date,station_id,fare,is_electric,rider_type,colour\n"
        "1,2025-04-01 07:43:00,2025-02-30,3,abc,yes,member,red\n"
        "1,2025-04-01 07:43:00,2025-04-01,0,1.005,false,tourist,blue\n")
    with pytest.raises(ContractViolation) as caught:
        load_gold(project)
    message = str(caught.value)
    assert str(rental_csv(project)) in message
    by_column = {(p.column, p.rule) for p in caught.value.problems}
    assert {("rental_date", Rule.WRONG_TYPE), ("fare", Rule.WRONG_TYPE),
            ("is_electric", Rule.WRONG_TYPE), ("station_id", Rule.MIN),
            ("rider_type", Rule.ALLOWED_VALUES), ("rating", Rule.MISSING_COLUMN),
            ("colour", Rule.UNEXPECTED_COLUMN), ("rental_id", Rule.DUPLICATE_KEY)} <= by_column
    assert "cannot be read as date, e.g. '2025-02-30'" in message
    assert "would be rounded to decimal(6,2), e.g. '1.005'" in message
    assert "cannot be read as boolean, e.g. 'yes'" in message
    # a value that did not parse is reported once, not again as a null
    assert ("rental_date", Rule.NOT_NULL) not in by_column


def test_a_failed_load_leaves_every_table_as_it_was(project: Platform) -> None:
    load_gold(project)
    names = [project.settings.gold(t) for t in ("dim_station", "fact_rental")]
    before = {n: (project.tables.version(n), content_hash(project.tables.read(n))) for n in names}
    # dim_station (checked first) would be fine; fact_rental breaks: nothing may be written.
    (project.settings.project_dir / "data" / "dim_station.csv").write_text(
        "station_id,station_name\n1,Central\n")
    rental_csv(project).write_text(RENTAL_CSV.replace("2.50", "-1.00"))
    with pytest.raises(ContractViolation, match="fare"):
        load_gold(project)
    assert {n: (project.tables.version(n), content_hash(project.tables.read(n)))
            for n in names} == before


def test_parquet_files_are_cast_like_csv(project: Platform, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rental_csv(project).unlink()
    table = pa.table({"rental_id": pa.array([1, 2], pa.int32()),
                      "rented_at": ["2025-04-01 07:43:00", "2025-04-01 08:00:00"],
                      "rental_date": pa.array([datetime.date(2025, 4, 1)] * 2),
                      "station_id": pa.array([1, 2], pa.int64()),
                      "fare": [2.5, 3.25], "is_electric": [True, False],
                      "rider_type": ["member", "casual"], "rating": [None, 2.0]})
    pq.write_table(table, project.settings.project_dir / "data" / "fact_rental.parquet")
    load_gold(project)
    df = project.tables.read(project.settings.gold("fact_rental"))
    assert dict(df.dtypes)["fare"] == "decimal(6,2)"
    assert sorted(r.fare for r in df.collect()) == [Decimal("2.50"), Decimal("3.25")]


def test_a_file_without_a_header_row_is_a_clear_error(project: Platform) -> None:
    rental_csv(project).write_text(RENTAL_CSV.split("\n", 1)[1])
    with pytest.raises(ContractViolation, match="missing_column") as caught:
        load_gold(project)
    assert str(rental_csv(project)) in str(caught.value)


def test_a_data_file_without_a_contract_stops_before_reading(project: Platform) -> None:
    (project.settings.project_dir / "data" / "fact_repair.csv").write_text("repair_id\n1\n")
    with pytest.raises(ProjectError, match="fact_repair.csv"):
        load_gold(project)
    assert not project.tables.exists(project.settings.gold("fact_rental"))
