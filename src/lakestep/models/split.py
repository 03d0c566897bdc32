"""Time-aware train/holdout splits: no random split where time matters.

A time split puts every row of a period on one side: the holdout is the latest
``holdout_fraction`` of the *distinct* time values, so no day straddles the cut and the
model is always evaluated on a future it has not seen. Backtests are expanding windows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lakestep.errors import TrainingError


@dataclass(frozen=True)
class Split:
    train: pd.DataFrame
    holdout: pd.DataFrame
    description: str


def time_split(frame: pd.DataFrame, column: str, holdout_fraction: float, *,
               model: str) -> Split:
    """Train on the past, hold out the latest ``holdout_fraction`` of distinct times."""
    if column not in frame.columns:
        raise TrainingError(model, f"split column {column!r} is not in the training set")
    times = pd.Series(frame[column].dropna().unique()).sort_values(ignore_index=True)
    if len(times) < 2:
        raise TrainingError(model, f"a time split needs at least two distinct {column} values, "
                            f"got {len(times)}", "widen the label filter or add data")
    n_holdout = max(1, round(len(times) * holdout_fraction))
    cutoff = times.iloc[len(times) - n_holdout]
    is_holdout = frame[column] >= cutoff
    train, holdout = frame[~is_holdout], frame[is_holdout]
    return Split(train, holdout, f"time split on {column}: train < {cutoff}, "
                 f"holdout >= {cutoff} ({len(train)} / {len(holdout)} rows)")


def random_split(frame: pd.DataFrame, holdout_fraction: float, seed: int) -> Split:
    """For rows without a time order only (e.g. unsupervised anomaly detection)."""
    rng = np.random.default_rng(seed)
    is_holdout = rng.random(len(frame)) < holdout_fraction
    return Split(frame[~is_holdout], frame[is_holdout],
                 f"random split (seed {seed}): {int((~is_holdout).sum())} / "
                 f"{int(is_holdout.sum())} rows")


def backtest_folds(frame: pd.DataFrame, column: str, folds: int, holdout_fraction: float
                   ) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """Expanding-window folds that end where the final holdout begins."""
    times = pd.Series(frame[column].dropna().unique()).sort_values(ignore_index=True)
    n_holdout = max(1, round(len(times) * holdout_fraction))
    available = times.iloc[: len(times) - n_holdout]
    step = max(1, len(available) // (folds + 1))
    for fold in range(1, folds + 1):
        start = fold * step
        end = min(start + step, len(available))
        if start >= len(available):
            return
        train = frame[frame[column] < available.iloc[start]]
        test = frame[(frame[column] >= available.iloc[start]) &
                     (frame[column] < (available.iloc[end] if end < len(available)
                                       else times.iloc[len(times) - n_holdout]))]
        if len(train) and len(test):
            yield train, test
