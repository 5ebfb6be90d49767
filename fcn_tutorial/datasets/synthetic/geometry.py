"""Objects in the street as flat polygons in world coordinates, and the shapes they use.

World coordinates are metres: ``x`` to the right, ``y`` up, ``z`` forward along the road.
Every thing in a scene, from a lane dash to a bus, is a ``Polygons``: a list of flat
polygons, each with a colour and a class label. Nothing here knows about pixels; the
camera (``street``) projects the points and ``render`` fills them.

The builders (``rect_x``, ``ellipse``, ``stick`` ...) return plain lists of ``(x, y, z)``
tuples: a scene holds about a thousand small polygons, and Python tuples are quicker to
make than a NumPy array each. ``freeze`` turns them into arrays once, all together.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "IMAGE_ONLY",
    "CIRCLES",
    "Polygons",
    "freeze",
    "rect_x",
    "rect_y",
    "rect_z",
    "flat",
    "ellipse",
    "ring",
    "stick",
]

# Label of a polygon drawn into the image but not the mask: a shadow, or a detail (a
# window, a tail light) inside an outline whose label is drawn already.
IMAGE_ONLY = -1


class Polygons:
    """One thing in the street: polygons in world coordinates, drawn in the order added.

    ``layer`` orders the drawing coarsely: 0 road and kerbs, 1 shadows and the distant
    skyline, 2 buildings, 3 fences, 4 everything else; within a layer, far before near.
    ``speed`` is how far the object moves along ``z`` per frame, for ``synthetic_drive``.

    After ``freeze`` it also holds ``vertices`` (``(P, 3) float64``, every polygon's
    points in turn), ``z_min`` and ``z_max`` (its depth range) and ``coarse_vertices``
    (how many of the points belong to the silhouette, before any details).
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


def freeze(objects: list[Polygons], lut: np.ndarray) -> list[Polygons]:
    """Turn every object's polygons into arrays, colours through the ``(256, 3)`` ``lut``.

    All objects at once: a few large NumPy calls cost less than many small ones. Objects
    without a polygon are dropped.

    Args:
        objects: the scene's objects, in drawing order.
        lut: ``(256, 3) uint8`` colour table of the scene's exposure and tint.

    Returns:
        The non-empty objects, each with ``vertices``, ``z_min``, ``z_max`` and
        ``coarse_vertices`` set and ``colours`` replaced by exposed RGB tuples.
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


# -- polygon builders: each returns a list of (x, y, z) points ---------------------------


def rect_x(x, y0, y1, z0, z1):
    """Rectangle in the plane ``x = const`` (a facade or the side of a car)."""
    return [(x, y0, z0), (x, y1, z0), (x, y1, z1), (x, y0, z1)]


def rect_y(y, x0, x1, z0, z1):
    """Rectangle in the plane ``y = const`` (ground marks, roofs)."""
    return [(x0, y, z0), (x1, y, z0), (x1, y, z1), (x0, y, z1)]


def rect_z(z, x0, x1, y0, y1):
    """Rectangle facing the camera, in the plane ``z = const``."""
    return [(x0, y0, z), (x1, y0, z), (x1, y1, z), (x0, y1, z)]


def flat(z, points):
    """A polygon given as ``(x, y)`` points, facing the camera at depth ``z``."""
    if isinstance(points, np.ndarray):
        points = points.tolist()
    return [(x, y, z) for x, y in points]


# Unit circles as (cos, sin) pairs, computed once: wheels, heads and leaves reuse them.
CIRCLES = {
    sides: [(math.cos(a), math.sin(a)) for a in np.linspace(0, 2 * np.pi, sides, endpoint=False)]
    for sides in (8, 10, 12, 14, 16)
}


def ellipse(z, x, y, rx, ry, sides=12):
    """An ellipse of radii ``rx``, ``ry`` around ``(x, y)``, facing the camera at ``z``."""
    return [(x + rx * c, y + ry * s, z) for c, s in CIRCLES[sides]]


def ring(z, x, y, r_out, r_in, sides=16):
    """A ring (a wheel's tyre) around ``(x, y)``, facing the camera at depth ``z``."""
    # One polygon: around the outside, then back around the inside; the even-odd fill
    # leaves the hole empty, so a wheel shows the street through its spokes.
    circle = CIRCLES[sides] + CIRCLES[sides][:1]
    outer = [(x + r_out * c, y + r_out * s, z) for c, s in circle]
    inner = [(x + r_in * c, y + r_in * s, z) for c, s in reversed(circle)]
    return outer + inner


def stick(z, p0, p1, width):
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
