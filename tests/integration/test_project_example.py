"""The bike-sharing example on real Delta: its data loads against its contracts, its feature
and label tables build, its features respect the point-in-time rule, and the signal its two
models are gated on is really in the data (a plain xgboost on the same time split finds it)."""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from lakestep.features import FeatureLookup, build_feature_tables
from lakestep.features.build import gold_frames
from lakestep.platform.base import Platform
from lakestep.project_data import load_gold

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "bike_sharing"
ROWS = {"dim_station": 12, "weather": 184, "fact_station_status": 12 * 183}
FORECAST_DAY = datetime.date(2025, 10, 1)  # weather only: the day scoring predicts


@pytest.fixture(scope="module")
def bikes(platform: Platform) -> Platform:
    """The shared engine on the example project, with schemas of this module only."""
    suffix = uuid.uuid4().hex[:8]
    settings = platform.settings.with_overrides(
        project_dir=EXAMPLE, gold_schema=f"bike_gold_{suffix}",
        features_schema=f"bike_features_{suffix}", ml_schema=f"bike_ml_{suffix}")
    own = Platform(settings, platform.spark, platform.tables, features=platform.features)
    load_gold(own)
    build_feature_tables(own, definitions=own.project.feature_definitions)
    for name, definition in own.project.label_definitions.items():
        own.tables.write(settings.ml_table(name), definition.build(own.spark,
                                                                   gold_frames(own, definition)))
    return own


def test_the_gold_layer_loads_from_the_csv_files(bikes: Platform) -> None:
    counts = {t: bikes.tables.read(bikes.settings.gold(t)).count() for t in bikes.project.contracts}
    assert {t: counts[t] for t in ROWS} == ROWS
    assert 5_000 < counts["fact_trip"] < 15_000


def test_feature_tables_have_one_row_per_key(bikes: Platform) -> None:
    station_daily = bikes.features.read_table(name=bikes.settings.feature_table("station_daily"))
    days = station_daily.select("date").distinct().count()
    assert station_daily.count() == 12 * days
    assert station_daily.agg(F.max("date")).first()[0] == FORECAST_DAY  # features for "today"
    context = bikes.features.read_table(name=bikes.settings.feature_table("day_context"))
    assert context.count() == ROWS["weather"]
    table = bikes.features.get_table(name=bikes.settings.feature_table("station_daily"))
    assert table.timeseries_column == "date"


def test_station_daily_uses_only_what_was_known_before_the_day(bikes: Platform) -> None:
    definition = bikes.project.feature_definitions["station_daily"]
    day = datetime.date(2025, 6, 15)
    frames = gold_frames(bikes, definition)
    known = {**frames,
             "fact_trip": frames["fact_trip"].filter(F.col("start_date") < day),
             "fact_station_status": frames["fact_station_status"]
             .filter(F.col("status_date") < day)}
    full = definition.build(bikes.spark, frames).filter(F.col("date") == day)
    truncated = definition.build(bikes.spark, known).filter(F.col("date") == day)
    assert sorted(full.collect()) == sorted(truncated.collect())
    assert full.count() == 12


def test_label_tables_cover_every_station_day_and_leave_the_forecast_day_open(
        bikes: Platform) -> None:
    demand = bikes.tables.read(bikes.settings.ml_table("station_demand_labels"))
    assert demand.count() == 12 * ROWS["weather"]
    assert demand.agg(F.sum("trips")).first()[0] == bikes.tables.read(
        bikes.settings.gold("fact_trip")).count()
    shortage = bikes.tables.read(bikes.settings.ml_table("dock_shortage_labels"))
    assert shortage.count() == 12 * ROWS["weather"]
    for labels, column in ((demand, "trips"), (shortage, "shortage")):
        open_days = labels.filter(F.col(column).isNull()).select("date").distinct().collect()
        assert [r.date for r in open_days] == [FORECAST_DAY], column
    rate = shortage.agg(F.avg("shortage")).first()[0]
    assert 0.15 < rate < 0.45  # both classes well represented for the gate


@pytest.mark.parametrize("model", ["station_demand", "dock_shortage"])
def test_the_models_signal_is_in_the_data(bikes: Platform, model: str) -> None:
    import numpy as np
    from sklearn.metrics import r2_score, roc_auc_score
    from xgboost import XGBClassifier, XGBRegressor

    spec = bikes.project.spec(model)
    labels = bikes.tables.read(bikes.settings.ml_table(spec.label.table))
    lookups = [FeatureLookup(bikes.settings.feature_table(lookup.table), lookup.lookup_key,
                             timestamp_lookup_key=lookup.timestamp_lookup_key,
                             feature_names=lookup.feature_names,
                             lookback_window=lookup.lookback_window)
               for lookup in spec.feature_lookups]
    known = labels.filter(F.col(spec.label.column).isNotNull())
    frame = bikes.features.create_training_set(df=known, feature_lookups=lookups,
                                               label=spec.label.column).load_df().toPandas()
    features = frame.drop(columns=[*spec.label.keys, spec.label.column])
    features["district"] = features["district"].astype("category")
    features = features.astype({c: float for c in features if features[c].dtype == object})
    cut = np.quantile(frame["date"].map(datetime.date.toordinal), 1 - spec.split.holdout_fraction)
    train = frame["date"].map(datetime.date.toordinal) < cut
    target = frame[spec.label.column]
    options = {**spec.params, "enable_categorical": True, "n_jobs": 2}
    if spec.kind == "regression":
        fitted = XGBRegressor(**options).fit(features[train], target[train])
        score = r2_score(target[~train], fitted.predict(features[~train]))
        assert score > spec.gate.thresholds["r2"]["min"] + 0.1
    else:
        fitted = XGBClassifier(**options).fit(features[train], target[train])
        score = roc_auc_score(target[~train], fitted.predict_proba(features[~train])[:, 1])
        assert score > spec.gate.thresholds["auc"]["min"] + 0.05
