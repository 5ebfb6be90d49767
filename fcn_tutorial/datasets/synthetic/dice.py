"""Random numbers for drawing a street, and the colour helpers every painter shares.

A scene is the same whenever its seed is, so the *order* in which the painters draw from
one ``Dice`` is part of the data: drawing one number more, or two in the other order,
changes every street after it. ``tests/test_synthetic.py`` pins a few scenes' pixels to
catch that.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Dice", "jitter", "shade"]


class Dice:
    """A NumPy generator that hands out plain Python numbers, fetched in blocks.

    A scene takes a few thousand random draws one at a time; asking NumPy for each
    would cost more than drawing the picture, and Python floats keep the geometry
    arithmetic fast. Sized draws go straight to the generator.

    Example:
        >>> dice = Dice(np.random.default_rng(0))
        >>> 3 <= dice.uniform(3, 4) < 4, dice.integers(2, 5) in (2, 3, 4)
        (True, True)
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


def jitter(dice: Dice, colour, amount=0.1):
    """``colour`` with each channel scaled by a random factor within ``1 ± amount``.

    Two red cars are never quite the same red, so a network cannot learn the palette.
    """
    r, g, b = colour
    low, high = 1 - amount, 1 + amount
    return (r * dice.uniform(low, high), g * dice.uniform(low, high), b * dice.uniform(low, high))


def shade(colour, factor):
    """``colour`` darkened (``factor < 1``) or lightened: a face turned from the light."""
    r, g, b = colour
    return (r * factor, g * factor, b * factor)
