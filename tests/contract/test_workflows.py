"""GitHub Actions workflows against the published workflow schema, plus what CI and deploy
must do: the schema says a file is a workflow, these tests say it is *our* workflow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"


def check_jsonschema(schema: str, *paths: Path) -> subprocess.CompletedProcess[str]:
    """Run check-jsonschema's CLI with one of its vendored schemas (no network needed)."""
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, paths)],
        capture_output=True, text=True, timeout=120, check=False,
    )


def load(name: str) -> dict[str, Any]:
    document = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the key `on` as True.
    document["on"] = document.pop(True, document.get("on"))
    return document


def steps(job: dict[str, Any]) -> list[str]:
    return [str(step.get("uses") or step.get("run")) for step in job["steps"]]


def test_workflows_match_the_published_schema():
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert [f.name for f in files] == ["ci.yml", "deploy.yml"]
    result = check_jsonschema("vendor.github-workflows", *files)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("name", "breaks"), [
    ("ci.yml", lambda doc: doc["jobs"]["test"].pop("runs-on")),
    ("deploy.yml", lambda doc: doc["jobs"]["deploy-prod"].update(environment={"url": 3})),
])
def test_the_workflow_schema_rejects_a_broken_copy(tmp_path, name, breaks):
    document = yaml.safe_load((WORKFLOWS / name).read_text())
    breaks(document)
    broken = tmp_path / name
    broken.write_text(yaml.safe_dump(document, sort_keys=False))

    result = check_jsonschema("vendor.github-workflows", broken)

    assert result.returncode != 0, f"a broken {name} passed"


def test_ci_lints_type_checks_and_tests_with_postgres_java_and_caches():
    ci = load("ci.yml")
    assert set(ci["on"]) == {"push", "pull_request"}
    lint, test = ci["jobs"]["lint"], ci["jobs"]["test"]
    assert "make lint" in steps(lint) and ".venv/bin/mypy" in steps(lint)
    assert "make test" in steps(test)
    assert test["services"]["postgres"]["image"].startswith("postgres:")
    assert "pg_isready" in test["services"]["postgres"]["options"]
    for job in (lint, test):
        python = next(s for s in job["steps"]
                      if s.get("uses", "").startswith("actions/setup-python"))
        assert python["with"]["cache"] == "pip"
        assert python["with"]["cache-dependency-path"] == "pyproject.toml"
    assert ci["env"]["PYTHON_VERSION"] == "3.11"
    java = next(s for s in test["steps"] if s.get("uses", "").startswith("actions/setup-java"))
    assert java["with"]["java-version"] == "17"


def test_deploy_validates_prs_deploys_main_to_dev_and_tags_to_protected_prod():
    deploy = load("deploy.yml")
    assert deploy["on"]["push"]["tags"] == ["v*"]
    jobs = deploy["jobs"]
    assert "pull_request" in jobs["validate"]["if"]
    assert "databricks bundle validate --target dev" in steps(jobs["validate"])
    assert "refs/heads/main" in jobs["deploy-dev"]["if"]
    assert "databricks bundle deploy --target dev" in steps(jobs["deploy-dev"])
    assert "refs/tags/v" in jobs["deploy-prod"]["if"]
    assert jobs["deploy-prod"]["environment"] == "prod"
    assert "databricks bundle deploy --target prod" in steps(jobs["deploy-prod"])
    for job in jobs.values():
        assert any(s.startswith("databricks/setup-cli") for s in steps(job))
        credentials = {k: v for k, v in job["env"].items() if k.startswith("DATABRICKS_")}
        assert set(credentials) == {"DATABRICKS_HOST", "DATABRICKS_CLIENT_ID",
                                    "DATABRICKS_CLIENT_SECRET"}
        assert all(v == f"${{{{ secrets.{k} }}}}" for k, v in credentials.items())
