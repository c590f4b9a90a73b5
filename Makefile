# Anxin: `make run` starts everything, `make test` runs every test. Both install what is missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
RASA_VENV := .venv-rasa
export RASA_TELEMETRY_ENABLED := false
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install browser run train test lint typecheck unit e2e audit clean

install: $(VENV)/.installed $(RASA_VENV)/.installed

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
browser:
	@command -v chromium >/dev/null || { echo "==> installing Chromium and CJK fonts (apt-get)"; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-noto-cjk; }

train: install
	$(VENV)/bin/python -m bot.training

run: install
	$(VENV)/bin/python -m bot.stack

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

unit: $(VENV)/.installed
	$(VENV)/bin/pytest -m "not e2e" -q

e2e: install
	$(VENV)/bin/pytest -m e2e -q

test: install browser lint typecheck
	@bash scripts/ensure-services.sh
	$(VENV)/bin/pytest -q -ra

# Known vulnerabilities in both environments' pinned dependencies (pip-audit asks PyPI's
# JSON API, which the CI machines cannot reach: --strict fails rather than pass unaudited).
audit:
	@test -x .venv-audit/bin/pip-audit || { $(PYTHON) -m venv .venv-audit && .venv-audit/bin/pip install pip-audit; }
	.venv-audit/bin/pip-audit --strict --no-deps --disable-pip -r requirements/lock-service.txt
	.venv-audit/bin/pip-audit --strict --no-deps --disable-pip -r requirements/rasa-deps.txt

clean:
	rm -rf $(VENV) $(RASA_VENV) .venv-audit models var .pytest_cache .mypy_cache .ruff_cache
