# The two commands of the README: `make demo` and `make test`. Each sets up what it needs first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo demo-chicago test lint clean

demo: $(VENV)/.installed
	$(BIN)/equity demo

demo-chicago: $(VENV)/.installed
	$(BIN)/equity demo chicago

test: $(VENV)/.installed-test
	$(BIN)/ruff check equity tests benchmarks
	$(BIN)/ruff format --check equity tests benchmarks
	$(BIN)/python -m pytest -q

lint: $(VENV)/.installed-test
	$(BIN)/ruff check equity tests benchmarks
	$(BIN)/ruff format --check equity tests benchmarks

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(VENV)/bin/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[stats]'
	touch $@

$(VENV)/.installed-test: $(VENV)/bin/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[stats,test]'
	touch $@ $(VENV)/.installed

clean:
	rm -rf $(VENV) maps/sf-demo maps/chicago-demo .pytest_cache .ruff_cache
