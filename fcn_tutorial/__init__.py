"""fcn-tutorial: the helper library behind the Fully Convolutional Networks notebooks.

Modules, lowest layer first (a module imports only from its own layer and below;
``tests/test_layering.py`` checks it):

- ``arithmetic``, ``workspace``: output sizes and receptive fields (pure Python); where the
  notebooks, figures, results and runs live (the repository, or a copy ``lab`` made).
- ``reference``, ``scores``, ``classes``, ``hardware``, ``samples``: convolution and
  pooling from scratch in NumPy, the paper's four metrics, class names and colours,
  facts about the machine, sample photos.
- ``viz``, ``datasets``: drawings (matplotlib, no pyplot state); the one data entry point
  ``datasets.load_split`` (synthetic streets, CamVid, KITTI, your folders).
- ``widgets``, ``models``, ``losses``: the explorers; the classifiers and FCNs; the
  void-ignoring loss and the streaming mean IU.
- ``training``, ``speed``: ``train`` and the ``Run`` folder; timing and FLOPs.
- ``experiments``, ``demo``, ``predict``, ``notebooks``: notebooks 05-07's runs and results,
  labelling your photos, re-executing the notebooks.
- ``figures``: the registry that rebuilds ``figures/``; ``cli``: the ``fcn-tutorial`` command.
"""

import os

# TensorFlow is the project's default Keras backend; set it before anything imports
# Keras, but respect a learner's explicit choice of JAX or PyTorch.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# TensorFlow turns its oneDNN kernels on only for some CPUs (Intel's); without them its CPU
# transposed convolution refuses dilation rates above 1, which notebook 04 uses. On for all.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

__version__ = "0.1.0"

SPEEDS = ("quick", "full")


def notebook_speed() -> str:
    """How big the notebooks' runs are, from ``FCN_TUTORIAL_SPEED``: ``"quick"`` or ``"full"``.

    ``quick`` keeps every notebook cell to a few seconds on a laptop CPU (CI uses it);
    ``full`` (the default) runs the lessons at their real size.

    Raises:
        ValueError: for any other value, naming the two that work.
    """
    name = os.environ.get("FCN_TUTORIAL_SPEED", "full").strip().lower() or "full"
    if name not in SPEEDS:
        raise ValueError(
            f"FCN_TUTORIAL_SPEED={name!r} is not a speed: set it to 'quick' or 'full'."
        )
    return name


__all__ = ["SPEEDS", "notebook_speed", "__version__"]
