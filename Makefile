# tap-peopleai: every target does its own set-up, on a fresh Debian machine that has only
# Python >= 3.10, bash, make and apt. Re-runs are cheap: each set-up step leaves a stamp file.
#
#   make demo        sandbox -> meltano run tap-peopleai target-duckdb -> report (run it twice)
#   make test        ruff, ruff format --check, mypy, the tap's fast tests on the oldest and the
#                    newest claimed Python, then the whole pytest suite on two workers (CI runs
#                    this)
#   make lint | make typecheck | make bench | make clean

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMPS := $(VENV)/.stamps
UV_VERSION := 0.13.9

# Root needs no sudo (CI, containers); anyone else gets it for apt-get.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

export MELTANO_CLI_DISABLE_VERSION_CHECK := true
export MELTANO_SEND_ANONYMOUS_USAGE_STATS := false
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help venv dev plugins postgres demo test lint format typecheck pytest pythons e2e bench \
	readme clean distclean

help:
	@echo "make demo       run the sandbox demo into output/demo.duckdb (installs everything first)"
	@echo "make test       lint, type-check and run the whole test suite (what CI runs)"
	@echo "make plugins    install the project and Meltano's plugins (done by demo and test)"
	@echo "make lint       ruff check + ruff format --check"
	@echo "make format     ruff --fix and ruff format"
	@echo "make typecheck  mypy"
	@echo "make pythons    the tap's fast tests on the oldest and newest claimed Python found here"
	@echo "make e2e        only the end-to-end Meltano/warehouse tests"
	@echo "make bench      the benchmark, python -m benchmarks (BENCH_ARGS=--quick for a small run)"
	@echo "make readme     regenerate README's settings table, sandbox/README.md's switches, and the"
	@echo "                tap's Meltano plugin definitions (meltano-hub/, meltano-project/)"
	@echo "make clean      empty output/ and remove Meltano's state/plugins (.meltano/)"
	@echo "make distclean  clean, and remove the virtual environments and tool caches"

# --- set-up -------------------------------------------------------------------------------

