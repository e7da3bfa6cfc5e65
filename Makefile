# zhifa — two commands: `make serve` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
HOST   ?= 127.0.0.1
export ZHIFA_VAR_DIR ?= $(CURDIR)/var

.PHONY: install serve test lint format test-sqlite test-postgres test-browser bench clean lock

install: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.lock
	$(BIN)/pip install --disable-pip-version-check -q --no-deps --no-build-isolation -e .
	touch $@

serve: install
	$(BIN)/zhifa migrate --noinput
	$(BIN)/zhifa load-demo
	@echo ""
	@echo "  平台地址 / URL: http://$(HOST):$(PORT)/"
	@$(BIN)/zhifa demo-accounts
	@echo ""
	$(BIN)/zhifa runserver $(HOST):$(PORT) --noreload

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: install
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

# SQLite, then a PostgreSQL server started for the run, then the browser tests.
test: lint test-sqlite test-postgres test-browser

test-sqlite: install
	ZHIFA_VAR_DIR=$$(mktemp -d) $(BIN)/pytest -m "not browser and not postgres_only" -n 2

test-postgres: install
	ZHIFA_VAR_DIR=$$(mktemp -d) $(BIN)/python -m zhifa.testing.pgserver -- $(BIN)/pytest -m "not browser" -n 2

test-browser: install
	ZHIFA_VAR_DIR=$$(mktemp -d) $(BIN)/pytest -m browser

bench: install
	$(BIN)/python bench/run_all.py

# Regenerate the lock file from pyproject.toml's direct dependencies.
lock:
	rm -rf /tmp/zhifa-lock && $(PYTHON) -m venv /tmp/zhifa-lock
	/tmp/zhifa-lock/bin/pip install -q ".[dev]"
	/tmp/zhifa-lock/bin/pip freeze --exclude zhifa | sort -f > requirements.lock

clean:
	rm -rf $(VENV) var build *.egg-info
