"""Benchmark (not a test): batch scoring throughput and peak memory, four paths in one run.

    lakestep bench scoring --rows 1000000 --json
    python -m lakestep.bench.scoring --rows 1000000 --paths ceiling,lakestep --repeats 1

Paths, run in ``--repeats`` rounds (each round runs every path once, so background load on a
shared machine falls on all of them), each run in its OWN subprocess (so its peak RSS, VmHWM
from /proc/self/status, is its own; the embedded Sail engine runs inside that process and
counts):

  * ``ceiling``: ``xgboost`` ``Booster.inplace_predict`` on a preloaded C-contiguous float32
    numpy matrix of the same rows (already looked up and preprocessed; only the predict call
    is timed);
  * ``topandas``: the common pattern — features looked up, ``toPandas()``, the MLflow
    ``pyfunc.predict`` (which runs the fitted preprocessor), ``createDataFrame``, Delta write;
  * ``spark_udf``: ``mlflow.pyfunc.spark_udf`` over the looked-up features, Delta write;
  * ``lakestep``: ``lakestep.inference.score`` end to end — resolve @champion, load, feature
    lookup, conform, mapInArrow predict, Delta replaceWhere, row count.

Every timed path except the ceiling ends with the same Delta write of keys + prediction +
metadata, so they do the same work. Data: a feature table of ``--rows`` customers (8 double,
2 int, 1 boolean and 1 categorical feature, deterministic hash values) and a keys table of
``--rows`` customer ids; the model is an XGBRegressor (``--trees``, ``--depth``) trained on
20k rows with a fitted preprocessor (one-hot categorical) and the feature lookup embedded.
Prints one JSON document: per path ``runs_s``, ``median_s``, ``spread_s`` (max - min),
``<path>_rows_per_s`` (from the median), ``peak_rss_mib``; ratios of lakestep to each path.
"""

from __future__ import annotations

import argparse
import json
import os
import platform as host
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

MODEL = "bench_scorer"
FEATURE_TABLE = "bench_customer"
KEYS_TABLE = "bench_keys"
PATHS = ("ceiling", "topandas", "spark_udf", "lakestep")
SCORING_DATE = date(2026, 1, 1)
TRAIN_ROWS = 20_000
SEGMENTS = 8


# -- data and model (the "setup" child) ------------------------------------------------------


def _uniform(salt: int) -> Any:
    from pyspark.sql import functions as F

    return F.pmod(F.xxhash64("id", F.lit(salt)), F.lit(1_000_003)).cast("double") / 1_000_003


def feature_frame(spark: Any, rows: int) -> Any:
    from pyspark.sql import functions as F

    return spark.range(rows).select(
        F.col("id").alias("customer_id"),
        *[(_uniform(i) * (i + 1) * 10).alias(f"f{i}") for i in range(8)],
        (_uniform(20) * 50).cast("int").alias("n0"),
        (_uniform(21) * 5).cast("int").alias("n1"),
        (_uniform(22) < 0.3).alias("flag"),
        F.concat(F.lit("s"), (_uniform(23) * SEGMENTS).cast("int").cast("string")).alias("segment"),
    )


