"""The monitoring report (sections, plots, what it selects) and the metric rows of a run."""

from __future__ import annotations

from datetime import UTC, date, datetime

from lakestep.monitoring.assess import Decision, FeatureDrift, Thresholds
from lakestep.monitoring.metrics import (
    RunInfo,
    drift_rows,
    quality_rows,
    replace_predicate,
    run_rows,
)
from lakestep.monitoring.quality import QualityResult
from lakestep.monitoring.report import ReportInput, build_report, distributions_shown

DAY = date(2025, 8, 31)
THRESHOLDS = Thresholds()


def _drift(column: str, psi: float, *, output: bool = False, ks: bool = True) -> FeatureDrift:
    return FeatureDrift(column=column, output=output, kind="numeric",
                        bins=("≤ 1", "(1, 2]", "> 2", "null"), expected=(0.3, 0.4, 0.3, 0.0),
                        actual=(0.2, 0.3, 0.5, 0.0), psi=psi,
                        ks_statistic=0.2 if ks else None, ks_pvalue=0.5 if ks else None,
                        null_fraction=0.0, training_null_fraction=0.0, rows=50)


DRIFTS = (_drift("prediction", 0.01, output=True), _drift("lead_time", 0.45),
          _drift("price", 0.05, ks=False), *[_drift(f"f{i}", 0.01 * i) for i in range(6)])
QUALITY = (QualityResult("main.ml.m_predictions", "prediction",
                         "expect_column_values_to_not_be_null", True, None, 0, 50, True),
           QualityResult("main.gold.fact_booking", "nights",
                         "expect_column_values_to_be_between", False, "e.g. [400]", 2, 900,
                         True))
DECISION = Decision(True, ("1 drifted feature(s), threshold 1: lead_time (PSI 0.450)",),
                    ("lead_time",))


def _input(**changes) -> ReportInput:
    values = dict(model="main.ml.m", model_version="3", scoring_date=DAY, rows=50,
                  decision=DECISION, thresholds=THRESHOLDS, drifts=DRIFTS, quality=QUALITY,
                  unmonitored=("guests",),
                  volume=((date(2025, 6, 30), 1500), (DAY, 50)))
    values.update(changes)
    return ReportInput(**values)


def test_report_has_the_decision_every_plot_and_the_failed_checks():
    html = build_report(_input()).render()
    assert "<span class='badge fail'>retrain needed</span>" in html
    assert "lead_time (PSI 0.450)" in html
    for alt in ("PSI per feature", "distribution of output.prediction",
                "distribution of lead_time", "quality checks per table",
                "predictions per scoring date"):
        assert f"<img alt='{alt}' src='data:image/png;base64," in html
    assert "distribution of price" not in html  # stable inputs are not plotted when one drifted
    assert "expect_column_values_to_be_between" in html and "e.g. [400]" in html
    assert "Not monitored (no scored or no training side): guests" in html


def test_a_stable_run_plots_the_highest_psi_inputs():
    stable = Decision(False, (), ())
    shown = distributions_shown(DRIFTS[:1] + DRIFTS[2:], THRESHOLDS)
    assert [d.name for d in shown] == ["output.prediction", "price", "f5", "f4", "f3"]
    html = build_report(_input(decision=stable, drifts=DRIFTS[:1] + DRIFTS[2:])).render()
    assert "<span class='badge pass'>no retrain needed</span>" in html


def test_a_run_without_drifts_or_volume_still_renders():
    html = build_report(_input(drifts=(), quality=(), volume=(), unmonitored=())).render()
    assert "No feature has a training baseline" in html and "No quality suite ran" in html
    assert "<img" not in html


def test_metric_rows_of_a_run():
    run = RunInfo("r1", "main.ml.m", "3", DAY, datetime(2025, 9, 1, tzinfo=UTC))
    drifts = drift_rows(run, DRIFTS[1:3], THRESHOLDS)
    assert [(r.metric, r.feature, r.value, r.threshold, r.breached) for r in drifts] == [
        ("psi", "lead_time", 0.45, 0.25, True),
        ("ks_statistic", "lead_time", 0.2, 0.2, False),  # p = 0.5: not significant
        ("ks_pvalue", "lead_time", 0.5, 0.001, False),
        ("null_fraction", "lead_time", 0.0, 0.1, False),
        ("psi", "price", 0.05, 0.25, False),
        ("null_fraction", "price", 0.0, 0.1, False),
    ]
    assert [(r.metric, r.feature, r.value, r.breached) for r in quality_rows(run, QUALITY)] == [
        ("quality.expect_column_values_to_not_be_null", "main.ml.m_predictions.prediction",
         0.0, False),
        ("quality.expect_column_values_to_be_between", "main.gold.fact_booking.nights", 2.0,
         True),
    ]
    assert [(r.metric, r.value, r.breached) for r in run_rows(run, 50, DECISION, THRESHOLDS)
            ] == [("row_count", 50.0, False), ("drifted_features", 1.0, True),
                  ("retrain_needed", 1.0, True)]
    assert {(r.run_id, r.model_name, r.model_version, r.scoring_date) for r in drifts} == {
        ("r1", "main.ml.m", "3", DAY)}


def test_a_run_owns_the_rows_of_its_model_and_date():
    assert replace_predicate("main.ml.m", DAY) == (
        "model_name = 'main.ml.m' AND scoring_date = DATE'2025-08-31'")
    assert replace_predicate("it's", DAY).startswith("model_name = 'it\\'s'")
