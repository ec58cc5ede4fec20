# Every target creates .venv when it is missing and reinstalls the project only when
# pyproject.toml changed, so repeated runs work offline after the first install.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-test
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: demo test lint typecheck unit bench fuzz sim-sweep cli-docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[test]'
	touch $(STAMP)

$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install -e '.[test,bench]'
	touch $(BENCH_STAMP)

demo: $(STAMP)
	$(BIN)/asyncwfm demo --out asyncwfm-demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -q

test: lint typecheck unit

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench

fuzz: $(STAMP)
	ASYNCWFM_HYPOTHESIS_PROFILE=explore ASYNCWFM_FUZZ_EXAMPLES=20000 $(BIN)/python -m pytest -q tests/ingest/test_fuzz.py

sim-sweep: $(STAMP)
	ASYNCWFM_HYPOTHESIS_PROFILE=explore ASYNCWFM_SIM_SWEEP=1 $(BIN)/python -m pytest -q tests/simulate

cli-docs: $(STAMP)
	$(BIN)/typer asyncwfm.cli utils docs --name asyncwfm > docs/cli.md

clean:
	rm -rf $(VENV) asyncwfm-demo .pytest_cache .mypy_cache .ruff_cache
