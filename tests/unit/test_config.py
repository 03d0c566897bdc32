"""Settings: precedence, names built in one place, strict validation."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from lakestep.config import Settings, load_settings, quote, read_bundle_variables, split_name
from lakestep.errors import ConfigError, InvalidName

REPO = Path(__file__).resolve().parents[2]


def test_settings_defaults_equal_the_bundle_defaults():
    """An installed wheel has no databricks.yml and falls back to Settings defaults."""
    variables = read_bundle_variables(REPO / "databricks.yml", "local")
    defaults = {f.name: f.default for f in fields(Settings)}
    for name in ("project", "catalog", "gold_schema", "features_schema", "ml_schema",
                 "monitoring_schema"):
        assert variables[name] == defaults[name], name


def test_names_are_three_level_and_built_here(tmp_path):
    s = load_settings(home=tmp_path, environ={})
    assert s.gold("fact_booking") == "main.gold.fact_booking"
    assert s.feature_table("customer_daily") == "main.features.customer_daily"
    assert s.model_name("demand_predictor") == "main.ml.demand_predictor"
    assert s.predictions_table("demand_predictor") == "main.ml.demand_predictor_predictions"
    assert s.monitoring_table("model_metrics") == "main.monitoring.model_metrics"
    assert s.experiment_name("demand_predictor") == "/Shared/lakestep_ml_demand_predictor"
    assert s.table_path("main.gold.x") == tmp_path / "lakehouse" / "main" / "gold" / "x"


def test_precedence_bundle_then_env_then_arguments(tmp_path):
    env = {"LAKESTEP_CATALOG": "from_env", "LAKESTEP_ML_SCHEMA": "ml_env"}
    s = load_settings(home=tmp_path, environ=env, catalog="from_flag")
    assert s.catalog == "from_flag"
    assert s.ml_schema == "ml_env"
    assert s.gold_schema == "gold"


def test_target_overrides_come_from_the_bundle(tmp_path):
    project = tmp_path / "proj"
    project.mkdir()
    (project / "databricks.yml").write_text(yaml.safe_dump({
        "bundle": {"name": "x"},
        "variables": {"catalog": {"default": "main"}, "project": {"default": "p"},
                      "ml_schema": {"default": "ml_${bundle.target}"}},
        "targets": {"dev": {"variables": {"catalog": "dev_${var.project}"}}, "prod": {}},
    }))
    dev = load_settings("dev", project_dir=project, environ={})
    assert (dev.catalog, dev.ml_schema, dev.project) == ("dev_p", "ml_dev", "p")
    assert dev.tracking_uri == "databricks" and dev.registry_uri == "databricks-uc"
    assert dev.home == (project / ".lakestep").resolve()
    with pytest.raises(ConfigError, match="target 'qa' is not defined"):
        load_settings("qa", project_dir=project, environ={})


def test_local_defaults_use_a_sqlite_store_in_home(tmp_path):
    s = load_settings(home=tmp_path, environ={})
    assert s.tracking_uri == f"sqlite:///{tmp_path.resolve() / 'mlflow.db'}"
    assert s.registry_uri == s.tracking_uri


def test_unknown_env_variable_is_rejected(tmp_path):
    with pytest.raises(ConfigError, match="unknown environment variable LAKESTEP_CATALG"):
        load_settings(home=tmp_path, environ={"LAKESTEP_CATALG": "x"})


def test_unknown_setting_and_target_are_rejected(tmp_path):
    with pytest.raises(ConfigError, match="unknown setting"):
        load_settings(home=tmp_path, environ={}, colour="blue")
    with pytest.raises(ConfigError, match="unknown target"):
        Settings(target="staging")  # type: ignore[arg-type]


def test_malformed_bundle_is_a_clear_error(tmp_path):
    (tmp_path / "databricks.yml").write_text("variables: [unclosed")
    with pytest.raises(ConfigError, match=r"cannot read .*databricks.yml"):
        load_settings(project_dir=tmp_path, environ={})


def test_project_dir_must_exist_and_hold_a_bundle(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(project_dir=tmp_path / "nope", environ={})
    with pytest.raises(ConfigError, match=r"no databricks\.yml"):
        load_settings(project_dir=tmp_path, environ={})


@pytest.mark.parametrize("bad", ["main", "a.b", "a.b.c.d", "a.b-c.d", "a.b.c;drop", "1a.b.c",
                                 "a.b.`c`", "a. b.c", ""])
def test_names_with_illegal_characters_are_refused(bad):
    with pytest.raises(InvalidName):
        split_name(bad)


@pytest.mark.parametrize("bad", ["x y", "x;y", "x`y", "9x"])
def test_settings_refuse_unsafe_identifiers(tmp_path, bad):
    with pytest.raises(InvalidName):
        load_settings(home=tmp_path, environ={}, catalog=bad)


def test_quote_quotes_every_part():
    assert quote("main.gold.t") == "`main`.`gold`.`t`"
