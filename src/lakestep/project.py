"""A lakestep project: the contracts, feature tables, label tables and model specs it runs on.

Without a project directory, the project is the packaged demo (travel bookings). With one
(``--project DIR`` or ``LAKESTEP_PROJECT``), every part comes from the directory instead::

    <project>/
      databricks.yml     variables: catalog, schemas, project name (as for the demo)
      contracts/*.yml    one contract per gold table
      features/*.py      feature table definitions: each module sets DEFINITION or DEFINITIONS
      labels/*.py        label table definitions, same form, written to the ml schema
      models/*.yml       model specs
      data/<table>.csv   gold data, loaded by `lakestep demo-data` and checked against its contract

A label table is declared exactly like a feature table (a pure Spark transform of gold
tables with keys and a timestamp column) but is written as a plain table
``{catalog}.{ml_schema}.<name>`` — it holds the training rows and their labels, and the
rows of the latest period are the keys batch scoring predicts for.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from lakestep.errors import FeatureDefinitionError, LakestepError, ProjectError

if TYPE_CHECKING:
    from lakestep.contracts import Contract
    from lakestep.features.definitions import FeatureTableDefinition
    from lakestep.models.specs import ModelSpec


@dataclass(frozen=True, eq=False)
class Project:
    """What a run is made of; ``root=None`` is the packaged demo."""

    root: Path | None = None

    @property
    def name(self) -> str:
        return "demo" if self.root is None else self.root.name

    @property
    def is_demo(self) -> bool:
        return self.root is None

    @cached_property
    def contracts(self) -> dict[str, Contract]:
        from lakestep.contracts import load_contracts

        if self.root is None:
            return dict(load_contracts())
        return dict(load_contracts(self._folder("contracts")))

    @cached_property
    def feature_definitions(self) -> dict[str, FeatureTableDefinition]:
        from lakestep.features.definitions import demo_definitions, load_definitions

        chosen = demo_definitions() if self.root is None else self._definitions("features")
        return load_definitions(chosen, self.contracts)

    @cached_property
    def label_definitions(self) -> dict[str, FeatureTableDefinition]:
        from lakestep.features.definitions import load_definitions

        if self.root is None:
            from lakestep.models.labels import demo_label_definitions

            chosen = demo_label_definitions()
        else:
            chosen = self._definitions("labels")
        return load_definitions(chosen, self.contracts)

    @cached_property
    def specs(self) -> dict[str, ModelSpec]:
        from lakestep.models.specs import load_specs

        specs = load_specs(None if self.root is None else self._folder("models"))
        for spec in specs.values():
            self._check_tables(spec)
        return specs

    def spec(self, model: str) -> ModelSpec:
        from lakestep.errors import ModelSpecError

        try:
            return self.specs[model]
        except KeyError:
            raise ModelSpecError(model, "no such model spec",
                                 f"models of {self.name}: {', '.join(sorted(self.specs))}"
                                 ) from None

    def _check_tables(self, spec: ModelSpec) -> None:
        """A spec's label table and lookup tables are declared by this project (when loaded,
        not when training reaches them)."""
        from lakestep.errors import ModelSpecError

        kind = {"gold": "gold table (contract)", "ml": "label table",
                "features": "feature table"}
        label = spec.label
        known: Mapping[str, object] = (
            self.contracts if label.schema_ == "gold" else
            self.label_definitions if label.schema_ == "ml" else self.feature_definitions)
        if label.table not in known:
            raise ModelSpecError(spec.name, f"label {kind[label.schema_]} {label.table!r} "
                                 f"is not declared in {self.name}",
                                 f"declared: {', '.join(sorted(known)) or 'none'}")
        features = self.feature_definitions
        for lookup in spec.feature_lookups:
            if lookup.table not in features:
                raise ModelSpecError(spec.name, f"feature table {lookup.table!r} is not "
                                     f"declared in {self.name}",
                                     f"declared: {', '.join(sorted(features)) or 'none'}")

    def data_folder(self) -> Path:
        return self._folder("data")

    def _folder(self, name: str) -> Path:
        assert self.root is not None
        folder = self.root / name
        if not folder.is_dir():
            raise ProjectError(f"project {self.root} has no {name}/ folder",
                               f"create {folder} (see examples/ for the layout)")
        return folder

    def _definitions(self, folder: str) -> tuple[FeatureTableDefinition, ...]:
        from lakestep.features.definitions import FeatureTableDefinition

        found: list[FeatureTableDefinition] = []
        directory = self.root / folder if self.root else None
        if directory is None or not directory.is_dir():
            return ()
        for path in sorted(directory.glob("*.py")):
            if path.name.startswith("_"):
                continue
            module = _import(path, f"lakestep_project_{_slug(self.root)}_{folder}_{path.stem}")
            declared = getattr(module, "DEFINITIONS", None)
            if declared is None:
                single = getattr(module, "DEFINITION", None)
                declared = () if single is None else (single,)
            for definition in declared:
                if not isinstance(definition, FeatureTableDefinition):
                    raise FeatureDefinitionError(
                        path.stem, f"{path} declares {type(definition).__name__}, "
                        "not a FeatureTableDefinition",
                        "set DEFINITION = FeatureTableDefinition(...)")
                found.append(definition)
            if not declared:
                raise FeatureDefinitionError(path.stem, f"{path} sets neither DEFINITION nor "
                                             "DEFINITIONS", "declare the table it builds")
        return tuple(found)


def _slug(root: Path | None) -> str:
    """A module-name-safe id of the project: two projects never share an imported module,
    also when their paths end alike (…/a/examples/shop and …/b/examples/shop)."""
    name = "".join(c if c.isalnum() else "_" for c in str(root))[-24:]
    return f"{name}_{hashlib.sha256(str(root).encode()).hexdigest()[:10]}"


def _import(path: Path, module_name: str) -> ModuleType:
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ProjectError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except LakestepError:
        sys.modules.pop(module_name, None)
        raise
    except Exception as exc:
        sys.modules.pop(module_name, None)
        raise ProjectError(f"{path} failed to import: {type(exc).__name__}: {exc}",
                           "fix the module; it must import without a Spark session") from exc
    return module


