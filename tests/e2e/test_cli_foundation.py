"""The CLI end to end in real subprocesses: bad input gives one clear line and a non-zero exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

LAKESTEP = [sys.executable, "-m", "lakestep"]


def lakestep(*args: str, home: Path | None = None, cwd: Path | None = None,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("LAKESTEP_")}
    full_env.update(env or {})
    prefix = ["--home", str(home)] if home else []
    return subprocess.run([*LAKESTEP, *prefix, *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=300)


def assert_clean_failure(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


def test_unknown_table_is_one_clear_line(tmp_path):
    result = lakestep("tables", "--schema", "main.gold", home=tmp_path)
    assert result.returncode == 0, result.stderr  # an empty schema is not an error
    result = lakestep("show", "main.gold.nope", home=tmp_path)
    assert_clean_failure(result, "main.gold.nope does not exist")


def test_illegal_table_name_is_refused(tmp_path):
    result = lakestep("show", "main.gold.x;drop table y", home=tmp_path)
    assert_clean_failure(result, "invalid table name")


def test_unwritable_home_is_one_clear_line(tmp_path):
    if os.geteuid() == 0:
        home = Path("/sys/lakestep-home")  # root may write anywhere, but not into sysfs
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        home = locked / "home"
    result = lakestep("tables", home=home)
    assert_clean_failure(result, "cannot create lakestep home", "LAKESTEP_HOME")


def test_malformed_project_bundle_is_one_clear_line(tmp_path):
    (tmp_path / "databricks.yml").write_text("variables: [oops")
    result = lakestep("--project", str(tmp_path), "tables")
    assert_clean_failure(result, "cannot read", "databricks.yml")


def test_unknown_env_variable_is_one_clear_line(tmp_path):
    result = lakestep("tables", home=tmp_path, env={"LAKESTEP_CATALG": "x"})
    assert_clean_failure(result, "unknown environment variable LAKESTEP_CATALG")


def test_doctor_reports_every_check(tmp_path):
    result = lakestep("doctor", home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    for check in ("python", "java", "packages", "engine", "home", "mlflow"):
        assert check in result.stdout


@pytest.mark.slow
def test_demo_data_twice_is_safe_and_identical(tmp_path):
    first = lakestep("demo-data", "--scale", "2000", home=tmp_path)
    assert first.returncode == 0, first.stderr
    before = booking_rows(first.stdout)  # demo-data prints the tables it wrote
    second = lakestep("demo-data", "--scale", "2000", home=tmp_path)
    assert second.returncode == 0, second.stderr
    listed = lakestep("tables", home=tmp_path).stdout
    assert 1_500 < before < 2_500
    assert booking_rows(second.stdout) == booking_rows(listed) == before  # no duplicates
    assert booking_version(listed) > booking_version(first.stdout)  # a new Delta version


def _booking_cell(tables_output: str, column: int) -> int:
    line = next(line for line in tables_output.splitlines() if "main.gold.fact_booking" in line)
    return int(line.split("│")[column].strip().replace(",", ""))


def booking_rows(tables_output: str) -> int:
    return _booking_cell(tables_output, 2)


def booking_version(tables_output: str) -> int:
    return _booking_cell(tables_output, 3)
