"""Painter of cars: traffic in every lane, and rows of parked cars along the kerbs.

A car, van or bus is two boxes, the body and the cabin on it, whose visible faces make
its silhouette (and its label). Wheels, windows, lights and the number plate are details,
made only for cars that come near enough to show them. Each car casts a dark shadow on
the road, drawn into the image only: CamVid labels a shadow as the road it falls on.
"""

from __future__ import annotations

import dataclasses

from fcn_tutorial.classes import CAR
from fcn_tutorial.datasets.synthetic.dice import Dice, jitter, shade
from fcn_tutorial.datasets.synthetic.geometry import (
    CIRCLES,
    IMAGE_ONLY,
    Polygons,
    rect_x,
    rect_y,
    rect_z,
)
from fcn_tutorial.datasets.synthetic.street import Street

__all__ = ["CAR_COLOURS", "sample_traffic"]

CAR_COLOURS = [
    (225, 225, 225),
    (170, 172, 175),
    (30, 30, 32),
    (35, 45, 90),
    (150, 25, 25),
    (95, 95, 100),
    (30, 70, 45),
    (200, 180, 140),
    (20, 90, 160),
    (240, 200, 40),
]
_TYRE = (25, 25, 25)


@dataclasses.dataclass(frozen=True)
class _CarPlan:
    """Where a car's parts are, in metres: what its details are placed by.

    ``x0 .. x1`` is its width and ``z .. z1`` its length; ``body`` and ``roof`` are the
    heights of the body's top and of the roof; ``near`` and ``far`` are the lengths of
    the bonnet or boot at the end toward the camera and at the other end; ``inset``
    narrows the cabin of a saloon or hatchback.
    """

    kind: str
    x: float
    x0: float
    x1: float
    z: float
    z1: float
    body: float
    roof: float
    near: float
    far: float
    inset: float


def sample_traffic(street: Street, dice: Dice) -> list[Polygons]:
    """Moving cars lane by lane, then parked cars along the kerbs that allow parking."""
    objects = []
    for i, x in enumerate(street.lane_centres):
        objects += _sample_lane(street, dice, x, own=i < street.own_lanes)
    for side in (0, 1):
        if street.parking[side]:
            objects += _sample_parked(street, dice, side)
    return objects


def _sample_lane(street: Street, dice: Dice, x: float, own: bool) -> list[Polygons]:
    """The cars in the lane centred on ``x``: ``own`` if it goes the camera's way."""
    objects = []
    # Cars keep ahead in the camera's lane (or it would drive through them); oncoming
    # cars start farther off, since they approach while the camera drives.
    ahead = abs(x) < 1.0
    z = dice.uniform(10, 25) if ahead else dice.uniform(-5, 20)
    end = street.car_length + (0 if own else 1.2 * street.travel)
    while z < end:
        fraction = dice.uniform(1.0, 1.2) if ahead else dice.uniform(0.5, 1.3)
        fraction = fraction if own else -fraction
        car, z_end = _vehicle(street, dice, x + dice.uniform(-0.3, 0.3), z, own, fraction)
        objects += car
        z = z_end + dice.uniform(8, 45)
    return objects


def _sample_parked(street: Street, dice: Dice, side: int) -> list[Polygons]:
    """A row of parked cars, with gaps, along the kerb on ``side`` (0 left, 1 right)."""
    objects = []
    x = street.road_edge[side] + (1.15 if side == 0 else -1.15)
    z = dice.uniform(-5, 5)
    while z < street.car_length:
        if dice.random() < 0.4:
            z += dice.uniform(5, 25)
        car, z_end = _vehicle(street, dice, x, z, facing_away=dice.random() < 0.7, fraction=0.0)
        objects += car
        z = z_end + dice.uniform(1.0, 4.0)
    return objects


def _vehicle(street: Street, dice: Dice, x, z, facing_away, fraction):
    """A car, van or bus whose near end is at depth ``z``.

    Args:
        street: the street it drives in.
        dice: the scene's random numbers.
        x: its centre line.
        z: depth of its end nearer the camera.
        facing_away: whether the camera sees its back (tail lights) or its front.
        fraction: its speed as a fraction of the camera's (negative for oncoming traffic).

    Returns:
        ``[shadow, car]`` objects, and the depth of its far end.
    """
    kind = dice.choice(["saloon", "hatch", "van", "bus"], p=[0.45, 0.35, 0.15, 0.05])
    # Every kind's sizes are drawn whatever the kind, so the kind does not shift the
    # random numbers every later object gets.
    length, width, body, roof, bonnet, boot = {
        "saloon": (dice.uniform(4.2, 4.8), dice.uniform(1.75, 1.85), 0.95, 1.42, 1.3, 1.0),
        "hatch": (dice.uniform(3.6, 4.1), dice.uniform(1.65, 1.75), 0.95, 1.45, 1.0, 0.3),
        "van": (dice.uniform(4.8, 5.5), dice.uniform(1.9, 2.0), 1.15, 2.2, 0.9, 0.0),
        "bus": (dice.uniform(10, 12), 2.5, 1.3, dice.uniform(3.0, 4.2), 0.0, 0.0),
    }[kind]
    near, far = (boot, bonnet) if facing_away else (bonnet, boot)
    paint = CAR_COLOURS[dice.integers(len(CAR_COLOURS))]
    paint = jitter(dice, paint if dice.random() < 0.7 else dice.colour(30, 230), 0.08)
    inset = 0.12 if kind in ("saloon", "hatch") else 0.0
    plan = _CarPlan(
        kind, x, x - width / 2, x + width / 2, z, z + length, body, roof, near, far, inset
    )
    car = Polygons(layer=4, speed=fraction * street.speed)
    shadow = Polygons(layer=1, speed=fraction * street.speed)
    shadow.add(
        rect_y(0.01, plan.x0 - 0.1, plan.x1 + 0.1, z - 0.1, plan.z1 + 0.3),
        shade(street.look.road_colour, 0.4),
        IMAGE_ONLY,
    )
    # The cabin sits on the body between bonnet and boot; together they are the
    # silhouette, and everything after details() only shows from near enough.
    _add_box(street, car, (plan.x0, plan.x1, 0.3, body, z, plan.z1), paint)
    _add_box(street, car, _cabin(plan), paint)
    if street.near_enough(z, 0.3, fraction):
        car.details(0.3)
        _add_wheels(car, plan)
        _add_glass_and_lights(dice, car, plan, facing_away)
    return [shadow, car], plan.z1


