# The two set-up commands of README.md: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DB ?= cablegram.db
# make demo PORT=8001 HOST=0.0.0.0: where the demo serves (set on the command line only:
# shells export HOST for other purposes).
HOST = 127.0.0.1
PORT = 8000

.PHONY: demo test install lint bench clean

# The parser is compiled by the install (setup.py): a changed parser source reinstalls.
$(STAMP): pyproject.toml setup.py $(wildcard src/cablegram/parser/*.py src/cablegram/parser/*.c)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m cablegram.demo --db $(DB) --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(PY) -m ruff check src tests bench
	$(PY) -m ruff format --check src tests bench
	$(PY) -m mypy src/cablegram
	$(PY) -m pytest -n 2

lint: $(STAMP)
	$(PY) -m ruff check src tests bench
	$(PY) -m ruff format --check src tests bench

clean:
	rm -rf $(VENV) $(DB) $(DB)-wal $(DB)-shm build
	find src -name '*.so' -delete
