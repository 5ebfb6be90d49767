"""Output sizes and padding of convolution and pooling along one axis, and the argument
checks every formula of :mod:`fcn_tutorial.arithmetic` (and every config dict of
:mod:`fcn_tutorial.viz`) shares.

Introduced in ``02_convolution.ipynb`` (convolution) and ``03_pooling.ipynb`` (pooling).
For one spatial axis with input size ``i``, kernel size ``k``, stride ``s``, dilation
``d`` and explicit padding ``p`` on each side::

    effective kernel  k' = d * (k - 1) + 1
    "valid" / int p   o  = floor((i + 2p - k') / s) + 1
    "same"            o  = ceil(i / s)
"""

from __future__ import annotations

import difflib

__all__ = [
    "effective_kernel_size",
    "conv_output_size",
    "pool_output_size",
    "same_padding",
    "check_positive_int",
    "check_padding",
    "check_keys",
]


def check_positive_int(name: str, value: int, fix: str) -> None:
    """Raise ``ValueError`` naming ``fix`` unless ``value`` is an int of at least 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}: {fix}")


def check_padding(padding) -> None:
    """Raise ``ValueError`` naming the fix unless ``padding`` is Keras' or an int ``>= 0``."""
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(
                f'padding must be "valid", "same" or a non-negative int, got {padding!r}: '
                'use "valid" for no padding or "same" to keep the size (at stride 1).'
            )
    elif isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
        raise ValueError(
            f'padding must be "valid", "same" or a non-negative int, got {padding!r}: '
            "pass the number of zeros added on each side, e.g. padding=1."
        )


def check_keys(what: str, mapping, required, optional=()) -> None:
    """Raise ``ValueError`` unless ``mapping`` is a dict with ``required`` and no unknown keys.

    A misspelled key (``"stride"``) would otherwise be ignored and its default used in
    silence; the message names the valid keys and the nearest one.

    Args:
        what: the dict as the message names it, e.g. ``"layer 0"`` or ``"config"``.
        mapping: the dict to check.
        required, optional: the keys it must have and the keys it may have.

    Example:
        >>> check_keys("layer 0", {"kernel_size": 3, "stride": 2}, ["kernel_size"], ["strides"])
        Traceback (most recent call last):
        ...
        ValueError: layer 0 has an unknown key 'stride' (did you mean 'strides'?):
        its keys are kernel_size, strides.
    """
    valid = [*required, *optional]
    keys = ", ".join(valid)
    if not isinstance(mapping, dict):
        raise ValueError(f"{what} is {mapping!r}: pass a dict with the keys {keys}.")
    for key in mapping:
        if key not in valid:
            near = difflib.get_close_matches(str(key), valid, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise ValueError(f"{what} has an unknown key {key!r}{hint}: its keys are {keys}.")
    missing = [key for key in required if key not in mapping]
    if missing:
        raise ValueError(
            f"{what} lacks {', '.join(missing)}: it needs {', '.join(required)}"
            + (f" and may have {', '.join(optional)}." if optional else ".")
        )


def effective_kernel_size(kernel_size: int, dilation_rate: int = 1) -> int:
    """Span of a dilated kernel: ``dilation_rate - 1`` holes between its taps.

    Args:
        kernel_size: taps along one axis.
        dilation_rate: spacing between taps (1 = an ordinary kernel).

    Returns:
        int: the number of input pixels the kernel spans, ``d * (k - 1) + 1``.

    Example:
        >>> effective_kernel_size(3, dilation_rate=2)
        5
    """
    check_positive_int("kernel_size", kernel_size, "a kernel has at least one tap.")
    check_positive_int("dilation_rate", dilation_rate, "use dilation_rate=1 for no dilation.")
    return dilation_rate * (kernel_size - 1) + 1


def same_padding(input_size: int, kernel_size: int, strides: int = 1, dilation_rate: int = 1):
    """Zeros that ``padding="same"`` adds before and after one axis.

    Keras (like TensorFlow) pads just enough for ``ceil(i / s)`` outputs and puts
    the odd zero, if any, at the end.

    Returns:
        tuple[int, int]: ``(before, after)``.

    Example:
        >>> same_padding(5, 3)
        (1, 1)
        >>> same_padding(6, 3, strides=2)
        (0, 1)
    """
    check_positive_int("input_size", input_size, "an image has at least one pixel.")
    check_positive_int("strides", strides, "use strides=1 to visit every position.")
    span = effective_kernel_size(kernel_size, dilation_rate)
    output_size = -(-input_size // strides)
    total = max((output_size - 1) * strides + span - input_size, 0)
    return total // 2, total - total // 2


def conv_output_size(
    input_size: int,
    kernel_size: int,
    strides: int = 1,
    padding: str | int = "valid",
    dilation_rate: int = 1,
) -> int:
    """Output size of a convolution along one axis, as ``keras.layers.Conv2D`` gives it.

    Args:
        input_size: pixels along the axis.
        kernel_size: kernel taps along the axis.
        strides: step between neighbouring windows.
        padding: ``"valid"`` (none), ``"same"`` (keep ``ceil(i / s)``), or an int:
            zeros added on each side, as ``ZeroPadding2D(p)`` then ``"valid"``.
        dilation_rate: spacing between kernel taps.

    Returns:
        int: the number of output positions.

    Raises:
        ValueError: for a non-positive size, kernel, stride or dilation, an unknown
            padding, or a kernel wider than the padded input.

    Example:
        >>> conv_output_size(5, 3)
        3
        >>> conv_output_size(5, 3, strides=2, padding=1)
        3
    """
    check_positive_int("input_size", input_size, "an image has at least one pixel.")
    check_positive_int("strides", strides, "use strides=1 to visit every position.")
    check_padding(padding)
    span = effective_kernel_size(kernel_size, dilation_rate)
    if padding == "same":
        return -(-input_size // strides)
    pad = 0 if padding == "valid" else padding
    padded = input_size + 2 * pad
    if span > padded:
        raise ValueError(
            f"the kernel spans {span} pixels but the padded input has only {padded}: "
            f"use a smaller kernel_size or dilation_rate, more padding, or padding='same'."
        )
    return (padded - span) // strides + 1


def pool_output_size(
    input_size: int,
    pool_size: int,
    strides: int | None = None,
    padding: str | int = "valid",
) -> int:
    """Output size of pooling along one axis, as ``keras.layers.MaxPooling2D`` gives it.

    Pooling is a convolution whose kernel takes a max or a mean, so the arithmetic
    is the same; the only difference is Keras' default ``strides=pool_size``.

    Example:
        >>> pool_output_size(224, 2)
        112
    """
    return conv_output_size(
        input_size, pool_size, strides=pool_size if strides is None else strides, padding=padding
    )
