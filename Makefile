# Halles: `make run` starts the local marketplace, `make test` runs every test.

# Python 3.12: the Lambda runtime the functions are packaged for (SnapStart needs 3.12 or newer; README,
# "SnapStart"), so the venv, the tests, the bench and `make package` all run on it. The first of these
# that actually runs 3.12 (a pyenv shim named python3.12 may exist and refuse to run): `make PYTHON=...`,
# python3.12 on PATH, pyenv's 3.12 (`pyenv prefix 3.12`, else $PYENV_ROOT/versions/3.12.*).
PYTHON_MINOR := 3.12
define find_python
for candidate in $(PYTHON) python$(PYTHON_MINOR) "$$(pyenv prefix $(PYTHON_MINOR) 2>/dev/null | head -n1)/bin/python$(PYTHON_MINOR)" \
    $$(ls -d "$${PYENV_ROOT:-$$HOME/.pyenv}"/versions/$(PYTHON_MINOR).*/bin/python$(PYTHON_MINOR) 2>/dev/null | sort -rV); do \
  "$$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != ($(subst .,$(comma),$(PYTHON_MINOR))))' >/dev/null 2>&1 \
    && { command -v "$$candidate"; break; }; \
done
endef
comma := ,
PYTHON_FOUND := $(shell $(find_python))
PYTHON_VERSION := $(if $(PYTHON_FOUND),$(shell "$(PYTHON_FOUND)" -c 'import platform; print(platform.python_version())'))
VENV := .venv
PY := $(VENV)/bin/python
# The interpreter's version is part of the stamp: a .venv built by another Python is rebuilt.
STAMP := $(VENV)/.installed-py$(PYTHON_VERSION)-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: run test unit bench package deploy deploy-frontend openapi lint clean chromium python

# `make python` prints the interpreter the venv is (or would be) built with.
python:
	@test -n "$(PYTHON_FOUND)" || { echo "$(NO_PYTHON)" >&2; exit 1; }
	@echo "$(PYTHON_FOUND) (Python $(PYTHON_VERSION))"

# (No backquotes or dollar signs: the message is echoed inside double quotes.)
NO_PYTHON := ERROR: Python $(PYTHON_MINOR) not found (the Lambda runtime Halles is packaged for). Install it, e.g. \
'apt-get install python$(PYTHON_MINOR) python$(PYTHON_MINOR)-venv' or 'pyenv install $(PYTHON_MINOR)', or \
name it: make PYTHON=/path/to/python$(PYTHON_MINOR) ...

$(STAMP): requirements.txt requirements-dev.txt
	@test -n "$(PYTHON_FOUND)" || { echo "$(NO_PYTHON)" >&2; exit 1; }
	@if [ -e $(VENV) ] && [ "$$($(PY) -c 'import platform; print(platform.python_version())' 2>/dev/null)" != "$(PYTHON_VERSION)" ]; then \
	  echo "$(VENV) was not built with Python $(PYTHON_VERSION): rebuilding it"; rm -rf $(VENV); fi
	test -x $(PY) || "$(PYTHON_FOUND)" -m venv $(VENV)
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

# Two pytest-xdist workers (this machine has 2 cores) that share one live local stack (tests/fixtures/live.py).
# TEST_WORKERS=0 runs in one process.
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

# The storefront, after `make deploy` (README, "The frontend"): builds it with the stack's API URL, uploads it to
# the stack's bucket (cache rules per file) and invalidates index.html and config.js in CloudFront.
deploy-frontend: venv
	@test -n "$(STACK)" || { echo "usage: make deploy-frontend STACK=<stack name> [REGION=<region>]" >&2; exit 2; }
	$(PY) -m scripts.deploy_frontend --stack $(STACK) $(if $(REGION),--region $(REGION))

openapi: venv
	$(PY) -m scripts.openapi build/openapi.json

clean:
	rm -rf $(VENV) build .data
