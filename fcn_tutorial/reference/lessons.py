"""Two lessons computed with the reference layers, for their figures and notebooks:
pooling's tolerance of a small shift (``03``) and the checkerboard artifacts of
transposed convolutions (``04``).
"""

from __future__ import annotations

import numpy as np

from fcn_tutorial.reference.convolution import conv2d
from fcn_tutorial.reference.pooling import max_pool2d
from fcn_tutorial.reference.transposed import bilinear_kernel, conv2d_transpose

__all__ = ["pooling_shift", "checkerboard_outputs"]


def pooling_shift(image: np.ndarray, pool_size: int = 2) -> dict:
    """An image and the image moved one pixel right, before and after max pooling.

    The lesson of ``figures/03_pooling-shift-invariance.png`` (``03_pooling.ipynb``):
    a shift by one pixel changes most pixels but fewer values of the max-pooled map.

    Args:
        image: ``(H, W + 1)`` grey levels. The original is ``image[:, 1:]`` and the
            shifted copy ``image[:, :-1]``, so neither has an invented border column.
        pool_size: the max pooling's window and strides.

    Returns:
        dict: ``original`` and ``shifted`` ``(H, W)``, their pooled maps ``pooled`` and
        ``pooled_shifted`` (:func:`max_pool2d`, float32), and ``unchanged_pixels`` /
        ``unchanged_pooled``, the fraction of values equal in both (floats).

    Example:
        >>> result = pooling_shift(np.array([[1, 9, 2, 5, 7], [1, 9, 2, 5, 7]]))
        >>> result["pooled"], result["pooled_shifted"]
        (array([[9., 7.]], dtype=float32), array([[9., 5.]], dtype=float32))
        >>> result["unchanged_pixels"], result["unchanged_pooled"]
        (0.0, 0.5)
    """
    image = np.asarray(image)
    if image.ndim != 2 or image.shape[1] < 2:
        raise ValueError(
            f"image of shape {image.shape}: pass one (H, W + 1) grey image, e.g. "
            "to_grey(photo)[:, : W + 1]."
        )
    original, shifted = image[:, 1:], image[:, :-1]
    pooled = max_pool2d(original[..., None], pool_size)[..., 0]
    pooled_shifted = max_pool2d(shifted[..., None], pool_size)[..., 0]
    return {
        "original": original,
        "shifted": shifted,
        "pooled": pooled,
        "pooled_shifted": pooled_shifted,
        "unchanged_pixels": float(np.mean(original == shifted)),
        "unchanged_pooled": float(np.mean(pooled == pooled_shifted)),
    }


def checkerboard_outputs(size: int = 8, channels: int = 4, seed: int = 0) -> dict:
    """Three kinds of small upsampling network (×4, two ×2 stages) applied to a flat image.

    The lesson of ``figures/04_checkerboard.png`` (``04_transposed_convolution.ipynb``),
    computed with the reference layers: random-initialised transposed convolutions
    (kernel 3 and kernel 4, stride 2), bilinear-initialised ones (kernel 4, stride 2)
    and nearest-neighbour resizing followed by a random 3×3 convolution, each stage
    ``padding="same"``, ``channels`` channels in between, Glorot-uniform weights.

    Returns:
        dict: name to ``(4 * size, 4 * size) float32`` output of a ``(size, size, 1)``
        image of ones.
    """
    rng = np.random.default_rng(seed)
    flat = np.ones((size, size, 1), np.float32)

    def glorot(kernel_size, fan_in, fan_out):
        limit = np.sqrt(6 / (kernel_size**2 * (fan_in + fan_out)))
        return rng.uniform(-limit, limit, (kernel_size, kernel_size, fan_in, fan_out))

    def transposed(kernel_size, init):
        x = flat
        for fan_in, fan_out in ((1, channels), (channels, 1)):
            if init == "bilinear":
                kernel = bilinear_kernel(kernel_size, fan_in, fan_out)
            else:
                # Conv2DTranspose's layout is (k, k, out, in).
                kernel = glorot(kernel_size, fan_out, fan_in)
            x = conv2d_transpose(x, kernel, 2, "same")
        return x[..., 0]

    def resize_convolve():
        x = flat
        for fan_in, fan_out in ((1, channels), (channels, 1)):
            x = x.repeat(2, axis=0).repeat(2, axis=1)
            x = conv2d(x, glorot(3, fan_in, fan_out), padding="same")
        return x[..., 0]

    outputs = {
        "transposed, random, kernel 3": transposed(3, "random"),
        "transposed, random, kernel 4": transposed(4, "random"),
        "transposed, bilinear, kernel 4": transposed(4, "bilinear"),
        "resize, then random conv 3×3": resize_convolve(),
    }
    for output in outputs.values():
        assert output.shape == (4 * size, 4 * size)
    return outputs
