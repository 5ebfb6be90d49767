"""Figures without pyplot, image grids, and GIF animations: the plumbing of every drawing."""

from __future__ import annotations

import base64
import io
import textwrap
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = [
    "TutorialFigure",
    "new_figure",
    "figure_to_array",
    "figure_to_png",
    "message_figure",
    "keras_call",
    "plot_feature_maps",
    "plot_images",
    "draw_kernel",
    "Animation",
    "animate",
]

# The guide's palette: blue input, white padding, dark kernel shade, cyan output.
INPUT_COLOUR = "#7fb2e5"
PADDING_COLOUR = "#ffffff"
KERNEL_COLOUR = "#1d3f73"
OUTPUT_COLOUR = "#a6e3e3"
CURRENT_COLOUR = "#138c8c"
WINNER_COLOUR = "#f2a93b"
EDGE_COLOUR = "#33414d"

CELL_INCHES = 0.42


class TutorialFigure(Figure):
    """A matplotlib ``Figure`` that shows itself as a PNG when a notebook cell returns it.

    A bare ``Figure`` only displays inline once pyplot has loaded the inline backend;
    since this library never imports pyplot, its figures carry their own ``_repr_png_``.
    """

    def _repr_png_(self) -> bytes:
        return figure_to_png(self)


def new_figure(width: float, height: float, dpi: float = 100) -> TutorialFigure:
    """A figure with an Agg canvas, independent of pyplot and its global state.

    Args:
        width: width in inches.
        height: height in inches.
        dpi: pixels per inch.

    Returns:
        TutorialFigure: displays inline when it is the last expression of a cell.

    Example:
        >>> figure_to_array(new_figure(2, 1, dpi=50)).shape
        (50, 100, 3)
    """
    fig = TutorialFigure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def _agg_canvas(fig: Figure) -> FigureCanvasAgg:
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    return fig.canvas


