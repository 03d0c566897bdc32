"""Settings: where lakestep runs and what every table and model is called.

Values come, in order of precedence, from the variables of ``databricks.yml`` (defaults,
then the chosen target's overrides), then ``LAKESTEP_*`` environment variables, then
explicit arguments (CLI flags). :func:`load_settings` is the only function in lakestep
that reads the environment. Every three-level name is built here and nowhere else.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

import yaml

from lakestep.errors import ConfigError, InvalidName

Target = Literal["local", "dev", "prod"]
TARGETS: tuple[str, ...] = ("local", "dev", "prod")

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")

# Settings fields a bundle variable may set (the variable has the same name).
BUNDLE_VARIABLES = (
    "project",
    "catalog",
    "gold_schema",
    "features_schema",
    "ml_schema",
    "monitoring_schema",
)

# LAKESTEP_<NAME> environment variables and the settings field each one sets.
ENV_VARIABLES: Mapping[str, str] = {
    "LAKESTEP_TARGET": "target",
    "LAKESTEP_HOME": "home",
    "LAKESTEP_PROJECT": "project_dir",
    "LAKESTEP_PROJECT_NAME": "project",
    "LAKESTEP_CATALOG": "catalog",
    "LAKESTEP_GOLD_SCHEMA": "gold_schema",
    "LAKESTEP_FEATURES_SCHEMA": "features_schema",
    "LAKESTEP_ML_SCHEMA": "ml_schema",
    "LAKESTEP_MONITORING_SCHEMA": "monitoring_schema",
    "LAKESTEP_TRACKING_URI": "tracking_uri",
    "LAKESTEP_REGISTRY_URI": "registry_uri",
    "LAKESTEP_SPARK_REMOTE": "spark_remote",
    "LAKESTEP_ENGINE_MEMORY": "engine_memory",
}

# How much memory the local engine (Sail) may use for query execution before it spills
# sorts, aggregations and windows to disk: a share of this machine's memory or a size.
DEFAULT_ENGINE_MEMORY = "50%"
_MEMORY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(%|[kmgt]i?b?|b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}



def machine_memory() -> int:
    """Bytes of memory this process may use: physical memory, or the cgroup's limit (a
    container's ``--memory``) when that is lower."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(limit_file).read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            total = min(total, int(text))
    return int(total)


def memory_limit(spec: str, total: int | None = None) -> int | None:
    """Bytes for an engine memory setting: ``"50%"`` (of :func:`machine_memory`), ``"8g"``,
    ``"512MiB"``, ``"1.5GB"``; ``"unbounded"`` gives None (no limit: a query that outgrows
    memory gets the process killed instead of spilling)."""
    text = str(spec).strip()
    if text.lower() == "unbounded":
        return None
    match = _MEMORY.match(text)
    if not match:
        raise ConfigError(
            f"engine memory {spec!r} is not a size",
            "set LAKESTEP_ENGINE_MEMORY to a share like 50% or a size like 8g, 512m, 1.5GiB "
            "(or 'unbounded')")
    number, unit = float(match.group(1)), (match.group(2) or "").lower()
    if unit == "%":
        if not 0 < number <= 100:
            raise ConfigError(f"engine memory {spec!r} is not a share above 0% and at most 100%",
                              "set LAKESTEP_ENGINE_MEMORY to e.g. 50%")
        return int((total or machine_memory()) * number / 100)
    size = int(number * _UNITS[unit[:1]])
    if size < 64 * 2**20:
        raise ConfigError(f"engine memory {spec!r} is below 64 MiB",
                          "give the engine at least 64m (e.g. LAKESTEP_ENGINE_MEMORY=4g)")
    return size


def check_identifier(kind: str, name: str) -> str:
    """Return ``name`` if it is a safe SQL identifier, else raise :class:`InvalidName`.

    Names are validated (and later quoted) so no identifier can inject SQL.
    """
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise InvalidName(kind, str(name), "only [A-Za-z0-9_], not starting with a digit")
    return name


def quote(name: str) -> str:
    """Quote a validated one- or three-level name for Spark SQL: `a`.`b`.`c`."""
    parts = name.split(".")
    for part in parts:
        check_identifier("identifier", part)
    return ".".join(f"`{part}`" for part in parts)


