"""The quality gate's rules as pure functions: numbers in, a decision with reasons out.

Four families of checks decide whether a model version may become ``@champion``:

1. **thresholds** from the model spec (``{"r2": {"min": 0.3}, "rmse": {"max": 12}}``);
2. **champion comparison** on the *same* holdout: the challenger's key metric may be worse
   than the champion's by at most ``tolerance`` (relative). Exactly equal, or worse by
   less than or exactly the tolerance, passes — so a retrain on unchanged data promotes;
3. **data sanity**: enough rows, both classes present in a usable balance, no constant
   or all-null feature, no feature that mirrors the label (leakage);
4. **signature**: inputs and outputs both present.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

# Direction of every metric lakestep computes: True when higher is better.
HIGHER_IS_BETTER: Mapping[str, bool] = {
    "r2": True, "rmse": False, "mae": False, "mape": False,
    "auc": True, "f1": True, "precision": True, "recall": True, "log_loss": False,
    "accuracy": True, "anomaly_rate": False,
}

LEAKAGE_CORRELATION = 0.999


@dataclass(frozen=True)
class Check:
    """One gate check: its family, whether it passed, the numbers and the reason."""

    family: str
    name: str
    passed: bool
    value: float | None
    limit: float | None
    reason: str


@dataclass
class GateDecision:
    model: str
    version: str
    checks: list[Check] = field(default_factory=list)
    forced: bool = False

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def reasons(self) -> list[str]:
        return [c.reason for c in self.checks if not c.passed]

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "version": self.version, "passed": self.passed,
                "forced": self.forced, "checks": [asdict(c) for c in self.checks]}


def threshold_checks(metrics: Mapping[str, float],
                     thresholds: Mapping[str, Mapping[str, float]]) -> list[Check]:
    checks = []
    for metric, bounds in thresholds.items():
        value = metrics.get(metric)
        for bound, limit in bounds.items():
            name = f"{metric} {'>=' if bound == 'min' else '<='} {limit:g}"
            if value is None or (isinstance(value, float) and math.isnan(value)):
                checks.append(Check("threshold", name, False, None, limit,
                                    f"{metric} was not computed"))
                continue
            ok = value >= limit if bound == "min" else value <= limit
            reason = f"{metric} = {value:.4g} {'meets' if ok else 'misses'} {name}"
            checks.append(Check("threshold", name, ok, float(value), float(limit), reason))
    return checks


def champion_check(metric: str, challenger: float, champion: float | None,
                   tolerance: float) -> Check:
    """No worse than the champion by more than ``tolerance`` (relative to the champion)."""
    if champion is None:
        return Check("champion", f"{metric} vs champion", True, challenger, None,
                     "no current champion: the first passing version becomes champion")
    slack = tolerance * abs(champion)
    higher = HIGHER_IS_BETTER.get(metric, True)
    limit = champion - slack if higher else champion + slack
    ok = challenger >= limit if higher else challenger <= limit
    word = "no worse than" if ok else "worse than"
    reason = (f"{metric} = {challenger:.4g} is {word} champion {champion:.4g} "
              f"(tolerance {tolerance:.1%}) on the same holdout")
    return Check("champion", f"{metric} vs champion", ok, challenger, limit, reason)


def data_checks(features: pd.DataFrame, label: pd.Series | None, *, kind: str,
                min_rows: int, min_class_fraction: float) -> list[Check]:
    checks = [Check("data", "rows", len(features) >= min_rows, float(len(features)),
                    float(min_rows), f"{len(features)} training rows (minimum {min_rows})")]
    if kind == "classification" and label is not None and len(label):
        minority = float(label.value_counts(normalize=True).min()) if label.nunique() > 1 else 0.0
        checks.append(Check("data", "class balance", minority >= min_class_fraction, minority,
                            min_class_fraction,
                            f"minority class is {minority:.2%} of rows "
                            f"(minimum {min_class_fraction:.2%})"))
    checks.extend(_feature_sanity(features))
    if label is not None and len(label):
        checks.extend(_leakage(features, label))
    return checks


def _feature_sanity(features: pd.DataFrame) -> list[Check]:
    all_null = [c for c in features.columns if features[c].isna().all()]
    constant = [c for c in features.columns
                if c not in all_null and features[c].nunique(dropna=False) <= 1]
    return [
        Check("data", "no all-null feature", not all_null, float(len(all_null)), 0.0,
              "all-null features: " + ", ".join(all_null) if all_null else
              "no feature is entirely null"),
        Check("data", "no constant feature", not constant, float(len(constant)), 0.0,
              "constant features: " + ", ".join(constant) if constant else
              "no feature is constant"),
    ]


def _leakage(features: pd.DataFrame, label: pd.Series) -> list[Check]:
    target = pd.to_numeric(label, errors="coerce").to_numpy(dtype=float)
    leaked = []
    for column in features.columns:
        values = pd.to_numeric(features[column], errors="coerce").to_numpy(dtype=float)
        mask = ~(np.isnan(values) | np.isnan(target))
        if mask.sum() < 3:
            continue
        if np.array_equal(values[mask], target[mask]):
            leaked.append(f"{column} (identical to the label)")
            continue
        if np.std(values[mask]) > 0 and np.std(target[mask]) > 0:
            corr = abs(float(np.corrcoef(values[mask], target[mask])[0, 1]))
            if corr >= LEAKAGE_CORRELATION:
                leaked.append(f"{column} (|corr| = {corr:.4f})")
    return [Check("data", "no label leakage", not leaked, float(len(leaked)), 0.0,
                  "features that mirror the label: " + ", ".join(leaked) if leaked else
                  f"no feature mirrors the label (|corr| < {LEAKAGE_CORRELATION})")]


def signature_check(has_inputs: bool, has_outputs: bool) -> Check:
    ok = has_inputs and has_outputs
    missing = [part for part, present in (("inputs", has_inputs), ("outputs", has_outputs))
               if not present]
    return Check("signature", "signature complete", ok, None, None,
                 "signature has inputs and outputs" if ok else
                 f"signature lacks {' and '.join(missing)}")


def decide(model: str, version: str, checks: Sequence[Check]) -> GateDecision:
    return GateDecision(model=model, version=version, checks=list(checks))
