# The two set-up commands of README.md: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DB ?= cablegram.db

.PHONY: demo test install lint bench clean

# The parser is compiled by the install (setup.py): a changed parser source reinstalls.
$(STAMP): pyproject.toml setup.py $(wildcard src/cablegram/parser/*.py src/cablegram/parser/*.c)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m cablegram.demo --db $(DB)

test: $(STAMP)
	$(PY) -m ruff check src tests bench
	$(PY) -m ruff format --check src tests bench
	$(PY) -m mypy src/cablegram/parser
	$(PY) -m pytest -n 2

lint: $(STAMP)
	$(PY) -m ruff check src tests bench
	$(PY) -m ruff format --check src tests bench

clean:
	rm -rf $(VENV) $(DB) $(DB)-wal $(DB)-shm build
	find src -name '*.so' -delete
