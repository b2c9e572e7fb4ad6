# bokflyt: two commands on a fresh machine -- `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint check system-deps venv clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' Makefile | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $@

venv: $(STAMP)  ## create .venv and install bokflyt with its test and dev extras

system-deps:  ## install the Debian packages the tests need (Zebra, YAZ, chromium, poppler) when missing
	scripts/install-system-deps

demo: $(STAMP)  ## build a demo database from generated sample data and run the day's job
	scripts/demo

test: $(STAMP) system-deps  ## run the whole suite (SQLite and PostgreSQL)
	$(BIN)/python -m pytest

lint: $(STAMP)  ## ruff and mypy
	$(BIN)/ruff check bokflyt catalog transport adapters tests benchmarks scripts
	$(BIN)/mypy

check: test lint  ## what CI runs

clean:  ## remove the virtualenv, demo output and caches
	rm -rf $(VENV) demo .pytest_cache .mypy_cache .ruff_cache test-artifacts
