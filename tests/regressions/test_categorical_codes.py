"""Categorical codes computed per batch (pd.Categorical(...).codes) depend on which values
the batch holds. lakestep freezes the vocabulary at fit: a value has one code forever."""

from __future__ import annotations

import pandas as pd

from lakestep.preprocessing import PreprocessingSpec, fit

TRAIN = pd.DataFrame({"country": ["DE", "FR", "IT"]})
SCORE = pd.DataFrame({"country": ["FR", "IT"]})


def test_codes_do_not_change_between_training_and_scoring():
    naive_train = dict(zip(TRAIN["country"], pd.Categorical(TRAIN["country"]).codes,
                           strict=True))
    naive_score = dict(zip(SCORE["country"], pd.Categorical(SCORE["country"]).codes,
                           strict=True))
    assert naive_train["FR"] != naive_score["FR"]  # the bug: FR is 1, then 0
    fitted = fit(TRAIN, PreprocessingSpec(categorical=["country"],
                                          categorical_encoding="ordinal"))
    assert fitted.transform(TRAIN)["country"].tolist() == [0.0, 1.0, 2.0]
    assert fitted.transform(SCORE)["country"].tolist() == [1.0, 2.0]
    assert fitted.transform(pd.DataFrame({"country": ["ES", None]}))["country"].tolist() == [
        3.0, 4.0]  # unseen and null have buckets of their own
