"""The figures in ``figures/``: one function per file, named after its notebook.

Every file in ``figures/`` starts with the number of the notebook that shows it
(``02_conv-same-padding.gif``) and is written by the function registered under its
name, whose docstring says what it shows. One command rebuilds them, byte for byte::

    fcn-tutorial figures                           # everything, into figures/
    fcn-tutorial figures --list                    # names and what each shows
    python -m fcn_tutorial.figures 03_max-pooling.gif --out /tmp/figures

Seeds are fixed, PNGs carry no timestamp and GIFs share one deterministic palette,
so a rebuild that changes a file means a drawing really changed.

- ``registry``: :func:`register`, :data:`FIGURES`, :func:`build`, :func:`describe`,
  :func:`save_png` and :class:`NeedsRun`; it imports none of the modules below.
- ``convolution`` (02), ``pooling`` (03), ``transposed`` (04), ``fcn`` (05 and 06) and
  ``demo`` (07): the figures of those notebooks, registered when this package imports
  them. The lessons they draw are computed in ``arithmetic``, ``reference`` and
  ``models``, never here.
"""

from fcn_tutorial.figures.registry import (
    FIGURES,
    FIGURES_DIR,
    NAME_PATTERN,
    NeedsRun,
    build,
    describe,
    register,
    save_png,
)

# Imported for their registrations, in notebook order, which is the order build() writes.
# isort: off
from fcn_tutorial.figures import convolution, pooling, transposed, fcn, demo
# isort: on

__all__ = [
    "FIGURES",
    "FIGURES_DIR",
    "NAME_PATTERN",
    "NeedsRun",
    "build",
    "convolution",
    "demo",
    "describe",
    "fcn",
    "pooling",
    "register",
    "save_png",
    "transposed",
]
