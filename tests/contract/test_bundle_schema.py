"""databricks.yml and every resources/*.yml against the published bundle JSON schema.

The schema is the Databricks CLI's own (``../shared/schemas/``, beside the repository;
CI writes it there with ``databricks bundle schema``). Its patterns use ``\\p{L}``, which
Python's ``re`` cannot compile, so the ``pattern`` keyword is re-implemented with the
``regex`` package; ``best_match`` picks the useful error out of the many ``oneOf`` branches.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import regex
import yaml
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError, best_match

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "schemas" / "databricks-bundle.schema.json"
VENDORED = Path(__file__).resolve().parent / "schemas" / "databricks-bundle.schema.json"
# The shared copy beside the repository when there is one; a clone carries its own.
SCHEMA = SHARED if SHARED.is_file() else VENDORED
BUNDLE_FILES = [REPO / "databricks.yml", *sorted((REPO / "resources").glob("*.yml"))]


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not regex.search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


BundleValidator = validators.extend(Draft202012Validator, {"pattern": _pattern})


@cache
def validator() -> Any:
    assert SCHEMA.is_file(), (
        f"bundle schema not found at {SCHEMA}; put the published schema there "
        "(`databricks bundle schema > tests/contract/schemas/databricks-bundle.schema.json`)"
    )
    return BundleValidator(json.loads(SCHEMA.read_text()))


def problems(path: Path) -> list[str]:
    """Schema errors of one bundle file, best match first, each with its location."""
    document = yaml.safe_load(path.read_text())
    errors = list(validator().iter_errors(document))
    if not errors:
        return []
    best = best_match(errors)
    where = "/".join(str(part) for part in best.absolute_path)
    return [f"{path.name}: at {where or '<root>'}: {best.message}", *(
        f"  also at {'/'.join(map(str, e.absolute_path))}" for e in errors[:5])]


def test_the_bundle_has_resource_files():
    assert [p.name for p in BUNDLE_FILES[1:]] == [
        "features.yml", "inference.yml", "monitoring.yml", "registered_models.yml",
        "schemas.yml", "training.yml"]


@pytest.mark.parametrize("path", BUNDLE_FILES, ids=lambda p: p.name)
def test_bundle_file_matches_the_published_schema(path):
    assert problems(path) == []


BROKEN = [
    # (file, what to break, the location the schema must blame)
    ("training.yml", lambda doc: _first_task(doc)["python_wheel_task"].pop("entry_point"),
     "python_wheel_task"),
    ("monitoring.yml", lambda doc: _task(doc, "check_retrain")["condition_task"].update(
        op="IS_ABOUT"), "condition_task"),
    ("inference.yml", lambda doc: _job(doc).update(timeout_seconds="two hours"),
     "timeout_seconds"),
    ("databricks.yml", lambda doc: doc["targets"]["prod"]["run_as"].update(
        service_principal="sp"), "run_as"),
    ("schemas.yml", lambda doc: doc["resources"]["schemas"]["gold"]["grants"][0].update(
        privileges=["READ_EVERYTHING"]), "grants"),
]


@pytest.mark.parametrize(("name", "breaks", "blamed"), BROKEN, ids=[b[0] for b in BROKEN])
def test_the_schema_rejects_a_broken_copy(tmp_path, name, breaks, blamed):
    source = REPO / name if name == "databricks.yml" else REPO / "resources" / name
    document = yaml.safe_load(source.read_text())
    breaks(document)
    broken = tmp_path / name
    broken.write_text(yaml.safe_dump(document, sort_keys=False))

    found = problems(broken)

    assert found, f"a broken {name} passed the schema"
    assert blamed in found[0]


def _job(doc: dict[str, Any]) -> dict[str, Any]:
    return next(iter(doc["resources"]["jobs"].values()))


def _first_task(doc: dict[str, Any]) -> dict[str, Any]:
    return _job(doc)["tasks"][0]


def _task(doc: dict[str, Any], key: str) -> dict[str, Any]:
    return next(t for t in _job(doc)["tasks"] if t["task_key"] == key)
