"""Shared test fixtures: offline ImageNet weights (or a skip saying why), and the random
labels and logits the score and loss tests share."""

import os
from pathlib import Path

import numpy as np
import pytest

# The environment (backend, speed, KERAS_HOME) is set by the repository's conftest.py.
SHARED_KERAS_HOME = Path(__file__).resolve().parents[2] / "shared" / "keras_home"


@pytest.fixture(scope="session")
def keras_home():
    """The test copy of ``../shared/keras_home`` (real ImageNet weights), or a skip."""
    if not SHARED_KERAS_HOME.is_dir():
        pytest.skip(f"{SHARED_KERAS_HOME} is absent: no offline ImageNet weights here")
    return Path(os.environ["KERAS_HOME"])


@pytest.fixture(scope="session")
def random_batch():
    """``make(rng, shape, num_classes, classes)``: labels (a fifth of them void) and logits."""
    from fcn_tutorial.classes import NUM_CLASSES, VOID

    def make(rng, shape=(2, 6, 7), num_classes=NUM_CLASSES, classes=None):
        classes = np.arange(num_classes) if classes is None else np.asarray(classes)
        labels = rng.choice(classes, size=shape)
        labels[rng.random(shape) < 0.2] = VOID
        logits = rng.normal(size=(*shape, num_classes)).astype("float32")
        return labels, logits

    return make


# Modules that train models, rebuild figures, install wheels or drive a browser: minutes
# each. `make test-fast` leaves them (and the notebooks) out; `make test` runs everything.
SLOW_MODULES = {
    "test_benchmarks.py",
    "test_demo.py",
    "test_devices.py",
    "test_experiments.py",
    "test_figures.py",
    "test_install.py",
    "test_training.py",
    "test_explorers_in_jupyterlab.py",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
