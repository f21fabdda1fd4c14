# Two commands on a fresh machine: `make demo` and `make test`. Everything they need is installed here:
# a virtualenv with modelinfra and its extras, and the pinned Azurite from package-lock.json.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.modelinfra-installed
PYTEST_ARGS ?=
PYTEST_WORKERS ?= 4  # tests mostly wait on emulators and CLI subprocesses: 4 workers keep 2 cores busy

.PHONY: install demo test lint schema docs clean

install: $(STAMP) node_modules/.package-lock.json

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

demo: install
	$(BIN)/python scripts/demo.py

test: install
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests scripts

schema: install
	$(BIN)/modelinfra schema > schemas/modelinfra.schema.json
	$(BIN)/modelinfra schema --module > schemas/module.schema.json

docs: install
	$(BIN)/python -c "import pathlib; from modelinfra.spec.reference import update_readme as u; p = pathlib.Path('README.md'); p.write_text(u(p.read_text()))"

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache
