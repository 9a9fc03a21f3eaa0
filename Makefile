# Two commands from a clean clone: `make plan` and `make test`. Each sets up .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Every install takes its versions from constraints.txt (README: "Reproducible installs").
CONSTRAINTS := -c constraints.txt

.PHONY: plan test serve lint docs bench clean chromium screenshots

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

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[bench]'
	touch $@ $(VENV)/.installed

# The dashboard's browser test drives the system Chromium (Debian package 'chromium') through
# Playwright, which never downloads a browser of its own. Installed with apt-get where this
# user is root or has sudo; otherwise one line says how, and the browser test fails loudly.
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

chromium:
	@if [ -x "$(CHROMIUM)" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null || \
	   { [ -n "$(SUDO)" ] && ! sudo -n true 2>/dev/null; }; then \
	    echo "make: $(CHROMIUM) is missing and cannot be installed here (needs apt-get and root or sudo): install the 'chromium' package, or set GIGAWATT_CHROMIUM to a Chromium binary; the dashboard's browser test fails without one"; \
	    exit 0; fi; \
	echo "make: installing chromium (apt-get) for the dashboard's browser test"; \
	$(SUDO) apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null

plan: $(VENV)/.installed  ## the default 10 GW plan: terminal summary + HTML report in gigawatt-out/
	$(BIN)/gigawatt plan

serve: $(VENV)/.installed-serve  ## the JSON API and the dashboard at http://127.0.0.1:8000
	$(BIN)/gigawatt serve

test: $(VENV)/.installed-test chromium  ## lint, type-check and the whole test suite
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/pytest

docs: $(VENV)/.installed  ## regenerate docs/cli.md (from --help) and docs/json.md (from the code)
	$(BIN)/python scripts/gen_cli_docs.py
	$(BIN)/python scripts/gen_json_docs.py

screenshots: $(VENV)/.installed-test chromium  ## retake the README's screenshots (docs/*.png) in the browser test
	GIGAWATT_SCREENSHOT_DIR=docs $(BIN)/pytest -q tests/test_dashboard.py

bench: $(VENV)/.installed-bench  ## every benchmark, then one table of figures against targets
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) gigawatt-out .pytest_cache .mypy_cache .ruff_cache .hypothesis
