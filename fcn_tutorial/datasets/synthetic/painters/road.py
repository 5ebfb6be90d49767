"""Painter of the ground (road and pavement): tarmac, kerbs, lane markings, paving joints.

The ground is the one thing that moves with the camera rather than standing in the
street: it is made afresh for every frame, only as far as the camera can see, so an
endless road costs a few dozen polygons. It draws no random numbers: the street's layout
has decided everything already.
"""

from __future__ import annotations

import math

import numpy as np

from fcn_tutorial.classes import PAVEMENT, ROAD
from fcn_tutorial.datasets.synthetic.dice import shade
from fcn_tutorial.datasets.synthetic.geometry import Polygons, freeze, rect_y
from fcn_tutorial.datasets.synthetic.street import Street

__all__ = ["GROUND", "ground_marks"]

GROUND = 2000.0  # metres: the road is drawn this far, so its edges meet at the horizon


def ground_marks(street: Street, camera_z: float) -> Polygons:
    """Kerbs, lane dashes and paving joints within sight of a camera at ``camera_z``.

    Returns:
        One frozen ``Polygons`` on layer 0, drawn before everything else.
    """
    marks = Polygons(layer=0)
    far, start = camera_z + GROUND, camera_z
    left, right = street.road_edge
    marks.add(rect_y(0, left, right, start, far), street.look.road_colour, ROAD)
    for edge, out in ((left, -1), (right, 1)):
        marks.add(rect_y(0, edge, edge + 0.25 * out, start, far), street.look.kerb_colour, PAVEMENT)
    white = (225, 225, 215)
    if street.edge_lines:
        for x in (left + 0.3, right - 0.45):
            marks.add(rect_y(0, x, x + 0.15, start, far), white, ROAD)
    if street.yellow_lines:
        for x in (left + 0.15, left + 0.35):
            marks.add(rect_y(0, x, x + 0.1, start, far), (215, 180, 40), ROAD)
    # Lane dashes: a dozen from the camera on is as far as they are ever visible.
    first = math.floor((start - street.dash_phase) / street.dash_period)
    dashes = street.dash_phase + street.dash_period * np.arange(first, first + 12)
    for x in street.lane_lines:
        for z in dashes:
            marks.add(rect_y(0, x - 0.07, x + 0.07, z, z + street.dash_length), white, ROAD)
    # Paving joints every 2 m for the first 30 m; farther off they would be sub-pixel.
    joints = 2.0 * np.arange(math.ceil(start / 2.0), math.floor((start + 30) / 2.0))
    joint_colour = shade(street.look.pavement_colour, 0.8)
    for edge, out in ((left, -1), (right, 1)):
        outer = street.facade[out > 0]
        for z in joints:
            marks.add(rect_y(0, edge, outer, z, z + 0.06), joint_colour, PAVEMENT)
    return freeze([marks], street.look.lut)[0]
