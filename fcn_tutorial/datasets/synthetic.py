"""Procedural driving scenes to segment offline, with exact per-pixel labels.

The tutorial's default dataset is drawn, not downloaded: ``synthetic_driving`` renders
street scenes in CamVid's 11 classes (the SegNet version) with their per-pixel labels, so
every notebook runs without a network connection. Real CamVid uses the same class indices
and ``PALETTE``, so a model trained here can be pointed at the real thing unchanged.

How a scene is made (one model serves both generators):

1. A *scene* is a list of objects in world coordinates, in metres: ``x`` to the right,
   ``y`` up, ``z`` forward along the road. Each object is a few flat polygons, each with
   a colour and a class.
2. A pinhole camera at ``x = 0``, height ``camera_height``, looking down the road, sends
   a point to column ``u = center_x + focal * x / z`` and row
   ``v = horizon + focal * (camera_height - y) / z``: far objects shrink toward the
   horizon and the road's edges meet at the vanishing point ``(center_x, horizon)``.
3. Objects are drawn far to near (the painter's algorithm) into an RGB image and a label
   image at once, so a nearer object hides a farther one in both.
4. Random colours, exposure, texture and noise change the image only, so a network has to
   learn shapes and layout rather than look colours up.

``synthetic_driving`` samples a new scene for every image; ``synthetic_drive`` renders one
scene from a camera that moves forward, which gives a coherent video.

Introduced with the segmentation data, before the first FCN is trained.
"""

from __future__ import annotations

import functools
import math
import time

import numpy as np
from PIL import Image, ImageDraw

from fcn_tutorial.classes import (
    BICYCLIST,
    BUILDING,
    CAR,
    FENCE,
    PAVEMENT,
    PEDESTRIAN,
    POLE,
    ROAD,
    SIGN,
    SKY,
    TREE,
    VOID,
)

__all__ = ["synthetic_driving", "synthetic_drive", "benchmark_synthetic"]

# --------------------------------------------------------------------------------------
# The scene model: objects made of world-space polygons
# --------------------------------------------------------------------------------------

_NEAR = 1.0  # metres: geometry closer than this is clipped (it would fill the screen)
_DEPTH = 130.0  # metres: the street ahead is sampled, and objects are drawn, this far
_GROUND = 2000.0  # metres: the road is drawn this far, so its edges meet at the horizon
# Label of a polygon drawn into the image but not the mask: a shadow, or a detail (a
# window, a tail light) inside an outline whose label is drawn already.
_IMAGE_ONLY = -1

# Texture strength per label (void last), as fractions of the brightness: fine grain
# (pixel noise; leaves are the grainiest) and slow blotches (stains, shade).
_GRAIN = np.array([1, 6, 4, 9, 8, 22, 2, 7, 3, 5, 5, 3], dtype=np.float32) / 100
_BLOTCH = np.array([0, 10, 5, 7, 8, 30, 5, 10, 5, 5, 5, 5], dtype=np.float32) / 100
_THINGS = np.zeros(12, dtype=bool)
_THINGS[[CAR, PEDESTRIAN, BICYCLIST]] = True

