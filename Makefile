# The README's quick start is `make demo` and `make test`; both work on a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install demo test test-fast bench lint format clean

help: ## List the make targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with its dev tools

demo: $(STAMP) ## Run the demo pipeline against a local emulator
	$(BIN)/python -m scripts.demo

test: $(STAMP) ## Run the whole test suite (unit, integration, end to end)
	scripts/ensure-postgres.sh
	$(BIN)/pytest

test-fast: $(STAMP) ## Run unit and integration tests only
	$(BIN)/pytest -m "not e2e"

bench: $(STAMP) ## Measure throughput and API calls; writes docs/benchmarks.md
	$(BIN)/python -m bench.run

lint: $(STAMP) ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## Apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean: ## Remove the virtual environment and generated files
	rm -rf $(VENV) .meltano output .pytest_cache .ruff_cache