def split_name(name: str) -> tuple[str, str, str]:
    """Split and validate a three-level ``catalog.schema.table`` name."""
    parts = name.split(".") if isinstance(name, str) else []
    if len(parts) != 3:
        raise InvalidName(
            "three-level", str(name), "expected catalog.schema.name, as in Unity Catalog"
        )
    catalog, schema, table = parts
    return (
        check_identifier("catalog", catalog),
        check_identifier("schema", schema),
        check_identifier("table", table),
    )


@dataclass(frozen=True)
class Settings:
    """Everything that differs between the embedded stack, the local stack and Databricks."""

    target: Target = "local"
    project: str = "lakestep"
    catalog: str = "main"
    gold_schema: str = "gold"
    features_schema: str = "features"
    ml_schema: str = "ml"
    monitoring_schema: str = "monitoring"
    home: Path = field(default_factory=lambda: Path(".lakestep").resolve())
    tracking_uri: str = ""
    registry_uri: str = ""
    project_dir: Path | None = None
    spark_remote: str | None = None
    engine_memory: str = DEFAULT_ENGINE_MEMORY

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise ConfigError(
                f"unknown target {self.target!r}", f"use one of {', '.join(TARGETS)}"
            )
        for name in BUNDLE_VARIABLES:
            check_identifier(name, getattr(self, name))
        object.__setattr__(self, "home", Path(self.home).expanduser().resolve())
        memory_limit(self.engine_memory)
        if not self.tracking_uri:
            object.__setattr__(self, "tracking_uri", self._default_tracking_uri())
        if not self.registry_uri:
            object.__setattr__(self, "registry_uri", self._default_registry_uri())

    def _default_tracking_uri(self) -> str:
        if self.target == "local":
            return f"sqlite:///{self.home / 'mlflow.db'}"
        return "databricks"

    def _default_registry_uri(self) -> str:
        if self.target == "local":
            return self.tracking_uri
        return "databricks-uc"

    # -- where things live --------------------------------------------------------------
    @property
    def lakehouse_dir(self) -> Path:
        return self.home / "lakehouse"

    @property
    def artifacts_dir(self) -> Path:
        return self.home / "mlartifacts"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    def table_path(self, name: str) -> Path:
        """Directory of a local Delta table: <home>/lakehouse/<catalog>/<schema>/<table>."""
        catalog, schema, table = split_name(name)
        return self.lakehouse_dir / catalog / schema / table

    # -- names --------------------------------------------------------------------------
    def _name(self, schema: str, name: str) -> str:
        return f"{self.catalog}.{schema}.{check_identifier('table', name)}"

    def gold(self, table: str) -> str:
        return self._name(self.gold_schema, table)

    def feature_table(self, table: str) -> str:
        return self._name(self.features_schema, table)

    def ml_table(self, table: str) -> str:
        return self._name(self.ml_schema, table)

    def monitoring_table(self, table: str) -> str:
        return self._name(self.monitoring_schema, table)

    def model_name(self, model: str) -> str:
        """Registered model name, three levels as Unity Catalog requires."""
        return f"{self.catalog}.{self.ml_schema}.{check_identifier('model', model)}"

    def predictions_table(self, model: str) -> str:
        return self.ml_table(f"{check_identifier('model', model)}_predictions")

    def experiment_name(self, model: str) -> str:
        """Same experiment path locally and on Databricks."""
        return f"/Shared/{self.project}_ml_{check_identifier('model', model)}"

    @property
    def schemas(self) -> tuple[str, ...]:
        return (self.gold_schema, self.features_schema, self.ml_schema, self.monitoring_schema)

    def with_overrides(self, **values: Any) -> Settings:
        return replace(self, **{k: v for k, v in values.items() if v is not None})


# -- databricks.yml ----------------------------------------------------------------------

_INTERPOLATION = re.compile(r"\$\{(var|bundle)\.([A-Za-z_][A-Za-z0-9_]*)\}")


