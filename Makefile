# The two commands: `make run` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
PYTEST_WORKERS ?= 2

.PHONY: run test lint bench clean stack-up stack-down

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade "pip==26.3"

$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e ".[local]"
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e ".[local,dev,databricks]"
	touch $@ $(VENV)/.run-installed

## run the whole pipeline on the embedded default (Sail + Delta + MLflow under .lakestep/)
run: $(VENV)/.run-installed
	$(BIN)/lakestep run

## lint, layering and the whole test suite
test: $(VENV)/.dev-installed lint
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadscope --no-loadscope-reorder --durations=15

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests
	$(BIN)/lint-imports
	$(BIN)/mypy

## every benchmark → docs/benchmarks.md (lakestep bench all); BENCH_ARGS=--quick or --only scoring
bench: $(VENV)/.dev-installed
	$(BIN)/lakestep bench all $(BENCH_ARGS)

clean:
	rm -rf .lakestep .pytest_cache .mypy_cache .ruff_cache
