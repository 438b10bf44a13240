# Two commands for a fresh Debian 12 machine: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
HOTLINE := $(VENV)/bin/hotline

.PHONY: setup run test lint clean-asterisk

$(VENV)/.installed: setup.cfg pyproject.toml
	bash .ci/ensure-host
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip wheel
	$(PY) -m pip install -q -e '.[test]'
	touch $@

setup: $(VENV)/.installed
	bash .ci/ensure-host

run: setup
	$(HOTLINE) redis up
	$(HOTLINE) asterisk up
	$(HOTLINE) run

test: setup
	$(PY) -m pytest -q -rs

lint: setup
	$(VENV)/bin/ruff check .

clean-asterisk:
	$(HOTLINE) asterisk down
