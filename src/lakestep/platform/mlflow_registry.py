"""The ModelRegistry adapter over an MLflow client.

The same calls serve the local stores (SQLite or an MLflow server) and Unity Catalog
(``registry_uri="databricks-uc"``): only the URIs differ. Each method is one direct
``MlflowClient`` call; a contract test holds them to the installed client's signatures.
"""

from __future__ import annotations

from typing import Any

from lakestep.registry import ModelRegistry, ModelVersion


def _not_found(exc: Exception) -> bool:
    code = getattr(exc, "error_code", "")
    return code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND")


def _version(mv: Any) -> ModelVersion:
    return ModelVersion(
        name=mv.name,
        version=str(mv.version),
        run_id=mv.run_id,
        source=mv.source,
        aliases=tuple(getattr(mv, "aliases", ()) or ()),
        tags=dict(mv.tags or {}),
    )


class MlflowModelRegistry(ModelRegistry):
    def __init__(self, tracking_uri: str, registry_uri: str, client: Any = None) -> None:
        self.tracking_uri = tracking_uri
        self.registry_uri = registry_uri
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            from mlflow import MlflowClient

            self._client = MlflowClient(tracking_uri=self.tracking_uri,
                                        registry_uri=self.registry_uri)
        return self._client

    def _register(self, model_uri: str, name: str, tags: dict[str, str]) -> ModelVersion:
        from mlflow.exceptions import MlflowException

        try:
            self.client.get_registered_model(name)
        except MlflowException as exc:
            if not _not_found(exc):
                raise
            self.client.create_registered_model(name)
        run_id = _run_id(model_uri)
        # MLflow 3 logged models live at models:/m-<id>; a tracking server (unlike SQLite)
        # requires that id with the version.
        model_id = model_uri.split("/", 1)[1] if model_uri.startswith("models:/m-") else None
        created = self.client.create_model_version(
            name=name, source=model_uri, run_id=run_id, tags=tags or None, model_id=model_id
        )
        return _version(self.client.get_model_version(name, str(created.version)))

    def _set_alias(self, name: str, alias: str, version: str) -> None:
        self.client.set_registered_model_alias(name, alias, version)

    def _delete_alias(self, name: str, alias: str) -> None:
        self.client.delete_registered_model_alias(name, alias)

    def _get_version(self, name: str, version: str) -> ModelVersion | None:
        from mlflow.exceptions import MlflowException

        try:
            return _version(self.client.get_model_version(name, version))
        except MlflowException as exc:
            if _not_found(exc):
                return None
            raise

    def _get_by_alias(self, name: str, alias: str) -> ModelVersion | None:
        from mlflow.exceptions import MlflowException

        try:
            return _version(self.client.get_model_version_by_alias(name, alias))
        except MlflowException as exc:
            if _not_found(exc):
                return None
            raise

    def _set_tag(self, name: str, version: str, key: str, value: str) -> None:
        self.client.set_model_version_tag(name, version, key, value)

    def _versions(self, name: str) -> list[ModelVersion]:
        found = self.client.search_model_versions(filter_string=f"name = '{name}'")
        # search results may omit aliases; read each version for its full record
        return [_version(self.client.get_model_version(name, str(mv.version))) for mv in found]


def _run_id(model_uri: str) -> str | None:
    if model_uri.startswith("runs:/"):
        return model_uri.split("/")[1]
    try:
        from mlflow.models import get_model_info

        return get_model_info(model_uri).run_id
    except Exception:
        return None
