"""The benchmark harness's own arithmetic and report: growth exponents, the suite's time by
folder, the merge of partial runs and the Markdown a run renders (with its plots)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from lakestep.bench.features import growth_exponent
from lakestep.bench.pipeline import phase_of
from lakestep.bench.render import render
from lakestep.bench.report import merged
from lakestep.bench.suite import by_folder


@pytest.mark.parametrize("power", [0.5, 1.0, 1.3, 2.0])
def test_growth_exponent_recovers_the_power_of_a_power_law(power):
    points = [(n, 0.002 * n**power) for n in (250_000, 1_000_000, 4_000_000)]
    assert growth_exponent(points) == pytest.approx(power, abs=0.01)


def test_growth_exponent_needs_two_scales():
    assert growth_exponent([(1_000_000, 3.0)]) is None
    assert growth_exponent([(1_000_000, 3.0), (1_000_000, 4.0)]) is None


def test_growth_exponent_is_the_least_squares_slope_of_noisy_points():
    points = [(1e5, 1.0), (1e6, 12.0), (1e7, 90.0)]
    xs, ys = [math.log(x) for x, _ in points], [math.log(y) for _, y in points]
    mx, my = sum(xs) / 3, sum(ys) / 3
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs)
    assert growth_exponent(points) == round(slope, 2)


@pytest.mark.parametrize(("step", "phase"), [
    ("demo gold layer (scale=100,000, seed=7)", "gold"),
    ("feature tables (4)", "features"), ("label tables (3)", "features"),
    ("train demand_predictor", "train"), ("gate pricing_optimizer", "gate"),
    ("score customer_ltv", "score"), ("monitor booking_anomaly_detector", "monitor"),
    ("something else", "other"),
])
def test_pipeline_steps_are_summed_by_phase(step, phase):
    assert phase_of(step) == phase


def test_suite_time_is_summed_per_folder_of_tests(tmp_path):
    report = tmp_path / "junit.xml"
    report.write_text(
        "<testsuites><testsuite>"
        "<testcase classname='tests.e2e.test_pipeline' name='a' time='10.5'/>"
        "<testcase classname='tests.e2e.test_stack' name='b' time='4.5'/>"
        "<testcase classname='tests.unit.test_x' name='c' time='0.25'/>"
        "</testsuite></testsuites>")
    assert by_folder(report) == {"e2e": {"tests": 2, "seconds": 15.0},
                                 "unit": {"tests": 1, "seconds": 0.2}}


def _report(**parts):
    return {"date": "2026-12-03", "load_average_start": [0.1, 0.1, 0.1],
            "load_average_end": [0.2, 0.2, 0.2], "repeats": 3,
            "machine": {"cpu": "test cpu", "cores": 2, "ram_gib": 24, "os": "linux",
                        "python": "3.11", "versions": {"lakestep": "0.1.0"}},
            "scoring": [], "features": None, "run": None, "engine": None, "tests": None,
            **parts}


SCORING = {"rows": 1_000_000, "repeats": 3, "paths": {
    "ceiling": {"median_s": 1.0, "spread_s": 0.1, "rows_per_s": 1_000_000, "peak_rss_mib": 900},
    "topandas": {"median_s": 9.0, "spread_s": 1.0, "rows_per_s": 111_111, "peak_rss_mib": 1100},
    "spark_udf": {"error": "boom"},
    "lakestep": {"median_s": 2.0, "spread_s": 0.2, "rows_per_s": 500_000, "peak_rss_mib": 1000,
                 "steps_s": [{"resolve": 0.01, "load": 0.2, "plan": 0.05,
                              "score_and_write": 1.7, "count": 0.01}]}},
    "ratios": {"lakestep_vs_ceiling": 0.5, "lakestep_vs_topandas": 4.5,
               "lakestep_vs_spark_udf": None}}
FEATURES = {"scales": [
    {"bookings": b, "fact_booking_rows": b, "gold_write_s": 1.0, "rows": {"calendar": 1461},
     "steps": {"build_all": {"median_s": s, "spread_s": 0.5, "runs_s": [s]}}}
    for b, s in ((250_000, 5.0), (1_000_000, 20.0), (4_000_000, 80.0))]
    + [{"bookings": 10_000_000, "error": "exit -9 (killed: out of memory?): "}],
    "growth": {"build_all": 1.0}}
RUN = {"scale": 100_000, "seed": 7, "models": 6,
       "wall": {"median_s": 61.0, "spread_s": 3.0, "runs_s": [60.0, 61.0, 63.0]},
       "phases": {"train": {"median_s": 16.0, "spread_s": 1.0, "runs_s": [16.0]}}}
TESTS = {"pytest_args": ["-n", "2"], "wall": {"median_s": 400.0, "spread_s": 9.0,
                                             "runs_s": [400.0]},
         "folders": {"e2e": {"tests": 30, "median_s": 300.0, "runs_s": [300.0]}}}


def test_the_report_says_which_targets_are_met_and_missed_and_draws_its_plots(tmp_path):
    report = _report(scoring=[SCORING], features=FEATURES, run=RUN, tests=TESTS,
                     engine={"engines": {"sail": {"session_s": {"median": 0.2, "spread": 0.1}},
                                         "jvm": {"skipped": "no java on PATH"}}})
    text = render(report, Path("bench/results/x.json"), tmp_path)

    assert "| scoring 1,000,000 rows ≥ 0.8 × ceiling | 0.50 | **missed** |" in text
    assert "| scoring 1,000,000 rows ≥ 3.0 × toPandas | 4.50 | met |" in text
    assert "| `make run` (100,000 bookings) < 2 min | 61.0 s | met |" in text
    assert "| test suite < 6 min | 400.0 s | **missed** |" in text
    assert "| build_all | 5.0 s ± 0.5 | 20.0 s ± 0.5 | 80.0 s ± 0.5 | 1.0 |" in text
    assert "* 10,000,000 bookings: **failed** — exit -9 (killed: out of memory?):" in text
    assert "| spark_udf | failed: boom |" in text.replace("1,000,000 | ", "")
    assert "| jvm | skipped: no java on PATH |" in text
    for plot in ("scoring", "features", "run", "tests"):
        assert f"(benchmarks/{plot}.png)" in text
        assert (tmp_path / "docs" / "benchmarks" / f"{plot}.png").stat().st_size > 1000


def test_the_hand_written_notes_survive_a_re_render(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "benchmarks.md").write_text("# old\n\n## Notes\n\nkeep me\n")
    assert render(_report(), Path("x.json"), tmp_path).endswith("## Notes\n\nkeep me\n")


def test_an_update_keeps_what_only_the_older_run_measured():
    old = _report(scoring=[{**SCORING, "rows": 10_000_000}], features=FEATURES, run=RUN)
    new = _report(date="2026-12-04", scoring=[SCORING], engine={"engines": {}})
    both = merged(json.loads(json.dumps(old)), new)

    assert [run["rows"] for run in both["scoring"]] == [1_000_000, 10_000_000]
    assert both["scoring"][1]["measured"]["date"] == "2026-12-03"
    assert both["scoring"][0]["measured"]["date"] == "2026-12-04"
    assert both["features"]["scales"] == FEATURES["scales"]
    assert both["run"]["measured"]["date"] == "2026-12-03"
    assert both["engine"] == {"engines": {}, "measured": {"date": "2026-12-04",
                                                          "load_average": [0.1, 0.1, 0.1]}}
