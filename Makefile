# Two commands from a clean clone: `make plan` and `make test`. Each sets up .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Every install takes its versions from constraints.txt (README: "Reproducible installs").
CONSTRAINTS := -c constraints.txt

.PHONY: plan test serve lint docs bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install -q $(CONSTRAINTS) -e .
	touch $@

$(VENV)/.installed-serve: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install -q $(CONSTRAINTS) -e '.[serve]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-test: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install -q $(CONSTRAINTS) -e '.[test]'
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

bench: $(VENV)/.installed  ## time the pipeline and the whole `gigawatt plan` process
	$(BIN)/python benchmarks/bench_plan.py

clean:
	rm -rf $(VENV) gigawatt-out .pytest_cache .mypy_cache .ruff_cache .hypothesis
