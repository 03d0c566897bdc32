"""monitor() end to end on real Delta and a real MLflow store: a demo gold layer with the
drift period, feature tables, a logged and registered model with feature lookups, two
scoring runs (a sample of the training period; the drift period) and their monitoring.

The model reads features through lookups (property_daily, destination_daily) and source
columns of the keys as they are (lead time, device, price …); scoring writes those source
columns with ``key_columns=`` so monitoring can recompute them — except ``guests``, which
is left out on purpose and must be reported as unmonitored.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import mlflow
import numpy as np
import pytest
from pyspark.sql import functions as F
from xgboost import XGBClassifier

from lakestep.demo import build_gold
from lakestep.errors import MonitoringError
from lakestep.features import FeatureLookup, build_feature_tables
from lakestep.inference import score
from lakestep.models.packaging import PackagedModel, log_model
from lakestep.monitoring import monitor
from lakestep.monitoring.drift import psi
from lakestep.monitoring.metrics import METRICS_TABLE
from lakestep.platform.base import Platform
from lakestep.preprocessing import fit, infer_spec

MODEL = "cancellation_predictor"
UNSCORED = "unscored_predictor"
LAST_TRAINING_DAY = date(2025, 6, 30)
SAMPLE_DATE, DRIFT_DATE = date(2025, 6, 30), date(2025, 8, 31)
IDS = ["booking_id", "property_id", "destination_id", "booking_date"]
DIRECT_INPUTS = ["lead_time_days", "nights", "guests", "device", "channel", "nightly_price"]
WRITTEN = [*IDS, *[c for c in DIRECT_INPUTS if c != "guests"]]
CONTRACTS = Path(__file__).resolve().parents[2] / "src" / "lakestep" / "contracts" / "gold"
SPEC = """
name: {name}
kind: classification
description: Cancellation of a booking (monitoring test model).
algorithm: xgboost
label: {{table: fact_booking, column: is_cancelled, keys: [booking_id], timestamp: booking_date}}
split: {{strategy: time, column: booking_date}}
metrics: [auc]
key_metric: auc
monitoring: {{psi_threshold: 0.2, ks_pvalue: 0.001, max_null_fraction: 0.1,
             drifted_features_for_retrain: 1}}
