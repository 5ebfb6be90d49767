# fcn-tutorial: the two commands that matter are `make lab` and `make test`.
# Each creates the environment in .venv/ first when it is missing or out of date.

VENV := .venv
BIN := $(VENV)/bin

# The Python that makes .venv/ (3.11, 3.12 or 3.13): PYTHON=python3.12 when given, else
# the one .venv/ already has, else the first of python3.13, python3.12, python3.11 that runs.
# $(call find_python,NAMES[,pyenv]): the first of NAMES that runs, as a path; with pyenv,
# also a version pyenv holds but is not set to (its shims run only the versions it is set to).
find_python = $(shell for name in $(1); do \
	if "$$name" -c "" >/dev/null 2>&1; then command -v "$$name"; break; fi; \
	if [ "$(2)" = pyenv ] && version="$$(pyenv whence "$$name" 2>/dev/null | tail -n 1)" \
		&& [ -n "$$version" ]; then echo "$$(pyenv root)/versions/$$version/bin/$$name"; break; fi; \
	done)
ifeq ($(origin PYTHON),undefined)
PY := $(or $(wildcard $(BIN)/python),$(call find_python,python3.13 python3.12 python3.11))
else
PY := $(call find_python,$(PYTHON),pyenv)
endif
PY_VERSION := $(if $(PY),$(shell "$(PY)" -c 'import sys; print("%d.%d" % sys.version_info[:2])'))
INSTALLED := $(VENV)/.installed-python$(PY_VERSION)

# TensorFlow is the default Keras backend; `make test KERAS_BACKEND=jax` picks another.
export KERAS_BACKEND ?= tensorflow
export TF_CPP_MIN_LOG_LEVEL ?= 2
# TensorFlow enables oneDNN only on some CPUs; without it dilated transposed convolutions fail.
export TF_ENABLE_ONEDNN_OPTS ?= 1
# pytest-xdist workers for make test: two keep both of CI's cores busy (one traces a graph
# while the other computes); TEST_WORKERS=0 runs everything in one process.
TEST_WORKERS ?= 2

.PHONY: lab test test-fast chromium lint unit notebooks figures results demo clean

$(INSTALLED): pyproject.toml
	@case "$(PY_VERSION)" in 3.11|3.12|3.13) ;; \
	*) echo "fcn-tutorial needs Python 3.11, 3.12 or 3.13, found $(if $(PY),$(PY) (Python $(PY_VERSION)),none$(if $(PYTHON), named $(PYTHON))): install one, or name it with PYTHON=/path/to/python3.12"; exit 1;; esac
	@echo "fcn-tutorial: .venv/ with Python $(PY_VERSION) ($(PY))"
	@if [ -x $(BIN)/python ] && [ "$$($(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" != "$(PY_VERSION)" ]; then \
		echo "fcn-tutorial: .venv/ has another Python; making it again"; rm -rf $(VENV); fi
	test -x $(BIN)/python || "$(PY)" -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed*
	touch $@

## Open JupyterLab on notebooks/ (headless: copy the printed URL into a browser).
lab: $(INSTALLED)
	$(BIN)/fcn-tutorial lab

## Everything CI runs: lint, unit tests, every notebook through nbval (quick profile),
## and every explorer moved in a real JupyterLab in headless Chromium (tests/browser).
test: $(INSTALLED) chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	FCN_TUTORIAL_SPEED=quick $(BIN)/python -m pytest -n $(TEST_WORKERS) tests notebooks

## A few minutes: lint and the unit tests that train nothing (no notebooks, no browser).
test-fast: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	FCN_TUTORIAL_SPEED=quick $(BIN)/python -m pytest -n $(TEST_WORKERS) tests -m "not slow"

# tests/browser drives Debian's Chromium, never Playwright's own download. As root, install
# it when missing (apt-get update only if the first try fails); otherwise those tests skip.
APT_GET := DEBIAN_FRONTEND=noninteractive apt-get -qq -o Dpkg::Use-Pty=0
chromium:
	@test -x /usr/bin/chromium || [ "$$(id -u)" != 0 ] \
		|| $(APT_GET) install -y chromium >/dev/null 2>&1 \
		|| { $(APT_GET) update && $(APT_GET) install -y chromium >/dev/null; } \
		|| echo "chromium is not installed: the browser tests will skip"

## Re-execute the notebooks in place (full profile) so GitHub shows fresh outputs.
notebooks: $(INSTALLED)
	$(BIN)/fcn-tutorial notebooks

## Rebuild every file in figures/ from the registry in fcn_tutorial/figures/.
figures: $(INSTALLED)
	$(BIN)/fcn-tutorial figures

## Train the full runs notebooks 05 and 06 quote and write results/*.json (about 20 minutes
## on 2 CPU cores; real CamVid where ../shared/data/camvid or the download cache has it).
results: $(INSTALLED)
	$(BIN)/fcn-tutorial results

## The self-driving demo, headless: picks the profile from the hardware, gets CamVid (or
## says why it uses synthetic streets), trains or resumes, and writes runs/demo/.
demo: $(INSTALLED)
	$(BIN)/fcn-tutorial demo --out runs/demo

clean:
	rm -rf $(VENV) build *.egg-info
