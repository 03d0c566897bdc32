"""The packaged model: fitted preprocessor + estimator + feature lookups + baseline, as one
MLflow pyfunc.

``log_model`` writes it; ``load`` reads it back as a :class:`PackagedModel` whose
``predict(frame)`` runs conform → transform → estimator. The same ``PackagedModel.predict``
runs inside the pyfunc, so ``mlflow.pyfunc.load_model(uri).predict(frame)`` gives the same
answer.

Why the MLflow signature declares its input columns as ``any``: MLflow's own enforcement
runs before a pyfunc's ``predict`` and refuses safe inputs (int64 or bool for a double
column, float64 for a long column that had nulls). Declaring every raw input column by name
with ``AnyType`` keeps MLflow's check for missing columns and hands the values to
:func:`lakestep.signature.conform`, which applies the conversion table against the typed
schema. That typed schema (the pre-preprocessing types: double, boolean, string, datetime)
is stored in the model (``package.json`` and the MLmodel ``metadata``) and exposed as
:attr:`PackagedModel.input_schema`. Outputs are typed in the MLflow signature.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mlflow
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.pyfunc import PythonModel
from mlflow.types.schema import AnyType, ColSpec, DataType, Schema

from lakestep.errors import LakestepError, PackagingError
from lakestep.models.baseline import TrainingBaseline, compute_baseline
from lakestep.models.estimators import (
    OUTPUT_TYPES,
    check_estimator,
    check_kind,
    load_estimator,
    pip_requirements,
    predict_outputs,
    save_estimator,
)
from lakestep.preprocessing import FittedPreprocessor
from lakestep.signature import conform

if TYPE_CHECKING:
    from mlflow.models.model import ModelInfo

PACKAGE_VERSION = 1
PACKAGE_DIR = Path(__file__).resolve().parent.parent  # the lakestep package itself
PACKAGE_FILE = "package.json"
ARTIFACT_KEY = "lakestep"
EXAMPLE_ROWS = 5
# Rows per conform → transform → predict step: bounds memory for frames of any size.
CHUNK_ROWS = 100_000


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lakestep")
    except PackageNotFoundError:  # a source tree on sys.path, not installed
        return "unknown"


def input_schema_for(fitted_preprocessor: FittedPreprocessor) -> Schema:
    """The typed raw-input schema: each input column with the type its role reads."""
    return Schema([ColSpec(DataType[t], c) for c, t in fitted_preprocessor.input_types.items()])


def output_schema_for(kind: str) -> Schema:
    return Schema([ColSpec(DataType[t], c) for c, t in OUTPUT_TYPES[kind].items()])


def check_signature(signature: ModelSignature | None, model: str) -> None:
    """Refuse a signature without both inputs and outputs, as Unity Catalog does."""
    missing = [part for part in ("inputs", "outputs")
               if signature is None or not getattr(signature, part, None)]
    if missing:
        raise PackagingError(
            model,
            f"the signature lacks {' and '.join(missing)}",
            "Unity Catalog refuses such a model; log it with lakestep.models.packaging."
            "log_model, which writes both",
        )


class PackagedModel:
    """A fitted preprocessor and an estimator that predict together, plus their metadata."""

    def __init__(
        self,
        estimator: Any,
        fitted_preprocessor: FittedPreprocessor,
        *,
        kind: str,
        feature_lookups: Iterable[Any] = (),
        baseline: TrainingBaseline | None = None,
        name: str = "model",
    ) -> None:
        check_estimator(estimator, kind, name)
        self.estimator = estimator
        self.fitted_preprocessor = fitted_preprocessor
        self.kind = kind
        self.feature_lookups = _lookup_dicts(feature_lookups, name)
        self.baseline = baseline
        self.name = name
        self.input_schema = input_schema_for(fitted_preprocessor)
        self.output_schema = output_schema_for(kind)

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``prediction`` (and ``probability``) per row of ``frame``, index kept.

        The frame is conformed to :attr:`input_schema` first (extra columns ignored); a
        column that cannot be conformed raises one ``SignatureMismatch`` naming them all.
        """
        if not isinstance(frame, pd.DataFrame):
            raise LakestepError(
                f"model {self.name} predicts on a pandas DataFrame, got {type(frame).__name__}",
                "for a Spark DataFrame, score each batch with mapInPandas",
            )
        parts = []
        for start in range(0, max(len(frame), 1), CHUNK_ROWS):
            chunk = conform(frame.iloc[start:start + CHUNK_ROWS], self.input_schema,
                            model=self.name).frame
            matrix = self.fitted_preprocessor.transform(chunk)
            parts.append(predict_outputs(self.estimator, matrix, self.kind))
        return pd.concat(parts) if len(parts) > 1 else parts[0]

    def compute_baseline(self, frame: pd.DataFrame, *, bins: int = 10) -> TrainingBaseline:
        """The training baseline of ``frame`` with this model's own predictions on it."""
        return compute_baseline(self.fitted_preprocessor, frame, self.predict(frame), bins=bins)

    # -- package.json ----------------------------------------------------------------------
    def _write(self, directory: Path) -> None:
        package = {
            "version": PACKAGE_VERSION,
            "lakestep_version": _package_version(),
            "name": self.name,
            "kind": self.kind,
            "fitted_preprocessor": self.fitted_preprocessor.to_dict(),
            "feature_lookups": self.feature_lookups,
            "baseline": None if self.baseline is None else self.baseline.to_dict(),
            "input_schema": self.input_schema.to_dict(),
            "estimator": save_estimator(self.estimator, directory, self.name),
        }
        (directory / PACKAGE_FILE).write_text(json.dumps(package, indent=1, allow_nan=False))

    @classmethod
    def _read(cls, directory: Path) -> PackagedModel:
        package = json.loads((directory / PACKAGE_FILE).read_text())
        if package.get("version") != PACKAGE_VERSION:
            raise PackagingError(
                str(package.get("name", directory)),
                f"package format version {package.get('version')!r} is not supported; this "
                f"lakestep reads version {PACKAGE_VERSION}",
                f"load it with lakestep {package.get('lakestep_version', '?')}, or retrain",
            )
        baseline = package["baseline"]
        return cls(
            load_estimator(directory, package["estimator"]),
            FittedPreprocessor.from_dict(package["fitted_preprocessor"]),
            kind=package["kind"],
            feature_lookups=package["feature_lookups"],
            baseline=None if baseline is None else TrainingBaseline.from_dict(baseline),
            name=package["name"],
        )


