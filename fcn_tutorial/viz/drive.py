"""One frame of the drive video: camera | prediction | errors, legend, mean IU sparkline.

Drawn with Pillow, not matplotlib: a drive has hundreds of frames and each must take a
few milliseconds, not a figure's hundred. Sizes are fixed (480x360 a panel, CamVid's own
resolution; a 72-pixel strip below), so a video's frames all match and H.264's 16-pixel
blocks divide the picture (1440x432).

Introduced in ``07_self_driving_demo.ipynb`` (the drive).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fcn_tutorial.classes import CLASS_NAMES, ERROR_COLOUR, PALETTE
from fcn_tutorial.scores import wrong_pixels
from fcn_tutorial.viz.labels import paint_labels

__all__ = ["PANEL_SIZE", "STRIP_HEIGHT", "OVERLAY_OPACITY", "drive_frame"]

PANEL_SIZE = (360, 480)
"""tuple[int, int]: ``(height, width)`` of each of the three panels."""
STRIP_HEIGHT = 72
"""int: the height of the strip under the panels (legend, sparkline, speed)."""
OVERLAY_OPACITY = 0.35
"""float: the class colours' weight over the camera: light enough to see the street."""


def _font(size: int):
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def _label(draw, xy, text: str, size: int = 15) -> None:
    # White text on a dark box, readable over sky and asphalt alike.
    font = _font(size)
    left, top, right, bottom = draw.textbbox(xy, text, font=font)
    draw.rectangle((left - 4, top - 3, right + 4, bottom + 3), fill=(0, 0, 0))
    draw.text(xy, text, fill=(255, 255, 255), font=font)


def _panels(frame, prediction, mask, palette, num_classes: int) -> list[np.ndarray]:
    from PIL import Image

    height, width = PANEL_SIZE
    panels = [frame, paint_labels(frame, prediction, palette, opacity=OVERLAY_OPACITY)]
    if mask is None:
        panels.append(np.asarray(frame) // 4)
    else:
        wrong = wrong_pixels(mask, prediction, num_classes)
        panels.append(paint_labels(np.asarray(frame) // 2, mask, opacity=0.0, wrong=wrong))
    sized = []
    for panel in panels:
        picture = Image.fromarray(np.asarray(panel, np.uint8))
        if picture.size != (width, height):
            picture = picture.resize((width, height), Image.Resampling.BILINEAR)
        sized.append(np.asarray(picture))
    return sized


def _legend(draw, class_names, palette, top: int) -> None:
    font = _font(13)
    x, y = 8, top + 8
    for index, name in enumerate(class_names):
        width = int(draw.textlength(name, font=font)) + 26
        if x + width > 940:
            x, y = 8, y + 22
        draw.rectangle((x, y + 1, x + 14, y + 15), fill=tuple(int(c) for c in palette[index]))
        draw.text((x + 19, y), name, fill=(255, 255, 255), font=font)
        x += width
    draw.rectangle((x, y + 1, x + 14, y + 15), fill=tuple(int(c) for c in ERROR_COLOUR))
    draw.text((x + 19, y), "error", fill=(255, 255, 255), font=font)


def _sparkline(draw, values: Sequence[float], total: int, box: tuple[int, int, int, int]):
    left, top, right, bottom = box
    draw.rectangle(box, outline=(90, 90, 90))
    for level in (0.25, 0.5, 0.75):
        y = bottom - level * (bottom - top)
        draw.line((left, y, right, y), fill=(50, 50, 50))
    points = [
        (left + (right - left) * k / max(total - 1, 1), bottom - v * (bottom - top))
        for k, v in enumerate(values)
        if v == v  # a frame with nothing scored leaves a gap
    ]
    if len(points) > 1:
        draw.line(points, fill=(120, 220, 120), width=2)
    if points:
        x, y = points[-1]
        draw.ellipse((x - 3, y - 3, x + 3, y + 3), fill=(255, 255, 255))


def drive_frame(
    frame: np.ndarray,
    prediction: np.ndarray,
    mask: np.ndarray | None,
    *,
    title: str,
    mean_ius: Sequence[float],
    total: int,
    ms_per_frame: float | None,
    class_names: Sequence[str] = CLASS_NAMES,
    palette=PALETTE,
) -> np.ndarray:
    """The drive's picture of one frame: three panels over a strip, ``(432, 1440, 3) uint8``.

    Left the camera, middle the prediction in light colours, right the errors against
    the labels (cyan; the frame dimmed; void pixels are not scored). Below: the class
    legend, a sparkline of each frame's mean IU so far (0 to 1) and the speed.

    Args:
        frame: ``(H, W, 3) uint8``, any size (drawn at 480x360).
        prediction: ``(H, W)`` labels.
        mask: ``(H, W)`` true labels (``VOID`` unscored), or ``None`` (no errors panel).
        title: the frame counter, e.g. ``"Seq05VD  12/171"``.
        mean_ius: each frame's mean IU so far, this one last (NaN: not scored).
        total: frames in the drive (the sparkline's width).
        ms_per_frame: the measured forward time (``speed.forward_speed``), or ``None``.
        class_names: one name per class.
        palette: one colour per class.
    """
    from PIL import Image, ImageDraw

    height, width = PANEL_SIZE
    canvas = Image.new("RGB", (3 * width, height + STRIP_HEIGHT), (20, 20, 20))
    for k, panel in enumerate(_panels(frame, prediction, mask, palette, len(class_names))):
        canvas.paste(Image.fromarray(panel), (k * width, 0))
    draw = ImageDraw.Draw(canvas)
    score = mean_ius[-1] if mean_ius else float("nan")
    scored = f"mean IU {score:.2f}" if score == score else "mean IU: no labels"
    _label(draw, (10, 10), f"camera  {title}")
    _label(draw, (width + 10, 10), f"FCN-8s prediction  {scored}")
    errors = "errors vs labels (cyan)" if mask is not None else "no labels: errors not shown"
    _label(draw, (2 * width + 10, 10), errors)
    _legend(draw, class_names, palette, height)
    _sparkline(draw, list(mean_ius), total, (960, height + 8, 1240, height + STRIP_HEIGHT - 8))
    font = _font(14)
    draw.text((1250, height + 10), "mean IU per frame", fill=(200, 200, 200), font=font)
    if ms_per_frame is not None:
        speed = f"{ms_per_frame:.1f} ms/frame"
        draw.text((1250, height + 40), speed, fill=(255, 255, 255), font=_font(16))
    return np.asarray(canvas)