def figure_to_array(fig: Figure) -> np.ndarray:
    """Render a figure to pixels.

    Returns:
        image: ``(H, W, 3) uint8``, ``H = height * dpi`` and ``W = width * dpi``.
    """
    canvas = _agg_canvas(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def figure_to_png(fig: Figure) -> bytes:
    """Render a figure to PNG bytes, without the timestamp-like "Software" metadata.

    Returns:
        bytes: the same PNG for the same figure on every run.
    """
    buffer = io.BytesIO()
    _agg_canvas(fig).print_png(buffer, metadata={"Software": None})
    return buffer.getvalue()


def message_figure(
    message: str, width: float = 6, height: float = 1.5, dpi: float = 80
) -> TutorialFigure:
    """A figure holding only a message, shown by the explorers in place of a drawing."""
    fig = new_figure(width, height, dpi=dpi)
    # About 8 characters per inch at 11 pt; matplotlib's own wrapping clips centred text.
    fig.text(
        0.5, 0.5, textwrap.fill(message, int(width * 8)), ha="center", va="center", fontsize=11
    )
    return fig


# What Keras adds around a layer that takes only "valid" or "same" for an int padding p.
_INT_PADDING = {
    "Conv2D": ("ZeroPadding2D({}) then ", ""),
    "Conv2DTranspose": ("", " + Cropping2D({})"),
}


def keras_call(layer: str, **arguments) -> str:
    """The Keras layer call that a drawing or an explorer stands for, as text.

    ``Conv2D`` and ``Conv2DTranspose`` take only ``"valid"`` or ``"same"``; an int
    ``padding`` is spelled as the layer Keras needs beside them: ``ZeroPadding2D``
    before a convolution, ``Cropping2D`` after a transposed one.

    Args:
        layer: the class name, e.g. ``"Conv2D"``, ``"MaxPooling2D"``.
        **arguments: its arguments, in the order to print them.

    Returns:
        str: the call, strings quoted.

    Example:
        >>> keras_call("Conv2D", filters=1, kernel_size=3, padding=1)
        "ZeroPadding2D(1) then Conv2D(filters=1, kernel_size=3, padding='valid')"
    """
    before = after = ""
    padding = arguments.get("padding")
    if layer in _INT_PADDING and not isinstance(padding, str | None):
        before, after = (text.format(padding) for text in _INT_PADDING[layer])
        arguments["padding"] = "valid"
    # Strings quoted, numbers as they print (a NumPy integer's repr would name its type).
    listed = ", ".join(
        f"{name}={value!r}" if isinstance(value, str) else f"{name}={value}"
        for name, value in arguments.items()
    )
    return f"{before}{layer}({listed}){after}"


# --- Feature maps and images ------------------------------------------------------------------


def image_grid(count: int, ncols: int, panel_inches: float, dpi: float):
    """``count`` bare panels in rows of ``ncols``: the figure and its flat axes.

    Shared by the panel plots here and in :mod:`fcn_tutorial.viz.fields`; not exported.
    """
    nrows = -(-count // ncols)
    fig = new_figure(ncols * panel_inches, nrows * (panel_inches + 0.25), dpi=dpi)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes:
        ax.set_axis_off()
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.92, wspace=0.08, hspace=0.25)
    return fig, axes


def plot_feature_maps(
    maps: np.ndarray,
    ncols: int = 8,
    titles: Sequence[str] | None = None,
    cmap: str = "viridis",
    dpi: float = 100,
) -> TutorialFigure:
    """Every channel of a layer's output as a small image.

    Args:
        maps: ``(H, W, C)`` activations of one image (drop the batch axis first).
        ncols: panels per row.
        titles: one per channel; defaults to the channel index.
        cmap: a matplotlib colormap name; each map is scaled to its own range.

    Returns:
        TutorialFigure: ``ceil(C / ncols)`` rows of panels.

    Raises:
        ValueError: for an array that is not 3-D, or the wrong number of titles.
    """
    maps = np.asarray(maps)
    if maps.ndim != 3:
        raise ValueError(
            f"maps must be (H, W, C), got shape {maps.shape}: pass features[0] for a batch."
        )
    channels = maps.shape[-1]
    titles = [f"channel {i}" for i in range(channels)] if titles is None else list(titles)
    if len(titles) != channels:
        raise ValueError(f"got {len(titles)} titles for {channels} channels: pass one each.")
    fig, axes = image_grid(channels, min(ncols, channels), 1.4, dpi)
    for channel, (ax, title) in enumerate(zip(axes[:channels], titles, strict=True)):
        ax.imshow(maps[..., channel], cmap=cmap, interpolation="nearest")
        ax.set_title(title, fontsize=8)
    return fig


def plot_images(
    images: Sequence[np.ndarray] | np.ndarray,
    titles: Sequence[str] | None = None,
    ncols: int | None = None,
    dpi: float = 100,
) -> TutorialFigure:
    """Images side by side.

    Args:
        images: a sequence (or ``(N, ...)`` array) of ``(H, W, 3) uint8`` RGB or
            ``(H, W)`` grey images (uint8 shown on 0..255, floats on their own range).
        titles: one per image.
        ncols: panels per row; defaults to all in one row, at most 4.

    Returns:
        TutorialFigure: one panel per image.
    """
    images = list(images)
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"got {len(titles)} titles for {len(images)} images: pass one each.")
    fig, axes = image_grid(len(images), ncols or min(len(images), 4), 2.6, dpi)
    for index, (ax, image) in enumerate(zip(axes[: len(images)], images, strict=True)):
        image = np.asarray(image)
        if image.ndim == 2:
            limits = (0, 255) if image.dtype == np.uint8 else (None, None)
            ax.imshow(image, cmap="gray", vmin=limits[0], vmax=limits[1])
        else:
            ax.imshow(image)
        if titles is not None:
            ax.set_title(titles[index], fontsize=10)
    return fig


def draw_kernel(ax, kernel: np.ndarray) -> None:
    """Draw a small 2-D kernel on ``ax`` as a table of its weights, blue (<0) to red (>0)."""
    kernel = np.asarray(kernel, dtype=float)
    limit = max(float(np.abs(kernel).max()), 1e-9)
    ax.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    for (r, c), weight in np.ndenumerate(kernel):
        label = f"{weight:g}"
        ax.text(
            c,
            r,
            label,
            ha="center",
            va="center",
            fontsize=11 if len(label) <= 4 else 8,
            color="white" if abs(weight) > 0.6 * limit else "black",
        )
    ax.set_axis_off()


