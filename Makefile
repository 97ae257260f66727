# One task runner: the README and CI call these targets, nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --quiet --disable-pip-version-check
export RAY_USAGE_STATS_ENABLED := 0

.PHONY: run install install-test system-deps test check lint typecheck architecture bench constraints

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

## install: the platform into .venv (pinned by constraints.txt)
install: $(BIN)/python
	$(PIP) install -c constraints.txt -e .
	bash scripts/install-web-deps.sh
	bash scripts/install-models.sh $(BIN)/python

## run: install, then the main job on the embedded default (SQLite, synthetic estate)
run: system-deps install
	$(BIN)/vidgov demo

system-deps:
	bash scripts/install-system-deps.sh

install-test: $(BIN)/python system-deps
	$(PIP) install -c constraints.txt -e '.[test]'
	bash scripts/install-web-deps.sh
	bash scripts/install-models.sh $(BIN)/python

lint:
	$(BIN)/ruff check src tests benchmarks scripts

typecheck:
	$(BIN)/mypy

architecture:
	$(BIN)/lint-imports

check: lint typecheck architecture

## test: install the test needs (PostgreSQL included), check, run the whole suite; the
## browser tests' screenshots land in test-artifacts/
test: install-test check
	VIDGOV_TEST_ARTIFACTS=$(CURDIR)/test-artifacts $(BIN)/python -m pytest

## bench: the catalog and sweep benchmarks at full size (250,000 cameras)
bench: install-test
	$(BIN)/python benchmarks/catalog_bench.py
	$(BIN)/python benchmarks/sweep_bench.py

## constraints: re-pin every installed package (run after changing pyproject.toml)
constraints:
	$(BIN)/python -m pip freeze --exclude-editable --exclude vidgov > constraints.txt