class LakestepPyfunc(PythonModel):
    """The MLflow face of a :class:`PackagedModel`; all state comes from the artifacts."""

    model: PackagedModel

    def load_context(self, context: Any) -> None:
        self.model = PackagedModel._read(Path(context.artifacts[ARTIFACT_KEY]))

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict | None = None
                ) -> pd.DataFrame:
        return self.model.predict(model_input)


def log_model(
    estimator: Any,
    fitted_preprocessor: FittedPreprocessor,
    *,
    kind: str,
    raw_input_example: pd.DataFrame,
    feature_lookups: Iterable[Any] | None = None,
    baseline: TrainingBaseline | None = None,
    name: str = "model",
    registered_model_name: str | None = None,
    extra_pip_requirements: Iterable[str] | None = None,
) -> ModelInfo:
    """Log estimator + preprocessor as one pyfunc model; return MLflow's ``ModelInfo``.

    ``raw_input_example`` is raw input (before preprocessing); its first rows are conformed
    to the typed input schema — so an example whose dtypes differ from training is either
    converted by a safe rule or refused — and stored as the input example. The signature
    always has inputs and outputs.
    """
    label = registered_model_name or name
    check_kind(kind, label)
    model = PackagedModel(estimator, fitted_preprocessor, kind=kind,
                          feature_lookups=feature_lookups or (), baseline=baseline, name=label)
    example = _input_example(model, raw_input_example)
    model.predict(example)  # fails here, not at serving time, if the pair cannot predict
    signature = ModelSignature(
        inputs=Schema([ColSpec(AnyType(), str(c)) for c in model.input_schema.input_names()]),
        outputs=model.output_schema,
    )
    check_signature(signature, label)
    with tempfile.TemporaryDirectory(prefix="lakestep-model-") as tmp:
        directory = Path(tmp) / ARTIFACT_KEY
        directory.mkdir()
        model._write(directory)
        return mlflow.pyfunc.log_model(
            name=name,
            python_model=LakestepPyfunc(),
            artifacts={ARTIFACT_KEY: str(directory)},
            signature=signature,
            input_example=example,
            pip_requirements=[*pip_requirements(estimator, label), *(extra_pip_requirements or [])],
            # lakestep is not on PyPI: its source travels with the model, so the model loads
            # wherever its pinned requirements are installed (a serving endpoint, a job
            # without the wheel); where lakestep is already imported, that copy is used.
            code_paths=[str(PACKAGE_DIR)],
            registered_model_name=registered_model_name,
            metadata={"lakestep": {"kind": kind, "package_version": PACKAGE_VERSION,
                                   "input_schema": model.input_schema.to_dict()}},
        )


def load(model_uri: str) -> PackagedModel:
    """Load a model written by :func:`log_model` (``models:/name@alias``, ``runs:/…`` …)."""
    try:
        pyfunc_model = mlflow.pyfunc.load_model(model_uri)
    except mlflow.exceptions.MlflowException as exc:
        raise LakestepError(f"cannot load model {model_uri}: {str(exc).splitlines()[0][:300]}",
                            "check the URI, alias and tracking/registry URIs") from exc
    python_model = pyfunc_model.unwrap_python_model()
    if not isinstance(python_model, LakestepPyfunc):
        raise LakestepError(f"model {model_uri} was not logged by lakestep "
                            f"({type(python_model).__name__})",
                            "log it with lakestep.models.packaging.log_model")
    return python_model.model


def _input_example(model: PackagedModel, raw: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(raw, pd.DataFrame) or len(raw) == 0:
        raise PackagingError(model.name, "raw_input_example must be a non-empty pandas DataFrame",
                             "pass a few raw training rows (before preprocessing)")
    return conform(raw.head(EXAMPLE_ROWS), model.input_schema, model=model.name).frame


def _lookup_dicts(lookups: Iterable[Any], model: str) -> list[dict[str, Any]]:
    """Feature lookups as plain dicts (objects with ``to_dict`` are converted)."""
    dicts = [lookup.to_dict() if hasattr(lookup, "to_dict") else lookup for lookup in lookups]
    if not all(isinstance(d, Mapping) for d in dicts):
        raise PackagingError(model, "feature lookups must be dicts or have a to_dict method")
    try:
        return json.loads(json.dumps([dict(d) for d in dicts], allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise PackagingError(model, f"feature lookups are not JSON-serialisable: {exc}",
                             "keep lookups to names, keys and plain values") from exc