def setup(home: str, rows: int, trees: int, depth: int) -> dict[str, Any]:
    import mlflow
    import numpy as np
    from xgboost import XGBRegressor

    import lakestep
    from lakestep.features import FeatureLookup
    from lakestep.models.packaging import log_model
    from lakestep.preprocessing import fit, infer_spec

    with lakestep.connect(home=home, environ={}) as p:
        s = p.settings
        table = s.feature_table(FEATURE_TABLE)
        p.features.create_table(name=table, primary_keys=["customer_id"],
                                df=feature_frame(p.spark, rows))
        p.tables.write(s.gold(KEYS_TABLE), p.spark.range(rows).withColumnRenamed("id", "customer_id"))
        lookups = [FeatureLookup(table, "customer_id")]
        sample = p.spark.range(min(rows, TRAIN_ROWS)).withColumnRenamed("id", "customer_id")
        train = p.features.create_training_set(df=sample, feature_lookups=lookups,
                                               label=None).load_df().toPandas()
        inputs = train.drop(columns=["customer_id"])
        fitted = fit(inputs, infer_spec(inputs))
        matrix = fitted.transform(inputs)
        rng = np.random.default_rng(0)
        target = matrix["f0"] * 2 + matrix["f3"] - matrix["n0"] * 0.1 + rng.normal(size=len(matrix))
        estimator = XGBRegressor(n_estimators=trees, max_depth=depth).fit(matrix, target)
        # The platform's experiment: artifacts under the bench home, never ./mlruns.
        mlflow.set_experiment(experiment_id=p.experiment(MODEL))
        with mlflow.start_run():
            info = log_model(estimator, fitted, kind="regression", raw_input_example=inputs,
                             feature_lookups=lookups, name=MODEL)
        registered = p.registry.register(info.model_uri, s.model_name(MODEL))
        p.registry.set_alias(s.model_name(MODEL), "champion", registered.version)
        return {"model_uri": registered.uri, "features": len(fitted.feature_names),
                "inputs": len(inputs.columns)}


# -- the paths (one child process each) ------------------------------------------------------


def _context(p: Any) -> dict[str, Any]:
    import mlflow

    from lakestep.features import FeatureLookup
    from lakestep.inference.model import load_version

    s = p.settings
    # The comparison paths load models:/ URIs through MLflow's process-wide URIs.
    mlflow.set_tracking_uri(s.tracking_uri)
    mlflow.set_registry_uri(s.registry_uri)
    registered = p.registry.get(s.model_name(MODEL), "champion")
    loaded = load_version(s, registered)
    lookups = [FeatureLookup.from_dict(d) for d in loaded.packaged.feature_lookups]
    keys = p.tables.read(s.gold(KEYS_TABLE))
    return {"uri": registered.uri, "loaded": loaded, "lookups": lookups, "keys": keys}


def _joined(p: Any, ctx: dict[str, Any], limit: int | None = None) -> Any:
    keys = ctx["keys"] if limit is None else ctx["keys"].limit(limit)
    return p.features.create_training_set(df=keys, feature_lookups=ctx["lookups"],
                                          label=None).load_df()


def _write(p: Any, table: str, frame: Any, uri: str) -> None:
    from pyspark.sql import functions as F

    out = frame.select("customer_id", "prediction", F.lit(MODEL).alias("model_name"),
                       F.lit(uri).alias("model_uri"), F.current_timestamp().alias("scored_at"),
                       F.lit(SCORING_DATE).alias("scoring_date"))
    p.tables.replace_where(table, out, f"scoring_date = DATE'{SCORING_DATE}'")


def run_ceiling(p: Any, ctx: dict[str, Any], repeats: int) -> dict[str, Any]:
    import numpy as np

    packaged = ctx["loaded"].packaged
    frame = _joined(p, ctx).toPandas()  # the preload: not timed
    matrix = packaged.fitted_preprocessor.transform(frame.drop(columns=["customer_id"]))
    del frame
    # xgboost's own input type and layout (C-contiguous float32): its fastest predict here.
    matrix = np.ascontiguousarray(matrix.to_numpy(dtype="float32"))
    booster = packaged.estimator.get_booster()
    booster.inplace_predict(matrix[:1000])
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        booster.inplace_predict(matrix)
        runs.append(time.perf_counter() - started)
    return {"runs_s": runs, "matrix_shape": list(matrix.shape)}


def run_topandas(p: Any, ctx: dict[str, Any], repeats: int) -> dict[str, Any]:
    import mlflow

    table = p.settings.ml_table(f"{MODEL}_topandas_predictions")

    def once(limit: int | None = None) -> None:
        frame = _joined(p, ctx, limit).toPandas()
        model = mlflow.pyfunc.load_model(ctx["uri"])
        predictions = model.predict(frame)
        result = frame[["customer_id"]].assign(prediction=predictions["prediction"].to_numpy())
        _write(p, table, p.spark.createDataFrame(result), ctx["uri"])

    return {"runs_s": _timed(once, repeats)}


