# Anxin: `make run` starts everything, `make test` runs every test. Both install what is missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
RASA_VENV := .venv-rasa
export RASA_TELEMETRY_ENABLED := false
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help install browser staff run train test lint fmt typecheck unit e2e audit clean

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

install: $(VENV)/.installed $(RASA_VENV)/.installed ## both virtual environments

$(VENV)/.installed: requirements/lock-service.txt
	@echo "==> installing the service environment ($(VENV))"
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --progress-bar on -r requirements/lock-service.txt
	@touch $@

$(RASA_VENV)/.installed: requirements/rasa-deps.txt
	@echo "==> installing the Rasa environment ($(RASA_VENV), about 3 GB, about a minute)"
	@test -x $(RASA_VENV)/bin/python || $(PYTHON) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/pip install --progress-bar on -r requirements/rasa-deps.txt
	$(RASA_VENV)/bin/pip install --no-deps --ignore-requires-python rasa==3.6.21 rasa-sdk==3.6.2
	@touch $@

# Browser tests drive Debian's Chromium with Playwright (no browser download is possible).
browser: ## Debian's Chromium and CJK fonts, for the browser tests
	@command -v chromium >/dev/null || { echo "==> installing Chromium and CJK fonts (apt-get)"; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-noto-cjk; }

# The staff app (Vue 3 + Element Plus, locked in staff/package-lock.json), built into
# staff/dist and served by the service under /console/app.
STAFF_SOURCES := $(shell find staff/src -type f 2>/dev/null) staff/index.html staff/vite.config.js

staff: staff/dist/index.html ## build the staff app (npm ci, vite build)

staff/node_modules/.installed: staff/package-lock.json
	@echo "==> installing the staff app's packages (npm ci)"
	cd staff && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

staff/dist/index.html: staff/node_modules/.installed $(STAFF_SOURCES)
	@echo "==> building the staff app (vite)"
	cd staff && npx vite build --logLevel warn

train: install ## train the Rasa model (make run does it when data changed)
	$(VENV)/bin/python -m launcher.training

run: install staff ## the whole stack on SQLite and an embedded Redis
	$(VENV)/bin/python -m launcher

lint: $(VENV)/.installed ## ruff, and the layers (import-linter contracts in pyproject.toml)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

fmt: $(VENV)/.installed ## fix what ruff can, format everything
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: $(VENV)/.installed ## mypy, strict
	$(VENV)/bin/mypy

unit: $(VENV)/.installed ## every test but the end-to-end ones
	$(VENV)/bin/pytest -m "not e2e" -q

e2e: install ## the end-to-end tests (real Rasa, the whole stack)
	$(VENV)/bin/pytest -m e2e -q

test: install browser staff lint typecheck ## everything CI runs
	@bash scripts/ensure-services.sh
	$(VENV)/bin/pytest -q -ra

# Known vulnerabilities in both environments' pinned dependencies (pip-audit asks PyPI's
# JSON API, which the CI machines cannot reach: --strict fails rather than pass unaudited).
audit: ## known vulnerabilities in the pinned dependencies (needs PyPI's API)
	@test -x .venv-audit/bin/pip-audit || { $(PYTHON) -m venv .venv-audit && .venv-audit/bin/pip install pip-audit; }
	.venv-audit/bin/pip-audit --strict --no-deps --disable-pip -r requirements/lock-service.txt
	.venv-audit/bin/pip-audit --strict --no-deps --disable-pip -r requirements/rasa-deps.txt

clean: ## remove environments, models and caches
	rm -rf $(VENV) $(RASA_VENV) .venv-audit models var .pytest_cache .mypy_cache .ruff_cache staff/node_modules staff/dist
