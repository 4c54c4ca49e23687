# Halles: `make run` starts the local marketplace, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: run test unit bench package deploy openapi lint clean chromium

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP)

# Debian's Chromium for the browser tests (the only system package the project needs). Without it
# `make test` fails: browser tests are skipped only when asked, with HALLES_SKIP_BROWSER_TESTS=1.
chromium:
	@if [ "$$HALLES_SKIP_BROWSER_TESTS" = "1" ]; then \
	  echo "!!! HALLES_SKIP_BROWSER_TESTS=1: the browser tests (tests/browser) will be SKIPPED, not run !!!"; \
	elif ! command -v chromium >/dev/null 2>&1; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || { \
	    echo "ERROR: could not install Debian's chromium (apt-get install chromium needs root), which the" >&2; \
	    echo "browser tests need. Install it, or run HALLES_SKIP_BROWSER_TESTS=1 make test to skip them." >&2; \
	    exit 1; }; \
	fi

run: venv
	$(PY) -m devstack run $(ARGS)

# Two pytest-xdist workers (this machine has 2 cores); the tests of the live local stack stay on one of
# them (tests/conftest.py groups them), so a run starts one stack. TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2
test: venv chromium lint
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup $(ARGS)

unit: venv
	$(PY) -m pytest tests/unit $(ARGS)

# ruff, then the architecture contracts of .importlinter (layers, adapters, pure domain).
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-logo

bench: venv
	$(PY) -m scripts.bench

package: venv
	$(PY) -m scripts.package $(ARGS)

# The one deploy command (README, "Deploying to AWS"): make deploy STACK=halles-prod BUCKET=<s3 bucket> ALERT_EMAIL=<address>
STAGE ?= prod
deploy: venv
	@test -n "$(STACK)" -a -n "$(BUCKET)" -a -n "$(ALERT_EMAIL)" || { echo "usage: make deploy STACK=<stack name> BUCKET=<s3 bucket> ALERT_EMAIL=<address> [STAGE=prod]" >&2; exit 2; }
	$(PY) -m scripts.package --stage $(STAGE)
	aws cloudformation package --template-file build/$(STAGE)/sam.json --s3-bucket $(BUCKET) \
	    --output-template-file build/$(STAGE)/packaged.json
	aws cloudformation deploy --template-file build/$(STAGE)/packaged.json --stack-name $(STACK) \
	    --capabilities CAPABILITY_IAM --parameter-overrides AlertEmail=$(ALERT_EMAIL)

openapi: venv
	$(PY) -m scripts.openapi build/openapi.json

clean:
	rm -rf $(VENV) build .data
