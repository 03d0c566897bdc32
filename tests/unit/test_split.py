import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lakestep.errors import TrainingError
from lakestep.models.split import backtest_folds, time_split


@given(st.lists(st.integers(0, 60), min_size=2, max_size=200), st.floats(0.05, 0.5))
def test_time_split_never_trains_on_the_future(days, fraction):
    frame = pd.DataFrame({"d": pd.to_datetime("2024-01-01") + pd.to_timedelta(days, "D"),
                          "y": np.arange(len(days))})
    if frame["d"].nunique() < 2:
        with pytest.raises(TrainingError, match="at least two distinct d"):
            time_split(frame, "d", fraction, model="m")
        return
    split = time_split(frame, "d", fraction, model="m")
    assert len(split.train) + len(split.holdout) == len(frame)
    assert len(split.holdout) > 0
    if len(split.train):
        assert split.train["d"].max() < split.holdout["d"].min()


def test_backtest_folds_are_ordered_and_before_the_holdout():
    frame = pd.DataFrame({"d": pd.date_range("2024-01-01", periods=100), "y": range(100)})
    holdout_start = time_split(frame, "d", 0.2, model="m").holdout["d"].min()
    folds = list(backtest_folds(frame, "d", 3, 0.2))
    assert len(folds) == 3
    for train, test in folds:
        assert train["d"].max() < test["d"].min()
        assert test["d"].max() < holdout_start
