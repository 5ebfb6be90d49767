"""Painter of fences: panel fences and railings in front of the buildings.

Railings teach something panels cannot: a fence's label covers only its rails and posts,
and the pavement shows (and is labelled) between them.
"""

from __future__ import annotations

import numpy as np

from fcn_tutorial.classes import FENCE
from fcn_tutorial.datasets.synthetic.dice import Dice, jitter, shade
from fcn_tutorial.datasets.synthetic.geometry import Polygons, rect_x
from fcn_tutorial.datasets.synthetic.street import Street

__all__ = ["sample_fences"]

_FENCE_COLOURS = [(110, 80, 55), (60, 80, 60), (40, 40, 45), (150, 150, 150)]


def sample_fences(street: Street, dice: Dice, side: int) -> list[Polygons]:
    """A few fences along the facades on the ``side`` (-1 left, 1 right), or none."""
    if dice.random() < 0.35:
        return []
    fences = []
    x = street.facade[side > 0] - side * 0.4
    for z in dice.uniform(-10, street.near_length, dice.poisson(street.near_length / 60) + 1):
        length, height = dice.uniform(5, 40), dice.uniform(0.9, 1.8)
        colour = jitter(dice, _FENCE_COLOURS[dice.integers(4)])
        fence = Polygons(layer=3)
        posts = np.arange(z, z + length, dice.uniform(1.2, 2.5))
        if dice.random() < 0.5:  # a solid panel fence
            fence.add(rect_x(x, 0, height, z, z + length), colour, FENCE)
            post_colour = shade(colour, 0.6)
        else:  # railings: the pavement shows between the rails
            for y in (0.15, height - 0.1):
                fence.add(rect_x(x, y - 0.06, y + 0.06, z, z + length), colour, FENCE)
            post_colour = colour
        fence.details(0.12)
        for p in posts:
            fence.add(rect_x(x, 0, height + 0.05, p, p + 0.12), post_colour, FENCE)
        fences.append(fence)
    return fences
