"""Painter of buildings: terraces of houses and offices along both pavements, and the skyline.

A building is a box whose front faces the road. Its windows and shop front are details
drawn into the image only: CamVid labels a window as part of its building, so the mask
keeps the plain outline.
"""

from __future__ import annotations

import numpy as np

from fcn_tutorial.classes import BUILDING, TREE
from fcn_tutorial.datasets.synthetic.dice import Dice, jitter, shade
from fcn_tutorial.datasets.synthetic.geometry import IMAGE_ONLY, Polygons, flat, rect_x, rect_z
from fcn_tutorial.datasets.synthetic.street import DEPTH, Street

__all__ = ["FACADE_COLOURS", "sample_buildings", "sample_skyline"]

FACADE_COLOURS = [
    (150, 75, 60),
    (200, 180, 150),
    (150, 150, 150),
    (215, 210, 200),
    (120, 90, 70),
    (85, 85, 90),
    (210, 190, 120),
    (160, 170, 175),
    (180, 120, 90),
    (110, 120, 100),
]


def sample_buildings(street: Street, dice: Dice, side: int) -> list[Polygons]:
    """A row of buildings along the ``side`` (-1 left, 1 right) of the street, near to far."""
    buildings = []
    z = dice.uniform(-30, 0)
    while z < street.length:
        length = dice.uniform(8, 30)
        if dice.random() < 0.15:  # a gap between houses shows sky or trees
            z += length * 0.6
            continue
        height = dice.uniform(6, 25)
        x_in = street.facade[side > 0] + side * dice.uniform(0, 1.5) * (dice.random() < 0.3)
        x_out = x_in + side * dice.uniform(8, 15)
        colour = jitter(dice, FACADE_COLOURS[dice.integers(len(FACADE_COLOURS))])
        wall = shade(colour, street.face_light(-side))
        building = Polygons(layer=2)
        building.add(rect_z(z, x_in, x_out, 0, height), shade(colour, 0.85), BUILDING)
        building.add(rect_x(x_in, 0, height, z, z + length), wall, BUILDING)
        building.add(
            rect_x(x_in, height - 0.5, height, z, z + length), shade(wall, 0.8), IMAGE_ONLY
        )
        building.details(1.0)
        _add_windows(dice, building, x_in, z, height, length)
        if dice.random() < 0.5:  # a shop front on the ground floor
            building.add(
                rect_x(x_in, 0.3, 2.6, z + 0.5, z + length - 0.5),
                jitter(dice, (50, 55, 65), 0.3),
                IMAGE_ONLY,
            )
        buildings.append(building)
        z += length
    return buildings


def _add_windows(dice: Dice, building: Polygons, x_in, z, height, length) -> None:
    """Windows in a grid on the facade at ``x_in``, made all at once: floors x columns quads."""
    floor, column = dice.uniform(2.8, 3.6), dice.uniform(2.2, 4.0)
    if dice.random() < 0.35:  # an office block: one band of glass per floor
        column = length - 1.0
    rows = np.arange(1, int((height - 1.0) // floor))
    cols = np.arange(int((length - 1.0) // column))
    if not (len(rows) and len(cols)):
        return
    tall = dice.uniform(1.1, 1.8)
    wide = column * (dice.uniform(0.35, 0.65) if len(cols) > 1 else 0.95)
    r, c = np.meshgrid(rows, cols, indexing="ij")
    y0 = (r * floor + 0.9).ravel()
    z0 = (z + 0.5 + (column - wide) / 2 + c * column).ravel()
    quads = np.empty((len(y0), 4, 3))
    quads[..., 0] = x_in
    quads[..., 1] = np.column_stack([y0, y0 + tall, y0 + tall, y0])
    quads[..., 2] = np.column_stack([z0, z0, z0 + wide, z0 + wide])
    glass = dice.uniform(35, 90) * np.array([0.9, 1.0, 1.15])
    glass = glass * dice.uniform(0.7, 1.5, (len(quads), 1))
    building.add_many(quads, glass, IMAGE_ONLY)


def sample_skyline(street: Street, dice: Dice) -> Polygons:
    """The far end of the street: a hazy silhouette of distant houses or trees.

    It stands just beyond the last objects drawn and keeps its distance as the camera
    drives (it moves at the camera's speed), as a real horizon seems to.
    """
    z = DEPTH + 20
    xs = np.arange(street.facade[0] - 60, street.facade[1] + 60, dice.uniform(6, 14))
    if dice.random() < 0.7:
        tops = np.repeat(dice.uniform(6, 30, len(xs)), 2)
        edge = np.column_stack([np.repeat(xs, 2)[1:], tops[:-1]])
        label, colour = BUILDING, jitter(dice, (150, 140, 135), 0.15)
    else:
        edge = np.column_stack([xs, dice.uniform(8, 16, len(xs))])
        label, colour = TREE, jitter(dice, (70, 90, 60), 0.15)
    outline = np.concatenate([[(xs[0], 0.0)], edge, [(edge[-1, 0], 0.0)]])
    haze = 0.5 * np.asarray(colour) + 0.5 * street.look.sky_low
    skyline = Polygons(layer=1, speed=street.speed)
    skyline.add(flat(z, outline), haze, label)
    return skyline
