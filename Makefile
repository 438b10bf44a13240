# Two commands for a fresh Debian 12 machine: `make run` and `make test`.
VENV ?= .venv
FUZZ_SECONDS ?= 300
PY := $(VENV)/bin/python
HOTLINE := $(VENV)/bin/hotline

.PHONY: setup run test test-py313 fuzz lint clean-asterisk

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

# The unit tests on Python 3.13 too (built once from Debian 13's source; its own venv)
test-py313:
	bash .ci/python313

# Many examples per target for FUZZ_SECONDS in all; failing ones are kept in
# tests/fuzz/corpus/.hypothesis, which `make test` replays. Ends with a report per target.
fuzz: setup
	HYPOTHESIS_PROFILE=fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) $(PY) -m pytest -q tests/fuzz

lint: setup
	$(VENV)/bin/ruff check .

clean-asterisk:
	$(HOTLINE) asterisk down
