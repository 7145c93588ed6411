# Two commands matter: `make demo` and `make test`. Both set up the virtual environment first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: venv demo test test-fast lint accuracy bench bench-render bench-scale bench-extract bench-schedule clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: venv
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

bench-schedule: venv
	$(BIN)/python bench/schedule_bench.py

clean:
	rm -rf $(VENV) var out build *.egg-info .pytest_cache
