# The two commands a new user needs: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest gateway bench bench-quick soak matrix screenshots snapshots-update clean loc

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: set up and run the live demo against the embedded gateway (ARGS="--provider kernel")
demo: $(STAMP)
	$(BIN)/runwatch --demo $(ARGS)

## test: set up, lint, type-check and run the whole test suite
test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check tui tests bench
	$(BIN)/ruff format --check tui tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy tui

# Two workers, a file each at a time (a file's servers are started once): the tests spend
# most of their time waiting on loopback servers and the app's clock, so two halve it.
pytest: $(STAMP)
	$(BIN)/pytest -q -n 2 --dist loadfile

## gateway: run the embedded gateway alone on port 8787
gateway: $(STAMP)
	$(BIN)/runwatch gateway --port 8787

## bench: every performance figure, beside the naive baseline (several minutes)
bench: $(STAMP)
	$(BIN)/python -m bench.run

## bench-quick: a quick run of every benchmark figure (small sizes, no baseline)
bench-quick: $(STAMP)
	$(BIN)/python -m bench.run --quick --no-baseline --out /tmp/runwatch-bench

## loc: the product code's size by layer and per provider (REVS="f725229" adds revisions)
loc: $(STAMP)
	$(BIN)/python -m bench.loc $(REVS)

## soak: ten minutes against a faulty gateway, checking memory growth stays under 10 %
soak: $(STAMP)
	RUNWATCH_LONG_SOAK_SECONDS=600 $(BIN)/pytest -q -s -m slow tests/test_soak.py

## matrix: the whole terminal matrix (every mode at 80x24 and 160x48; make test runs 80x24)
matrix: $(STAMP)
	$(BIN)/pytest -q -m "slow or not slow" tests/test_terminal_matrix.py

## screenshots: regenerate screenshots/*.svg from the embedded gateway
screenshots: $(STAMP)
	$(BIN)/python -m bench.screenshots screenshots

## snapshots-update: accept the current snapshot output as the new baseline
snapshots-update: $(STAMP)
	$(BIN)/pytest -q tests/test_snapshots.py --snapshot-update

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache dist build

# -- contract mock and fuzzing (tests/contract_mock.py, tests/merge_openapi.py, tests/fuzz_gateway.py)
.PHONY: contract-mock contract-mock-py fuzz
PRISM_PORT ?= 4010
MOCK_PORT ?= 8788
MOCK_MODE ?= odd
FUZZ_EXAMPLES ?= 500

## contract-mock: Prism (via npx) serving the five contract files merged, random bodies (-d)
contract-mock: $(STAMP)
	$(BIN)/python -m tests.merge_openapi --out build/contract-mock/openapi.yaml --port $(PRISM_PORT)
	@echo "contract mock: http://127.0.0.1:$(PRISM_PORT)   e.g. BCTRL_API_KEY=x $(BIN)/runwatch watch 6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b --once --base-url http://127.0.0.1:$(PRISM_PORT)"
	npx --yes @stoplight/prism-cli mock -d -h 127.0.0.1 -p $(PRISM_PORT) build/contract-mock/openapi.yaml

## contract-mock-py: the Python contract mock (hypothesis-jsonschema bodies; MOCK_MODE=schema|odd|beyond)
contract-mock-py: $(STAMP)
	$(BIN)/python -m tests.contract_mock --port $(MOCK_PORT) --mode $(MOCK_MODE)

## fuzz: schemathesis against the embedded gateway, FUZZ_EXAMPLES per operation (pytest, then the CLI)
fuzz: $(STAMP)
	RUNWATCH_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q tests/test_gateway_fuzz.py
	$(BIN)/python -m tests.fuzz_gateway --examples $(FUZZ_EXAMPLES)
