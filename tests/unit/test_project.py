"""A project directory is checked when it is loaded: every missing or inconsistent part is
one clear error naming the file and what to do, before any data is read."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from lakestep.errors import FeatureDefinitionError, ModelSpecError, ProjectError
from lakestep.project import Project
from lakestep.project_data import data_files

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "bike_sharing"

CONTRACT = """\
table: fact_ride
description: one row per ride
primary_key: [ride_id]
columns:
  - {name: ride_id, type: bigint}
  - {name: station_id, type: int}
  - {name: ride_date, type: date}
"""

FEATURE = """\
from lakestep.features import FeatureTableDefinition

DEFINITION = FeatureTableDefinition(
    name="station_rides", primary_keys=("station_id", "date"), timeseries_column="date",
    description="rides per station", columns_used={"fact_ride": ("station_id", "ride_date")},
    transform=lambda spark, sources: sources["fact_ride"])
"""

LABEL = FEATURE.replace("station_rides", "ride_labels")

SPEC = {
    "name": "rides", "kind": "regression", "description": "rides", "algorithm": "xgboost",
    "label": {"table": "ride_labels", "schema": "ml", "column": "rides",
              "keys": ["station_id", "date"], "timestamp": "date"},
    "feature_lookups": [{"table": "station_rides", "lookup_key": "station_id",
                         "timestamp_lookup_key": "date"}],
    "split": {"strategy": "time", "column": "date"},
    "metrics": ["r2"], "key_metric": "r2",
}


def make_project(root: Path, *, spec: dict | None = None) -> Project:
    for folder in ("contracts", "features", "labels", "models", "data"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "contracts" / "fact_ride.yml").write_text(CONTRACT)
    (root / "features" / "station_rides.py").write_text(FEATURE)
    (root / "labels" / "ride_labels.py").write_text(LABEL)
    (root / "models" / "rides.yml").write_text(yaml.safe_dump(spec or SPEC))
    (root / "data" / "fact_ride.csv").write_text("ride_id,station_id,ride_date\n1,1,2025-01-01\n")
    return Project(root)


def test_a_complete_project_loads_every_part(tmp_path):
    project = make_project(tmp_path / "rides")
    assert project.name == "rides" and not project.is_demo
    assert list(project.contracts) == ["fact_ride"]
    assert list(project.feature_definitions) == ["station_rides"]
    assert list(project.label_definitions) == ["ride_labels"]
    assert list(project.specs) == ["rides"]
    assert [(f.table, f.path.name) for f in data_files(project)] == [("fact_ride",
                                                                      "fact_ride.csv")]


def test_the_example_project_loads_every_part():
    project = Project(EXAMPLE)
    assert set(project.contracts) == {"dim_station", "weather", "fact_trip",
                                      "fact_station_status"}
    assert set(project.feature_definitions) == {"station_daily", "day_context"}
    assert set(project.label_definitions) == {"station_demand_labels", "dock_shortage_labels"}
    assert {s.name: s.kind for s in project.specs.values()} == {
        "station_demand": "regression", "dock_shortage": "classification"}
    assert {f.table for f in data_files(project)} == set(project.contracts)


def test_example_data_is_small_and_committed_as_csv():
    files = list((EXAMPLE / "data").iterdir())
    assert {f.suffix for f in files} == {".csv"}
    assert sum(f.stat().st_size for f in files) < 1_000_000


@pytest.mark.parametrize("folder", ["contracts", "models", "data"])
def test_a_missing_folder_is_named_with_the_fix(tmp_path, folder):
    project = make_project(tmp_path / "rides")
    for path in (project.root / folder).iterdir():
        path.unlink()
    (project.root / folder).rmdir()
    with pytest.raises(ProjectError, match=f"has no {folder}/ folder") as caught:
        if folder == "contracts":
            _ = project.contracts
        elif folder == "models":
            _ = project.specs
        else:
            data_files(project)
    assert str(project.root / folder) in caught.value.hint


def test_a_module_without_definition_is_named(tmp_path):
    project = make_project(tmp_path / "rides")
    (project.root / "features" / "empty.py").write_text("X = 1\n")
    with pytest.raises(FeatureDefinitionError, match=r"empty\.py sets neither DEFINITION"):
        _ = project.feature_definitions


def test_a_definition_of_the_wrong_type_is_named(tmp_path):
    project = make_project(tmp_path / "rides")
    (project.root / "labels" / "odd.py").write_text("DEFINITION = 'ride_labels'\n")
    with pytest.raises(FeatureDefinitionError, match=r"odd\.py declares str"):
        _ = project.label_definitions


def test_a_module_that_fails_to_import_is_named(tmp_path):
    project = make_project(tmp_path / "rides")
    (project.root / "features" / "broken.py").write_text("import not_a_module_anywhere\n")
    with pytest.raises(ProjectError, match=r"broken\.py failed to import: ModuleNotFoundError"):
        _ = project.feature_definitions


def test_a_feature_definition_reading_an_unknown_column_fails_at_load(tmp_path):
    project = make_project(tmp_path / "rides")
    (project.root / "features" / "station_rides.py").write_text(
        FEATURE.replace('"ride_date")', '"ride_day")'))
    with pytest.raises(FeatureDefinitionError, match="no column 'ride_day'.*did you mean"):
        _ = project.feature_definitions


def test_a_spec_naming_an_unknown_feature_table_fails_at_load(tmp_path):
    spec = {**SPEC, "feature_lookups": [{**SPEC["feature_lookups"][0], "table": "station_ridez"}]}
    project = make_project(tmp_path / "rides", spec=spec)
    with pytest.raises(ModelSpecError, match="feature table 'station_ridez' is not declared in "
                       "rides") as caught:
        _ = project.specs
    assert "station_rides" in caught.value.hint


def test_a_spec_naming_an_unknown_label_table_fails_at_load(tmp_path):
    spec = {**SPEC, "label": {**SPEC["label"], "table": "ride_label"}}
    project = make_project(tmp_path / "rides", spec=spec)
    with pytest.raises(ModelSpecError, match="label table 'ride_label' is not declared") as caught:
        _ = project.specs
    assert "ride_labels" in caught.value.hint


def test_a_gold_label_table_must_have_a_contract(tmp_path):
    spec = {**SPEC, "label": {**SPEC["label"], "table": "fact_rides", "schema": "gold"}}
    project = make_project(tmp_path / "rides", spec=spec)
    with pytest.raises(ModelSpecError, match=r"gold table \(contract\) 'fact_rides'"):
        _ = project.specs


def test_a_data_file_without_a_contract_names_both(tmp_path):
    project = make_project(tmp_path / "rides")
    (project.root / "data" / "fact_rental.csv").write_text("rental_id\n1\n")
    with pytest.raises(ProjectError, match="data file.* without a contract: .*fact_rental.csv") \
            as caught:
        data_files(project)
    assert "contracts/fact_rental.yml" in caught.value.hint
    assert "fact_ride" in caught.value.hint  # the contracts there are


def test_a_contract_without_data_names_both(tmp_path):
    project = make_project(tmp_path / "rides")
    (project.root / "contracts" / "dim_station.yml").write_text(textwrap.dedent("""\
        table: dim_station
        description: stations
        primary_key: [station_id]
        columns:
          - {name: station_id, type: int}
        """))
    with pytest.raises(ProjectError, match=r"contract\(s\) without data: .*dim_station\.yml") \
            as caught:
        data_files(project)
    assert "data/dim_station.csv" in caught.value.hint


def test_two_files_for_one_table_or_another_format_are_refused(tmp_path):
    project = make_project(tmp_path / "rides")
    (project.root / "data" / "fact_ride.parquet").write_bytes(b"PAR1")
    with pytest.raises(ProjectError, match="fact_ride has two data files"):
        data_files(project)
    (project.root / "data" / "fact_ride.parquet").unlink()
    (project.root / "data" / "fact_ride.xlsx").write_bytes(b"")
    with pytest.raises(ProjectError, match=r"fact_ride\.xlsx is neither \.csv nor \.parquet"):
        data_files(project)


def test_the_demo_has_no_data_folder_to_load():
    from lakestep.project_data import load_gold

    class DemoPlatform:
        project = Project()

    with pytest.raises(ProjectError, match="the demo has no data folder"):
        load_gold(DemoPlatform())  # type: ignore[arg-type]
