"""Label your own photos with a trained FCN: what ``fcn-tutorial predict`` runs.

Each image gets a PNG of class indices at its exact size (``STEM.png``) and, if asked,
the classes painted over it (``STEM_overlay.png``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fcn_tutorial import viz
from fcn_tutorial.classes import KITTI_PALETTE, PALETTE
from fcn_tutorial.datasets import read_image
from fcn_tutorial.datasets.folders import IMAGE_SUFFIXES
from fcn_tutorial.training import load_model, predict_masks

__all__ = ["image_inputs", "predict_images"]


def image_inputs(path: str | Path) -> list[Path]:
    """The images to label: ``path`` itself, or the images in the folder ``path``.

    Raises:
        FileNotFoundError: when ``path`` does not exist.
        ValueError: for a folder with no images, naming the suffixes looked for.
    """
    path = Path(path)
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not found:
            raise ValueError(f"{path} holds no images ({', '.join(IMAGE_SUFFIXES)}).")
        return found
    if not path.exists():
        raise FileNotFoundError(f"no such file or folder {path}: pass an image or a folder.")
    return [path]


def _check_outputs(paths: list[Path], output: Path) -> None:
    stems = [p.stem for p in paths]
    if len(set(stems)) != len(stems):
        raise ValueError(
            "the inputs hold images with the same stem (e.g. a.jpg and a.png), whose masks "
            "would overwrite each other: rename one."
        )
    for path in paths:
        if (output / f"{path.stem}.png").resolve() == path.resolve():
            raise ValueError(
                f"writing {path.stem}.png would overwrite {path}: pick another --output."
            )


def predict_images(model_path, inputs, output, overlay: bool = False, log=print) -> list[Path]:
    """Write a class-index PNG (and an overlay) for each input image.

    Args:
        model_path: a ``.keras`` file that ``train`` wrote.
        inputs: an image or a folder of images.
        output: the folder for ``STEM.png`` (and ``STEM_overlay.png``).
        overlay: also paint the classes over each image.
        log: called with one line per image written.

    Returns:
        list[Path]: the mask files written.

    Raises:
        FileNotFoundError, ValueError: for a missing or broken model or image, names
            that would collide, or an overlay the palette cannot colour.
    """
    from PIL import Image

    paths = image_inputs(inputs)
    output = Path(output)
    _check_outputs(paths, output)
    model = load_model(model_path)
    classes = int(model.output_shape[-1])
    palette = KITTI_PALETTE if classes == 2 else PALETTE
    if overlay and classes > len(palette):
        raise ValueError(
            f"the model has {classes} classes but the palette {len(palette)} colours: "
            "leave out --overlay."
        )
    output.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        image = read_image(path)
        mask = predict_masks(model, image)
        Image.fromarray(mask.astype(np.uint8)).save(output / f"{path.stem}.png")
        if overlay:
            painted = viz.paint_labels(image, mask, palette=palette)
            Image.fromarray(painted).save(output / f"{path.stem}_overlay.png")
        written.append(output / f"{path.stem}.png")
        log(f"{path} -> {written[-1]} ({mask.shape[0]}x{mask.shape[1]})")
    return written
