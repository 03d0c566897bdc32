"""One error tree for lakestep.

Every user-facing failure is a :class:`LakestepError`. Each leaf is built from domain
values (a table name, a column, a model) so messages are uniform: what was expected,
what came in, and what to do. Messages never embed a data frame and cap long lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

MAX_LISTED = 10


def cap_list(items: Iterable[object], limit: int = MAX_LISTED) -> str:
    """Join items for a message, cutting long lists: 'a, b, c and 37 more'."""
    values = [str(item) for item in items]
    if len(values) <= limit:
        return ", ".join(values)
    return f"{', '.join(values[:limit])} and {len(values) - limit} more"


class LakestepError(Exception):
    """Base of every error lakestep raises on purpose.

    ``hint`` says what to do; the CLI prints ``message`` and ``hint`` on one line each and
    exits non-zero, never a traceback as the only message.
    """

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message if hint is None else f"{message} — {hint}")


class ConfigError(LakestepError):
    """Settings, bundle variables or a project directory are wrong."""


class ProjectError(LakestepError):
    """A project directory is missing a part or a part does not load."""


class InvalidName(LakestepError):
    """An identifier (catalog, schema, table, column, model) is not a safe name."""

    def __init__(self, kind: str, name: str, rule: str) -> None:
        self.kind = kind
        self.name = name
        super().__init__(
            f"invalid {kind} name {name!r}: {rule}",
            "use letters, digits and underscores, starting with a letter or underscore",
        )


class TableNotFound(LakestepError):
    def __init__(self, name: str, known: Sequence[str] = ()) -> None:
        self.name = name
        hint = (
            f"known tables in that schema: {cap_list(known)}"
            if known
            else "build it first (e.g. `lakestep demo-data`, `lakestep features`)"
        )
        super().__init__(f"table {name} does not exist", hint)


class TableWriteError(LakestepError):
    """A write was refused or failed; the previous table version is intact."""

    def __init__(self, name: str, reason: str, hint: str | None = None) -> None:
        self.name = name
        super().__init__(
            f"write to {name} failed: {reason}; the table is unchanged",
            hint,
        )


class StorageError(LakestepError):
    """The lakestep home directory cannot be used."""


class EngineError(LakestepError):
    """The Spark engine (embedded Sail, a Sail server, Databricks) cannot be reached."""


# How engines say a query outgrew its memory (DataFusion/Sail's pool, Spark's executors).
_OUT_OF_MEMORY = ("Failed to allocate additional", "Resources exhausted",
                  "OutOfMemoryError", "SparkOutOfMemoryError")


def engine_hint(exc: BaseException) -> str | None:
    """What to do about an engine error lakestep recognises (None for the others)."""
    text = str(exc)
    if any(marker in text for marker in _OUT_OF_MEMORY):
        return ("the query needed more than the engine's memory: a join's build side cannot "
                "spill to disk. Raise LAKESTEP_ENGINE_MEMORY (a share like 75% or a size like "
                "16g; default 50%) for the local engine, or use a larger cluster on Databricks")
    return None


@contextmanager
def engine_errors() -> Iterator[None]:
    """Turn an engine error lakestep knows what to do about into a LakestepError."""
    try:
        yield
    except Exception as exc:
        hint = engine_hint(exc)
        if hint is None or isinstance(exc, LakestepError):
            raise
        first = str(exc).strip().splitlines()[0][:400]
        raise LakestepError(f"the engine failed: {first}", hint) from exc


@dataclass(frozen=True)
class Problem:
    """One problem found by a check: which column, what rule, what was seen."""

    column: str | None
    rule: str
    detail: str

    def __str__(self) -> str:
        where = f"column {self.column!r}: " if self.column else ""
        return f"{where}{self.rule} ({self.detail})"


class ContractViolation(LakestepError):
    """A frame does not satisfy a gold-table contract; lists every problem at once."""

    def __init__(self, table: str, problems: Sequence[Problem]) -> None:
        self.table = table
        self.problems = list(problems)
        lines = [str(p) for p in self.problems]
        shown = lines[:MAX_LISTED]
        more = f"\n  … and {len(lines) - MAX_LISTED} more" if len(lines) > MAX_LISTED else ""
        super().__init__(
            f"{table} violates its contract ({len(lines)} problem(s)):\n  "
            + "\n  ".join(shown)
            + more,
            "fix the producing job or the contract YAML; nothing was written",
        )

    @property
    def rules(self) -> set[str]:
        return {p.rule for p in self.problems}


class ContractError(LakestepError):
    """A contract file itself is malformed, or a contract is misused."""


@dataclass(frozen=True)
class ColumnMismatch:
    """One column that cannot be conformed to a model signature."""

    column: str
    expected: str
    actual: str
    sample: str | None

    def __str__(self) -> str:
        sample = "" if self.sample is None else f", e.g. {self.sample}"
        return f"{self.column}: expected {self.expected}, got {self.actual}{sample}"


class SignatureMismatch(LakestepError):
    """Input does not fit a model signature. ``columns`` names every offending column."""

    def __init__(self, mismatches: Sequence[ColumnMismatch], model: str | None = None) -> None:
        self.mismatches = list(mismatches)
        self.columns = [m.column for m in self.mismatches]
        what = f"model {model}" if model else "the model signature"
        shown = "\n  ".join(str(m) for m in self.mismatches[:MAX_LISTED])
        more = (
            f"\n  … and {len(self.mismatches) - MAX_LISTED} more"
            if len(self.mismatches) > MAX_LISTED
            else ""
        )
        super().__init__(
            f"input does not match {what} in {len(self.mismatches)} column(s):\n  {shown}{more}",
            "cast these columns in the producing table, or retrain on the new types",
        )


class PreprocessingError(LakestepError):
    """A frame cannot be fitted or transformed by the preprocessor."""


class FeatureStoreError(LakestepError):
    """Base for feature store problems."""


class FeatureTableNotFound(FeatureStoreError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"feature table {name} does not exist",
            "create it with `lakestep features` or FeatureStore.create_table",
        )


class FeatureLookupError(FeatureStoreError):
    """A feature lookup cannot be resolved (missing key, column clash, wrong type)."""

    def __init__(self, table: str, message: str, hint: str | None = None) -> None:
        self.table = table
        super().__init__(f"feature lookup on {table}: {message}", hint)


class ModelSpecError(LakestepError):
    """A model spec is invalid; raised when the spec is loaded, not when it runs."""

    def __init__(self, model: str, message: str, hint: str | None = None) -> None:
        self.model = model
        super().__init__(f"model spec {model}: {message}", hint)


class TrainingError(LakestepError):
    """Training cannot proceed on this data."""

    def __init__(self, model: str, message: str, hint: str | None = None) -> None:
        self.model = model
        super().__init__(f"training {model}: {message}", hint)


class RegistryError(LakestepError):
    """The model registry refused an operation (names, aliases, signatures)."""


class ModelNotFound(RegistryError):
    def __init__(self, name: str, ref: str | None = None, known: Sequence[str] = ()) -> None:
        self.name = name
        what = f"{name}@{ref}" if ref and not ref.isdigit() else (
            f"{name} version {ref}" if ref else name
        )
        hint = f"what exists: {cap_list(known)}" if known else "train and register it first"
        super().__init__(f"model {what} not found", hint)


class GateFailed(LakestepError):
    """The quality gate refused a model version; @champion did not move."""

    exit_code = 3

    def __init__(self, model: str, version: str, reasons: Sequence[str]) -> None:
        self.model = model
        self.version = version
        self.reasons = list(reasons)
        super().__init__(
            f"gate failed for {model} version {version}: {cap_list(self.reasons)}",
            "see the gate report on the model version; @champion was not moved",
        )


class ScoringError(LakestepError):
    """Batch scoring failed; the predictions table keeps its previous version."""


class MonitoringError(LakestepError):
    """Monitoring could not compute its metrics."""


class BundleError(LakestepError):
    """databricks.yml or resources/ cannot be read or run locally."""


class FeatureTableWriteError(FeatureStoreError):
    """A feature table write or create was refused; the table keeps its previous version."""

    def __init__(self, name: str, reason: str, hint: str | None = None) -> None:
        self.name = name
        super().__init__(f"write to feature table {name} failed: {reason}; the table is unchanged",
                         hint)


class FeatureDefinitionError(FeatureStoreError):
    """A declared feature table is inconsistent with the gold contracts or itself."""

    def __init__(self, table: str, message: str, hint: str | None = None) -> None:
        self.table = table
        super().__init__(f"feature table definition {table}: {message}", hint)


class PackagingError(LakestepError):
    """A model cannot be packaged: incomplete signature, unsupported estimator or kind."""

    def __init__(self, model: str, message: str, hint: str | None = None) -> None:
        self.model = model
        super().__init__(f"packaging {model}: {message}", hint)


class StackError(LakestepError):
    """A service of the local stack (postgres, mlflow, spark) cannot start, stop or answer.

    The message names the service and, when it has one, the log file to read.
    """

    def __init__(self, service: str, message: str, hint: str | None = None,
                 log_file: str | None = None) -> None:
        self.service = service
        self.log_file = log_file
        where = f" (log: {log_file})" if log_file else ""
        super().__init__(f"stack service {service}: {message}{where}", hint)


class PortInUse(StackError):
    """A stack service cannot listen because another process holds its port."""

    def __init__(self, service: str, port: int, option: str) -> None:
        self.port = port
        super().__init__(
            service,
            f"port {port} is already in use by another process",
            f"stop that process (`ss -ltnp 'sport = :{port}'` shows it) or choose another "
            f"port with {option}",
        )
