"""docker-compose.yml against the Compose specification, and the image it builds.

No Docker engine runs here, so the compose file is checked against the published spec
(check-jsonschema's vendored copy) and for the wiring the stack needs; the Dockerfile is
checked line by line for what the image must be (base, pinned install, non-root user).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "local" / "Dockerfile"
INSTRUCTIONS = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
                "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK",
                "SHELL"}


def check_compose(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
         str(path)],
        capture_output=True, text=True, timeout=120, check=False,
    )


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def test_compose_file_matches_the_compose_spec():
    result = check_compose(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("breaks", [
    lambda doc: doc["services"]["pipeline"]["depends_on"]["spark"].update(
        condition="service_ready"),
    lambda doc: doc["services"]["postgres"].update(
        helthcheck=doc["services"]["postgres"].pop("healthcheck")),
], ids=["bad depends_on condition", "misspelt healthcheck"])
def test_the_compose_spec_rejects_a_broken_copy(tmp_path, breaks):
    document = yaml.safe_load(COMPOSE.read_text())
    breaks(document)
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(yaml.safe_dump(document, sort_keys=False))

    assert check_compose(broken).returncode != 0


def test_the_stack_has_its_four_services_with_health_checks_and_named_volumes(services):
    assert set(services) == {"postgres", "mlflow", "spark", "pipeline"}
    for name in ("postgres", "mlflow", "spark"):
        assert services[name]["healthcheck"]["test"], name
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"][1]
    assert "/health" in services["mlflow"]["healthcheck"]["test"][-1]
    volumes = yaml.safe_load(COMPOSE.read_text())["volumes"]
    assert set(volumes) == {"postgres-data", "mlflow-artifacts", "lakehouse"}
    # The Sail server and the pipeline share the lakehouse at the same path, so the Delta
    # paths the pipeline writes are the ones the server reads.
    assert services["spark"]["volumes"] == services["pipeline"]["volumes"] == [
        "lakehouse:/lakehouse-home"]


def test_mlflow_uses_postgres_and_serves_artifacts(services):
    command = services["mlflow"]["command"]
    assert "--backend-store-uri=postgresql+psycopg2://mlflow@postgres:5432/mlflow" in command
    assert {"--serve-artifacts", "--artifacts-destination=/mlartifacts"} <= set(command)
    assert services["mlflow"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_spark_is_a_sail_spark_connect_server(services):
    command = services["spark"]["command"]
    assert command[:3] == ["sail", "spark", "server"]
    assert command[command.index("--port") + 1] == "50051"
    assert command[command.index("--ip") + 1] == "0.0.0.0"


def test_pipeline_runs_against_the_three_services_once_healthy(services):
    pipeline = services["pipeline"]
    assert pipeline["command"] == ["lakestep", "run", "--stack"]
    assert pipeline["environment"] == {"LAKESTEP_SPARK_REMOTE": "sc://spark:50051",
                                       "LAKESTEP_TRACKING_URI": "http://mlflow:5000",
                                       "LAKESTEP_HOME": "/lakehouse-home"}
    assert {k: v["condition"] for k, v in pipeline["depends_on"].items()} == {
        "postgres": "service_healthy", "mlflow": "service_healthy", "spark": "service_healthy"}


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in joined.splitlines()]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1])
            for line in lines if line and not line.startswith("#")]


def test_dockerfile_builds_a_non_root_python_311_image_of_the_package():
    instructions = dockerfile_instructions()
    unknown = [name for name, _ in instructions if name not in INSTRUCTIONS]
    assert not unknown, f"not Dockerfile instructions: {unknown}"
    bases = [args for name, args in instructions if name == "FROM"]
    assert all(base.startswith("python:3.11-slim") for base in bases)
    runs = " ".join(args for name, args in instructions if name == "RUN")
    assert "pyproject.toml" in runs and "pip install --requirement" in runs
    users = [args for name, args in instructions if name == "USER"]
    assert users and users[-1] not in ("root", "0")
    last_user = max(i for i, (name, _) in enumerate(instructions) if name == "USER")
    assert instructions[-1][0] == "CMD" and last_user < len(instructions) - 1
    for name, args in instructions:
        if name == "COPY" and "--from" not in args:
            for source in args.split()[:-1]:
                assert (REPO / source).exists(), f"COPY {source}: no such file in the repo"


def test_the_build_context_excludes_the_virtualenv_and_local_data():
    ignore = (REPO / "local" / "Dockerfile.dockerignore").read_text().splitlines()
    assert ignore[ignore.index("*") + 1:][:3] == ["!pyproject.toml", "!README.md", "!src/"]
