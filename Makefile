# MinerPanel: `make run` serves the panel, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint test-engines engines bench benchscale check-python chromium

# The suite's coverage floor (percent of the statements of minerpanel, rigs, custompages and watch;
# [tool.coverage] in pyproject.toml): measured at 84.7 % without the browser tests. Raise it, never lower it.
COVERAGE_FLOOR := 84
# pytest-xdist workers for the SQLite suite: 0 runs it in one process (the default until
# tests/browser/test_scale_out.py holds under load: README, Dependencies); TEST_WORKERS=2 uses both cores.
TEST_WORKERS ?= 0

# uPlot (the charts), fetched from npm into an ignored folder that whitenoise serves; no CDN.
UPLOT_VERSION := 1.6.32
UPLOT := static/vendor/uplot/uPlot.iife.min.js

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "MinerPanel needs Python 3.11 or newer (set PYTHON=python3.11)")'

$(BIN)/python: | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.test: pyproject.toml $(VENV)/.run
	$(BIN)/pip install -q -e ".[test,scale]"
	@touch $@

$(UPLOT):
	npm install --silent --no-save --no-audit --no-fund --prefix $(VENV)/npm uplot@$(UPLOT_VERSION)
	mkdir -p $(dir $@)
	cp $(VENV)/npm/node_modules/uplot/dist/uPlot.iife.min.js $(VENV)/npm/node_modules/uplot/dist/uPlot.min.css \
	   $(VENV)/npm/node_modules/uplot/LICENSE $(dir $@)

run: $(VENV)/.run $(UPLOT)
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py serve --host $(HOST) --port $(PORT)

# The browser tests drive Debian's chromium through Playwright (no browser download).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# PostgreSQL and Redis for the tests run against real engines (private instances, minerpanel/devkit/engines.py).
engines:
	@{ ls /usr/lib/postgresql/*/bin/initdb && command -v redis-server; } >/dev/null 2>&1 || { \
		echo "installing Debian's postgresql and redis-server for the tests on real engines"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
			-o DPkg::Lock::Timeout=300 postgresql redis-server >/dev/null || echo "could not install them: those tests skip"; }

# The gates, in the order CI runs them: ruff (zero findings), mypy on the typed packages, the
# import-linter contracts; their settings are in pyproject.toml.
lint: $(VENV)/.test
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: $(VENV)/.test chromium engines $(UPLOT)
	$(MAKE) lint
	$(BIN)/python -m pytest -q -rs -n $(TEST_WORKERS) --cov --cov-report=term:skip-covered --cov-fail-under=$(COVERAGE_FLOOR)
	$(MAKE) test-engines

# Everything but the browser tests again, on PostgreSQL and Redis started for the run (they skip, saying why, without).
test-engines: $(VENV)/.test
	$(BIN)/python -m minerpanel.devkit.engines $(BIN)/python -m pytest -q -rs -p no:cacheprovider --ignore=tests/browser

bench: $(VENV)/.run
	$(BIN)/python manage.py benchpoll --rigs 1000
	$(BIN)/python manage.py benchpages --rigs 1000
	$(BIN)/python manage.py benchengine --rigs 1000
	$(BIN)/python manage.py benchdrivers
	$(BIN)/python manage.py benchhistory --rigs 10000 --days 365

# 10,000 to 100,000 simulated rigs, 1, 2 and 4 poller shards, on a PostgreSQL and a Redis of its own.
benchscale: $(VENV)/.test engines
	$(BIN)/python manage.py benchscale
