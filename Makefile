# Two entry points, both self-installing into ./.venv:
#   make demo   runs the demo pipeline
#   make test   runs the layer contracts and the whole test suite
#   make bench  runs bench/ against Helm 4, writes docs/benchmarks.md (BENCH_QUICK=1: small sizes, a smoke run
#               written to .deploykit/bench/quick/; BENCH_ONLY=render,engine: some of them)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench venv clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash pipelines/demo/demo.sh

test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

bench: $(STAMP)
	$(BIN)/python bench/run_all.py $(if $(BENCH_QUICK),--quick) $(if $(BENCH_ONLY),--only $(BENCH_ONLY))

clean:
	rm -rf $(VENV) build *.egg-info
