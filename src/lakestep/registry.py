"""The ModelRegistry port, with Unity Catalog's rules enforced on every target.

A first deployment to Unity Catalog most often breaks on: two-level model names, a
signature without outputs, stages instead of aliases, and "latest" lookups. The base
class refuses each of these with Unity Catalog's reason, so a local run fails where
Databricks would. Adapters supply only the client calls (``_register``, ``_set_alias`` …).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field

from lakestep.config import split_name
from lakestep.errors import LakestepError, ModelNotFound, RegistryError

_ALIAS = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,254}$")
_RESERVED_ALIAS = re.compile(r"^(latest|v\d+)$", re.IGNORECASE)


@dataclass(frozen=True)
class ModelVersion:
    """One registered version: its three-level name, number, run and aliases."""

    name: str
    version: str
    run_id: str | None
    source: str
    aliases: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"


def check_model_name(name: str) -> str:
    """Unity Catalog requires ``catalog.schema.model``."""
    try:
        split_name(name)
    except LakestepError as exc:
        raise RegistryError(
            f"model name {name!r} is not a three-level name: Unity Catalog requires "
            "<catalog>.<schema>.<model>",
            "build names with Settings.model_name(model)",
        ) from exc
    return name


def check_alias(alias: str) -> str:
    if not isinstance(alias, str) or not _ALIAS.match(alias) or _RESERVED_ALIAS.match(alias):
        raise RegistryError(
            f"invalid alias {alias!r}: aliases are names like 'champion' or 'challenger'; "
            "'latest' and 'v<number>' are reserved",
            "address a version by @alias or by its number",
        )
    return alias


def check_signature(model_uri: str) -> None:
    """Refuse a model whose signature lacks inputs or outputs, as Unity Catalog does."""
    from mlflow.models import get_model_info

    try:
        signature = get_model_info(model_uri).signature
    except Exception as exc:
        raise RegistryError(f"cannot read the model at {model_uri}: {exc}") from exc
    if signature is None or signature.inputs is None or signature.outputs is None:
        missing = "a signature" if signature is None else (
            "input types" if signature.inputs is None else "output types")
        raise RegistryError(
            f"model at {model_uri} has no {missing}: all models in Unity Catalog must be "
            "logged with a signature containing both input and output type specifications",
            "log it with lakestep.models.packaging.log_model, which always writes both",
        )


class ModelRegistry(ABC):
    """Register versions, move aliases, tag versions — by Unity Catalog's rules."""

    def register(self, model_uri: str, name: str, *, tags: Mapping[str, str] | None = None
                 ) -> ModelVersion:
        check_model_name(name)
        check_signature(model_uri)
        return self._register(model_uri, name, dict(tags or {}))

    def set_alias(self, name: str, alias: str, version: str | int) -> None:
        check_model_name(name)
        check_alias(alias)
        self.get(name, str(version))  # a clear error for an unknown version
        self._set_alias(name, alias, str(version))

    def delete_alias(self, name: str, alias: str) -> None:
        check_model_name(name)
        self._delete_alias(name, check_alias(alias))

    def get(self, name: str, ref: str | int) -> ModelVersion:
        """A version by number (``"3"``) or alias (``"champion"``, ``"@champion"``)."""
        check_model_name(name)
        ref = str(ref).lstrip("@")
        if ref.isdigit():
            version = self._get_version(name, ref)
        else:
            version = self._get_by_alias(name, check_alias(ref))
        if version is None:
            raise ModelNotFound(name, ref, self._describe(name))
        return version

    def find(self, name: str, alias: str) -> ModelVersion | None:
        """The version behind an alias, or None when the alias is not set."""
        check_model_name(name)
        return self._get_by_alias(name, check_alias(alias.lstrip("@")))

    def set_tags(self, name: str, version: str | int, tags: Mapping[str, str]) -> None:
        check_model_name(name)
        for key, value in tags.items():
            self._set_tag(name, str(version), key, str(value))

    def versions(self, name: str) -> list[ModelVersion]:
        check_model_name(name)
        return sorted(self._versions(name), key=lambda v: int(v.version))

    def transition_stage(self, name: str, version: str, stage: str) -> None:
        """Stages do not exist in Unity Catalog; this always refuses."""
        raise RegistryError(
            f"cannot move {name} version {version} to stage {stage!r}: stages are not "
            "supported for models in Unity Catalog",
            "use aliases: lakestep promote moves @champion after the gate passes",
        )

    @staticmethod
    def uri(name: str, ref: str | int) -> str:
        """``models:/name@alias`` or ``models:/name/3`` — never a 'latest' search."""
        check_model_name(name)
        ref = str(ref).lstrip("@")
        return f"models:/{name}/{ref}" if ref.isdigit() else f"models:/{name}@{check_alias(ref)}"

    def _describe(self, name: str) -> list[str]:
        try:
            versions = self._versions(name)
        except Exception:
            return []
        described = []
        for version in sorted(versions, key=lambda v: int(v.version)):
            aliases = "".join(f" @{a}" for a in version.aliases)
            described.append(f"version {version.version}{aliases}")
        return described

    # -- adapter primitives -------------------------------------------------------------------
    @abstractmethod
    def _register(self, model_uri: str, name: str, tags: dict[str, str]) -> ModelVersion: ...

    @abstractmethod
    def _set_alias(self, name: str, alias: str, version: str) -> None: ...

    @abstractmethod
    def _delete_alias(self, name: str, alias: str) -> None: ...

    @abstractmethod
    def _get_version(self, name: str, version: str) -> ModelVersion | None: ...

    @abstractmethod
    def _get_by_alias(self, name: str, alias: str) -> ModelVersion | None: ...

    @abstractmethod
    def _set_tag(self, name: str, version: str, key: str, value: str) -> None: ...

    @abstractmethod
    def _versions(self, name: str) -> list[ModelVersion]: ...
