"""Rendering: a scene into an image and its labels, and the public generators.

Objects are drawn far to near (the painter's algorithm) into an RGB image and a label
image at once, so a nearer object hides a farther one in both. Then the image alone gets
its texture (grain and slow blotches, per class), a soft 2x2 blur for the polygon edges,
and the mask alone gets a one-pixel unlabelled rim around cars, people and bicycles.

``synthetic_driving`` samples a new scene for every image; ``synthetic_drive`` renders one
scene from a camera that moves forward, which gives a coherent video; ``synthetic_instances``
is ``synthetic_driving`` with every car, person and bicycle's own id as well.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from fcn_tutorial.classes import BICYCLIST, CAR, PAVEMENT, PEDESTRIAN, SKY, VOID
from fcn_tutorial.datasets.synthetic.geometry import IMAGE_ONLY
from fcn_tutorial.datasets.synthetic.look import slow_field
from fcn_tutorial.datasets.synthetic.painters import ground_marks, sky_image
from fcn_tutorial.datasets.synthetic.scene import Scene, sample_scene
from fcn_tutorial.datasets.synthetic.street import DEPTH, NEAR

__all__ = [
    "screen_fields",
    "render_frame",
    "synthetic_driving",
    "synthetic_drive",
    "synthetic_instances",
]

# Texture strength per label (void last), as fractions of the brightness: fine grain
# (pixel noise; leaves are the grainiest) and slow blotches (stains, shade).
_GRAIN = np.array([1, 6, 4, 9, 8, 22, 2, 7, 3, 5, 5, 3], dtype=np.float32) / 100
_BLOTCH = np.array([0, 10, 5, 7, 8, 30, 5, 10, 5, 5, 5, 5], dtype=np.float32) / 100
_THINGS = np.zeros(12, dtype=bool)
_THINGS[[CAR, PEDESTRIAN, BICYCLIST]] = True


def screen_fields(scene: Scene):
    """Per-scene images the frames share.

    Returns:
        sky: ``PIL.Image`` RGB, the sky's gradient and clouds.
        blotches: ``(H, W) float32`` slow light and dark patches, scaled per class later.
    """
    camera = scene.street.camera
    blotches = slow_field(scene.street.look.blotch_seed, camera.height, camera.width)
    return sky_image(scene.street), blotches


def _draw(objects, camera, camera_z, frame, rgb_draw, label_draw, id_draw=None):
    """Project every polygon at once, then fill them in order into both images.

    With ``id_draw``, also into an image of object ids: object ``k`` of ``objects`` fills
    its car, person and bicycle polygons with ``k`` and anything else with 0, so that a
    nearer road sign hides a car in the ids as it does in the labels.
    """
    moved, sizes, colours, labels, owners = [], [], [], [], []
    for owner, obj in enumerate(objects):
        shift = obj.speed * frame
        distance = max(obj.z_min + shift - camera_z, NEAR)
        keep, points = len(obj.sizes), len(obj.vertices)
        if camera.focal * obj.detail_size / distance < 3.0:
            keep, points = obj.coarse, obj.coarse_vertices
        moved.append(obj.vertices[:points] + (0.0, 0.0, shift))
        sizes += obj.sizes[:keep]
        colours += obj.colours[:keep]
        labels += obj.labels[:keep]
        owners += [owner] * keep
    vertices = np.concatenate(moved)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    u, v, depth = camera.project(vertices, camera_z)
    first = starts[:-1]
    u_min, u_max = np.minimum.reduceat(u, first), np.maximum.reduceat(u, first)
    v_min, v_max = np.minimum.reduceat(v, first), np.maximum.reduceat(v, first)
    visible = (
        # A polygon wholly behind the near plane is dropped.
        (np.maximum.reduceat(depth, first) > NEAR)
        & (u_max >= 0)
        & (u_min <= camera.width)
        & (v_max >= 0)
        & (v_min <= camera.height)
        # Sub-pixel polygons would only add speckle.
        & (np.maximum(u_max - u_min, v_max - v_min) >= 1.0)
    )
    points = np.column_stack([u, v]).ravel().tolist()
    for i in np.flatnonzero(visible).tolist():
        xy = points[2 * starts[i] : 2 * starts[i + 1]]
        rgb_draw.polygon(xy, fill=colours[i])
        if labels[i] != IMAGE_ONLY:
            label_draw.polygon(xy, fill=labels[i])
            if id_draw is not None:
                id_draw.polygon(xy, fill=owners[i] if _THINGS[labels[i]] else 0)


def _paint(scene: Scene, sky: Image.Image, camera_z: float, frame: int, with_ids=False):
    """Fill the polygons in sight into a copy of ``sky`` and a label image.

    Returns:
        rgb: ``PIL.Image`` RGB, labels: ``PIL.Image`` L, both ``(H, W)``, and with
        ``with_ids`` ids: ``PIL.Image`` I, each thing's position in the drawing order
        (0 where no thing is).
    """
    street, camera = scene.street, scene.street.camera
    height, width = camera.height, camera.width
    rgb = sky.copy()
    labels = Image.new("L", (width, height), SKY)
    rgb_draw, label_draw = ImageDraw.Draw(rgb), ImageDraw.Draw(labels)
    ids = Image.new("I", (width, height), 0) if with_ids else None
    id_draw = ImageDraw.Draw(ids) if with_ids else None
    ground = (0, math.floor(camera.horizon), width, height)
    paving = street.look.lut[np.array(street.look.pavement_colour, dtype=int), np.arange(3)]
    rgb_draw.rectangle(ground, fill=tuple(paving.tolist()))
    label_draw.rectangle(ground, fill=PAVEMENT)

    # Painter's order: ground, shadows, skyline, buildings, fences, then the rest far to
    # near. Buildings and fences stand behind everything on the pavement, so they go first.
    def in_sight(obj):
        shift = obj.speed * frame
        return obj.z_max + shift > camera_z + NEAR and obj.z_min + shift < camera_z + DEPTH + 30

    objects = sorted(
        (obj for obj in scene.objects if in_sight(obj)),
        key=lambda obj: (obj.layer, -(obj.z_min + obj.speed * frame)),
    )
    drawn = [ground_marks(street, camera_z)] + objects
    _draw(drawn, camera, camera_z, frame, rgb_draw, label_draw, id_draw)
    if street.look.bonnet:  # the car's own bonnet, unlabelled as in CamVid
        u = np.linspace(-0.1, 1.1, 16) * width
        v = height * (1 - street.look.bonnet * (1 - ((u / width - 0.5) / 0.7) ** 2))
        outline = np.column_stack([u, v]).ravel().tolist() + [width * 1.1, height, -0.1, height]
        rgb_draw.polygon(outline, fill=tuple(street.look.lut[[30, 32, 36], np.arange(3)].tolist()))
        label_draw.polygon(outline, fill=VOID)
        if with_ids:
            id_draw.polygon(outline, fill=0)
    return (rgb, labels, ids) if with_ids else (rgb, labels)


def _texture(rgb: Image.Image, index: np.ndarray, blotches: np.ndarray, rng) -> np.ndarray:
    """The painted ``rgb`` with per-class grain and blotches, softened: ``(H, W, 3) uint8``.

    Args:
        rgb: the painted image.
        index: ``(H, W) intp`` labels, choosing each pixel's texture strength.
        blotches: ``(H, W) float32`` slow field of the scene.
        rng: the generator; one byte of noise per pixel is drawn from it.
    """
    height, width = index.shape
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
    return np.clip(image, 0, 255, out=image).astype(np.uint8)


def _void_rim(mask: np.ndarray, index: np.ndarray) -> None:
    """Set a one-pixel rim around cars, people and bicycles in ``mask`` to ``VOID``.

    Like CamVid's hand-drawn outlines: the exact boundary is ambiguous, so losses ignore it.
    """
    things = np.take(_THINGS, index)
    near_thing = things.copy()
    near_thing[1:] |= things[:-1]
    near_thing[:-1] |= things[1:]
    near_thing[:, 1:] |= things[:, :-1]
    near_thing[:, :-1] |= things[:, 1:]
    mask[near_thing & ~things] = VOID


def render_frame(
    scene: Scene, fields, camera_z: float, frame: int, rng, with_ids: bool = False
) -> tuple:
    """One view of ``scene``: ``(H, W, 3) uint8`` image and ``(H, W) uint8`` labels.

    Args:
        scene: what to draw.
        fields: the scene's ``screen_fields``, shared by its frames.
        camera_z: how far the camera has driven, in metres.
        frame: the frame number; moving objects have moved ``speed * frame``.
        rng: the generator the noise is drawn from.
        with_ids: also return ``(H, W) int32`` instances, ``1 .. n`` on the ``n`` things
            in sight (far to near), 0 elsewhere; the image and labels are unchanged.
    """
    sky, blotches = fields
    rgb, labels, *ids = _paint(scene, sky, camera_z, frame, with_ids)
    mask = np.array(labels)
    index = mask.astype(np.intp)  # converted once for the three look-ups
    image = _texture(rgb, index, blotches, rng)
    _void_rim(mask, index)
    if not with_ids:
        return image, mask
    # The rim and anything drawn over a thing are not that thing.
    owners = np.where(np.take(_THINGS, mask.astype(np.intp)), np.array(ids[0]), 0)
    present = np.unique(owners[owners > 0])
    lookup = np.zeros(owners.max() + 1, dtype=np.int32)
    lookup[present] = np.arange(1, present.size + 1, dtype=np.int32)
    return image, mask, lookup[owners]


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
        scene = sample_scene(rng, height, width, travel=0.0, speed=0.0)
        images[k], masks[k] = render_frame(scene, screen_fields(scene), 0.0, 0, rng)
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
    scene = sample_scene(rng, height, width, travel=(num_frames - 1) * speed, speed=float(speed))
    fields = screen_fields(scene)
    frames = np.empty((num_frames, height, width, 3), dtype=np.uint8)
    masks = np.empty((num_frames, height, width), dtype=np.uint8)
    for t in range(num_frames):
        frames[t], masks[t] = render_frame(scene, fields, t * float(speed), t, rng)
    return frames, masks


def synthetic_instances(
    num_images: int, height: int = 360, width: int = 480, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``synthetic_driving``'s scenes, and which object each car, person and bicycle pixel is.

    The same images and class labels as ``synthetic_driving(num_images, height, width,
    seed)``, pixel for pixel, plus an instance map: the renderer draws every object
    itself, so it knows each pixel's object exactly (no guessing from connected regions,
    which would merge two cars that overlap). Introduced in ``01_segmentation_intro.ipynb``
    (semantic, instance and panoptic segmentation).

    Args:
        num_images, height, width, seed: as ``synthetic_driving``.

    Returns:
        images: ``(num_images, height, width, 3) uint8``, as ``synthetic_driving``.
        masks: ``(num_images, height, width) uint8``, as ``synthetic_driving``.
        instances: ``(num_images, height, width) int32``: 0 on "stuff" (road, sky,
            buildings ...) and void; ``1 .. n`` on the ``n`` cars, pedestrians and
            bicyclists visible in each image, numbered far to near (drawing order).

    Raises:
        ValueError: as ``synthetic_driving``.

    Example:
        >>> images, masks, instances = synthetic_instances(1, height=90, width=120)
        >>> bool(((instances > 0) == np.isin(masks, [CAR, PEDESTRIAN, BICYCLIST])).all())
        True
    """
    _check_size(num_images, "num_images", height, width, seed)
    images = np.empty((num_images, height, width, 3), dtype=np.uint8)
    masks = np.empty((num_images, height, width), dtype=np.uint8)
    instances = np.zeros((num_images, height, width), dtype=np.int32)
    for k, child in enumerate(np.random.SeedSequence(seed).spawn(num_images)):
        rng = np.random.default_rng(child)
        scene = sample_scene(rng, height, width, travel=0.0, speed=0.0)
        frame = render_frame(scene, screen_fields(scene), 0.0, 0, rng, with_ids=True)
        images[k], masks[k], instances[k] = frame
    return images, masks, instances
