# The two commands: `make run` (the app) and `make test` (everything CI checks).
SHELL := /bin/bash
export HOST ?= 127.0.0.1
export PORT ?= 3000
export PATH := $(CURDIR)/.tools/bun/node_modules/.bin:$(PATH)
export REFLEX_USE_SYSTEM_BUN := 1
export REFLEX_DIR := $(CURDIR)/.reflex
export REFLEX_TELEMETRY_ENABLED := false
export PYTHONDONTWRITEBYTECODE := 1
VENV := .venv/bin

.PHONY: run dev test lint migrate setup setup-test

setup:
	@bash scripts/bootstrap.sh run

setup-test:
	@bash scripts/bootstrap.sh test

migrate: setup
	@$(VENV)/python -m billing_app.migrate

## run: the app in production mode on http://$HOST:$PORT (SQLite + Razorpay sandbox by default);
## WORKERS=N app processes (default 1, or min(2*CPU+1, 8) with REDIS_URL; more than 1 needs REDIS_URL)
run: migrate
	@workers=$$($(VENV)/python -m billing_app.config workers) || exit 1; \
	echo "==> billing_app will answer on http://$(HOST):$(PORT) ($$workers worker(s))"; \
	GRANIAN_WORKERS=$$workers exec $(VENV)/reflex run --env prod

## dev: hot reload; the backend on PORT+1
dev: migrate
	DEV_BACKEND_PORT=$$(( $(PORT) + 1 )) $(VENV)/reflex run --env dev

lint: setup-test
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/mypy
	$(VENV)/lint-imports --no-cache

## test: lint, type check, then the whole suite (unit, integration, API, browser) in two worker
## processes: the browser tests on one, the rest spread over both (tests/conftest.py)
test: lint
	$(VENV)/python -m pytest -n 2 --dist loadgroup

