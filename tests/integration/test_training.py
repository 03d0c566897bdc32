"""Training, registry and the quality gate on real Delta tables and a real MLflow store.

One small demo lakehouse per module (own schemas and MLflow store); each test trains
models under its own name, so versions and aliases never mix between tests.
"""

from __future__ import annotations

import uuid

import mlflow
import pytest
from pyspark.sql import functions as F

from lakestep.demo import build_gold
from lakestep.errors import GateFailed, LakestepError, TrainingError
from lakestep.features import build_feature_tables
from lakestep.gate import gate, promote
from lakestep.models.labels import build_label_tables
from lakestep.models.specs import ModelSpec, load_specs
from lakestep.models.train import HOLDOUT_ARTIFACT, train_model

DEMO = load_specs()


@pytest.fixture(scope="module")
def world(make_isolated, tmp_path_factory):
    own = make_isolated(tmp_path_factory.mktemp("training"))
    build_gold(own, scale=6_000, seed=7)
    build_feature_tables(own)
    build_label_tables(own)
    yield own
    mlflow.set_tracking_uri(None)


def spec_like(base: str, **changes) -> ModelSpec:
    """A demo spec under a fresh model name, with ``changes`` (dotted keys: label.filter)."""
    document = DEMO[base].model_dump(by_alias=True)
    document["name"] = f"{base}_{uuid.uuid4().hex[:6]}"
    for dotted, value in changes.items():
        target = document
        *path, last = dotted.split(".")
        for part in path:
            target = target[part]
        target[last] = value
    return ModelSpec.model_validate(document)


def champion_of(world, spec) -> str | None:
    found = world.registry.find(world.settings.model_name(spec.name), "champion")
    return None if found is None else found.version


def test_a_trained_version_is_registered_as_challenger_and_links_its_inputs(world):
    spec = spec_like("pricing_optimizer")
    result = train_model(world, spec)

    name = world.settings.model_name(spec.name)
    assert (result.name, result.version) == (name, "1")
    registered = world.registry.get(name, "challenger")
    assert registered.version == "1"
    assert registered.tags["owner"] == "pricing-team"  # the spec's tags reach the version
    assert registered.tags["lakestep.run_id"] == result.run_id
    run = mlflow.get_run(result.run_id)
    assert run.info.run_name.startswith(f"{spec.name}-xgboost-")
    assert mlflow.get_experiment(run.info.experiment_id).name == \
        f"/Shared/{world.settings.project}_ml_{spec.name}"
    tags = run.data.tags
    fact = world.settings.gold("fact_booking")
    version = world.tables.version(fact)
    assert f"{fact}@v{version}" in tags["lakestep.dataset_versions"]
    assert world.settings.feature_table("property_daily") in tags["lakestep.dataset_versions"]
    assert result.dataset_versions[fact] == version
    assert tags["lakestep.kind"] == "regression"
    assert len(tags["lakestep.git_sha"]) in (40, len("unknown"))
    assert set(run.data.metrics) >= {"rmse", "mae", "r2", "mape"}
    assert run.inputs.dataset_inputs[0].dataset.name == fact
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(result.run_id, "gate")}
    assert HOLDOUT_ARTIFACT in artifacts


def test_first_pass_becomes_champion_and_an_equal_retrain_is_promoted(world):
    """Documented tolerance rule: a challenger equal to the champion (a retrain on the same
    data) passes, so @champion moves to the newer version; version 1 is left as it was."""
    spec = spec_like("pricing_optimizer")
    first = train_model(world, spec)
    decision = gate(world, spec)
    assert decision.passed and decision.promoted
    assert champion_of(world, spec) == first.version

    second = train_model(world, spec)
    assert second.version == "2"
    assert second.metrics[spec.key_metric] == pytest.approx(first.metrics[spec.key_metric])
    again = gate(world, spec)
    assert again.passed and again.champion_version == "1"
    assert champion_of(world, spec) == "2"
    old = world.registry.get(world.settings.model_name(spec.name), "1")
    assert old.tags["lakestep.gate.result"] == "passed" and old.run_id == first.run_id
    assert again.report.is_file() and "<img" in again.report.read_text()


def _shuffled_copy(world, name: str, column: str) -> str:
    """A copy of fact_booking with ``column`` permuted across rows (no signal left)."""
    from pyspark.sql import Window

    source = world.tables.read(world.settings.gold("fact_booking"))
    order = Window.orderBy("booking_id")
    shuffled = Window.orderBy(F.rand(seed=3))
    values = source.select(F.col(column).alias("shuffled"),
                           F.row_number().over(shuffled).alias("i"))
    rows = source.withColumn("i", F.row_number().over(order)).join(values, "i").drop("i", column)
    table = world.settings.ml_table(name)
    world.tables.write(table, rows.withColumnRenamed("shuffled", column))
    return name