# --- Animations ------------------------------------------------------------------------------


class Animation:
    """Frames rendered once, shown inline as a GIF and saved byte-for-byte reproducibly.

    Attributes:
        frames: list of ``(H, W, 3) uint8`` images, all the same shape.
        interval: milliseconds per frame.
    """

    def __init__(self, frames: Iterable[np.ndarray], interval: int = 600):
        self.frames = [np.asarray(frame, dtype=np.uint8) for frame in frames]
        if not self.frames:
            raise ValueError("an animation needs at least one frame: pass a non-empty steps.")
        shapes = {frame.shape for frame in self.frames}
        if len(shapes) != 1:
            raise ValueError(
                f"frames differ in shape {sorted(shapes)}: give animate() a fixed size."
            )
        self.interval = int(interval)

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        return f"<Animation: {len(self)} frames>"

    def to_gif(self) -> bytes:
        """The GIF's bytes: one palette shared by all frames, no dithering, looping forever."""
        from PIL import Image

        # One fixed palette for all frames: the 64 most frequent colours, ties broken by
        # value, so it is deterministic. Flat fills stay exact and antialiased edges snap
        # to their nearest fill (computed here: Pillow's own lookup is approximate).
        stack = np.stack(self.frames).astype(np.int32)
        keys = (stack[..., 0] << 16) | (stack[..., 1] << 8) | stack[..., 2]
        colours, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        palette = colours[np.lexsort((colours, -counts))[:64]]

        def rgb(key):
            return np.stack([(key >> 16) & 255, (key >> 8) & 255, key & 255], axis=-1)

        distances = ((rgb(colours)[:, None] - rgb(palette)[None]) ** 2).sum(axis=-1)
        indices = distances.argmin(axis=1)[inverse.ravel()].reshape(keys.shape).astype(np.uint8)
        images = []
        for index in indices:
            image = Image.frombytes("P", (index.shape[1], index.shape[0]), index.tobytes())
            image.putpalette(rgb(palette).astype(np.uint8).ravel().tolist())
            images.append(image)
        buffer = io.BytesIO()
        images[0].save(
            buffer,
            format="GIF",
            save_all=True,
            append_images=images[1:],
            duration=self.interval,
            loop=0,
        )
        return buffer.getvalue()

    def save(self, path: str | Path) -> Path:
        """Write the GIF to ``path`` and return it."""
        path = Path(path)
        path.write_bytes(self.to_gif())
        return path

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {
            "image/gif": base64.b64encode(self.to_gif()).decode("ascii"),
            "text/plain": repr(self),
        }


def animate(
    frame_fn: Callable[[int], Figure],
    steps: int | Iterable[int],
    interval: int = 600,
    size: tuple[float, float] | None = None,
    dpi: float | None = None,
) -> Animation:
    """Render ``frame_fn(step)`` for every step into an :class:`Animation`.

    Args:
        frame_fn: a pure function from a step to a Figure, such as
            ``lambda step: plot_convolution_step(config, step)``.
        steps: the steps, or their count.
        interval: milliseconds per frame.
        size: optional (width, height) in inches imposed on every frame.
        dpi: optional dpi imposed on every frame.

    Returns:
        Animation: shows inline in Jupyter; ``.save("name.gif")`` writes it.

    Example:
        >>> from fcn_tutorial import viz
        >>> config = viz.CONV_CONFIGS["no_padding_no_strides"]
        >>> len(animate(lambda step: viz.plot_convolution_step(config, step), 4, dpi=40))
        4
    """
    steps = range(steps) if isinstance(steps, int) else steps
    frames = []
    for step in steps:
        fig = frame_fn(step)
        if size is not None:
            fig.set_size_inches(size)
        if dpi is not None:
            fig.set_dpi(dpi)
        frames.append(figure_to_array(fig))
    return Animation(frames, interval)
