"""fcn-tutorial: the helper library behind the Fully Convolutional Networks notebooks.

Modules, in the order the notebooks introduce them:

- ``arithmetic``: output sizes and receptive fields (pure Python).
- ``reference``: convolution and pooling from scratch in NumPy, in Keras' layouts.
- ``viz``: grid drawings, feature maps and animations (matplotlib, no pyplot state).
- ``widgets``: the interactive explorers (ipywidgets).
- ``datasets``: class metadata and the synthetic driving scenes.
- ``models``: ImageNet classifiers and the FCNs built on them.
- ``classes``: class names, palettes, ``VOID`` and the statistics of label masks.
- ``scores``: the paper's four segmentation scores, over a dataset or one image (NumPy).
- ``losses``: the void-ignoring loss and the streaming mean IU, for ``model.compile``.
- ``figures``: the registry that rebuilds ``figures/``.
"""

import os

# TensorFlow is the project's default Keras backend; set it before anything imports
# Keras, but respect a learner's explicit choice of JAX or PyTorch.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

__version__ = "0.1.0"

PROFILES = ("quick", "full")


def profile() -> str:
    """The run profile chosen by ``FCN_TUTORIAL_PROFILE``: ``"quick"`` or ``"full"``.

    ``quick`` keeps every notebook cell to a few seconds on a laptop CPU (CI uses it);
    ``full`` (the default) runs the lessons at their real size.

    Raises:
        ValueError: for any other value, naming the two that work.
    """
    name = os.environ.get("FCN_TUTORIAL_PROFILE", "full").strip().lower() or "full"
    if name not in PROFILES:
        raise ValueError(
            f"FCN_TUTORIAL_PROFILE={name!r} is not a profile: set it to 'quick' or 'full'."
        )
    return name


__all__ = ["PROFILES", "profile", "__version__"]
