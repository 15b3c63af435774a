# caredesk — one entry point. Every target first makes sure the environment exists.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml 2>/dev/null | sha1sum | cut -c1-12)
PYTEST_WORKERS ?= 2
SIZE ?= full

# Debian packages: binary to look for -> packages that provide it.
RUN_DEBS := tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd
TEST_DEBS := chromium chromium-driver

.PHONY: help run test lint format eval eval-small bench clean distclean env system-deps system-deps-test

help:
	@echo "make run    - set up everything and start caredesk on http://127.0.0.1:8000"
	@echo "make test   - set up everything, run lint, the test suite and the small eval slice"
	@echo "make lint   - ruff (lint + format check), mypy --strict, import contracts"
	@echo "make eval   - evaluation suites (SIZE=small|full), reports in evals/reports/"
	@echo "make bench  - benchmarks, reports in benchmarks/reports/"
	@echo "make clean  - remove caches and build outputs (keeps .venv and var/)"

env: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11+ is required ($(PYTHON) not found)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --disable-pip-version-check --upgrade "pip==25.3"
	# Exact pins, no resolver surprises (and never an unpinned torch).
	$(BIN)/python -m pip install -qq --disable-pip-version-check --no-deps -r requirements.lock
	$(BIN)/python -m pip install -qq --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

# Installs missing Debian packages when root, otherwise prints the exact command and stops.
define ensure_debs
	@missing=""; for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing Debian packages:$$missing"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -q --no-install-recommends $$missing >/dev/null 2>&1 || \
	      { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $$missing; } ; \
	  else \
	    echo "caredesk needs Debian packages:$$missing"; \
	    echo "run:  sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi
endef

system-deps:
	$(call ensure_debs,$(RUN_DEBS))

system-deps-test: system-deps
	$(call ensure_debs,$(TEST_DEBS))

run: system-deps env
	$(BIN)/caredesk db upgrade
	$(BIN)/caredesk serve

lint: env
	$(BIN)/ruff check src tests evals benchmarks
	$(BIN)/ruff format --check src tests evals benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

test: system-deps-test env lint
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup -q -p no:cacheprovider
	$(BIN)/python evals/run.py --size small

eval: system-deps env
	$(BIN)/python evals/run.py --size $(SIZE)

bench: system-deps env
	$(BIN)/python benchmarks/run.py --size $(SIZE)

format: env
	$(BIN)/ruff check --fix src tests evals benchmarks
	$(BIN)/ruff format src tests evals benchmarks

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist src/*.egg-info tests/artifacts
	find . -name __pycache__ -not -path "./.venv/*" -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
