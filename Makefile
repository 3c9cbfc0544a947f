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

.PHONY: run test test-pg test-clock test-api lint bench bench-concurrency bench-concurrency-pg setup i18n i18n-extract browser faketime serve demo clean

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

## libfaketime (Debian package) for running the suite at other hours of the day, and for the
## dossier end-to-end test, whose server's clock jumps days forward (tests/procedures/portal_live.py).
faketime:
	@if ! command -v faketime >/dev/null; then \
	  echo "installing Debian faketime for the clock tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null; \
	fi

## make run: environment, database, demo province, portal at http://127.0.0.1:8000, and the
## background jobs' worker beside it (stopped when the portal stops). The sector-linkage demo
## (a minute and a half of model training on this machine) runs beside the portal as it
## starts, its output in var/log/link-demo.log: the linkage pages fill in when it ends.
run: setup
	$(RUN) oncegov migrate
	$(RUN) oncegov demo --if-empty --scale $(DEMO_SCALE)
	$(RUN) oncegov quality run
	@echo "Portal: http://127.0.0.1:8000 — officers: enrol the otpauth URIs above in an authenticator app, or get a code valid now with: .venv/bin/oncegov demo code USERNAME"
	@echo "Sector linkage demo: running beside the portal (var/log/link-demo.log)"
	@mkdir -p var/log; \
	  $(VENV)/bin/oncegov link demo --if-empty > var/log/link-demo.log 2>&1 & linker=$$!; \
	  $(VENV)/bin/oncegov worker & worker=$$!; \
	  trap 'kill $$worker $$linker 2>/dev/null; wait $$worker $$linker 2>/dev/null' EXIT INT TERM; \
	  $(VENV)/bin/oncegov serve --host 127.0.0.1 --port 8000

## make test: the whole suite on SQLite.
test: setup browser faketime
	$(RUN) pytest -q

## make test-clock: the SQLite suite at 23:30 and at 06:30 in Vietnam (06:30 there is 23:30 UTC
## the day before: the hours when the machine's date and the province's date differ).
## Relative offsets (never an absolute start) keep the server a test starts on its client's clock;
## Tests marked real_monotonic (timed thread waits, hour-independent) run only in make test: see
## the marker's description in pyproject.toml.
test-clock: setup browser faketime
	@for at in 23:30 06:30; do \
	  offset=$$(.ci/faketime-offset $$at Asia/Ho_Chi_Minh); \
	  echo "== SQLite suite at $$at Asia/Ho_Chi_Minh (faketime $$offset s)"; \
	  faketime -f "$$offset" $(VENV)/bin/pytest -q -p no:cacheprovider -m "not real_monotonic" || exit 1; \
	done

## make test-pg: the same suite on PostgreSQL (each run creates and drops its own database).
test-pg: setup browser faketime
	ONCEGOV_TEST_DATABASE_URL=$${ONCEGOV_TEST_DATABASE_URL:-$(PG_SERVER_URL)} $(RUN) pytest -q

## make test-api: schemathesis against the OpenAPI document of a running server (a few minutes).
test-api: setup
	$(RUN) python scripts/api_conformance.py

lint: $(VENV)/.synced
	$(RUN) ruff check src tests bench migrations scripts
	$(RUN) ruff format --check src tests bench migrations scripts
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
