# Two commands from a clean clone: `make plan` and `make test`. Each sets up .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: plan test serve lint docs bench clean screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-serve: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[serve]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

plan: $(VENV)/.installed  ## the default 10 GW plan: terminal summary + HTML report in gigawatt-out/
	$(BIN)/gigawatt plan

serve: $(VENV)/.installed-serve  ## the JSON API and the dashboard at http://127.0.0.1:8000
	$(BIN)/gigawatt serve

test: $(VENV)/.installed-test  ## lint, type-check and the whole test suite
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/pytest

docs: $(VENV)/.installed  ## regenerate docs/cli.md from --help
	$(BIN)/python scripts/gen_cli_docs.py

screenshots: $(VENV)/.installed-test  ## retake the README's screenshots (docs/*.png) in the browser test
	GIGAWATT_SCREENSHOT_DIR=docs $(BIN)/pytest -q tests/test_dashboard.py

bench: $(VENV)/.installed  ## time the pipeline and the whole `gigawatt plan` process
	$(BIN)/python benchmarks/bench_plan.py

clean:
	rm -rf $(VENV) gigawatt-out .pytest_cache .mypy_cache .ruff_cache .hypothesis