"""


def _project(root: Path) -> Path:
    """A project directory: the demo contracts and two model specs."""
    shutil.copytree(CONTRACTS, root / "contracts")
    (root / "models").mkdir()
    for name in (MODEL, UNSCORED):
        (root / "models" / f"{name}.yml").write_text(SPEC.format(name=name))
    return root


@pytest.fixture(scope="module")
def world(make_isolated, tmp_path_factory):
    """Own schemas, project and MLflow store on the shared engine; gold and features built."""
    root = tmp_path_factory.mktemp("monitoring")
    own = make_isolated(root, project_dir=_project(root / "project"))
    build_gold(own, scale=5_000, seed=7, drift=True)
    build_feature_tables(own, ["property_daily", "destination_daily"])
    yield own
    mlflow.set_tracking_uri(None)


def _bookings(platform: Platform):
    return platform.tables.read(platform.settings.gold("fact_booking"))


def _lookups(platform: Platform) -> list[FeatureLookup]:
    settings = platform.settings
    return [
        FeatureLookup(settings.feature_table("property_daily"), "property_id",
                      timestamp_lookup_key="booking_date",
                      feature_names=["avg_price_30d", "bookings_30d", "occupancy_30d"]),
        FeatureLookup(settings.feature_table("destination_daily"), "destination_id",
                      timestamp_lookup_key="booking_date",
                      feature_names=["bookings_28d", "revenue_28d"]),
    ]


@pytest.fixture(scope="module")
def registered(world: Platform):
    """The model trained on the base period, logged with lookups and baseline, @champion."""
    training = _bookings(world).where(F.col("booking_date") <= F.lit(LAST_TRAINING_DAY))
    frame = world.features.create_training_set(
        df=training.select(*IDS, *DIRECT_INPUTS, "is_cancelled"), feature_lookups=_lookups(world),
        label="is_cancelled").load_df().toPandas()
    inputs = frame.drop(columns=["is_cancelled"])
    fitted = fit(inputs, infer_spec(inputs, exclude=IDS))
    estimator = XGBClassifier(n_estimators=20, max_depth=3, random_state=0)
    estimator.fit(fitted.transform(inputs), frame["is_cancelled"].astype(int))
    baseline = PackagedModel(estimator, fitted, kind="classification").compute_baseline(inputs)
    info = log_model(estimator, fitted, kind="classification", raw_input_example=inputs,
                     feature_lookups=_lookups(world), baseline=baseline, name="model")
    name = world.settings.model_name(MODEL)
    version = world.registry.register(info.model_uri, name)
    world.registry.set_alias(name, "champion", version.version)
    return baseline


@pytest.fixture(scope="module")
def runs(world: Platform, registered):
    """Scored and monitored: a 30 % sample of the training period, then the drift period."""
    bookings = _bookings(world).select(*IDS, *DIRECT_INPUTS)
    sample = bookings.where(F.col("booking_date") <= F.lit(LAST_TRAINING_DAY)).sample(
        fraction=0.3, seed=11)
    drift = bookings.where(F.col("booking_date") > F.lit(LAST_TRAINING_DAY))
    scored = {day: score(world, MODEL, keys=keys, scoring_date=day, key_columns=WRITTEN)
              for day, keys in ((SAMPLE_DATE, sample), (DRIFT_DATE, drift))}
    steps: list[str] = []
    stable = monitor(world, MODEL, scoring_date=SAMPLE_DATE)
    drifted = monitor(world, MODEL, progress=lambda step, seconds: steps.append(step))
    return scored, stable, drifted, steps


def _metrics(world: Platform, day: date):
    table = world.tables.read(world.settings.monitoring_table(METRICS_TABLE))
    return table.where(F.col("scoring_date") == F.lit(day))


def test_a_sample_of_the_training_period_does_not_drift(runs):
    scored, stable, _, _ = runs
    assert stable.scoring_date == SAMPLE_DATE
    assert stable.rows == scored[SAMPLE_DATE].rows > 1_000
    assert stable.retrain is False, stable.reasons
    assert stable.reasons == () and stable.drifted_features == ()
    assert max(d.psi for d in stable.drifts) < 0.1
    assert all(d.ks_pvalue > 0.001 for d in stable.drifts if d.ks_pvalue is not None)
    assert {d.name for d in stable.drifts} >= {
        "output.prediction", "output.probability", "lead_time_days", "device", "nightly_price",
        "avg_price_30d", "revenue_28d"}
    assert stable.unmonitored == ("guests",)
    failed = [q.describe() for q in stable.quality if not q.success]
    assert failed == []
    tables = {q.table for q in stable.quality}
    assert scored[SAMPLE_DATE].table in tables
    on_predictions = {(q.expectation, q.column) for q in stable.quality
                      if q.table == scored[SAMPLE_DATE].table}
    assert ("expect_compound_columns_to_be_unique", ", ".join(IDS)) in on_predictions
    assert ("expect_column_values_to_not_be_null", "lead_time_days") not in on_predictions
    assert any(t.endswith(".property_daily") for t in tables)
    assert any(t.endswith(".fact_booking") for t in tables)  # the lookups' gold sources
    assert any(t.endswith(".dim_property") for t in tables)


def test_the_drift_period_raises_the_retrain_signal_naming_the_features(runs):
    scored, _, drifted, steps = runs
    assert drifted.scoring_date == DRIFT_DATE  # the latest scoring date by default
    assert drifted.rows == scored[DRIFT_DATE].rows > 100
    assert drifted.retrain is True
    assert {"lead_time_days", "device", "revenue_28d"} <= set(drifted.drifted_features)
    assert drifted.drift("device").psi > 0.3  # the mobile share rose by 25 points
    assert drifted.drift("lead_time_days").ks_statistic > 0.1  # lead times halved
    assert "drifted feature(s)" in drifted.reasons[0]
    assert "lead_time_days (PSI" in drifted.reasons[0]
    assert steps == ["read", "load", "drift", "quality", "write", "report"]


def test_psi_and_ks_match_an_independent_computation(world, registered, runs):
    """Spark bin counts vs numpy on the collected scored values, hand PSI and scipy KS."""
    from scipy.stats import ks_2samp

    _, _, drifted, _ = runs
    table = world.settings.predictions_table(MODEL)
    values = (world.tables.read(table).where(F.col("scoring_date") == F.lit(DRIFT_DATE))
              .select(F.col("lead_time_days").cast("double")).toPandas().iloc[:, 0].to_numpy())
    summary = registered.features["lead_time_days"]
    edges = np.asarray(summary.bin_edges)
    lower = np.concatenate([[-np.inf], edges])
    upper = np.concatenate([edges, [np.inf]])
    actual = [((values > lo) & (values <= hi)).mean() for lo, hi in zip(lower, upper, strict=True)]
    expected = [p * (1 - summary.null_fraction) for p in summary.bin_proportions]
    measured = drifted.drift("lead_time_days")
    assert measured.actual[:-1] == pytest.approx(actual, abs=1e-12)
    assert measured.actual[-1] == 0.0  # the null bin
    reference = sum((max(a, 1e-4) - max(e, 1e-4)) * np.log(max(a, 1e-4) / max(e, 1e-4))
                    for a, e in zip(actual, expected, strict=True))
    assert measured.psi == pytest.approx(reference, rel=1e-9)
    ks = ks_2samp(summary.sample, values)
    assert measured.ks_statistic == pytest.approx(ks.statistic, rel=1e-12)
    assert measured.ks_pvalue == pytest.approx(ks.pvalue, rel=1e-9)
    assert psi(measured.expected, measured.actual) == measured.psi


def test_metric_rows_are_written_per_date_and_a_rerun_replaces_them(world, runs):
    _, stable, drifted, _ = runs
    assert drifted.metrics_table == world.settings.monitoring_table("model_metrics")
    before = _metrics(world, DRIFT_DATE).toPandas()
    assert len(before) == drifted.metrics_rows
    assert len(_metrics(world, SAMPLE_DATE).toPandas()) == stable.metrics_rows
    row = before[(before.metric == "psi") & (before.feature == "lead_time_days")].iloc[0]
    assert row.breached and row.value == pytest.approx(drifted.drift("lead_time_days").psi)
    assert drifted.model == MODEL
    assert row.model_name == drifted.registered_model == world.settings.model_name(MODEL)
    assert row.model_version == drifted.model_version
    retrain = before[before.metric == "retrain_needed"]
    assert retrain.value.tolist() == [1.0]

    again = monitor(world, MODEL, scoring_date=DRIFT_DATE)
    after = _metrics(world, DRIFT_DATE).toPandas()
    assert len(after) == again.metrics_rows == drifted.metrics_rows
    assert after.run_id.nunique() == 1 and after.run_id.iloc[0] not in set(before.run_id)
    assert len(_metrics(world, SAMPLE_DATE).toPandas()) == stable.metrics_rows


def test_the_report_has_the_plots_and_the_decision(world, runs):
    _, stable, drifted, _ = runs
    assert drifted.report == (world.settings.home / "reports" / "monitoring" / MODEL
                              / "2025-08-31.html")
    html = drifted.report.read_text()
    assert "retrain needed" in html and "no retrain needed" not in html
    for alt in ("PSI per feature", "distribution of lead_time_days",
                "distribution of output.probability", "quality checks per table",
                "predictions per scoring date"):
        assert f"<img alt='{alt}' src='data:image/png;base64," in html
    assert "Not monitored" in html and "guests" in html
    assert "no retrain needed" in stable.report.read_text()


def test_nothing_to_monitor_is_a_clear_error(world, runs):
    with pytest.raises(MonitoringError, match=r"no predictions for scoring date 2020-01-01.*"
                                              r"latest scoring dates: 2025-08-31, 2025-06-30"):
        monitor(world, MODEL, scoring_date=date(2020, 1, 1))
    with pytest.raises(MonitoringError, match=rf"no predictions of {UNSCORED} to monitor.*"
                                              rf"run `lakestep score --model {UNSCORED}` first"):
        monitor(world, UNSCORED)
