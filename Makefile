# Conflict event coder: `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP) ## Create .venv and install the project with its pinned dependencies

build-dataset: $(STAMP) ## Code every article in seeds/ and write output/ (Parquet + CSV + manifest)
	$(PY) -m coding build --input seeds --out output

validate: $(STAMP) ## Validate output/ against the schemas
	$(PY) -m coding validate output

test: $(STAMP) ## Run the tests
	$(PY) -m pytest

robustness: $(STAMP) ## Bad-input, kill and fuzz tests, then a 10,000-document fuzz batch through `build`
	$(PY) -m pytest -q tests/test_robustness.py tests/test_properties.py
	$(PY) tests/fuzz_batch.py --documents 10000

GOLD := $(wildcard ../shared/gold/*.jsonl)

evaluate: $(STAMP) ## Score the coder on every gold set in ../shared/gold/ (skips when absent)
	@if [ -z "$(GOLD)" ]; then echo "evaluate: ../shared/gold/ not found, nothing to evaluate (skipped)"; \
	else $(PY) -m coding evaluate $(GOLD) --out evaluation; fi

benchmark: $(STAMP) ## Time `build` (India corpus, 10k synthetic articles; 1 and 2 workers) into benchmarks/results.md; BENCH_LARGE=1 adds 100k
	$(PY) benchmarks/run.py

lint-rules: $(STAMP) ## Check every rules file (loading, shadowing patterns, rule examples)
	$(PY) -m coding rules lint

stats: $(STAMP) ## Print what the rules cover (codes reachable, rules, actor phrases, people)
	$(PY) -m coding rules stats

docs: $(STAMP) ## Print the column reference generated from the schemas
	$(PY) -m coding schema-docs

clean: ## Remove build products (output/, caches)
	rm -rf output evaluation .pytest_cache .hypothesis

.PHONY: help venv build-dataset validate test robustness evaluate benchmark lint-rules stats docs clean
