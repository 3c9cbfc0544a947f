# OnceGov — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := $(CURDIR)/.tools/bin/uv
VENV := $(CURDIR)/.venv
RUN := $(UV) run --frozen
DEMO_SCALE ?= 1
PG_SERVER_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test test-pg lint bench bench-concurrency bench-concurrency-pg setup i18n i18n-extract browser serve demo clean

## Environment: uv (pinned, in .tools/) installs the locked dependencies into .venv.
$(UV):
	$(PYTHON) -m venv $(CURDIR)/.tools
	$(CURDIR)/.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --quiet
	touch $@

setup: $(VENV)/.synced i18n

## Babel catalogues (.po in git, .mo compiled here).
i18n: $(VENV)/.synced
	$(RUN) pybabel compile --statistics -d src/oncegov/web/translations -D messages 2>&1 | tail -n 2

i18n-extract: $(VENV)/.synced
	$(RUN) pybabel extract -F babel.cfg -k N_ -o src/oncegov/web/translations/messages.pot src/oncegov
	$(RUN) pybabel update -i src/oncegov/web/translations/messages.pot -d src/oncegov/web/translations -D messages --no-fuzzy-matching

## Headless Chromium for the end-to-end tests (Debian package; no browser downloads).
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  echo "installing Debian chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

## make run: environment, database, demo province, portal at http://127.0.0.1:8000
run: setup
	$(RUN) oncegov migrate
	$(RUN) oncegov demo --if-empty --scale $(DEMO_SCALE)
	$(RUN) oncegov quality run
	$(RUN) oncegov link demo --if-empty
	@echo "Portal: http://127.0.0.1:8000 — fresh authenticator codes: .venv/bin/oncegov demo logins"
	$(RUN) oncegov serve --host 127.0.0.1 --port 8000

## make test: the whole suite on SQLite.
test: setup browser
	$(RUN) pytest -q

## make test-pg: the same suite on PostgreSQL (each run creates and drops its own database).
test-pg: setup browser
	ONCEGOV_TEST_DATABASE_URL=$${ONCEGOV_TEST_DATABASE_URL:-$(PG_SERVER_URL)} $(RUN) pytest -q

lint: $(VENV)/.synced
	$(RUN) ruff check src tests bench migrations
	$(RUN) ruff format --check src tests bench migrations
	$(RUN) mypy

bench: setup
	$(RUN) python bench/demo_bench.py
	$(RUN) python bench/import_bench.py

## 64 connections of mixed authenticated reads and writes for 60 s (docs/operations.md).
bench-concurrency: setup
	$(RUN) python bench/concurrency_bench.py

bench-concurrency-pg: setup
	$(RUN) python bench/concurrency_bench.py --pg

clean:
	rm -rf .venv .tools var .pytest_cache .mypy_cache .ruff_cache