# The virtual environment. Debian's python3 lacks ensurepip until python3-venv is installed.
$(BIN)/python:
	@echo "==> creating the virtual environment $(VENV) with $(PYTHON) (about 10 s)"
	@if ! $(PYTHON) -m venv $(VENV) >/dev/null 2>&1; then \
	  echo "python3 -m venv failed; installing python3-venv with apt-get"; \
	  rm -rf $(VENV); \
	  $(SUDO) apt-get update -qq; \
	  pyver=$$($(PYTHON) -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")'); \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv "python$$pyver-venv" \
	    || $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; \
	  $(PYTHON) -m venv $(VENV); \
	fi
	@test -x $(BIN)/python

venv: $(BIN)/python

# The project with its dev extras. uv (a PyPI package) installs in 10 s what pip takes 194 s
# for on an empty cache; pip is the fallback if uv cannot be installed or fails.
# The sandbox is a distribution of its own (sandbox/), installed beside the tap for the demo and
# the tests only; so are the repository's loaders (loaders/): target-duckdb-bulk and
# target-postgres-bulk, whose tests load in-process, and loader-preflight, which the tests import
# (Meltano installs each loader again in its own venv, from its pip_url in
# meltano-project/loaders.yml).
LOADERS := -e ./loaders/target-duckdb-bulk -e ./loaders/target-postgres-bulk -e ./loaders/loader-preflight
$(STAMPS)/dev: $(BIN)/python pyproject.toml sandbox/pyproject.toml \
		loaders/target-duckdb-bulk/pyproject.toml loaders/target-postgres-bulk/pyproject.toml \
		loaders/loader-preflight/pyproject.toml
	@mkdir -p $(STAMPS)
	@echo "==> installing tap-peopleai with its dev extras, and the sandbox, into $(VENV)" \
	  "(about 20 s with empty caches)"
	@if $(BIN)/python -m pip install -q "uv==$(UV_VERSION)" \
	    && $(BIN)/uv pip install -q --python $(BIN)/python -e '.[dev]' -e ./sandbox \
	         $(LOADERS); then :; \
	 else \
	   echo "uv install failed; falling back to pip"; \
	   $(BIN)/python -m pip install -q -e '.[dev]' -e ./sandbox $(LOADERS); \
	 fi
	@touch $@

dev: $(STAMPS)/dev

# Meltano's plugins (tap + loaders), each in its own venv under .meltano/ (uv backend). The
# stamp lives in .meltano/ itself, so deleting .meltano/ means "install again".
PLUGINS_STAMP := .meltano/.plugins-installed

# The project is meltano.yml and the files of meltano-project/ it includes (`include_paths`).
$(PLUGINS_STAMP): $(STAMPS)/dev meltano.yml $(wildcard meltano-project/*.yml) pyproject.toml \
		loaders/target-duckdb-bulk/pyproject.toml loaders/target-postgres-bulk/pyproject.toml
	@echo "==> meltano install: the plugins of the Meltano project (meltano.yml, meltano-project/)," \
	  "each in its own venv under .meltano/" \
	  "(about 45 s with empty caches)"
	@$(BIN)/meltano install
	@touch $@

plugins: $(PLUGINS_STAMP)

# PostgreSQL server binaries for the end-to-end tests (the tests start their own server), and
# the openssl command line that the TLS test uses to make a self-signed certificate.
postgres:
	@missing=""; \
	 command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	   || missing="$$missing postgresql"; \
	 command -v openssl >/dev/null 2>&1 || missing="$$missing openssl"; \
	 if [ -n "$$missing" ]; then \
	   echo "==> installing$$missing with apt-get"; \
	   $(SUDO) apt-get update -qq; \
	   $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	 fi

# --- demo -------------------------------------------------------------------------------------

demo: plugins
	@$(BIN)/python -m demo

# --- tests --------------------------------------------------------------------------------------

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: dev
	$(BIN)/mypy

# The suite on PYTEST_WORKERS pytest-xdist workers (PYTEST_WORKERS=0: one process). loadgroup
# keeps the tests that use the repository's own directory on one worker, one after the other
# (tests/support/parallel.py); each worker has its own PostgreSQL server and project copy.
PYTEST_WORKERS ?= 2
PYTEST_PARALLEL = -n $(PYTEST_WORKERS) --dist loadgroup

pytest: dev postgres
	$(BIN)/pytest $(PYTEST_PARALLEL)

# The tap's fast tests on the oldest and the newest CPython of pyproject.toml's classifiers that
# this machine has (pyenv's or on PATH), each in its own uv venv .venv-pyXY/; absent ones are
# skipped with a note. The full suite runs on $(PYTHON).
pythons: dev postgres
	@bash scripts/test_pythons.sh $(BIN)/uv

e2e: dev postgres
	$(BIN)/pytest $(PYTEST_PARALLEL) tests/e2e

# One step after the other: pythons does not run beside the suite, whose two workers already
# use both cores of the 2-core machine it is sized for; and each step's output stays in one piece.
test: lint typecheck pythons pytest

bench: dev
	@$(BIN)/python -m benchmarks $(BENCH_ARGS)

# README's settings table, sandbox/README.md's switches, and the tap's plugin definitions
# (meltano-hub/tap-peopleai.yml, meltano-project/tap-peopleai.yml), from the code (a test checks
# they are current).
readme: dev
	$(BIN)/python -m scripts.sync_readme

# output/ itself stays: its .gitignore is part of the project (meltano run writes there).
clean:
	rm -rf .meltano
	[ ! -d output ] || find output -mindepth 1 -maxdepth 1 ! -name .gitignore -exec rm -rf -- {} +

distclean: clean
	rm -rf $(VENV) .venv-py* .pytest_cache .mypy_cache .ruff_cache