def _cabin(plan: _CarPlan) -> tuple:
    """The cabin's box ``(x0, x1, y0, y1, z0, z1)``, on the body between bonnet and boot."""
    return (
        plan.x0 + plan.inset,
        plan.x1 - plan.inset,
        plan.body,
        plan.roof,
        plan.z + plan.near,
        plan.z1 - plan.far,
    )


def _side_x(plan: _CarPlan):
    """``x`` of the car's side that faces the camera, or None when it is straight ahead."""
    return plan.x1 if plan.x1 < 0 else plan.x0 if plan.x0 > 0 else None


def _add_box(street: Street, car: Polygons, box, colour) -> None:
    """The faces of an axis-aligned box that the camera sees, in an order that works."""
    x0, x1, y0, y1, z0, z1 = box
    if x1 < 0:  # left of the camera: its right side shows
        car.add(rect_x(x1, y0, y1, z0, z1), shade(colour, street.face_light(1)), CAR)
    elif x0 > 0:
        car.add(rect_x(x0, y0, y1, z0, z1), shade(colour, street.face_light(-1)), CAR)
    if y1 < street.camera.eye_height:  # below eye level: its top shows
        car.add(rect_y(y1, x0, x1, z0, z1), shade(colour, 1.1), CAR)
    car.add(rect_z(z0, x0, x1, y0, y1), shade(colour, 0.85), CAR)


def _add_wheels(car: Polygons, plan: _CarPlan) -> None:
    """The bumper and tyres seen end-on, and the wheels on the side facing the camera."""
    x0, x1, z, z1 = plan.x0, plan.x1, plan.z, plan.z1
    car.add(rect_z(z, x0 + 0.1, x1 - 0.1, 0.12, 0.3), (35, 35, 38), CAR)
    for tx in (x0 + 0.05, x1 - 0.3):
        car.add(rect_z(z, tx, tx + 0.25, 0.0, 0.3), _TYRE, CAR)
    side_x = _side_x(plan)
    if side_x is not None:
        for wz in (z + 0.85, z1 - 0.85) if plan.kind != "bus" else (z + 1.5, z1 - 2.5):
            wheel = [(side_x, 0.33 + 0.33 * s, wz + 0.33 * c) for c, s in CIRCLES[10]]
            car.add(wheel, _TYRE, CAR)


def _add_glass_and_lights(dice: Dice, car: Polygons, plan: _CarPlan, facing_away: bool) -> None:
    """Windscreen, side windows, head or tail lights and the number plate (image only)."""
    x, x0, x1, z, z1 = plan.x, plan.x0, plan.x1, plan.z, plan.z1
    body, roof, near, far = plan.body, plan.roof, plan.near, plan.far
    glass = jitter(dice, (45, 55, 70), 0.2)
    cz = z + near - 0.01
    if plan.kind == "bus":
        car.add(rect_z(cz, x0 + 0.15, x1 - 0.15, roof - 1.2, roof - 0.3), glass, IMAGE_ONLY)
    else:
        cabin = _cabin(plan)
        car.add(
            rect_z(cz, cabin[0] + 0.1, cabin[1] - 0.1, body + 0.08, roof - 0.07), glass, IMAGE_ONLY
        )
    side_x = _side_x(plan)
    if side_x is not None:
        car.add(
            rect_x(side_x, body + 0.08, roof - 0.08, z + near + 0.2, z1 - far - 0.2),
            glass,
            IMAGE_ONLY,
        )
    light = (200, 30, 30) if facing_away else (235, 235, 215)
    for lx in (x0 + 0.08, x1 - 0.38):
        car.add(rect_z(z - 0.01, lx, lx + 0.3, body - 0.25, body - 0.1), light, IMAGE_ONLY)
    car.add(rect_z(z - 0.01, x - 0.26, x + 0.26, 0.42, 0.54), (230, 220, 120), IMAGE_ONLY)
