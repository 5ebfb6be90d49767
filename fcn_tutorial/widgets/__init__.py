"""Interactive explorers: drag a slider, watch a convolution, a pooling or a receptive field.

Each explorer is a small class that owns its controls and its output:

- ``controls``: the ipywidgets, keyed by the Keras argument they set (``strides`` ...);
- ``state``: a plain dict of the current values and everything derived from them,
  recomputed on every change (``state["error"]`` holds a message, or ``None``);
- ``widget``: the controls, the drawing (an ``ipywidgets.Image``) and a readout;
- ``figure()``: the current drawing as a matplotlib Figure, for a static snapshot
  that GitHub can render.

An explorer displays itself when it ends a cell. Tests drive it without a browser:
``explorer.controls["strides"].value = 2`` then assert on ``explorer.state``.

Introduced in ``02_convolution.ipynb``, ``03_pooling.ipynb``,
``04_transposed_convolution.ipynb``, ``05_transfer_learning.ipynb`` (``HeatmapExplorer``)
and ``06_skip_layers.ipynb`` (``SkipExplorer``).
"""

from fcn_tutorial.widgets import browser, convolution, heatmap, images, monitor, skips, transposed
from fcn_tutorial.widgets.base import Explorer  # noqa: F401  (every explorer's base class)
from fcn_tutorial.widgets.browser import *  # noqa: F403
from fcn_tutorial.widgets.convolution import *  # noqa: F403
from fcn_tutorial.widgets.heatmap import *  # noqa: F403
from fcn_tutorial.widgets.images import *  # noqa: F403
from fcn_tutorial.widgets.monitor import *  # noqa: F403
from fcn_tutorial.widgets.skips import *  # noqa: F403
from fcn_tutorial.widgets.transposed import *  # noqa: F403

__all__ = (
    convolution.__all__
    + images.__all__
    + transposed.__all__
    + browser.__all__
    + skips.__all__
    + heatmap.__all__
    + monitor.__all__
)
