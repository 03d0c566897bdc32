"""Model specs are checked when loaded, not halfway through a run."""

from __future__ import annotations

import copy

import pytest
import yaml

from lakestep.errors import ModelSpecError
from lakestep.models.specs import check_against, load_specs, parse_spec

BASE = {
    "name": "demand",
    "kind": "regression",
    "description": "d",
    "algorithm": "xgboost",
    "label": {"table": "demand_labels", "schema": "ml", "column": "bookings",
              "keys": ["property_id", "date"], "timestamp": "date"},
    "feature_lookups": [{"table": "property_daily", "lookup_key": "property_id",
                         "timestamp_lookup_key": "date", "feature_names": ["price_avg_30d"]}],
    "split": {"strategy": "time", "column": "date"},
    "metrics": ["rmse", "r2"],
    "key_metric": "r2",
    "gate": {"thresholds": {"r2": {"min": 0.2}}},
}


def spec_with(**changes):
    document = copy.deepcopy(BASE)
    for dotted, value in changes.items():
        target = document
        *path, last = dotted.split("__")
        for part in path:
            target = target[part]
        target[last] = value
    return document


def test_a_valid_spec_parses():
    spec = parse_spec(BASE, "x.yml")
    assert spec.feature_lookups[0].keys == ["property_id"]
    assert spec.gate.tolerance == 0.02


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"colour": "blue"}, "colour: Extra inputs are not permitted"),
        ({"metrics": ["auc"], "key_metric": "auc"}, "do not apply to kind regression"),
        ({"key_metric": "mae"}, "key_metric 'mae' is not in metrics"),
        ({"gate__thresholds": {"mae": {"max": 3}}}, "not computed"),
        ({"algorithm": "isolation_forest"}, "cannot train a regression model"),
        ({"split__column": None}, "a time split needs `column`"),
        ({"split__column": "checkin"}, "must be the label timestamp"),
        ({"label__column": None}, "anomaly models have no label column"),
        ({"split__strategy": "random", "split__column": None, "split__backtest_folds": 2},
         "backtest_folds need a time split"),
        ({"label__timestamp": None, "label__history_days": 30, "split__strategy": "random",
          "split__column": None}, "history_days and maturity_days need `timestamp`"),
    ],
)
def test_invalid_specs_name_the_problem(changes, message):
    with pytest.raises(ModelSpecError, match=message):
        parse_spec(spec_with(**changes), "x.yml")


def test_specs_are_checked_against_the_lakehouse():
    spec = parse_spec(BASE, "x.yml")
    check_against(spec, label_columns=["property_id", "date", "bookings"],
                  feature_columns={"property_daily": ["property_id", "date", "price_avg_30d"]})
    with pytest.raises(ModelSpecError, match="label table demand_labels has no column"):
        check_against(spec, label_columns=["property_id", "bookings"],
                      feature_columns={"property_daily": ["property_id", "price_avg_30d"]})
    with pytest.raises(ModelSpecError, match="feature table property_daily is not declared"):
        check_against(spec, label_columns=["property_id", "date", "bookings"],
                      feature_columns={})
    with pytest.raises(ModelSpecError, match="has no column.*price_avg_30d"):
        check_against(spec, label_columns=["property_id", "date", "bookings"],
                      feature_columns={"property_daily": ["property_id", "date"]})


def test_directory_loading_errors(tmp_path):
    with pytest.raises(ModelSpecError, match="no model specs"):
        load_specs(tmp_path)
    (tmp_path / "a.yml").write_text("name: [oops")
    with pytest.raises(ModelSpecError, match="not valid YAML"):
        load_specs(tmp_path)
    (tmp_path / "a.yml").write_text(yaml.safe_dump(BASE))
    (tmp_path / "b.yml").write_text(yaml.safe_dump(BASE))
    with pytest.raises(ModelSpecError, match="declared twice"):
        load_specs(tmp_path)


def test_label_table_columns_lists_what_training_reads_once_in_order():
    spec = parse_spec(spec_with(label__features=["device", "date"]), "x.yml")
    assert spec.label_table_columns() == ["property_id", "date", "device", "bookings"]


def test_every_demo_spec_loads_and_names_only_computed_metrics():
    specs = load_specs()
    assert sorted(specs) == ["booking_anomaly_detector", "conversion_predictor", "customer_ltv",
                             "demand_predictor", "pricing_optimizer", "revenue_forecaster"]
    assert specs["revenue_forecaster"].split.backtest_folds > 0
    assert specs["booking_anomaly_detector"].label.column is None


def test_ignored_monitoring_features_must_be_model_inputs():
    from lakestep.models.specs import check_monitored_inputs

    spec = parse_spec(spec_with(monitoring={"ignore_features": ["day_of_week", "monht"]}), "t")
    check_monitored_inputs(parse_spec(BASE, "t"), ["price_avg_30d"])  # nothing ignored: fine
    with pytest.raises(ModelSpecError, match="ignore_features names monht") as caught:
        check_monitored_inputs(spec, ["day_of_week", "month", "price_avg_30d"])
    assert "month" in str(caught.value.hint)