def bundle_file(project_dir: Path | None) -> Path | None:
    """The databricks.yml that names every table for this run.

    A project directory must have one. Without a project, the repository's own file is
    used from a source checkout; an installed wheel (a Databricks job) has none and gets
    every variable as a job parameter, falling back to the :class:`Settings` defaults,
    which a test keeps equal to the databricks.yml defaults.
    """
    if project_dir is not None:
        candidate = Path(project_dir) / "databricks.yml"
        if not candidate.is_file():
            raise ConfigError(
                f"no databricks.yml in project directory {project_dir}",
                "a lakestep project declares its variables in databricks.yml (see examples/)",
            )
        return candidate
    checkout = Path(__file__).resolve().parent.parent.parent / "databricks.yml"
    return checkout if checkout.is_file() else None


def read_bundle_variables(path: Path, target: str) -> dict[str, str]:
    """Variable values for a target: defaults, then ``targets.<target>.variables``."""
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}", "fix the YAML syntax") from exc
    if not isinstance(document, dict):
        raise ConfigError(f"{path} is not a YAML mapping", "see databricks.yml in the repository")
    values: dict[str, str] = {}
    for name, spec in (document.get("variables") or {}).items():
        if isinstance(spec, dict) and "default" in spec:
            values[name] = str(spec["default"])
    targets = document.get("targets") or {}
    if target != "local":
        if target not in targets:
            raise ConfigError(
                f"target {target!r} is not defined in {path}",
                f"defined targets: {', '.join(targets) or 'none'}",
            )
        overrides = (targets[target] or {}).get("variables") or {}
        values.update({k: str(v) for k, v in overrides.items()})
    bundle = {"target": target, "name": str((document.get("bundle") or {}).get("name", ""))}
    return {k: _interpolate(v, values, bundle) for k, v in values.items()}


def _interpolate(value: str, variables: Mapping[str, str], bundle: Mapping[str, str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        scope, key = match.groups()
        source = variables if scope == "var" else bundle
        if key not in source:
            raise ConfigError(f"databricks.yml refers to ${{{scope}.{key}}}, which is undefined")
        return str(source[key])

    for _ in range(5):  # variables may refer to variables; bounded to stop cycles
        new = _INTERPOLATION.sub(substitute, value)
        if new == value:
            return new
        value = new
    raise ConfigError(f"databricks.yml variable interpolation does not terminate: {value!r}")


def load_settings(
    target: str | None = None,
    *,
    home: str | Path | None = None,
    project_dir: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build the one :class:`Settings` for a run: bundle variables < LAKESTEP_* < arguments."""
    env = dict(os.environ if environ is None else environ)
    if "project_name" in overrides:  # `project` is the directory in connect()'s signature
        overrides["project"] = overrides.pop("project_name")
    from_env = _settings_from_env(env)
    chosen_target = target or from_env.pop("target", None) or "local"
    from_env.pop("target", None)
    chosen_dir = project_dir or from_env.pop("project_dir", None)
    from_env.pop("project_dir", None)
    resolved_dir = Path(chosen_dir).resolve() if chosen_dir else None
    if resolved_dir is not None and not resolved_dir.is_dir():
        raise ConfigError(f"project directory {resolved_dir} does not exist")

    bundle = bundle_file(resolved_dir)
    variables = read_bundle_variables(bundle, chosen_target) if bundle else {}
    values: dict[str, Any] = {k: variables[k] for k in BUNDLE_VARIABLES if k in variables}
    values.update(from_env)
    values.update({k: v for k, v in overrides.items() if v is not None})
    if home is not None:
        values["home"] = home
    elif "home" not in values and resolved_dir is not None:
        values["home"] = resolved_dir / ".lakestep"
    known = {f.name for f in fields(Settings)}
    unknown = set(values) - known
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}",
                          f"known settings: {', '.join(sorted(known))}")
    return Settings(target=chosen_target, project_dir=resolved_dir, **values)  # type: ignore[arg-type]


def _settings_from_env(env: Mapping[str, str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for key, value in env.items():
        if not key.startswith("LAKESTEP_") or value == "":
            continue
        if key not in ENV_VARIABLES:
            raise ConfigError(
                f"unknown environment variable {key}",
                f"lakestep reads only {', '.join(sorted(ENV_VARIABLES))}",
            )
        values[ENV_VARIABLES[key]] = value
    return values
