"""A scene: one street and every object in it, sampled in a fixed order.

The order below *is* the data: each painter draws its random numbers from the same
``Dice`` in turn, so painting the trees before the fences, or adding a painter in the
middle, would give every seed a different street. New painters go at the end.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from fcn_tutorial.datasets.synthetic import painters
from fcn_tutorial.datasets.synthetic.dice import Dice
from fcn_tutorial.datasets.synthetic.geometry import Polygons, freeze
from fcn_tutorial.datasets.synthetic.street import Street, sample_street

__all__ = ["Scene", "sample_scene"]


@dataclasses.dataclass(frozen=True)
class Scene:
    """A street and its objects, frozen and ready to render.

    Attributes:
        street: camera, layout and look.
        objects: the frozen ``Polygons``, in the order the painters made them.
    """

    street: Street
    objects: list[Polygons]


def sample_scene(
    rng: np.random.Generator, height: int, width: int, travel: float, speed: float
) -> Scene:
    """Draw a street and fill it: buildings, fences, trees, poles, people, traffic.

    Args:
        rng: the generator; the scene draws from it first, and the renderer's noise after.
        height: image height in pixels.
        width: image width in pixels.
        travel: metres the camera will drive (0 for a single image): the street is made
            that much longer.
        speed: metres the camera drives per frame; moving objects' speeds scale with it.

    Returns:
        The ``Scene``.
    """
    dice = Dice(rng)
    street = sample_street(dice, height, width, travel, speed)
    objects = []
    for side in (-1, 1):
        objects += painters.sample_buildings(street, dice, side)
        objects += painters.sample_fences(street, dice, side)
        objects += painters.sample_trees(street, dice, side)
        objects += painters.sample_poles(street, dice, side)
        objects += painters.sample_pedestrians(street, dice, side)
    objects.append(painters.sample_skyline(street, dice))
    objects += painters.sample_traffic(street, dice)
    objects += painters.sample_bicyclists(street, dice)
    return Scene(street, freeze(objects, street.look.lut))
