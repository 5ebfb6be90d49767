"""Painter of pedestrians: people on both pavements, and now and then one crossing the road.

A person is a handful of sticks (legs, arms), a torso, a head and hair, all facing the
camera, in proportions of their height; one in ten is a child.
"""

from __future__ import annotations

from fcn_tutorial.classes import PEDESTRIAN
from fcn_tutorial.datasets.synthetic.dice import Dice, jitter, shade
from fcn_tutorial.datasets.synthetic.geometry import Polygons, ellipse, flat, stick
from fcn_tutorial.datasets.synthetic.street import Street

__all__ = ["sample_pedestrians"]

_SKINS = [(225, 185, 160), (170, 120, 90), (100, 70, 50)]


def sample_pedestrians(street: Street, dice: Dice, side: int) -> list[Polygons]:
    """People on the pavement on the ``side`` (-1 left, 1 right), at least one near enough."""
    inner = street.road_edge[side > 0] + side * 0.6
    outer = street.facade[side > 0] - side * 0.9
    count = dice.poisson(street.near_length / 16) + 1
    xs = dice.uniform(min(inner, outer), max(inner, outer), count)
    zs = dice.uniform(4, street.near_length, count)
    zs[0] = dice.uniform(10, 35)  # at least one near enough to see, on each side
    if dice.random() < 0.15:  # someone crossing the road
        xs[-1] = dice.uniform(*street.road_edge)
        zs[-1] = dice.uniform(15, 50)
    return [_pedestrian(dice, x, z) for x, z in zip(xs, zs)]


def _pedestrian(dice: Dice, x: float, z: float) -> Polygons:
    """A person standing (or walking) at ``(x, 0, z)``, facing the camera."""
    h = dice.uniform(1.55, 1.9) * (0.65 if dice.random() < 0.1 else 1.0)
    person = Polygons(layer=4)
    skin = jitter(dice, _SKINS[dice.integers(3)])
    top = dice.colour()
    legs = dice.colour(20, 120)
    stride = h * dice.uniform(0.0, 0.12)
    for dx, foot in ((-0.05, -stride), (0.05, stride)):
        hip = x + dx * h
        person.add(stick(z, (hip, 0.5 * h), (hip + foot, 0.02), 0.09 * h), legs, PEDESTRIAN)
    for dx in (-0.15, 0.15):
        swing = h * dice.uniform(-0.08, 0.08)
        arm = ((x + dx * h, 0.8 * h), (x + dx * 1.2 * h + swing, 0.47 * h))
        person.add(stick(z, *arm, 0.06 * h), shade(top, 0.85), PEDESTRIAN)
    shoulders, hips = 0.13 * h, 0.1 * h
    torso = [
        (x - hips, 0.47 * h),
        (x + hips, 0.47 * h),
        (x + shoulders, 0.82 * h),
        (x - shoulders, 0.82 * h),
    ]
    person.add(flat(z, torso), top, PEDESTRIAN)
    person.add(ellipse(z, x, 0.9 * h, 0.055 * h, 0.07 * h, 10), skin, PEDESTRIAN)
    hair = jitter(dice, (40, 30, 25), 0.5)
    person.add(ellipse(z, x, 0.94 * h, 0.058 * h, 0.04 * h, 10), hair, PEDESTRIAN)
    return person
