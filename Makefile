# promobot: everything a newcomer or CI needs, from a clean clone.
#   make demo    the whole flow on a local SQLite registry
#   make test    the test suite (starts and stops its own mlflow server)
#   make lint    ruff, the workflow linters, the policy check
#   make bench   benchmarks; writes bench/results.json
#   make structure  the structure rules of bot/ (tests/structure.py)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint bench format clean install structure

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/promobot demo

test: $(STAMP)
	$(VENV)/bin/pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/promobot policy check policies/
	$(PY) tests/structure.py
	@if [ -d .github/workflows ] && ls .github/workflows/*.yml >/dev/null 2>&1; then \
	  $(VENV)/bin/zizmor --offline --min-severity low .github/workflows actions && \
	  $(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml; \
	fi
	@if ls actions/*/action.yml >/dev/null 2>&1; then \
	  $(VENV)/bin/check-jsonschema --builtin-schema vendor.github-actions actions/*/action.yml; \
	fi

bench: $(STAMP)
	$(PY) -m bench

structure: $(STAMP)
	$(PY) tests/structure.py

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) demo-registry .pytest_cache .ruff_cache .hypothesis *.egg-info
