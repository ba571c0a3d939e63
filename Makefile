# One entry point for everything: each target creates .venv when missing and installs the
# project into it, so a fresh clone needs nothing but `make run` or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export QT_QPA_PLATFORM ?= $(if $(DISPLAY),,offscreen)

.PHONY: setup run test test-all lint format bench screenshot weights clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/forensic-viewer resources/samples

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-all: $(STAMP)
	$(BIN)/python -m pytest -q -m ''

lint: $(STAMP)
	$(BIN)/ruff check engine trainer forensic_viewer tests bench
	$(BIN)/ruff format --check engine trainer forensic_viewer tests bench
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format engine trainer forensic_viewer tests bench
	$(BIN)/ruff check --fix engine trainer forensic_viewer tests bench

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
