"""Drawings for the notebooks: convolution grids, feature maps, receptive fields, animations.

The grids follow the convolution-arithmetic guide (Dumoulin & Visin, 2016): the input
is blue, padding is white with dashed edges, the kernel window is shaded dark over the
input and the output is cyan with the cell being computed highlighted. Every size is
computed with :mod:`fcn_tutorial.arithmetic` and every number with
:mod:`fcn_tutorial.reference`, so a drawing can never disagree with the lesson.

Nothing here touches pyplot: each function returns a fresh ``Figure`` that displays
itself in a notebook, and the caller decides whether to show, save or animate it.

Introduced in ``02_convolution.ipynb`` (grids, animations, feature maps),
``03_pooling.ipynb`` (pooling, receptive fields) and ``04_transposed_convolution.ipynb``
(transposed convolution, both views); ``01_segmentation_intro.ipynb`` and
``07_self_driving_demo.ipynb`` (label maps over photos, mistakes, legends).
"""

from fcn_tutorial.viz import core, fields, grids, labels, results, transposed
from fcn_tutorial.viz.core import *  # noqa: F403
from fcn_tutorial.viz.fields import *  # noqa: F403
from fcn_tutorial.viz.grids import *  # noqa: F403
from fcn_tutorial.viz.labels import *  # noqa: F403
from fcn_tutorial.viz.results import *  # noqa: F403
from fcn_tutorial.viz.transposed import *  # noqa: F403

__all__ = (
    core.__all__
    + grids.__all__
    + transposed.__all__
    + fields.__all__
    + labels.__all__
    + results.__all__
)