_CAR_COLOURS = [
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
_FACADE_COLOURS = [
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


class _Object:
    """One thing in the street: polygons in world coordinates, drawn in the order added.

    ``layer`` orders the drawing coarsely: 0 road and kerbs, 1 shadows and the distant
    skyline, 2 buildings, 3 fences, 4 everything else; within a layer, far before near.
    ``speed`` is how far the object moves along ``z`` per frame, for ``synthetic_drive``.
    """

    def __init__(self, layer: int, speed: float = 0.0):
        self.layer = layer
        self.speed = speed
        # Coordinates go into one flat list and become an array once, in freeze():
        # scenes hold about a thousand polygons, too many for an array each.
        self.coordinates: list[float] = []
        self.sizes: list[int] = []
        self.colours: list[tuple[int, int, int]] = []
        self.labels: list[int] = []
        self.coarse, self.detail_size = None, 0.0

    def details(self, size: float) -> None:
        """Mark the polygons added from now on as details about ``size`` metres across.

        The renderer skips them where they would be under three pixels, which saves most
        of the drawing time in a deep street.
        """
        self.coarse, self.detail_size = len(self.sizes), size

    def add(self, vertices, colour, label: int) -> None:
        """Append one polygon: ``(x, y, z)`` points, an RGB colour and a label."""
        if isinstance(vertices, np.ndarray):
            self.coordinates += vertices.ravel().tolist()
        else:
            self.coordinates += [c for point in vertices for c in point]
        self.sizes.append(len(vertices))
        self.colours.append(colour)
        self.labels.append(label)

    def add_many(self, polygons: np.ndarray, colours: np.ndarray, label: int) -> None:
        """Append ``(K, N, 3)`` polygons of ``N`` points each, with ``(K, 3)`` colours."""
        count, sides = polygons.shape[:2]
        self.coordinates += polygons.ravel().tolist()
        self.sizes += [sides] * count
        self.colours += np.broadcast_to(colours, (count, 3)).tolist()
        self.labels += [label] * count

    @staticmethod
    def freeze(objects: list[_Object], lut: np.ndarray) -> list[_Object]:
        """Turn every object's polygons into arrays, colours through the ``(256, 3)`` ``lut``.

        All objects at once: a few large NumPy calls cost less than many small ones.
        """
        objects = [obj for obj in objects if obj.sizes]
        vertices = np.array([c for obj in objects for c in obj.coordinates]).reshape(-1, 3)
        colours = np.array([c for obj in objects for c in obj.colours], dtype=np.float64)
        colours = lut[np.clip(colours, 0, 255).astype(np.intp), np.arange(3)]
        colours = [tuple(rgb) for rgb in colours.tolist()]
        points = np.cumsum([0] + [len(obj.coordinates) // 3 for obj in objects])
        z_min = np.minimum.reduceat(vertices[:, 2], points[:-1]).tolist()
        z_max = np.maximum.reduceat(vertices[:, 2], points[:-1]).tolist()
        polygon = 0
        for i, obj in enumerate(objects):
            obj.vertices = vertices[points[i] : points[i + 1]]
            obj.colours = colours[polygon : polygon + len(obj.sizes)]
            polygon += len(obj.sizes)
            obj.z_min, obj.z_max = z_min[i], z_max[i]
            if obj.coarse is None:
                obj.coarse = len(obj.sizes)
            obj.coarse_vertices = sum(obj.sizes[: obj.coarse])
        return objects


def _rect_x(x, y0, y1, z0, z1):
    """Rectangle in the plane ``x = const`` (a facade or the side of a car)."""
    return [(x, y0, z0), (x, y1, z0), (x, y1, z1), (x, y0, z1)]


def _rect_y(y, x0, x1, z0, z1):
    """Rectangle in the plane ``y = const`` (ground marks, roofs)."""
    return [(x0, y, z0), (x1, y, z0), (x1, y, z1), (x0, y, z1)]


def _rect_z(z, x0, x1, y0, y1):
    """Rectangle facing the camera, in the plane ``z = const``."""
    return [(x0, y0, z), (x1, y0, z), (x1, y1, z), (x0, y1, z)]


def _flat(z, points):
    """A polygon given as ``(x, y)`` points, facing the camera at depth ``z``."""
    if isinstance(points, np.ndarray):
        points = points.tolist()
    return [(x, y, z) for x, y in points]


_CIRCLES = {
    sides: [(math.cos(a), math.sin(a)) for a in np.linspace(0, 2 * np.pi, sides, endpoint=False)]
    for sides in (8, 10, 12, 14, 16)
}


def _ellipse(z, x, y, rx, ry, sides=12):
    return [(x + rx * c, y + ry * s, z) for c, s in _CIRCLES[sides]]


def _ring(z, x, y, r_out, r_in, sides=16):
    # One polygon: around the outside, then back around the inside; the even-odd fill
    # leaves the hole empty, so a wheel shows the street through its spokes.
    circle = _CIRCLES[sides] + _CIRCLES[sides][:1]
    outer = [(x + r_out * c, y + r_out * s, z) for c, s in circle]
    inner = [(x + r_in * c, y + r_in * s, z) for c, s in reversed(circle)]
    return outer + inner


def _stick(z, p0, p1, width):
    """A limb or a bar: a quad of ``width`` from ``p0`` to ``p1``, facing the camera."""
    (x0, y0), (x1, y1) = p0, p1
    length = math.hypot(x1 - x0, y1 - y0) or 1.0
    nx, ny = -(y1 - y0) / length * width / 2, (x1 - x0) / length * width / 2
    return [
        (x0 + nx, y0 + ny, z),
        (x1 + nx, y1 + ny, z),
        (x1 - nx, y1 - ny, z),
        (x0 - nx, y0 - ny, z),
    ]


class _Dice:
    """A NumPy generator that hands out plain Python numbers, fetched in blocks.

    A scene takes a few thousand random draws one at a time; asking NumPy for each
    would cost more than drawing the picture, and Python floats keep the geometry
    arithmetic fast. Sized draws go straight to the generator.
    """

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self._block: list[float] = []

    def random(self) -> float:
        if not self._block:
            self._block = self.rng.random(256).tolist()
        return self._block.pop()

    def uniform(self, low=0.0, high=1.0, size=None):
        if size is not None:
            return self.rng.uniform(low, high, size)
        return low + (high - low) * self.random()

    def integers(self, low, high=None) -> int:
        low, high = (0, low) if high is None else (low, high)
        return low + int(self.random() * (high - low))

    def choice(self, options, p=None):
        if p is None:
            return options[self.integers(len(options))]
        draw = self.random() * sum(p)
        for option, weight in zip(options, p):
            draw -= weight
            if draw < 0:
                return option
        return options[-1]

    def colour(self, low=20.0, high=230.0) -> tuple[float, float, float]:
        return (self.uniform(low, high), self.uniform(low, high), self.uniform(low, high))

    def poisson(self, lam: float) -> int:
        return int(self.rng.poisson(lam))

    def standard_normal(self, size):
        return self.rng.standard_normal(size)


def _jitter(dice: _Dice, colour, amount=0.1):
    r, g, b = colour
    low, high = 1 - amount, 1 + amount
    return (r * dice.uniform(low, high), g * dice.uniform(low, high), b * dice.uniform(low, high))


def _shade(colour, factor):
    r, g, b = colour
    return (r * factor, g * factor, b * factor)


class _Scene:
    """Camera, road layout, look and objects of one street."""

    def __init__(self, rng: np.random.Generator, height, width, travel, speed):
        rng = _Dice(rng)
        self.height, self.width = height, width
        self.focal = width * rng.uniform(0.7, 0.9)
        self.horizon = height * rng.uniform(0.40, 0.50)
        self.center_x = width * (0.5 + rng.uniform(-0.1, 0.1))
        self.camera_height = rng.uniform(1.25, 1.6)
        # Buildings line the whole street; people, poles and trees stop sooner, where
        # they would be a few pixels tall, and cars in between.
        self.length = travel + _DEPTH
        self.speed = speed
        self.near_length = travel + 0.7 * _DEPTH
        self.car_length = travel + 0.9 * _DEPTH
        self.travel = travel
        # Which side the sun lights: faces turned to it are brighter.
        self.sun = rng.choice([-1.0, 1.0])
        self.objects: list[_Object] = []
        self._sample_road(rng)
        self._sample_look(rng)
        for side in (-1, 1):
            self._sample_buildings(rng, side)
            self._sample_fences(rng, side)
            self._sample_trees(rng, side)
            self._sample_poles(rng, side)
            self._sample_pedestrians(rng, side)
        self._sample_skyline(rng)
        self._sample_traffic(rng)
        self._sample_bicyclists(rng)
        self.objects = _Object.freeze(self.objects, self.lut)

    # -- layout ------------------------------------------------------------------------

    def _sample_road(self, rng):
        lanes = rng.integers(2, 5)
        self.lane_width = rng.uniform(3.0, 3.6)
        # Traffic keeps left, as in Cambridge where CamVid was filmed.
        self.own_lanes = lanes if rng.random() < 0.25 else max(1, lanes // 2)
        lane = rng.integers(0, self.own_lanes)
        left = -(lane + 0.5) * self.lane_width
        self.lane_lines = [left + i * self.lane_width for i in range(1, lanes)]
        self.lane_centres = [left + (i + 0.5) * self.lane_width for i in range(lanes)]
        self.parking = [rng.random() < 0.5, rng.random() < 0.5]
        self.road_edge = [
            left - 2.3 * self.parking[0],
            left + lanes * self.lane_width + 2.3 * self.parking[1],
        ]
        widths = rng.uniform(3.0, 7.0), rng.uniform(3.0, 7.0)
        self.facade = [self.road_edge[0] - widths[0], self.road_edge[1] + widths[1]]
        self.dash_length, self.dash_period = rng.uniform(2, 4), rng.uniform(7, 12)
        self.dash_phase = rng.uniform(0, self.dash_period)
        self.edge_lines = rng.random() < 0.5
        self.yellow_lines = rng.random() < 0.4

    def _sample_look(self, rng):
        grey = rng.uniform(60, 115)
        self.road_colour = _jitter(rng, (grey, grey, grey * 1.03), 0.05)
        paving = rng.uniform(110, 170)
        self.pavement_colour = _jitter(rng, (paving, paving * 0.97, paving * 0.92), 0.08)
        self.kerb_colour = _shade(self.pavement_colour, 1.2)
        overcast = rng.uniform(0, 1)
        blue_top, grey_top = np.array([60, 120, 200]), np.array([150, 155, 165])
        blue_low, grey_low = np.array([185, 210, 235]), np.array([210, 212, 215])
        self.sky_top = blue_top + overcast * (grey_top - blue_top)
        self.sky_low = blue_low + overcast * (grey_low - blue_low)
        self.cloudiness = rng.uniform(0.2, 1.0) * (1.0 - 0.6 * overcast)
        # Exposure, white balance and contrast act on every colour through one table,
        # applied to the polygons' colours rather than to millions of pixels.
        brightness, gamma = rng.uniform(0.55, 1.2), rng.uniform(0.8, 1.25)
        tint = np.array([rng.uniform(0.92, 1.08) for _ in range(3)])
        levels = (np.arange(256)[:, None] / 255.0) ** gamma * brightness * tint
        self.lut = np.clip(255.0 * levels + 0.5, 0, 255).astype(np.uint8)
        self.bonnet = rng.uniform(0.02, 0.05) if rng.random() < 0.5 else 0.0
        # Slow random fields, drawn small and enlarged: shading blotches and clouds.
        # Fixed grid sizes make a scene look the same at every resolution.
        self.blotch_seed = rng.standard_normal((16, 20))
        self.cloud_seed = rng.standard_normal((24, 7))

    def near_enough(self, z: float, size: float, speed_fraction: float = 0.0) -> bool:
        """Whether details ``size`` metres across at depth ``z`` ever span three pixels.

        The camera drives ``travel`` metres; an object moving at ``speed_fraction`` of its
        speed comes closest at the end. Details that never show are not made at all.
        """
        closest = z + min(0.0, (speed_fraction - 1.0) * self.travel)
        return self.focal * size / max(closest, _NEAR) >= 3.0

    def _face_light(self, normal_x):
        return 1.0 if normal_x * self.sun > 0 else 0.72

    # -- static objects ----------------------------------------------------------------

    def _sample_buildings(self, rng, side):
        z = rng.uniform(-30, 0)
        while z < self.length:
            length = rng.uniform(8, 30)
            if rng.random() < 0.15:  # a gap between houses shows sky or trees
                z += length * 0.6
                continue
            height = rng.uniform(6, 25)
            x_in = self.facade[side > 0] + side * rng.uniform(0, 1.5) * (rng.random() < 0.3)
            x_out = x_in + side * rng.uniform(8, 15)
            colour = _jitter(rng, _FACADE_COLOURS[rng.integers(len(_FACADE_COLOURS))])
            wall = _shade(colour, self._face_light(-side))
            building = _Object(layer=2)
            building.add(_rect_z(z, x_in, x_out, 0, height), _shade(colour, 0.85), BUILDING)
            building.add(_rect_x(x_in, 0, height, z, z + length), wall, BUILDING)
            building.add(
                _rect_x(x_in, height - 0.5, height, z, z + length), _shade(wall, 0.8), _IMAGE_ONLY
            )
            building.details(1.0)
            # Windows in a grid, made all at once: floors x columns quads.
            floor, column = rng.uniform(2.8, 3.6), rng.uniform(2.2, 4.0)
            if rng.random() < 0.35:  # an office block: one band of glass per floor
                column = length - 1.0
            rows = np.arange(1, int((height - 1.0) // floor))
            cols = np.arange(int((length - 1.0) // column))
            if len(rows) and len(cols):
                tall = rng.uniform(1.1, 1.8)
                wide = column * (rng.uniform(0.35, 0.65) if len(cols) > 1 else 0.95)
                r, c = np.meshgrid(rows, cols, indexing="ij")
                y0 = (r * floor + 0.9).ravel()
                z0 = (z + 0.5 + (column - wide) / 2 + c * column).ravel()
                quads = np.empty((len(y0), 4, 3))
                quads[..., 0] = x_in
                quads[..., 1] = np.column_stack([y0, y0 + tall, y0 + tall, y0])
                quads[..., 2] = np.column_stack([z0, z0, z0 + wide, z0 + wide])
                glass = rng.uniform(35, 90) * np.array([0.9, 1.0, 1.15])
                glass = glass * rng.uniform(0.7, 1.5, (len(quads), 1))
                building.add_many(quads, glass, _IMAGE_ONLY)
            if rng.random() < 0.5:  # a shop front on the ground floor
                building.add(
                    _rect_x(x_in, 0.3, 2.6, z + 0.5, z + length - 0.5),
                    _jitter(rng, (50, 55, 65), 0.3),
                    _IMAGE_ONLY,
                )
            self.objects.append(building)
            z += length

    def _sample_skyline(self, rng):
        # The far end of the street: a hazy silhouette of distant houses or trees, just
        # beyond the last objects drawn; it keeps its distance as the camera drives.
        z = _DEPTH + 20
        xs = np.arange(self.facade[0] - 60, self.facade[1] + 60, rng.uniform(6, 14))
        if rng.random() < 0.7:
            tops = np.repeat(rng.uniform(6, 30, len(xs)), 2)
            edge = np.column_stack([np.repeat(xs, 2)[1:], tops[:-1]])
            label, colour = BUILDING, _jitter(rng, (150, 140, 135), 0.15)
        else:
            edge = np.column_stack([xs, rng.uniform(8, 16, len(xs))])
            label, colour = TREE, _jitter(rng, (70, 90, 60), 0.15)
        outline = np.concatenate([[(xs[0], 0.0)], edge, [(edge[-1, 0], 0.0)]])
        haze = 0.5 * np.asarray(colour) + 0.5 * self.sky_low
        skyline = _Object(layer=1, speed=self.speed)
        skyline.add(_flat(z, outline), haze, label)
        self.objects.append(skyline)

    def _sample_fences(self, rng, side):
        if rng.random() < 0.35:
            return
        x = self.facade[side > 0] - side * 0.4
        for z in rng.uniform(-10, self.near_length, rng.poisson(self.near_length / 60) + 1):
            length, height = rng.uniform(5, 40), rng.uniform(0.9, 1.8)
            colour = _jitter(
                rng, [(110, 80, 55), (60, 80, 60), (40, 40, 45), (150, 150, 150)][rng.integers(4)]
            )
            fence = _Object(layer=3)
            posts = np.arange(z, z + length, rng.uniform(1.2, 2.5))
            if rng.random() < 0.5:  # a solid panel fence
                fence.add(_rect_x(x, 0, height, z, z + length), colour, FENCE)
                post_colour = _shade(colour, 0.6)
            else:  # railings: the pavement shows between the rails
                for y in (0.15, height - 0.1):
                    fence.add(_rect_x(x, y - 0.06, y + 0.06, z, z + length), colour, FENCE)
                post_colour = colour
            fence.details(0.12)
            for p in posts:
                fence.add(_rect_x(x, 0, height + 0.05, p, p + 0.12), post_colour, FENCE)
            self.objects.append(fence)

    def _sample_trees(self, rng, side):
        edge = self.road_edge[side > 0]
        spots = []
        if rng.random() < 0.6:  # a row of street trees along the kerb
            spacing = rng.uniform(7, 18)
            z = np.arange(rng.uniform(0, spacing), self.near_length, spacing)
            spots += [(edge + side * rng.uniform(0.9, 1.6), zi + rng.uniform(-2, 2)) for zi in z]
        for zi in rng.uniform(0, self.near_length, rng.poisson(self.near_length / 40)):
            spots.append((self.facade[side > 0] - side * rng.uniform(0.8, 1.5), zi))
        for x, z in spots:
            tree = _Object(layer=4)
            trunk, bark = rng.uniform(1.8, 3.5), _jitter(rng, (80, 65, 50), 0.2)
            width = rng.uniform(0.25, 0.45)
            tree.add(_rect_z(z, x - width / 2, x + width / 2, 0, trunk + 0.5), bark, TREE)
            if rng.random() < 0.3:  # a bare winter tree: branches, no leaves
                twigs = []
                for _ in range(rng.integers(5, 9)):
                    angle = rng.uniform(0.3, 2.8)
                    reach = rng.uniform(1.5, 3.5)
                    start = (x, trunk * rng.uniform(0.7, 1.1))
                    end = (x + reach * math.cos(angle), start[1] + reach * math.sin(angle) + 1)
                    tree.add(_stick(z, start, end, width * 0.5), bark, TREE)
                    twigs.append(end)
                tree.details(0.3)
                for end in twigs:
                    for _ in range(2):
                        twig = (end[0] + rng.uniform(-1.2, 1.2), end[1] + rng.uniform(0.5, 1.5))
                        tree.add(_stick(z, end, twig, width * 0.25), bark, TREE)
            else:
                radius = rng.uniform(1.5, 3.2)
                leaves = _jitter(rng, (55, 95, 45), 0.25)
                for i in range(5):
                    cx = x + radius * rng.uniform(-0.5, 0.5)
                    cy = trunk + radius * (0.8 + rng.uniform(-0.3, 0.4))
                    r = radius * rng.uniform(0.5, 0.8)
                    tone = _shade(leaves, 0.75 + 0.1 * i)
                    tree.add(_ellipse(z, cx, cy, r * rng.uniform(0.9, 1.2), r), tone, TREE)
            self.objects.append(tree)

    def _sample_poles(self, rng, side):
        x = self.road_edge[side > 0] + side * 0.45
        z = rng.uniform(3, 25)
        while z < self.near_length:
            pole = _Object(layer=4)
            metal = _jitter(
                rng, [(60, 60, 62), (40, 60, 45), (25, 25, 25), (160, 160, 165)][rng.integers(4)]
            )
            kind = rng.choice(["lamp", "sign", "lights"], p=[0.5, 0.3, 0.2])
            height = {"lamp": rng.uniform(5, 8), "sign": rng.uniform(2.6, 3.2), "lights": 3.3}
            top, width = height[kind], rng.uniform(0.12, 0.2)
            pole.add(_rect_z(z, x - width / 2, x + width / 2, 0, top), metal, POLE)
            if kind == "lamp":
                reach = -side * rng.uniform(0.8, 2.0)
                pole.add(
                    _stick(z, (x, top - 0.1), (x + reach, top + 0.2), width * 0.8), metal, POLE
                )
                pole.add(
                    _rect_z(z, x + reach - 0.3, x + reach + 0.3, top, top + 0.25),
                    _shade(metal, 0.8),
                    POLE,
                )
            if kind == "sign" or (kind == "lamp" and rng.random() < 0.5):
                self._add_sign(rng, pole, x, z - 0.05, rng.uniform(2.0, 2.6))
            if kind == "lights":
                box = _jitter(rng, (30, 30, 32), 0.2)
                pole.add(_rect_z(z - 0.05, x - 0.18, x + 0.18, top - 1.0, top), box, SIGN)
                pole.details(0.2)
                lit = rng.integers(3)
                for i, colour in enumerate([(60, 200, 90), (240, 170, 30), (230, 40, 30)]):
                    shown = colour if i == lit else _shade(colour, 0.25)
                    pole.add(
                        _ellipse(z - 0.06, x, top - 0.83 + 0.3 * i, 0.1, 0.1, 8), shown, _IMAGE_ONLY
                    )
            self.objects.append(pole)
            z += rng.uniform(12, 40)

    def _add_sign(self, rng, pole, x, z, y):
        size = rng.uniform(0.7, 1.0)
        shape = rng.choice(["round", "blue", "triangle", "plate"])
        red, white = (200, 30, 30), (235, 235, 230)
        if shape == "round":
            pole.add(_ellipse(z, x, y, size / 2, size / 2, 14), red, SIGN)
            pole.add(_ellipse(z - 0.01, x, y, size * 0.38, size * 0.38, 14), white, _IMAGE_ONLY)
        elif shape == "blue":
            pole.add(_ellipse(z, x, y, size / 2, size / 2, 14), (30, 80, 180), SIGN)
            pole.add(
                _stick(z - 0.01, (x - size / 4, y), (x + size / 4, y), size / 8), white, _IMAGE_ONLY
            )
        elif shape == "triangle":
            corners = [
                (x - size / 2, y - size / 3),
                (x + size / 2, y - size / 3),
                (x, y + size / 2),
            ]
            pole.add(_flat(z, corners), red, SIGN)
            inner = [
                (x - size / 3, y - size / 4.5),
                (x + size / 3, y - size / 4.5),
                (x, y + size / 3),
            ]
            pole.add(_flat(z - 0.01, inner), white, _IMAGE_ONLY)
        else:
            colour = [(30, 80, 180), (20, 110, 60), white, (120, 60, 30)][rng.integers(4)]
            w, h = size * rng.uniform(0.8, 1.6), size * rng.uniform(0.5, 0.9)
            pole.add(_rect_z(z, x - w / 2, x + w / 2, y - h / 2, y + h / 2), colour, SIGN)

    def _sample_pedestrians(self, rng, side):
        inner, outer = self.road_edge[side > 0] + side * 0.6, self.facade[side > 0] - side * 0.9
        count = rng.poisson(self.near_length / 16) + 1
        xs = rng.uniform(min(inner, outer), max(inner, outer), count)
        zs = rng.uniform(4, self.near_length, count)
        zs[0] = rng.uniform(10, 35)  # at least one near enough to see, on each side
        if rng.random() < 0.15:  # someone crossing the road
            xs[-1] = rng.uniform(*self.road_edge)
            zs[-1] = rng.uniform(15, 50)
        for x, z in zip(xs, zs):
            self.objects.append(self._pedestrian(rng, x, z))

    def _pedestrian(self, rng, x, z):
        h = rng.uniform(1.55, 1.9) * (0.65 if rng.random() < 0.1 else 1.0)
        person = _Object(layer=4)
        skin = _jitter(rng, [(225, 185, 160), (170, 120, 90), (100, 70, 50)][rng.integers(3)])
        top = rng.colour()
        legs = rng.colour(20, 120)
        stride = h * rng.uniform(0.0, 0.12)
        for dx, foot in ((-0.05, -stride), (0.05, stride)):
            hip = x + dx * h
            person.add(_stick(z, (hip, 0.5 * h), (hip + foot, 0.02), 0.09 * h), legs, PEDESTRIAN)
        for dx in (-0.15, 0.15):
            swing = h * rng.uniform(-0.08, 0.08)
            arm = ((x + dx * h, 0.8 * h), (x + dx * 1.2 * h + swing, 0.47 * h))
            person.add(_stick(z, *arm, 0.06 * h), _shade(top, 0.85), PEDESTRIAN)
        shoulders, hips = 0.13 * h, 0.1 * h
        torso = [
            (x - hips, 0.47 * h),
            (x + hips, 0.47 * h),
            (x + shoulders, 0.82 * h),
            (x - shoulders, 0.82 * h),
        ]
        person.add(_flat(z, torso), top, PEDESTRIAN)
        person.add(_ellipse(z, x, 0.9 * h, 0.055 * h, 0.07 * h, 10), skin, PEDESTRIAN)
        hair = _jitter(rng, (40, 30, 25), 0.5)
        person.add(_ellipse(z, x, 0.94 * h, 0.058 * h, 0.04 * h, 10), hair, PEDESTRIAN)
        return person

    # -- traffic -----------------------------------------------------------------------

    def _sample_traffic(self, rng):
        for i, x in enumerate(self.lane_centres):
            own = i < self.own_lanes
            # Cars keep ahead in the camera's lane (or it would drive through them);
            # oncoming cars start farther off, since they approach while the camera drives.
            ahead = abs(x) < 1.0
            z = rng.uniform(10, 25) if ahead else rng.uniform(-5, 20)
            end = self.car_length + (0 if own else 1.2 * self.travel)
            while z < end:
                fraction = rng.uniform(1.0, 1.2) if ahead else rng.uniform(0.5, 1.3)
                fraction = fraction if own else -fraction
                car = self._car(rng, x + rng.uniform(-0.3, 0.3), z, own, fraction)
                z = car.z_end + rng.uniform(8, 45)
        for side in (0, 1):
            if self.parking[side]:
                x = self.road_edge[side] + (1.15 if side == 0 else -1.15)
                z = rng.uniform(-5, 5)
                while z < self.car_length:
                    if rng.random() < 0.4:
                        z += rng.uniform(5, 25)
                    car = self._car(rng, x, z, facing_away=rng.random() < 0.7, fraction=0.0)
                    z = car.z_end + rng.uniform(1.0, 4.0)

    def _car(self, rng, x, z, facing_away, fraction):
        """A car, van or bus whose near end is at depth ``z``, moving at ``fraction`` of
        the camera's speed (negative for oncoming traffic)."""
        kind = rng.choice(["saloon", "hatch", "van", "bus"], p=[0.45, 0.35, 0.15, 0.05])
        length, width, body, roof, bonnet, boot = {
            "saloon": (rng.uniform(4.2, 4.8), rng.uniform(1.75, 1.85), 0.95, 1.42, 1.3, 1.0),
            "hatch": (rng.uniform(3.6, 4.1), rng.uniform(1.65, 1.75), 0.95, 1.45, 1.0, 0.3),
            "van": (rng.uniform(4.8, 5.5), rng.uniform(1.9, 2.0), 1.15, 2.2, 0.9, 0.0),
            "bus": (rng.uniform(10, 12), 2.5, 1.3, rng.uniform(3.0, 4.2), 0.0, 0.0),
        }[kind]
        near, far = (boot, bonnet) if facing_away else (bonnet, boot)
        paint = _CAR_COLOURS[rng.integers(len(_CAR_COLOURS))]
        paint = _jitter(rng, paint if rng.random() < 0.7 else rng.colour(30, 230), 0.08)
        x0, x1, z1 = x - width / 2, x + width / 2, z + length
        car = _Object(layer=4, speed=fraction * self.speed)
        shadow = _Object(layer=1, speed=fraction * self.speed)
        shadow.add(
            _rect_y(0.01, x0 - 0.1, x1 + 0.1, z - 0.1, z1 + 0.3),
            _shade(self.road_colour, 0.4),
            _IMAGE_ONLY,
        )
        # The cabin sits on the body between bonnet and boot; together they are the
        # silhouette, and everything after details() only shows from near enough.
        self._add_box(car, (x0, x1, 0.3, body, z, z1), paint, CAR)
        inset = 0.12 if kind in ("saloon", "hatch") else 0.0
        cabin = (x0 + inset, x1 - inset, body, roof, z + near, z1 - far)
        self._add_box(car, cabin, paint, CAR)
        self.objects += [shadow, car]
        car.z_end = z1
        if not self.near_enough(z, 0.3, fraction):
            return car
        car.details(0.3)
        tyre = (25, 25, 25)
        car.add(_rect_z(z, x0 + 0.1, x1 - 0.1, 0.12, 0.3), (35, 35, 38), CAR)
        for tx in (x0 + 0.05, x1 - 0.3):
            car.add(_rect_z(z, tx, tx + 0.25, 0.0, 0.3), tyre, CAR)
        side_x = x1 if x1 < 0 else x0 if x0 > 0 else None
        if side_x is not None:
            for wz in (z + 0.85, z1 - 0.85) if kind != "bus" else (z + 1.5, z1 - 2.5):
                wheel = [(side_x, 0.33 + 0.33 * s, wz + 0.33 * c) for c, s in _CIRCLES[10]]
                car.add(wheel, tyre, CAR)
        glass = _jitter(rng, (45, 55, 70), 0.2)
        cz = z + near - 0.01
        if kind == "bus":
            car.add(_rect_z(cz, x0 + 0.15, x1 - 0.15, roof - 1.2, roof - 0.3), glass, _IMAGE_ONLY)
        else:
            car.add(
                _rect_z(cz, cabin[0] + 0.1, cabin[1] - 0.1, body + 0.08, roof - 0.07),
                glass,
                _IMAGE_ONLY,
            )
        if side_x is not None:
            car.add(
                _rect_x(side_x, body + 0.08, roof - 0.08, z + near + 0.2, z1 - far - 0.2),
                glass,
                _IMAGE_ONLY,
            )
        light = (200, 30, 30) if facing_away else (235, 235, 215)
        for lx in (x0 + 0.08, x1 - 0.38):
            car.add(_rect_z(z - 0.01, lx, lx + 0.3, body - 0.25, body - 0.1), light, _IMAGE_ONLY)
        car.add(_rect_z(z - 0.01, x - 0.26, x + 0.26, 0.42, 0.54), (230, 220, 120), _IMAGE_ONLY)
        return car

    def _add_box(self, obj, box, colour, label):
        """The faces of an axis-aligned box that the camera sees, in an order that works."""
        x0, x1, y0, y1, z0, z1 = box
        if x1 < 0:  # left of the camera: its right side shows
            obj.add(_rect_x(x1, y0, y1, z0, z1), _shade(colour, self._face_light(1)), label)
        elif x0 > 0:
            obj.add(_rect_x(x0, y0, y1, z0, z1), _shade(colour, self._face_light(-1)), label)
        if y1 < self.camera_height:  # below eye level: its top shows
            obj.add(_rect_y(y1, x0, x1, z0, z1), _shade(colour, 1.1), label)
        obj.add(_rect_z(z0, x0, x1, y0, y1), _shade(colour, 0.85), label)

    def _sample_bicyclists(self, rng):
        count = rng.poisson(self.near_length / 60) + (rng.random() < 0.8)
        for i in range(count):
            z = rng.uniform(10, 40) if i == 0 else rng.uniform(5, self.near_length)
            rider = _Object(layer=4)
            if rng.random() < 0.5:  # riding ahead along the left kerb, seen from behind
                rider.speed = self.speed * rng.uniform(0.2, 0.4)
                self._bicyclist_behind(rng, rider, self.road_edge[0] + rng.uniform(0.5, 0.8), z)
            else:  # crossing the road, seen from the side
                x = rng.uniform(self.road_edge[0] + 1, self.road_edge[1] - 1)
                self._bicyclist_side(rng, rider, x, max(z, 12.0), rng.choice([-1.0, 1.0]))
            self.objects.append(rider)

    def _bicyclist_side(self, rng, rider, x, z, facing):
        frame, coat = _jitter(rng, (40, 40, 45), 0.5), rng.colour()
        rear, front = (x - 0.52 * facing, 0.34), (x + 0.52 * facing, 0.34)
        for hub in (rear, front):
            rider.add(_ring(z, *hub, 0.34, 0.28), (20, 20, 20), BICYCLIST)
        seat, bars, crank = (x - 0.15 * facing, 0.9), (x + 0.42 * facing, 1.0), (x, 0.3)
        tubes = [(rear, crank), (crank, seat), (seat, bars), (crank, bars), (bars, front)]
        for a, b in tubes + [(seat, rear)]:
            rider.add(_stick(z, a, b, 0.05), frame, BICYCLIST)
        shoulder = (x + 0.15 * facing, 1.45)
        rider.add(
            _stick(z, (seat[0], 0.95), (x + 0.1 * facing, 0.2), 0.13), (40, 40, 60), BICYCLIST
        )
        rider.add(_stick(z, (seat[0], 0.9), shoulder, 0.3), coat, BICYCLIST)
        rider.add(_stick(z, shoulder, bars, 0.09), coat, BICYCLIST)
        rider.add(_ellipse(z, x + 0.25 * facing, 1.62, 0.12, 0.13), (60, 60, 70), BICYCLIST)

    def _bicyclist_behind(self, rng, rider, x, z):
        coat = rng.colour()
        rider.add(_rect_z(z, x - 0.025, x + 0.025, 0.0, 0.7), (20, 20, 20), BICYCLIST)
        rider.add(_rect_z(z - 0.3, x - 0.28, x + 0.28, 1.0, 1.04), (40, 40, 45), BICYCLIST)
        for dx in (-0.1, 0.1):
            rider.add(
                _stick(z - 0.1, (x + dx, 0.95), (x + dx * 0.6, 0.3), 0.11), (40, 40, 60), BICYCLIST
            )
        back = [(x - 0.16, 0.9), (x + 0.16, 0.9), (x + 0.22, 1.45), (x - 0.22, 1.45)]
        rider.add(_flat(z - 0.1, back), coat, BICYCLIST)
        for dx in (-0.2, 0.2):
            rider.add(_stick(z - 0.15, (x + dx, 1.4), (x + dx * 1.3, 1.02), 0.08), coat, BICYCLIST)
        rider.add(_ellipse(z - 0.15, x, 1.6, 0.12, 0.13), (60, 60, 70), BICYCLIST)

    # -- the ground, which moves with the camera ---------------------------------------

    def ground_marks(self, camera_z: float) -> _Object:
        """Kerbs, lane dashes and paving joints within sight of a camera at ``camera_z``."""
        marks = _Object(layer=0)
        far, start = camera_z + _GROUND, camera_z
        left, right = self.road_edge
        marks.add(_rect_y(0, left, right, start, far), self.road_colour, ROAD)
        for edge, out in ((left, -1), (right, 1)):
            marks.add(_rect_y(0, edge, edge + 0.25 * out, start, far), self.kerb_colour, PAVEMENT)
        white = (225, 225, 215)
        if self.edge_lines:
            for x in (left + 0.3, right - 0.45):
                marks.add(_rect_y(0, x, x + 0.15, start, far), white, ROAD)
        if self.yellow_lines:
            for x in (left + 0.15, left + 0.35):
                marks.add(_rect_y(0, x, x + 0.1, start, far), (215, 180, 40), ROAD)
        first = math.floor((start - self.dash_phase) / self.dash_period)
        dashes = self.dash_phase + self.dash_period * np.arange(first, first + 12)
        for x in self.lane_lines:
            for z in dashes:
                marks.add(_rect_y(0, x - 0.07, x + 0.07, z, z + self.dash_length), white, ROAD)
        joints = 2.0 * np.arange(math.ceil(start / 2.0), math.floor((start + 30) / 2.0))
        joint_colour = _shade(self.pavement_colour, 0.8)
        for edge, out in ((left, -1), (right, 1)):
            outer = self.facade[out > 0]
            for z in joints:
                marks.add(_rect_y(0, edge, outer, z, z + 0.06), joint_colour, PAVEMENT)
        return _Object.freeze([marks], self.lut)[0]


# --------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=32)
def _stretch_matrix(size_out: int, size_in: int) -> np.ndarray:
    """``(size_out, size_in) float32`` weights of linear interpolation along one axis."""
    position = np.linspace(0, size_in - 1, size_out)
    low = np.minimum(position.astype(int), size_in - 2)
    weight = (position - low).astype(np.float32)
    matrix = np.zeros((size_out, size_in), dtype=np.float32)
    matrix[np.arange(size_out), low] = 1 - weight
    matrix[np.arange(size_out), low + 1] = weight
    return matrix


def _slow_field(grid: np.ndarray, height: int, width: int) -> np.ndarray:
    """A small ``(h, w)`` grid enlarged smoothly to ``(height, width) float32``.

    Bilinear interpolation is separable, so it is two small matrix products, quicker than
    resizing an image.
    """
    rows, cols = grid.shape
    return _stretch_matrix(height, rows) @ grid.astype(np.float32) @ _stretch_matrix(width, cols).T


def _screen_fields(scene: _Scene):
    """Per-scene images the frames share.

    Returns:
        sky: ``PIL.Image`` RGB, the sky's gradient and clouds.
        blotches: ``(H, W) float32`` slow light and dark patches, scaled per class later.
    """
    height, width = scene.height, scene.width
    # Only the part above the horizon shows; the ground is painted over the rest.
    sky_height = min(height, math.ceil(scene.horizon) + 2)
    rows = np.clip(np.arange(sky_height, dtype=np.float32) / max(scene.horizon, 1.0), 0, 1)
    rows = (rows**0.7)[:, None]
    clouds = np.clip(_slow_field(scene.cloud_seed, sky_height, width) - 0.2, 0, 1)
    clouds *= 0.8 * scene.cloudiness
    canvas = np.zeros((height, width, 3), dtype=np.uint8)
    for channel in range(3):
        # Exposure and tint come from the scene's colour table, as for every polygon.
        top, low, white = scene.lut[
            [int(scene.sky_top[channel]), int(scene.sky_low[channel]), 235], channel
        ].astype(np.float32)
        gradient = top + rows * (low - top)
        canvas[:sky_height, :, channel] = gradient + clouds * (white - gradient)
    return Image.fromarray(canvas), _slow_field(scene.blotch_seed, height, width)


def _draw(objects, scene, camera_z, frame, rgb_draw, label_draw):
    """Project every polygon at once, then fill them in order into both images."""
    moved, sizes, colours, labels = [], [], [], []
    for obj in objects:
        shift = obj.speed * frame
        distance = max(obj.z_min + shift - camera_z, _NEAR)
        keep, points = len(obj.sizes), len(obj.vertices)
        if scene.focal * obj.detail_size / distance < 3.0:
            keep, points = obj.coarse, obj.coarse_vertices
        moved.append(obj.vertices[:points] + (0.0, 0.0, shift))
        sizes += obj.sizes[:keep]
        colours += obj.colours[:keep]
        labels += obj.labels[:keep]
    vertices = np.concatenate(moved)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    depth = vertices[:, 2] - camera_z
    # Clamping to the near plane clips a ground mark or facade that runs past the camera;
    # a polygon wholly behind it is dropped below.
    z = np.maximum(depth, _NEAR)
    u = scene.center_x + scene.focal * vertices[:, 0] / z
    v = scene.horizon + scene.focal * (scene.camera_height - vertices[:, 1]) / z
    first = starts[:-1]
    u_min, u_max = np.minimum.reduceat(u, first), np.maximum.reduceat(u, first)
    v_min, v_max = np.minimum.reduceat(v, first), np.maximum.reduceat(v, first)
    visible = (
        (np.maximum.reduceat(depth, first) > _NEAR)
        & (u_max >= 0)
        & (u_min <= scene.width)
        & (v_max >= 0)
        & (v_min <= scene.height)
        # Sub-pixel polygons would only add speckle.
        & (np.maximum(u_max - u_min, v_max - v_min) >= 1.0)
    )
    points = np.column_stack([u, v]).ravel().tolist()
    for i in np.flatnonzero(visible).tolist():
        xy = points[2 * starts[i] : 2 * starts[i + 1]]
        rgb_draw.polygon(xy, fill=colours[i])
        if labels[i] != _IMAGE_ONLY:
            label_draw.polygon(xy, fill=labels[i])


def _render(scene: _Scene, fields, camera_z: float, frame: int, rng) -> tuple:
    """One view of ``scene``: ``(H, W, 3) uint8`` image and ``(H, W) uint8`` labels."""
    height, width = scene.height, scene.width
    sky, blotches = fields
    rgb = sky.copy()
    labels = Image.new("L", (width, height), SKY)
    rgb_draw, label_draw = ImageDraw.Draw(rgb), ImageDraw.Draw(labels)
    ground = (0, math.floor(scene.horizon), width, height)
    paving = scene.lut[np.array(scene.pavement_colour, dtype=int), np.arange(3)]
    rgb_draw.rectangle(ground, fill=tuple(paving.tolist()))
    label_draw.rectangle(ground, fill=PAVEMENT)

    # Painter's order: ground, shadows, skyline, buildings, fences, then the rest far to
    # near. Buildings and fences stand behind everything on the pavement, so they go first.
    def in_sight(obj):
        shift = obj.speed * frame
        return obj.z_max + shift > camera_z + _NEAR and obj.z_min + shift < camera_z + _DEPTH + 30

    objects = sorted(
        (obj for obj in scene.objects if in_sight(obj)),
        key=lambda obj: (obj.layer, -(obj.z_min + obj.speed * frame)),
    )
    _draw([scene.ground_marks(camera_z)] + objects, scene, camera_z, frame, rgb_draw, label_draw)
    if scene.bonnet:  # the car's own bonnet, unlabelled as in CamVid
        u = np.linspace(-0.1, 1.1, 16) * width
        v = height * (1 - scene.bonnet * (1 - ((u / width - 0.5) / 0.7) ** 2))
        outline = np.column_stack([u, v]).ravel().tolist() + [width * 1.1, height, -0.1, height]
        rgb_draw.polygon(outline, fill=tuple(scene.lut[[30, 32, 36], np.arange(3)].tolist()))
        label_draw.polygon(outline, fill=VOID)

    mask = np.array(labels)
    index = mask.astype(np.intp)  # converted once for the three look-ups below
    # Texture: each class gets its own strength of fine grain and of slow blotches, both
    # multiplying the brightness. (The 0.25 averages the 2x2 sums below.)
    noise = np.frombuffer(rng.bytes(height * width), dtype=np.int8).reshape(height, width)
    grain = noise * np.take(_GRAIN / 128, index)
    shading = 0.25 * (1.0 + grain + blotches * np.take(_BLOTCH, index))
    # Summing each 2x2 neighbourhood (the 0.25 above averages it) softens the jagged
    # polygon edges, as a lens would.
    padded = np.pad(np.asarray(rgb), ((0, 1), (0, 1), (0, 0)), mode="edge")
    total = padded[:-1, :-1].astype(np.uint16)
    total += padded[1:, :-1]
    total += padded[:-1, 1:]
    total += padded[1:, 1:]
    image = np.multiply(total, shading[..., None], dtype=np.float32)
    image = np.clip(image, 0, 255, out=image).astype(np.uint8)

    # A one-pixel unlabelled rim around cars, people and bicycles, like CamVid's
    # hand-drawn outlines: the exact boundary is ambiguous, so losses ignore it.
    things = np.take(_THINGS, index)
    near_thing = things.copy()
    near_thing[1:] |= things[:-1]
    near_thing[:-1] |= things[1:]
    near_thing[:, 1:] |= things[:, :-1]
    near_thing[:, :-1] |= things[:, 1:]
    mask[near_thing & ~things] = VOID
    return image, mask


# --------------------------------------------------------------------------------------
# Public generators
# --------------------------------------------------------------------------------------


def _check_size(num, num_name, height, width, seed):
    if isinstance(num, bool) or not isinstance(num, (int, np.integer)) or num < 1:
        raise ValueError(f"{num_name} must be a positive integer, got {num!r}: ask for 1 or more.")
    for name, value in (("height", height), ("width", width)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 32:
            raise ValueError(
                f"{name}={value!r} is too small: use an integer of at least 32 pixels "
                "(CamVid is 360x480; 180x240 is quick)."
            )
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}: e.g. seed=0.")


def synthetic_driving(
    num_images: int, height: int = 360, width: int = 480, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Procedural street scenes seen from a car, with CamVid's 11 class labels.

    Every image is a new random street: road, lane markings, pavements, buildings,
    trees, poles, signs, fences, parked and moving cars, pedestrians and bicyclists, at
    random colours, lighting and camera placement. Image ``k`` depends only on ``seed``
    and ``k``, so asking for more images never changes the first ones.

    Args:
        num_images: how many images to draw.
        height: image height in pixels (at least 32).
        width: image width in pixels (at least 32).
        seed: non-negative integer; the same seed gives the same images.

    Returns:
        images: ``(num_images, height, width, 3) uint8`` RGB.
        masks: ``(num_images, height, width) uint8`` labels ``0 .. 10``, and ``VOID``
            (11) on a thin rim around cars, people and bicycles and on the camera car's
            bonnet.

    Raises:
        ValueError: for a non-positive count, a size under 32 or a negative seed.

    Example:
        >>> images, masks = synthetic_driving(2, height=180, width=240)
        >>> images.shape, masks.shape
        ((2, 180, 240, 3), (2, 180, 240))
    """
    _check_size(num_images, "num_images", height, width, seed)
    images = np.empty((num_images, height, width, 3), dtype=np.uint8)
    masks = np.empty((num_images, height, width), dtype=np.uint8)
    # spawn() gives child k the same stream whatever num_images is.
    for k, child in enumerate(np.random.SeedSequence(seed).spawn(num_images)):
        rng = np.random.default_rng(child)
        scene = _Scene(rng, height, width, travel=0.0, speed=0.0)
        images[k], masks[k] = _render(scene, _screen_fields(scene), 0.0, 0, rng)
    return images, masks


def synthetic_drive(
    num_frames: int, height: int = 360, width: int = 480, seed: int = 0, speed: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """A video of one street: the camera drives forward through a fixed scene.

    Parked cars, buildings and people approach, grow and leave the frame; lane dashes
    slide toward the camera; other cars drive at their own speeds (ahead in the camera's
    lane, towards it in the oncoming ones).

    Args:
        num_frames: how many frames to render.
        height: frame height in pixels (at least 32).
        width: frame width in pixels (at least 32).
        seed: non-negative integer choosing the street.
        speed: metres the camera moves per frame (1.0 is about 90 km/h at 25 frames/s).
            Other cars' speeds scale with it, so ``speed=0`` freezes the whole scene.

    Returns:
        frames: ``(num_frames, height, width, 3) uint8``.
        masks: ``(num_frames, height, width) uint8``, as in ``synthetic_driving``.

    Raises:
        ValueError: for bad sizes or seed, or a negative or non-finite speed.
    """
    _check_size(num_frames, "num_frames", height, width, seed)
    if not (isinstance(speed, (int, float, np.floating)) and math.isfinite(speed) and speed >= 0):
        raise ValueError(
            f"speed={speed!r} must be a finite number >= 0 metres per frame: e.g. 1.0."
        )
    rng = np.random.default_rng(seed)
    scene = _Scene(rng, height, width, travel=(num_frames - 1) * speed, speed=float(speed))
    fields = _screen_fields(scene)
    frames = np.empty((num_frames, height, width, 3), dtype=np.uint8)
    masks = np.empty((num_frames, height, width), dtype=np.uint8)
    for t in range(num_frames):
        frames[t], masks[t] = _render(scene, fields, t * float(speed), t, rng)
    return frames, masks


def benchmark_synthetic(
    num_images: int = 100, height: int = 360, width: int = 480, repeats: int = 3
) -> dict:
    """Time ``synthetic_driving`` on this machine, on one core.

    Args:
        num_images: images per timed run.
        height: image height in pixels.
        width: image width in pixels.
        repeats: timed runs; the fastest counts, as the one least disturbed by other
            programs (the convention of ``timeit``).

    Returns:
        dict with ``num_images``, ``height``, ``width``, ``seconds`` (fastest run) and
        ``images_per_s``.

    Example:
        >>> benchmark_synthetic(20, 180, 240)["images_per_s"] > 0
        True
    """
    synthetic_driving(1, height, width, seed=1)  # warm up imports and caches
    seconds = math.inf
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        synthetic_driving(num_images, height, width, seed=0)
        seconds = min(seconds, time.perf_counter() - start)
    return {
        "num_images": num_images,
        "height": height,
        "width": width,
        "seconds": round(seconds, 3),
        "images_per_s": round(num_images / seconds, 1),
    }