def test_shuffled_labels_fail_the_gate_and_leave_the_champion_alone(world):
    spec = spec_like("pricing_optimizer")
    train_model(world, spec)
    gate(world, spec)
    assert champion_of(world, spec) == "1"

    table = _shuffled_copy(world, f"shuffled_{spec.name}", "nightly_price")
    shuffled = spec.model_copy(update={"label": spec.label.model_copy(
        update={"table": table, "schema_": "ml"})})
    train_model(world, shuffled)
    with pytest.raises(GateFailed, match=r"r2 = .* misses r2 >= 0.3") as failed:
        gate(world, shuffled)
    assert failed.value.exit_code == 3
    assert champion_of(world, spec) == "1"
    loser = world.registry.get(world.settings.model_name(spec.name), "2")
    assert loser.tags["lakestep.gate.result"] == "failed"
    assert "r2" in loser.tags["lakestep.gate.reasons"]


def test_a_better_challenger_is_promoted_and_a_worse_one_is_not(world):
    base = {"gate.thresholds": {}, "gate.tolerance": 0.02}
    weak = spec_like("pricing_optimizer", params={"n_estimators": 2, "max_depth": 1,
                                                  "random_state": 7}, **base)
    strong = weak.model_copy(update={"params": DEMO["pricing_optimizer"].params})
    train_model(world, weak)
    gate(world, weak)
    train_model(world, strong)
    better = gate(world, strong)
    assert better.promoted and champion_of(world, weak) == "2"
    assert better.metrics["mae"] < better.champion_metrics["mae"]

    train_model(world, weak)
    with pytest.raises(GateFailed, match="worse than champion"):
        gate(world, weak)
    assert champion_of(world, weak) == "2"


def test_a_feature_that_mirrors_the_label_is_caught(world):
    spec = spec_like("pricing_optimizer")
    table = world.settings.ml_table(f"leaky_{spec.name}")
    leaky = world.tables.read(world.settings.gold("fact_booking")).withColumn(
        "list_price", F.col("nightly_price").cast("double"))
    world.tables.write(table, leaky)
    label = spec.label.model_copy(update={"table": table.split(".")[-1], "schema_": "ml",
                                          "features": [*spec.label.features, "list_price"]})
    leaked = spec.model_copy(update={"label": label})
    train_model(world, leaked)
    with pytest.raises(GateFailed, match=r"list_price \(identical to the label\)"):
        gate(world, leaked)
    assert champion_of(world, leaked) is None


def test_single_class_training_rows_are_a_clear_error(world):
    spec = spec_like("conversion_predictor", **{"label.filter": "converted"})
    with pytest.raises(TrainingError, match=r"single class \(converted = 1 on all \d+ rows\)"):
        train_model(world, spec)


def test_an_empty_training_frame_names_the_table_and_the_filter(world):
    spec = spec_like("pricing_optimizer", **{"label.filter": "nights > 400"})
    fact = world.settings.gold("fact_booking")
    with pytest.raises(TrainingError, match=rf"empty: no rows from {fact}, where nights > 400"):
        train_model(world, spec)


def test_a_bad_label_filter_fails_before_any_join(world):
    spec = spec_like("pricing_optimizer", **{"label.filter": "nights >>> 3"})
    with pytest.raises(TrainingError, match="is not a valid Spark SQL predicate"):
        train_model(world, spec)


def test_promote_around_a_failed_gate_needs_force_and_is_recorded(world):
    spec = spec_like("pricing_optimizer", **{"gate.thresholds": {"r2": {"min": 0.999}}})
    train_model(world, spec)
    with pytest.raises(GateFailed):
        promote(world, spec)
    assert champion_of(world, spec) is None
    with pytest.raises(LakestepError, match="needs a --reason"):
        promote(world, spec, force=True)
    forced = promote(world, spec, force=True, reason="hotfix for the holiday peak")
    assert forced.forced and champion_of(world, spec) == "1"
    version = world.registry.get(world.settings.model_name(spec.name), "1")
    assert version.tags["lakestep.gate.forced"] == "true"
    assert version.tags["lakestep.gate.forced_reason"] == "hotfix for the holiday peak"
    assert "r2" in version.tags["lakestep.gate.forced_over"]


def test_every_demo_spec_fits_the_demo_lakehouse(world):
    from lakestep.models.training_data import check_spec

    for spec in DEMO.values():
        check_spec(world, spec)
