"""Painter of trees: street trees along the kerb and a few by the facades, leafy or bare.

A leafy crown is five overlapping ellipses in slightly different greens; a bare winter
tree is a fan of sticks. Both are labelled tree to the last twig, as CamVid's are.
"""

from __future__ import annotations

import math

import numpy as np

from fcn_tutorial.classes import TREE
from fcn_tutorial.datasets.synthetic.dice import Dice, jitter, shade
from fcn_tutorial.datasets.synthetic.geometry import Polygons, ellipse, rect_z, stick
from fcn_tutorial.datasets.synthetic.street import Street

__all__ = ["sample_trees"]


def sample_trees(street: Street, dice: Dice, side: int) -> list[Polygons]:
    """The trees on the ``side`` (-1 left, 1 right) of the street."""
    trees = []
    for x, z in _tree_spots(street, dice, side):
        tree = Polygons(layer=4)
        trunk, bark = dice.uniform(1.8, 3.5), jitter(dice, (80, 65, 50), 0.2)
        width = dice.uniform(0.25, 0.45)
        tree.add(rect_z(z, x - width / 2, x + width / 2, 0, trunk + 0.5), bark, TREE)
        if dice.random() < 0.3:  # a bare winter tree: branches, no leaves
            _add_branches(dice, tree, x, z, trunk, width, bark)
        else:
            _add_crown(dice, tree, x, z, trunk)
        trees.append(tree)
    return trees


def _tree_spots(street: Street, dice: Dice, side: int) -> list[tuple[float, float]]:
    """``(x, z)`` of every tree: maybe a row along the kerb, then a few by the facades."""
    edge = street.road_edge[side > 0]
    spots = []
    if dice.random() < 0.6:  # a row of street trees along the kerb
        spacing = dice.uniform(7, 18)
        z = np.arange(dice.uniform(0, spacing), street.near_length, spacing)
        spots += [(edge + side * dice.uniform(0.9, 1.6), zi + dice.uniform(-2, 2)) for zi in z]
    for zi in dice.uniform(0, street.near_length, dice.poisson(street.near_length / 40)):
        spots.append((street.facade[side > 0] - side * dice.uniform(0.8, 1.5), zi))
    return spots


def _add_branches(dice: Dice, tree: Polygons, x, z, trunk, width, bark) -> None:
    """Five to eight boughs from the top of the trunk, each ending in two twigs."""
    twigs = []
    for _ in range(dice.integers(5, 9)):
        angle = dice.uniform(0.3, 2.8)
        reach = dice.uniform(1.5, 3.5)
        start = (x, trunk * dice.uniform(0.7, 1.1))
        end = (x + reach * math.cos(angle), start[1] + reach * math.sin(angle) + 1)
        tree.add(stick(z, start, end, width * 0.5), bark, TREE)
        twigs.append(end)
    tree.details(0.3)
    for end in twigs:
        for _ in range(2):
            twig = (end[0] + dice.uniform(-1.2, 1.2), end[1] + dice.uniform(0.5, 1.5))
            tree.add(stick(z, end, twig, width * 0.25), bark, TREE)


def _add_crown(dice: Dice, tree: Polygons, x, z, trunk) -> None:
    """A crown of leaves: five ellipses, darker at the back, around the trunk's top."""
    radius = dice.uniform(1.5, 3.2)
    leaves = jitter(dice, (55, 95, 45), 0.25)
    for i in range(5):
        cx = x + radius * dice.uniform(-0.5, 0.5)
        cy = trunk + radius * (0.8 + dice.uniform(-0.3, 0.4))
        r = radius * dice.uniform(0.5, 0.8)
        tone = shade(leaves, 0.75 + 0.1 * i)
        tree.add(ellipse(z, cx, cy, r * dice.uniform(0.9, 1.2), r), tone, TREE)
