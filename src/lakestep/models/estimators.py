"""Estimators inside a packaged model: what they predict per kind, and how they are stored.

xgboost estimators are stored in xgboost's own binary format (UBJSON), which any later
xgboost reads; scikit-learn estimators are pickled, as the MLflow sklearn flavour does, so
the pinned scikit-learn version in the model's requirements matters.
"""

from __future__ import annotations

import importlib
import pickle
from importlib.metadata import version
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from lakestep.errors import PackagingError, TrainingError

ModelKind = Literal["regression", "classification", "anomaly"]
KINDS: tuple[str, ...] = ("regression", "classification", "anomaly")
OUTPUT_TYPES: dict[str, dict[str, str]] = {
    "regression": {"prediction": "double"},
    "classification": {"prediction": "long", "probability": "double"},
    "anomaly": {"prediction": "long"},
}
_PANDAS_TYPES = {"double": "float64", "long": "int64"}


def check_kind(kind: str, model: str) -> None:
    if kind not in KINDS:
        raise PackagingError(model, f"unknown model kind {kind!r}", f"use one of {', '.join(KINDS)}")


def library_of(estimator: Any, model: str) -> str:
    """``xgboost`` or ``sklearn``; anything else cannot be packaged."""
    root = type(estimator).__module__.split(".")[0]
    if root in ("xgboost", "sklearn"):
        return root
    raise PackagingError(
        model,
        f"estimator {type(estimator).__module__}.{type(estimator).__name__} is not supported",
        "use an xgboost or scikit-learn estimator (a sklearn Pipeline is fine)",
    )


def check_estimator(estimator: Any, kind: str, model: str) -> None:
    """Refuse an estimator that cannot give the outputs its kind promises."""
    check_kind(kind, model)
    library_of(estimator, model)
    if not callable(getattr(estimator, "predict", None)):
        raise PackagingError(model, f"{type(estimator).__name__} has no predict method")
    if kind != "classification":
        return
    classes = getattr(estimator, "classes_", None)
    if not callable(getattr(estimator, "predict_proba", None)) or classes is None:
        raise PackagingError(model, f"{type(estimator).__name__} is not a fitted classifier "
                             "(no predict_proba or classes_)",
                             "fit a classifier, or log it with kind='regression'")
    if len(classes) < 2:
        raise TrainingError(
            model,
            f"the training labels hold a single class ({np.asarray(classes).tolist()[0]!r}); "
            "predict_proba has one column, so there is no probability to report",
            "train on rows of at least two classes (check the label filter and the split)",
        )
    if np.asarray(classes).dtype.kind not in "biu":
        raise PackagingError(model, f"class labels {list(classes)[:5]} are not integers; the "
                             "prediction column is a long",
                             "encode the label as 0/1 (or 0..k-1) before training")


def empty_outputs(kind: str, index: pd.Index | None = None) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=_PANDAS_TYPES[t])
                         for c, t in OUTPUT_TYPES[kind].items()}, index=index)


def predict_outputs(estimator: Any, matrix: pd.DataFrame, kind: str) -> pd.DataFrame:
    """``prediction`` (and ``probability`` for classification) for a feature matrix.

    Binary classification: probability of the positive class (``classes_[1]``); more than
    two classes: probability of the predicted class.
    """
    if len(matrix) == 0:
        return empty_outputs(kind, matrix.index)
    if kind == "classification":
        return _classification_outputs(estimator, matrix)
    predicted = np.asarray(estimator.predict(matrix))
    if kind == "regression":
        return pd.DataFrame({"prediction": predicted.astype("float64")}, index=matrix.index)
    check_kind(kind, type(estimator).__name__)  # what is left is anomaly
    return pd.DataFrame({"prediction": predicted.astype("int64")}, index=matrix.index)


def _classification_outputs(estimator: Any, matrix: pd.DataFrame) -> pd.DataFrame:
    proba = np.asarray(estimator.predict_proba(matrix))
    if _labels_from_probabilities(estimator):
        # The same decision xgboost's own predict takes from the same probabilities
        # (p > 0.5 for binary, argmax for softprob), without running the trees twice.
        picked = (proba[:, 1] > 0.5).astype(np.int64) if proba.shape[1] == 2 else (
            np.argmax(proba, axis=1))
        predicted = np.asarray(estimator.classes_)[picked]
    else:
        predicted = np.asarray(estimator.predict(matrix))
    probability = proba[:, 1] if proba.shape[1] == 2 else proba.max(axis=1)
    return pd.DataFrame(
        {"prediction": predicted.astype("int64"), "probability": probability.astype("float64")},
        index=matrix.index,
    )


def _labels_from_probabilities(estimator: Any) -> bool:
    """True for xgboost classifiers whose predict is a threshold or argmax of predict_proba."""
    try:
        from xgboost import XGBClassifier
    except ImportError:  # pragma: no cover - xgboost is a dependency
        return False
    return (isinstance(estimator, XGBClassifier)
            and estimator.get_xgb_params().get("objective") in ("binary:logistic",
                                                                 "multi:softprob"))


def save_estimator(estimator: Any, directory: Path, model: str) -> dict[str, str]:
    """Write the estimator under ``directory``; return what :func:`load_estimator` needs."""
    cls = type(estimator)
    if library_of(estimator, model) == "xgboost":
        estimator.save_model(str(directory / "estimator.ubj"))
        return {"format": "xgboost", "file": "estimator.ubj",
                "class": f"{cls.__module__}.{cls.__qualname__}"}
    with open(directory / "estimator.pkl", "wb") as handle:
        pickle.dump(estimator, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return {"format": "pickle", "file": "estimator.pkl",
            "class": f"{cls.__module__}.{cls.__qualname__}"}


def load_estimator(directory: Path, meta: dict[str, str]) -> Any:
    path = directory / meta["file"]
    if meta["format"] == "xgboost":
        module, _, name = meta["class"].rpartition(".")
        estimator = getattr(importlib.import_module(module), name)()
        estimator.load_model(str(path))
        return estimator
    with open(path, "rb") as handle:
        return pickle.load(handle)  # our own artifact, written by save_estimator


def pip_requirements(estimator: Any, model: str) -> list[str]:
    """The packages the model needs at inference, pinned to the installed versions."""
    packages = ["mlflow", "cloudpickle", "pandas", "numpy", "pyarrow", "scikit-learn", "scipy"]
    if library_of(estimator, model) == "xgboost":
        packages.append("xgboost")
    return [f"{package}=={version(package)}" for package in packages]
