"""Shared test set-up: the Keras backend, offline ImageNet weights, skip reasons, and the
random labels and logits the score and loss tests share."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("FCN_TUTORIAL_SPEED", "quick")
# As fcn_tutorial sets it (see its __init__), before any test imports Keras first.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SHARED_KERAS_HOME = SHARED / "keras_home"

# Keras reads KERAS_HOME when it is first imported, and the notebook kernels that nbval
# starts inherit this environment, so the copy must be in place before anything runs.
# A copy, because Keras writes keras.json there and ../shared is read-only.
if SHARED_KERAS_HOME.is_dir():
    _copy = Path(tempfile.mkdtemp(prefix="fcn-tutorial-keras-home-"))
    shutil.copytree(SHARED_KERAS_HOME, _copy, dirs_exist_ok=True)
    os.environ["KERAS_HOME"] = str(_copy)
    atexit.register(shutil.rmtree, _copy, ignore_errors=True)


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
