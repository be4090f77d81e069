# The project's interface: make demo, make test, make local PORT=N, make synth, make deploy.
# Every target installs what it needs into .venv (and node_modules for the CDK CLI) on first use.

SHELL := /bin/bash
# Python 3.12 matches the Lambda runtime; any Python from 3.11 on runs the code and tests.
PYTHON_BIN ?= $(shell for candidate in python3.12 $$(pyenv root 2>/dev/null)/versions/3.12*/bin/python3.12 python3; do \
	"$$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo "$$candidate"; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
DOMAIN ?= example.com
LIMIT ?= 1000
PYTEST_ARGS ?=
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := 1
export PYTHONPATH := functions:.

.PHONY: demo test local synth deploy layer venv node lint bench clean

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) .ci/dependencies.py --dev > $(VENV)/requirements.txt
	$(PY) -m pip install --quiet -r $(VENV)/requirements.txt
	@touch $@

venv: $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

node: node_modules/.installed

layer: venv
	$(PY) layers/build.py

demo: venv
	$(PY) -m infra.local.demo --domain="$(DOMAIN)" --limit=$(LIMIT)

local: venv
	$(PY) -m infra.local --port $(PORT)

test: venv layer
	$(PY) -m pytest $(PYTEST_ARGS)

synth: venv layer node
	node_modules/.bin/cdk synth --quiet

deploy: venv layer node
	node_modules/.bin/cdk deploy --require-approval broadening

lint: venv
	$(PY) -m ruff check functions infra tests bench layers

bench: venv
	$(PY) bench/export_bench.py
	$(PY) bench/enrichment_bench.py
	$(PY) bench/cold_start_bench.py
	$(PY) bench/anchors_bench.py

clean:
	rm -rf $(VENV) node_modules cdk.out layers/build demo-output
