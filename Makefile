# envmon: two commands do everything on a fresh Debian 12 machine (see README.md).
#   make test   installs what is needed, runs the linters and every test
#   make run    installs what is needed and starts the whole platform locally
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PYTEST_ARGS ?=

.PHONY: deps system-deps python-deps lint test test-unit test-integration bench run stop

# Unit tests need only the Python environment; the integration tests and the stack also need Debian's
# PostgreSQL/TimescaleDB, Mosquitto, Alertmanager, Chromium … (apt).
deps: system-deps python-deps

system-deps:
	bash scripts/install-system-deps.sh

python-deps:
	uv sync --frozen

lint: python-deps
	uv run ruff check .
	uv run ruff format --check .
	uv run mypy

test: system-deps lint
	uv run pytest $(PYTEST_ARGS)

test-unit: python-deps
	uv run pytest -m "not integration" $(PYTEST_ARGS)

test-integration: deps
	uv run pytest -m integration $(PYTEST_ARGS)

# The whole platform locally, without Docker (docs/running.md). ENVMON_RUN_DIR, ENVMON_RUN_PG_PORT … configure it.
run: deps
	bash scripts/run-local.sh

stop:
	bash scripts/stop-local.sh
