"""An empty training frame (a filter that matched nothing) must stop training with a clear
error, not fit medians of nothing; an empty scoring batch scores to an empty result."""

from __future__ import annotations

import pandas as pd
import pytest

from lakestep.errors import PreprocessingError
from lakestep.preprocessing import PreprocessingSpec, fit

FRAME = pd.DataFrame({"nights": [1.0, 2.0], "country": ["DE", "FR"]})
SPEC = PreprocessingSpec(numeric=["nights"], categorical=["country"])


def test_fitting_on_no_rows_is_refused():
    with pytest.raises(PreprocessingError, match=r"cannot fit the preprocessor on an empty "
                                                 r"frame \(0 rows\).*check the training query"):
        fit(FRAME.iloc[:0], SPEC)


def test_an_empty_scoring_batch_gives_an_empty_matrix():
    matrix = fit(FRAME, SPEC).transform(FRAME.iloc[:0])
    assert matrix.shape == (0, 5)
