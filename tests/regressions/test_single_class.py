"""A training set with a single class: predict_proba has one column, so "probability of the
positive class" does not exist, and AUC is undefined. Both are refused clearly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.tree import DecisionTreeClassifier

from lakestep.errors import LakestepError, TrainingError
from lakestep.models.metrics import classification_metrics
from lakestep.models.packaging import log_model
from lakestep.preprocessing import PreprocessingSpec, fit

TRAIN = pd.DataFrame({"nights": [1.0, 2.0, 3.0]})


def test_a_single_class_classifier_cannot_be_packaged():
    fitted = fit(TRAIN, PreprocessingSpec(numeric=["nights"]))
    estimator = DecisionTreeClassifier().fit(fitted.transform(TRAIN), [0, 0, 0])
    assert estimator.predict_proba(fitted.transform(TRAIN)).shape == (3, 1)  # the trap
    with pytest.raises(TrainingError, match=r"training conversion: the training labels hold a "
                                            r"single class \(0\); predict_proba has one column"):
        log_model(estimator, fitted, kind="classification", raw_input_example=TRAIN,
                  name="conversion")


def test_single_class_metrics_are_refused():
    with pytest.raises(LakestepError, match="need both classes, but every label is 1"):
        classification_metrics(np.ones(4), np.full(4, 0.9))