def run_spark_udf(p: Any, ctx: dict[str, Any], repeats: int) -> dict[str, Any]:
    import mlflow
    from pyspark.sql import functions as F

    table = p.settings.ml_table(f"{MODEL}_spark_udf_predictions")
    inputs = ctx["loaded"].packaged.input_schema.input_names()

    def once(limit: int | None = None) -> None:
        udf = mlflow.pyfunc.spark_udf(p.spark, ctx["uri"], result_type="double",
                                      env_manager="local")
        frame = _joined(p, ctx, limit)
        scored = frame.select("customer_id", udf(F.struct(*inputs)).alias("prediction"))
        _write(p, table, scored, ctx["uri"])

    try:
        return {"runs_s": _timed(once, repeats)}
    except Exception as exc:  # recorded, not faked: the JSON says why there is no number
        return {"runs_s": [], "error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"}


def run_lakestep(p: Any, ctx: dict[str, Any], repeats: int) -> dict[str, Any]:
    from lakestep.inference import score

    steps: list[dict[str, float]] = []

    def once(limit: int | None = None) -> None:
        keys = ctx["keys"] if limit is None else ctx["keys"].limit(limit)
        result = score(p, MODEL, keys=keys, scoring_date=SCORING_DATE)
        if limit is None:
            steps.append({k: round(v, 3) for k, v in result.steps.items()})

    return {"runs_s": _timed(once, repeats), "steps_s": steps}


def _timed(once: Any, repeats: int) -> list[float]:
    once(1000)  # warm-up on 1000 rows: imports and first-call costs are not throughput
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        once()
        runs.append(time.perf_counter() - started)
    return runs


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(path: str, home: str, repeats: int) -> dict[str, Any]:
    import logging

    import lakestep

    logging.disable(logging.WARNING)
    runner = {"ceiling": run_ceiling, "topandas": run_topandas, "spark_udf": run_spark_udf,
              "lakestep": run_lakestep}[path]
    with lakestep.connect(home=home, environ={}) as p:
        result = runner(p, _context(p), repeats)
    result["peak_rss_mib"] = round(peak_rss_mib(), 1)
    return result


# -- the parent: setup, one child per path, summary ------------------------------------------


def _spawn(args: list[str]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "lakestep.bench.scoring", *args],
                          capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"error": f"exit {done.returncode}: {done.stderr.strip()[-800:]}"}
    return json.loads(lines[-1])


