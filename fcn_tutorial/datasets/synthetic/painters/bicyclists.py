"""Painter of bicyclists: riders ahead along the left kerb, or crossing the road.

CamVid labels the rider and the bicycle as one class, so both are drawn with the same
label. A bicycle seen from the side has ring-shaped wheels: the street shows, and is
labelled, through them.
"""

from __future__ import annotations

from fcn_tutorial.classes import BICYCLIST
from fcn_tutorial.datasets.synthetic.dice import Dice, jitter
from fcn_tutorial.datasets.synthetic.geometry import Polygons, ellipse, flat, rect_z, ring, stick
from fcn_tutorial.datasets.synthetic.street import Street

__all__ = ["sample_bicyclists"]

_TROUSERS, _HELMET, _TYRE = (40, 40, 60), (60, 60, 70), (20, 20, 20)


def sample_bicyclists(street: Street, dice: Dice) -> list[Polygons]:
    """A few bicyclists, usually one of them near; each rides ahead or crosses."""
    riders = []
    count = dice.poisson(street.near_length / 60) + (dice.random() < 0.8)
    for i in range(count):
        z = dice.uniform(10, 40) if i == 0 else dice.uniform(5, street.near_length)
        rider = Polygons(layer=4)
        if dice.random() < 0.5:  # riding ahead along the left kerb, seen from behind
            rider.speed = street.speed * dice.uniform(0.2, 0.4)
            _add_from_behind(dice, rider, street.road_edge[0] + dice.uniform(0.5, 0.8), z)
        else:  # crossing the road, seen from the side
            x = dice.uniform(street.road_edge[0] + 1, street.road_edge[1] - 1)
            _add_from_side(dice, rider, x, max(z, 12.0), dice.choice([-1.0, 1.0]))
        riders.append(rider)
    return riders


def _add_from_side(dice: Dice, rider: Polygons, x, z, facing) -> None:
    """A bicycle and rider side on, heading to ``facing`` (-1 left, 1 right)."""
    frame, coat = jitter(dice, (40, 40, 45), 0.5), dice.colour()
    rear, front = (x - 0.52 * facing, 0.34), (x + 0.52 * facing, 0.34)
    for hub in (rear, front):
        rider.add(ring(z, *hub, 0.34, 0.28), _TYRE, BICYCLIST)
    seat, bars, crank = (x - 0.15 * facing, 0.9), (x + 0.42 * facing, 1.0), (x, 0.3)
    tubes = [(rear, crank), (crank, seat), (seat, bars), (crank, bars), (bars, front)]
    for a, b in tubes + [(seat, rear)]:
        rider.add(stick(z, a, b, 0.05), frame, BICYCLIST)
    shoulder = (x + 0.15 * facing, 1.45)
    rider.add(stick(z, (seat[0], 0.95), (x + 0.1 * facing, 0.2), 0.13), _TROUSERS, BICYCLIST)
    rider.add(stick(z, (seat[0], 0.9), shoulder, 0.3), coat, BICYCLIST)
    rider.add(stick(z, shoulder, bars, 0.09), coat, BICYCLIST)
    rider.add(ellipse(z, x + 0.25 * facing, 1.62, 0.12, 0.13), _HELMET, BICYCLIST)


def _add_from_behind(dice: Dice, rider: Polygons, x, z) -> None:
    """A bicycle and rider seen from behind: a thin wheel, handlebars, back and helmet."""
    coat = dice.colour()
    rider.add(rect_z(z, x - 0.025, x + 0.025, 0.0, 0.7), _TYRE, BICYCLIST)
    rider.add(rect_z(z - 0.3, x - 0.28, x + 0.28, 1.0, 1.04), (40, 40, 45), BICYCLIST)
    for dx in (-0.1, 0.1):
        rider.add(stick(z - 0.1, (x + dx, 0.95), (x + dx * 0.6, 0.3), 0.11), _TROUSERS, BICYCLIST)
    back = [(x - 0.16, 0.9), (x + 0.16, 0.9), (x + 0.22, 1.45), (x - 0.22, 1.45)]
    rider.add(flat(z - 0.1, back), coat, BICYCLIST)
    for dx in (-0.2, 0.2):
        rider.add(stick(z - 0.15, (x + dx, 1.4), (x + dx * 1.3, 1.02), 0.08), coat, BICYCLIST)
    rider.add(ellipse(z - 0.15, x, 1.6, 0.12, 0.13), _HELMET, BICYCLIST)
