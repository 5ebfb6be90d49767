"""Painter of the sky: a gradient from the zenith to the horizon, with slow clouds.

The sky is the background, not an object: it is painted once per scene as a whole image,
which every frame of a drive copies before drawing the street over it. Every pixel the
street leaves uncovered is labelled sky.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from fcn_tutorial.datasets.synthetic.look import slow_field
from fcn_tutorial.datasets.synthetic.street import Street

__all__ = ["sky_image"]


def sky_image(street: Street) -> Image.Image:
    """The sky's gradient and clouds, as a ``PIL.Image`` RGB of the camera's size.

    Only the rows above the horizon are painted; the ground covers the rest.
    """
    camera, look = street.camera, street.look
    height, width = camera.height, camera.width
    # Only the part above the horizon shows; the ground is painted over the rest.
    sky_height = min(height, math.ceil(camera.horizon) + 2)
    rows = np.clip(np.arange(sky_height, dtype=np.float32) / max(camera.horizon, 1.0), 0, 1)
    rows = (rows**0.7)[:, None]
    clouds = np.clip(slow_field(look.cloud_seed, sky_height, width) - 0.2, 0, 1)
    clouds *= 0.8 * look.cloudiness
    canvas = np.zeros((height, width, 3), dtype=np.uint8)
    for channel in range(3):
        # Exposure and tint come from the scene's colour table, as for every polygon.
        top, low, white = look.lut[
            [int(look.sky_top[channel]), int(look.sky_low[channel]), 235], channel
        ].astype(np.float32)
        gradient = top + rows * (low - top)
        canvas[:sky_height, :, channel] = gradient + clouds * (white - gradient)
    return Image.fromarray(canvas)