def summarise(rows: int, path: str, result: dict[str, Any]) -> dict[str, Any]:
    runs = result.get("runs_s") or []
    summary = {k: v for k, v in result.items() if k != "runs_s"}
    summary["runs_s"] = [round(r, 3) for r in runs]
    if runs:
        median = statistics.median(runs)
        summary.update(median_s=round(median, 3), spread_s=round(max(runs) - min(runs), 3),
                       rows_per_s=round(rows / median))
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--trees", type=int, default=100)
    parser.add_argument("--depth", type=int, default=6)
    parser.add_argument("--paths", default=",".join(PATHS))
    parser.add_argument("--home", default=None, help="lakestep home (default: a temp dir)")
    parser.add_argument("--json", action="store_true", help="print only the JSON document")
    parser.add_argument("--child", choices=(*PATHS, "setup"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    home = args.home or tempfile.mkdtemp(prefix="lakestep-bench-scoring-")
    if args.child == "setup":
        print(json.dumps(setup(home, args.rows, args.trees, args.depth)))
        return
    if args.child:
        print(json.dumps(child(args.child, home, args.repeats)))
        return
    report = run_all(args, home)
    print(json.dumps(report) if args.json else summary_text(report))


def summary_text(report: dict[str, Any]) -> str:
    """The figures for a person: one line per path, then the ratios."""
    if report.get("error"):
        return f"benchmark failed: {report['error']}"
    lines = [f"scoring {report['rows']:,} rows, {report['repeats']} repeat(s) "
             "(median s, rows/s, peak RSS MiB):"]
    for path, result in report["paths"].items():
        if result.get("error") or "median_s" not in result:
            lines.append(f"  {path:<10} failed: {result.get('error', 'no run')}")
            continue
        lines.append(f"  {path:<10} {result['median_s']:>9.3f} s {result['rows_per_s']:>12,} "
                     f"rows/s {result.get('peak_rss_mib', float('nan')):>9,.0f} MiB")
    for name, value in report["ratios"].items():
        lines.append(f"  {name}: {'—' if value is None else f'{value:.2f}'}")
    return "\n".join(lines)


def run_all(args: argparse.Namespace, home: str) -> dict[str, Any]:
    import lakestep

    common = ["--home", home, "--rows", str(args.rows), "--repeats", str(args.repeats)]
    started = time.perf_counter()
    model = _spawn([*common, "--trees", str(args.trees), "--depth", str(args.depth),
                    "--child", "setup"])
    report: dict[str, Any] = {
        "rows": args.rows, "repeats": args.repeats, "date": date.today().isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": host.python_version(),
                    "system": host.platform()},
        "versions": _versions(), "lakestep": lakestep.__version__,
        "model": {"kind": "regression", "algorithm": "xgboost", "trees": args.trees,
                  "depth": args.depth, **model},
        "setup_s": round(time.perf_counter() - started, 1), "paths": {},
    }
    if "error" in model:  # no model, nothing to score: say so once instead of per path
        report["error"] = f"setup failed: {model['error']}"
        return report
    # Rounds, not one block per path: the same background load (a shared machine) falls on
    # every path. Each round is one fresh child per path, so each run has its own peak RSS.
    paths = args.paths.split(",")
    unknown = set(paths) - set(PATHS)
    if unknown:
        report["error"] = f"unknown path(s) {sorted(unknown)}; choose from {', '.join(PATHS)}"
        return report
    results: dict[str, dict[str, Any]] = {path: {"runs_s": []} for path in paths}
    once = [*common[:-1], "1"]
    for round_ in range(args.repeats):
        for path in paths:
            run = _spawn([*once, "--child", path])
            _merge(results[path], run)
            took = (run.get("runs_s") or ["failed"])[-1]
            print(f"round {round_ + 1}/{args.repeats}: {path} "
                  f"{took if isinstance(took, str) else f'{took:.2f}s'}",
                  file=sys.stderr, flush=True)
    for path in paths:
        result = summarise(args.rows, path, results[path])
        report["paths"][path] = result
    # Every path's keys are there for a script to read; null for a path not run or failed.
    for path in PATHS:
        report[f"{path}_rows_per_s"] = (report["paths"].get(path) or {}).get("rows_per_s")
    report["peak_rss_mib"] = {p: (report["paths"].get(p) or {}).get("peak_rss_mib")
                              for p in PATHS}
    report["ratios"] = _ratios(report)
    return report


def _merge(into: dict[str, Any], run: dict[str, Any]) -> None:
    """One child's result added to a path's: runs appended, peak RSS the maximum."""
    into["runs_s"].extend(run.get("runs_s") or [])
    if "peak_rss_mib" in run:
        into["peak_rss_mib"] = max(into.get("peak_rss_mib", 0.0), run["peak_rss_mib"])
    for key, value in run.items():
        if key == "steps_s":
            into.setdefault("steps_s", []).extend(value)
        elif key not in ("runs_s", "peak_rss_mib"):
            into[key] = value


def _ratios(report: dict[str, Any]) -> dict[str, float | None]:
    ours = report.get("lakestep_rows_per_s")
    ratios: dict[str, float | None] = {}
    for path in ("ceiling", "topandas", "spark_udf"):
        theirs = report.get(f"{path}_rows_per_s")
        ratios[f"lakestep_vs_{path}"] = round(ours / theirs, 3) if ours and theirs else None
    return ratios


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in ("pysail", "pyspark", "deltalake", "mlflow",
                                             "xgboost", "pandas", "pyarrow")}


if __name__ == "__main__":
    main()
