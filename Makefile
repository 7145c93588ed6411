# Two commands matter: `make demo` and `make test`. Each sets up the virtual environment first:
# the demo installs only the tracker and what it runs on; the tests add the developer tools.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# An editable install: pyproject's package-dir makes it one .pth line that puts this folder on
# the path (no import hook, no build banner).
EDITABLE := --quiet -e
RUNTIME_STAMP := $(VENV)/.runtime-stamp
DEV_STAMP := $(VENV)/.dev-stamp

.PHONY: venv demo-venv demo test test-fast lint accuracy bench bench-render bench-scale bench-extract bench-extract-stages bench-schedule bench-admin bench-feeds clean

venv: $(DEV_STAMP)
demo-venv: $(RUNTIME_STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install $(EDITABLE) .
	touch $(RUNTIME_STAMP)

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install $(EDITABLE) '.[dev]'
	touch $(DEV_STAMP) $(RUNTIME_STAMP)

demo: demo-venv
	$(BIN)/tracker demo

test: venv
	$(BIN)/python -m pytest

# Only the tests that start no process and no server (tests/slow_marker.py checks the mark).
test-fast: venv
	$(BIN)/python -m pytest -m "not slow"

lint: venv
	$(BIN)/ruff check tracker spiders tests bench
	$(BIN)/mypy

accuracy: venv
	$(BIN)/python -m tests.accuracy

bench: venv
	$(BIN)/python bench/crawl_bench.py

bench-render: venv
	$(BIN)/python bench/render_bench.py

# Several minutes: a synthetic site at 1,000 and 4,000 products x 5 vendors, crawled on loopback.
bench-scale: venv
	$(BIN)/python bench/scale_bench.py

bench-extract: venv
	$(BIN)/python bench/extract_bench.py

# The same work counted in instructions (valgrind): stable on a busy machine.
bench-extract-stages: venv
	$(BIN)/python bench/extract_stages.py

bench-schedule: venv
	$(BIN)/python bench/schedule_bench.py

bench-admin: venv
	$(BIN)/python bench/admin_bench.py

bench-feeds: venv
	$(BIN)/python bench/feeds_bench.py

clean:
	rm -rf $(VENV) var out build *.egg-info .pytest_cache
