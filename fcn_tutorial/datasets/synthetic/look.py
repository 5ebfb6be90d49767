"""How one street looks: road and pavement colours, sky, exposure and slow random fields.

Everything here changes the image and never the labels: a network trained on these
scenes has to learn shapes and layout, because the colours of a class vary from scene to
scene.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from fcn_tutorial.datasets.synthetic.dice import Dice, jitter, shade

__all__ = ["Look", "sample_look", "slow_field"]


@dataclasses.dataclass(frozen=True)
class Look:
    """The colours and lighting of one scene.

    Attributes:
        road_colour: RGB of the tarmac, before exposure.
        pavement_colour: RGB of the paving.
        kerb_colour: RGB of the kerb stones, a little lighter than the paving.
        sky_top: ``(3,)`` RGB at the top of the image.
        sky_low: ``(3,)`` RGB at the horizon (also the haze on the distant skyline).
        cloudiness: ``0 .. 1``, how much white the clouds add.
        lut: ``(256, 3) uint8`` exposure, white balance and contrast, per channel.
        bonnet: height of the camera car's bonnet as a fraction of the image (0: none).
        blotch_seed: ``(16, 20)`` normal grid, enlarged into light and dark patches.
        cloud_seed: ``(24, 7)`` normal grid, enlarged into clouds.
    """

    road_colour: tuple
    pavement_colour: tuple
    kerb_colour: tuple
    sky_top: np.ndarray
    sky_low: np.ndarray
    cloudiness: float
    lut: np.ndarray
    bonnet: float
    blotch_seed: np.ndarray
    cloud_seed: np.ndarray


def sample_look(dice: Dice) -> Look:
    """Draw a scene's colours, sky and exposure."""
    grey = dice.uniform(60, 115)
    road_colour = jitter(dice, (grey, grey, grey * 1.03), 0.05)
    paving = dice.uniform(110, 170)
    pavement_colour = jitter(dice, (paving, paving * 0.97, paving * 0.92), 0.08)
    overcast = dice.uniform(0, 1)
    blue_top, grey_top = np.array([60, 120, 200]), np.array([150, 155, 165])
    blue_low, grey_low = np.array([185, 210, 235]), np.array([210, 212, 215])
    sky_top = blue_top + overcast * (grey_top - blue_top)
    sky_low = blue_low + overcast * (grey_low - blue_low)
    cloudiness = dice.uniform(0.2, 1.0) * (1.0 - 0.6 * overcast)
    # Exposure, white balance and contrast act on every colour through one table,
    # applied to the polygons' colours rather than to millions of pixels.
    brightness, gamma = dice.uniform(0.55, 1.2), dice.uniform(0.8, 1.25)
    tint = np.array([dice.uniform(0.92, 1.08) for _ in range(3)])
    levels = (np.arange(256)[:, None] / 255.0) ** gamma * brightness * tint
    lut = np.clip(255.0 * levels + 0.5, 0, 255).astype(np.uint8)
    bonnet = dice.uniform(0.02, 0.05) if dice.random() < 0.5 else 0.0
    # Slow random fields, drawn small and enlarged: shading blotches and clouds.
    # Fixed grid sizes make a scene look the same at every resolution.
    blotch_seed = dice.standard_normal((16, 20))
    cloud_seed = dice.standard_normal((24, 7))
    return Look(
        road_colour=road_colour,
        pavement_colour=pavement_colour,
        kerb_colour=shade(pavement_colour, 1.2),
        sky_top=sky_top,
        sky_low=sky_low,
        cloudiness=cloudiness,
        lut=lut,
        bonnet=bonnet,
        blotch_seed=blotch_seed,
        cloud_seed=cloud_seed,
    )


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


def slow_field(grid: np.ndarray, height: int, width: int) -> np.ndarray:
    """A small ``(h, w)`` grid enlarged smoothly to ``(height, width) float32``.

    Bilinear interpolation is separable, so it is two small matrix products, quicker than
    resizing an image.

    Example:
        >>> slow_field(np.array([[0.0, 1.0], [2.0, 3.0]]), 3, 3)[1].tolist()
        [1.0, 1.5, 2.0]
    """
    rows, cols = grid.shape
    return _stretch_matrix(height, rows) @ grid.astype(np.float32) @ _stretch_matrix(width, cols).T
