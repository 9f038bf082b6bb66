# flowgraph — developer entry points. `make demo` and `make test` work on a fresh machine.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO := demo
NEO4J_PORT ?= 7687

.PHONY: install demo serve test lint format neo4j neo4j-stop bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

install: $(STAMP)

## demo: synthesise a national year, load it into the embedded store, show what was loaded and found
## (detect without filters records run 1, so `flowgraph findings`, `review` and `show` have a run to work on)
demo: $(STAMP)
	rm -rf $(DEMO)
	$(BIN)/flowgraph synth $(DEMO)/data --seed 7 --scale 1
	$(BIN)/flowgraph --store $(DEMO)/flowgraph.db registry load $(DEMO)/data/registry
	$(BIN)/flowgraph --store $(DEMO)/flowgraph.db load --quiet $(DEMO)/data/uploads
	$(BIN)/flowgraph --store $(DEMO)/flowgraph.db uploads --summary
	$(BIN)/flowgraph --store $(DEMO)/flowgraph.db detect

## serve: the investigators' workbench on the demo store, http://127.0.0.1:8050 (after make demo)
serve: $(STAMP)
	$(BIN)/flowgraph --store $(DEMO)/flowgraph.db serve --host 127.0.0.1 --port 8050

## test: lint, format check and the whole test suite
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## neo4j: build (if needed) and start the local Neo4j 5.26 Community server; prints its bolt URI
neo4j:
	NEO4J_PORT=$(NEO4J_PORT) scripts/neo4j-local/start.sh

neo4j-stop:
	scripts/neo4j-local/stop.sh

bench: $(STAMP)
	$(BIN)/python benchmarks/load.py --scale 100
	$(BIN)/python benchmarks/detect.py --scale 100
	$(BIN)/python benchmarks/sankey.py --scale 100
	$(BIN)/python benchmarks/scales.py --scale 1 --scale 10 --scale 100

clean:
	rm -rf $(DEMO) .pytest_cache .ruff_cache build *.egg-info
