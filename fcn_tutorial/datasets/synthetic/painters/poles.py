"""Painter of poles and signs: street lamps, sign posts and traffic lights along the kerbs.

Poles and signs are CamVid's thinnest classes, a few pixels wide at a distance, which is
why they are the hardest to segment and why the FCN's skip layers help them most. A
sign's label covers its plate; its white symbol is image-only detail. A traffic light's
housing is labelled sign, as in CamVid.
"""

from __future__ import annotations

from fcn_tutorial.classes import POLE, SIGN
from fcn_tutorial.datasets.synthetic.dice import Dice, jitter, shade
from fcn_tutorial.datasets.synthetic.geometry import (
    IMAGE_ONLY,
    Polygons,
    ellipse,
    flat,
    rect_z,
    stick,
)
from fcn_tutorial.datasets.synthetic.street import Street

__all__ = ["sample_poles"]

_METALS = [(60, 60, 62), (40, 60, 45), (25, 25, 25), (160, 160, 165)]
_RED, _WHITE, _BLUE = (200, 30, 30), (235, 235, 230), (30, 80, 180)
# Traffic lights, bottom to top: green, amber, red.
_LIGHTS = [(60, 200, 90), (240, 170, 30), (230, 40, 30)]


def sample_poles(street: Street, dice: Dice, side: int) -> list[Polygons]:
    """Poles every 12 to 40 metres along the kerb on the ``side`` (-1 left, 1 right)."""
    poles = []
    x = street.road_edge[side > 0] + side * 0.45
    z = dice.uniform(3, 25)
    while z < street.near_length:
        pole = Polygons(layer=4)
        metal = jitter(dice, _METALS[dice.integers(4)])
        kind = dice.choice(["lamp", "sign", "lights"], p=[0.5, 0.3, 0.2])
        # Both heights are drawn whatever the kind, so the kind does not shift the
        # random numbers every later object gets.
        height = {"lamp": dice.uniform(5, 8), "sign": dice.uniform(2.6, 3.2), "lights": 3.3}
        top, width = height[kind], dice.uniform(0.12, 0.2)
        pole.add(rect_z(z, x - width / 2, x + width / 2, 0, top), metal, POLE)
        if kind == "lamp":
            _add_lamp(dice, pole, x, z, top, width, metal, side)
        if kind == "sign" or (kind == "lamp" and dice.random() < 0.5):
            _add_sign(dice, pole, x, z - 0.05, dice.uniform(2.0, 2.6))
        if kind == "lights":
            _add_traffic_lights(dice, pole, x, z, top)
        poles.append(pole)
        z += dice.uniform(12, 40)
    return poles


def _add_lamp(dice: Dice, pole: Polygons, x, z, top, width, metal, side) -> None:
    """A lamp's arm reaching over the road from the top of the pole, and its head."""
    reach = -side * dice.uniform(0.8, 2.0)
    pole.add(stick(z, (x, top - 0.1), (x + reach, top + 0.2), width * 0.8), metal, POLE)
    pole.add(rect_z(z, x + reach - 0.3, x + reach + 0.3, top, top + 0.25), shade(metal, 0.8), POLE)


def _add_traffic_lights(dice: Dice, pole: Polygons, x, z, top) -> None:
    """A box of three lamps at the top of the pole, one of them lit."""
    box = jitter(dice, (30, 30, 32), 0.2)
    pole.add(rect_z(z - 0.05, x - 0.18, x + 0.18, top - 1.0, top), box, SIGN)
    pole.details(0.2)
    lit = dice.integers(3)
    for i, colour in enumerate(_LIGHTS):
        shown = colour if i == lit else shade(colour, 0.25)
        pole.add(ellipse(z - 0.06, x, top - 0.83 + 0.3 * i, 0.1, 0.1, 8), shown, IMAGE_ONLY)


def _add_sign(dice: Dice, pole: Polygons, x, z, y) -> None:
    """A sign at height ``y``: a red ring, a blue disc, a warning triangle or a plate."""
    size = dice.uniform(0.7, 1.0)
    shape = dice.choice(["round", "blue", "triangle", "plate"])
    if shape == "round":
        pole.add(ellipse(z, x, y, size / 2, size / 2, 14), _RED, SIGN)
        pole.add(ellipse(z - 0.01, x, y, size * 0.38, size * 0.38, 14), _WHITE, IMAGE_ONLY)
    elif shape == "blue":
        pole.add(ellipse(z, x, y, size / 2, size / 2, 14), _BLUE, SIGN)
        pole.add(
            stick(z - 0.01, (x - size / 4, y), (x + size / 4, y), size / 8), _WHITE, IMAGE_ONLY
        )
    elif shape == "triangle":
        corners = [(x - size / 2, y - size / 3), (x + size / 2, y - size / 3), (x, y + size / 2)]
        pole.add(flat(z, corners), _RED, SIGN)
        inner = [(x - size / 3, y - size / 4.5), (x + size / 3, y - size / 4.5), (x, y + size / 3)]
        pole.add(flat(z - 0.01, inner), _WHITE, IMAGE_ONLY)
    else:
        colour = [_BLUE, (20, 110, 60), _WHITE, (120, 60, 30)][dice.integers(4)]
        w, h = size * dice.uniform(0.8, 1.6), size * dice.uniform(0.5, 0.9)
        pole.add(rect_z(z, x - w / 2, x + w / 2, y - h / 2, y + h / 2), colour, SIGN)
