"""The camera and the street's layout: where things may stand, and where they land on screen.

A pinhole camera at ``x = 0``, height ``eye_height``, looking down the road, sends a
world point ``(x, y, z)`` to column ``u = center_x + focal * x / z`` and row
``v = horizon + focal * (eye_height - y) / z``: far objects shrink toward the horizon
and the road's edges meet at the vanishing point ``(center_x, horizon)``.

The street is a straight road of a few lanes, kerbs, pavements and facades, in metres
from the camera. The painters read this layout to place their objects.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from fcn_tutorial.datasets.synthetic.dice import Dice
from fcn_tutorial.datasets.synthetic.look import Look, sample_look

__all__ = ["NEAR", "DEPTH", "Camera", "Street", "sample_street"]

NEAR = 1.0  # metres: geometry closer than this is clipped (it would fill the screen)
DEPTH = 130.0  # metres: the street ahead is sampled, and objects are drawn, this far


@dataclasses.dataclass(frozen=True)
class Camera:
    """A pinhole camera at ``x = 0`` looking along ``z``, and the image it makes.

    Attributes:
        height: image height in pixels.
        width: image width in pixels.
        focal: focal length in pixels (wider lenses have smaller ones).
        horizon: image row of the horizon.
        center_x: image column of the vanishing point.
        eye_height: the camera's height above the road, in metres.
    """

    height: int
    width: int
    focal: float
    horizon: float
    center_x: float
    eye_height: float

    def project(self, vertices: np.ndarray, camera_z: float):
        """Screen positions of ``(P, 3)`` world points seen from ``(0, eye_height, camera_z)``.

        Returns:
            u: ``(P,)`` columns, v: ``(P,)`` rows, and depth: ``(P,)`` distances ahead
            of the camera (negative behind it).
        """
        depth = vertices[:, 2] - camera_z
        # Clamping to the near plane clips a ground mark or facade that runs past the
        # camera; a polygon wholly behind it is dropped by the renderer.
        z = np.maximum(depth, NEAR)
        u = self.center_x + self.focal * vertices[:, 0] / z
        v = self.horizon + self.focal * (self.eye_height - vertices[:, 1]) / z
        return u, v, depth


@dataclasses.dataclass(frozen=True)
class Street:
    """One street's camera, layout and look: what every painter reads.

    Attributes:
        camera: the ``Camera``.
        look: the ``Look`` (colours, exposure).
        travel: metres the camera drives over the whole video (0 for a still).
        speed: metres the camera drives per frame.
        sun: ``-1.0`` or ``1.0``, the side the sun lights: faces turned to it are brighter.
        lane_width: metres.
        own_lanes: how many lanes, from the left, go the camera's way.
        lane_lines: ``x`` of the dashed lines between lanes.
        lane_centres: ``x`` of every lane's middle.
        parking: ``[left, right]``, whether that kerb has a row of parked cars.
        road_edge: ``[left, right]`` ``x`` of the kerbs.
        facade: ``[left, right]`` ``x`` of the building fronts.
        dash_length: metres of each lane dash.
        dash_period: metres from one dash to the next.
        dash_phase: where the first dash starts.
        edge_lines: whether white lines run along the kerbs.
        yellow_lines: whether double yellow lines (no parking) run along the left kerb.
    """

    camera: Camera
    look: Look
    travel: float
    speed: float
    sun: float
    lane_width: float
    own_lanes: int
    lane_lines: list
    lane_centres: list
    parking: list
    road_edge: list
    facade: list
    dash_length: float
    dash_period: float
    dash_phase: float
    edge_lines: bool
    yellow_lines: bool

    # Buildings line the whole street; people, poles and trees stop sooner, where they
    # would be a few pixels tall, and cars in between.
    @property
    def length(self) -> float:
        """Metres of street with buildings: all the camera sees while it drives."""
        return self.travel + DEPTH

    @property
    def near_length(self) -> float:
        """Metres of street with people, poles, trees and fences."""
        return self.travel + 0.7 * DEPTH

    @property
    def car_length(self) -> float:
        """Metres of street with cars."""
        return self.travel + 0.9 * DEPTH

    def near_enough(self, z: float, size: float, speed_fraction: float = 0.0) -> bool:
        """Whether details ``size`` metres across at depth ``z`` ever span three pixels.

        The camera drives ``travel`` metres; an object moving at ``speed_fraction`` of its
        speed comes closest at the end. Details that never show are not made at all.
        """
        closest = z + min(0.0, (speed_fraction - 1.0) * self.travel)
        return self.camera.focal * size / max(closest, NEAR) >= 3.0

    def face_light(self, normal_x: float) -> float:
        """Brightness factor of a face whose normal points along ``normal_x``."""
        return 1.0 if normal_x * self.sun > 0 else 0.72


def _sample_camera(dice: Dice, height: int, width: int) -> Camera:
    return Camera(
        height=height,
        width=width,
        focal=width * dice.uniform(0.7, 0.9),
        horizon=height * dice.uniform(0.40, 0.50),
        center_x=width * (0.5 + dice.uniform(-0.1, 0.1)),
        eye_height=dice.uniform(1.25, 1.6),
    )


def _sample_road(dice: Dice) -> dict:
    """The lanes, kerbs, facades and road markings, as ``Street`` fields."""
    lanes = dice.integers(2, 5)
    lane_width = dice.uniform(3.0, 3.6)
    # Traffic keeps left, as in Cambridge where CamVid was filmed.
    own_lanes = lanes if dice.random() < 0.25 else max(1, lanes // 2)
    lane = dice.integers(0, own_lanes)
    left = -(lane + 0.5) * lane_width
    parking = [dice.random() < 0.5, dice.random() < 0.5]
    road_edge = [left - 2.3 * parking[0], left + lanes * lane_width + 2.3 * parking[1]]
    widths = dice.uniform(3.0, 7.0), dice.uniform(3.0, 7.0)
    dash_length, dash_period = dice.uniform(2, 4), dice.uniform(7, 12)
    return {
        "lane_width": lane_width,
        "own_lanes": own_lanes,
        "lane_lines": [left + i * lane_width for i in range(1, lanes)],
        "lane_centres": [left + (i + 0.5) * lane_width for i in range(lanes)],
        "parking": parking,
        "road_edge": road_edge,
        "facade": [road_edge[0] - widths[0], road_edge[1] + widths[1]],
        "dash_length": dash_length,
        "dash_period": dash_period,
        "dash_phase": dice.uniform(0, dash_period),
        "edge_lines": dice.random() < 0.5,
        "yellow_lines": dice.random() < 0.4,
    }


def sample_street(dice: Dice, height: int, width: int, travel: float, speed: float) -> Street:
    """Draw a camera, a road layout and a look, in that order (the order is the data).

    Args:
        dice: the scene's random numbers.
        height: image height in pixels.
        width: image width in pixels.
        travel: metres the camera will drive (0 for a single image).
        speed: metres per frame.

    Returns:
        The ``Street``, with no objects yet: the painters add those.
    """
    camera = _sample_camera(dice, height, width)
    sun = dice.choice([-1.0, 1.0])
    road = _sample_road(dice)
    look = sample_look(dice)
    return Street(camera=camera, look=look, travel=travel, speed=speed, sun=sun, **road)
