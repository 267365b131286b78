# dangjian: set up, run and test with one command each.  `make help` lists the targets.
# Works on a fresh Debian/Ubuntu machine with Python 3.11 and root or sudo:
# missing system packages, the venv and the front-end assets are installed on demand.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules --no-print-directory

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
FLASK  := $(VENV)/bin/flask --app wsgi
VENDOR := dangjian/static/vendor

# Which system packages scripts/sysdeps.sh installs: `run`, `test` (adds
# Chromium and PostgreSQL) or `bench` (adds wrk). Set per target below; prerequisites inherit it.
SYSDEPS_PROFILE := run

# `make run`: the local Redis port, and the URL the app uses to reach it.
REDIS_PORT ?= 6379
run: export REDIS_PORT := $(REDIS_PORT)
run: export REDIS_URL ?= redis://127.0.0.1:$(REDIS_PORT)/0

# Extra arguments: make test PYTEST_ARGS="-x -k workflow"; make bench BENCH_ARGS=...
PYTEST_ARGS ?=
BENCH_ARGS ?=
# `make property`: how many random sequences per database (the suite's own run has a fixed few).
EXAMPLES ?= 200

.PHONY: help setup sysdeps venv venv-dev vendor run test property bench clean clean-db

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## /  make \1\t/' | expand -t 18

# ---------------------------------------------------------------- run / test

run: setup  ## Set everything up, then start Redis + worker + ticker + web on http://127.0.0.1:5000
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) demo load        # only fills an empty database
	scripts/run.sh            # prints URL + demo accounts, then honcho start (Procfile)

test: SYSDEPS_PROFILE := test
test: sysdeps venv-dev vendor  ## Run pytest on SQLite and on PostgreSQL, with throwaway Redis/PostgreSQL
	scripts/test.sh $(PYTEST_ARGS)

property: SYSDEPS_PROFILE := test
property: sysdeps venv-dev vendor  ## Run the stateful property test longer: make property EXAMPLES=500 (TEST_DBS=sqlite for one DB)
	PROPERTY_PROFILE=thorough PROPERTY_EXAMPLES=$(EXAMPLES) TEST_WORKERS=0 \
	  scripts/test.sh -s tests/test_property_workflow.py $(PYTEST_ARGS)

bench: SYSDEPS_PROFILE := bench
bench: setup venv-dev  ## Run `python -m bench` (gunicorn + wrk, pages, worker, imports) with a throwaway Redis on port 6392
	scripts/bench.sh $(BENCH_ARGS)

# ---------------------------------------------------------------- setup steps

setup: sysdeps venv vendor  ## Install system packages, the venv and the front-end assets

sysdeps:  ## Install missing Debian packages (apt-get; sudo when not root)
	PYTHON="$(PYTHON)" scripts/sysdeps.sh $(SYSDEPS_PROFILE)

# The stamps make pip run only when a requirements file changed.
venv: $(VENV)/.requirements.stamp
venv-dev: $(VENV)/.requirements-dev.stamp

$(VENV)/.requirements.stamp: requirements.txt | sysdeps
	[ -x $(VENV)/bin/pip ] || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -r requirements.txt
	touch $@

$(VENV)/.requirements-dev.stamp: requirements.txt requirements-dev.txt | sysdeps
	[ -x $(VENV)/bin/pip ] || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -r requirements-dev.txt
	touch $@ $(VENV)/.requirements.stamp

# htmx and Bootstrap come from npm and are served from our own static folder
# (the intranet has no internet). $(VENDOR) is git-ignored. axe-core is for the accessibility
# browser test only: the test injects it from the same folder, never from a CDN.
vendor: $(VENDOR)/htmx.min.js $(VENDOR)/bootstrap.min.css $(VENDOR)/axe.min.js  ## Copy htmx, Bootstrap and axe-core from node_modules into dangjian/static/vendor

node_modules/.stamp: package.json $(wildcard package-lock.json) | sysdeps
	if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --ignore-scripts; \
	else npm install --no-audit --no-fund --ignore-scripts; fi
	touch $@

$(VENDOR)/htmx.min.js: node_modules/.stamp
	mkdir -p $(@D)
	cp node_modules/htmx.org/dist/htmx.min.js $@

$(VENDOR)/axe.min.js: node_modules/.stamp
	mkdir -p $(@D)
	cp node_modules/axe-core/axe.min.js $@

$(VENDOR)/bootstrap.min.css: node_modules/.stamp
	mkdir -p $(@D)
	cp node_modules/bootstrap/dist/css/bootstrap.min.css.map $(@D)/
	cp node_modules/bootstrap/dist/css/bootstrap.min.css $@

# ---------------------------------------------------------------- cleaning

clean:  ## Remove node_modules, the copied assets and the install stamps (keeps .venv and data)
	rm -rf node_modules $(VENDOR) $(VENV)/.requirements.stamp $(VENV)/.requirements-dev.stamp

clean-db:  ## Delete the local SQLite database, archive, uploads and Redis snapshot (`make run` reloads the demo)
	@if [ -n "$${DATABASE_URL:-}" ]; then echo "DATABASE_URL is set: refusing to touch it" >&2; exit 1; fi
	rm -rf instance/dangjian.sqlite3 instance/dangjian.sqlite3-wal instance/dangjian.sqlite3-shm \
	       instance/archive instance/uploads instance/redis
