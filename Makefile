# Halles: `make run` starts the local marketplace, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: run test unit bench package openapi lint clean chromium

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP)

# Debian's Chromium for the browser tests (the only system package the project needs).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "WARNING: could not install chromium (needs root); browser tests will be skipped"; }

run: venv
	$(PY) -m devstack run $(ARGS)

test: venv chromium
	$(PY) -m pytest $(ARGS)

unit: venv
	$(PY) -m pytest tests/unit $(ARGS)

lint: venv
	$(VENV)/bin/ruff check .

bench: venv
	$(PY) -m scripts.bench

package: venv
	$(PY) -m scripts.package $(ARGS)

openapi: venv
	$(PY) -m scripts.openapi build/openapi.json

clean:
	rm -rf $(VENV) build .data
