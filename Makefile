# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
IMAGE ?= xiamo-gateway

.PHONY: run test lint lint-deploy image typecheck test-sqlite test-postgres test-browser assets install install-test install-browser schema clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test,deploy]"

install-browser: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test,browser]"

# GraphiQL's scripts and styles, pinned in package-lock.json and served by the gateway.
assets: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

run: install assets
	$(BIN)/xiamo-gateway db upgrade
	$(BIN)/xiamo-gateway seed --demo
	$(BIN)/xiamo-gateway serve --host $(HOST) --port $(PORT)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The container files, checked without a Docker engine: hadolint (.hadolint.yaml) lints the
# Dockerfile, check-jsonschema validates compose.yaml against the Compose Specification.
lint-deploy: install-test
	$(BIN)/hadolint Dockerfile
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec compose.yaml

typecheck: install-test
	$(BIN)/mypy

test-sqlite: install-test assets
	GATEWAY_TEST_DATABASE_URL= $(BIN)/pytest -m "not browser"

test-postgres: install-test assets
	@if [ -n "$$GATEWAY_TEST_POSTGRES_URL" ]; then \
		GATEWAY_TEST_DATABASE_URL="$$GATEWAY_TEST_POSTGRES_URL" $(BIN)/pytest -m "not browser"; \
	else \
		echo "PostgreSQL run skipped: set GATEWAY_TEST_POSTGRES_URL (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test) to run the suite on PostgreSQL."; \
	fi

test: lint lint-deploy typecheck test-sqlite test-postgres

# A real headless Chromium loads GraphiQL from the gateway and runs a query.
test-browser: install-browser assets
	$(BIN)/pytest -m browser tests/browser

# The container image, where a Docker engine answers.
image:
	@if ! command -v docker >/dev/null 2>&1; then \
		echo "make image: no docker command here; install Docker to build the image ('make lint-deploy' checks the Dockerfile without it)." >&2; \
		exit 1; \
	elif ! docker info >/dev/null 2>&1; then \
		echo "make image: no Docker engine answers here ('docker info' fails); build where one runs ('make lint-deploy' checks the Dockerfile without it)." >&2; \
		exit 1; \
	fi
	docker build --tag $(IMAGE) .

schema: install
	$(BIN)/xiamo-gateway export-schema

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .mypy_cache .ruff_cache

# Back-office latency with 100,000 sub-accounts on PostgreSQL (GATEWAY_BENCH_DATABASE_URL,
# default the local xiamo_bench database, created and seeded on the first run).
.PHONY: bench-backoffice
bench-backoffice: install
	$(BIN)/python -m bench.backoffice

# Latency of a cheap query alone and under a flood of password checks (SQLite, uvicorn).
.PHONY: bench-contention
bench-contention: install
	$(BIN)/python -m bench.contention

# A failed password sign-in timed for registered and unknown logins, side by side.
.PHONY: bench-login
bench-login: install
	$(BIN)/python -m bench.login

# The gateway against a raw Starlette + asyncpg baseline, both under wrk, on PostgreSQL with
# 100,000 sub-accounts (GATEWAY_BENCH_DATABASE_URL, default the local xiamo_bench database;
# BENCH_DURATION, BENCH_ROUNDS, BENCH_CONNECTIONS). Needs wrk: apt-get install wrk.
.PHONY: bench
bench: install
	@command -v wrk >/dev/null 2>&1 || { \
		echo "make bench needs wrk (the HTTP benchmarking tool): apt-get install wrk (Debian/Ubuntu), brew install wrk (macOS)." >&2; \
		exit 1; }
	$(BIN)/python -m bench.throughput

# The SPA home's CPU layer by layer (a query of nothing, a token, one field, one loader, the
# whole home) against the raw baseline's SPA home, in one process (BENCH_REQUESTS,
# BENCH_ROUNDS); the same database as `make bench`.
.PHONY: bench-floor
bench-floor: install
	$(BIN)/python -m bench.floor

# This checkout's gateway against another checkout's (AGAINST, with its own `make install`)
# on the same requests, interleaved: what a change did to throughput and CPU per request.
.PHONY: bench-compare
bench-compare: install
	@test -n "$(AGAINST)" || { echo "usage: make bench-compare AGAINST=../before (a checkout with its own make install)" >&2; exit 1; }
	$(BIN)/python -m bench.compare $(AGAINST)
