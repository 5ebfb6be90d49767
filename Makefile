# fcn-tutorial: the two commands that matter are `make lab` and `make test`.
# Each creates the environment in .venv/ first when it is missing or out of date.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

# TensorFlow is the default Keras backend; `make test KERAS_BACKEND=jax` picks another.
export KERAS_BACKEND ?= tensorflow
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: lab test lint unit notebooks figures clean

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "fcn-tutorial needs Python 3.11: set PYTHON=python3.11"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

## Open JupyterLab on notebooks/ (headless: copy the printed URL into a browser).
lab: $(BIN)/.installed
	$(BIN)/fcn-tutorial lab

## Everything CI runs: lint, unit tests, every notebook through nbval (quick profile).
test: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	FCN_TUTORIAL_PROFILE=quick $(BIN)/python -m pytest tests notebooks

## Re-execute the notebooks in place (full profile) so GitHub shows fresh outputs.
notebooks: $(BIN)/.installed
	$(BIN)/fcn-tutorial notebooks

## Rebuild every file in figures/ from the registry in fcn_tutorial/figures.py.
figures: $(BIN)/.installed
	$(BIN)/fcn-tutorial figures

clean:
	rm -rf $(VENV) build *.egg-info
