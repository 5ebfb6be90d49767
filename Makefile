# fcn-tutorial: the two commands that matter are `make lab` and `make test`.
# Each creates the environment in .venv/ first when it is missing or out of date.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

# TensorFlow is the default Keras backend; `make test KERAS_BACKEND=jax` picks another.
export KERAS_BACKEND ?= tensorflow
export TF_CPP_MIN_LOG_LEVEL ?= 2
# TensorFlow enables oneDNN only on some CPUs; without it dilated transposed convolutions fail.
export TF_ENABLE_ONEDNN_OPTS ?= 1

.PHONY: lab test chromium lint unit notebooks figures results demo clean

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "fcn-tutorial needs Python 3.11: set PYTHON=python3.11"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

## Open JupyterLab on notebooks/ (headless: copy the printed URL into a browser).
lab: $(BIN)/.installed
	$(BIN)/fcn-tutorial lab

## Everything CI runs: lint, unit tests, every notebook through nbval (quick profile),
## and every explorer moved in a real JupyterLab in headless Chromium (tests/browser).
test: $(BIN)/.installed chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	FCN_TUTORIAL_SPEED=quick $(BIN)/python -m pytest tests notebooks

# tests/browser drives Debian's Chromium, never Playwright's own download. As root, install
# it when missing (apt-get update only if the first try fails); otherwise those tests skip.
APT_GET := DEBIAN_FRONTEND=noninteractive apt-get -qq -o Dpkg::Use-Pty=0
chromium:
	@test -x /usr/bin/chromium || [ "$$(id -u)" != 0 ] \
		|| $(APT_GET) install -y chromium >/dev/null 2>&1 \
		|| { $(APT_GET) update && $(APT_GET) install -y chromium >/dev/null; } \
		|| echo "chromium is not installed: the browser tests will skip"

## Re-execute the notebooks in place (full profile) so GitHub shows fresh outputs.
notebooks: $(BIN)/.installed
	$(BIN)/fcn-tutorial notebooks

## Rebuild every file in figures/ from the registry in fcn_tutorial/figures/.
figures: $(BIN)/.installed
	$(BIN)/fcn-tutorial figures

## Train the full runs notebooks 05 and 06 quote and write results/*.json (about 20 minutes
## on 2 CPU cores; real CamVid where ../shared/data/camvid or the download cache has it).
results: $(BIN)/.installed
	$(BIN)/fcn-tutorial results

## The self-driving demo, headless: picks the profile from the hardware, gets CamVid (or
## says why it uses synthetic streets), trains or resumes, and writes runs/demo/.
demo: $(BIN)/.installed
	$(BIN)/fcn-tutorial demo --out runs/demo

clean:
	rm -rf $(VENV) build *.egg-info
