"""Pack CamVid's train and val splits into one compact .npz for a machine without network.

The GPU machine of issue 9 cannot download CamVid, and what travels to it is capped at
64 MiB; the PNG folders are about 120 MB. This reads both splits through the package's
own hash-checked loader (``datasets.load_camvid(..., download=False)``), stores each
photo as JPEG bytes (quality 90 by default: the one lossy step, recorded in the file) and
each label map as raw ``uint8`` in a compressed ``.npz`` (about 28 MiB). Labels stay exact.

On the other side, :func:`unpack` writes the pairs back out as a folder that
``fcn_tutorial.training.train(dataset="folder", ...)`` reads (photos ``train_0000.jpg`` ...
``val_0100.jpg``, masks as index PNGs), val sorted last so ``num_val=101`` splits it as
CamVid does, and :func:`load` returns the decoded arrays.

Usage, from the repository root::

    python benchmarks/pack_camvid.py                      # ../shared/data/camvid -> .carry/
    python benchmarks/pack_camvid.py --root DIR --out PATH --quality 90
    python benchmarks/pack_camvid.py --unpack .carry/camvid.npz --to /tmp/camvid-folder

Not part of the package.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_ROOT = ROOT.parent / "shared" / "data" / "camvid"
DEFAULT_OUT = ROOT / ".carry" / "camvid.npz"
SPLITS = ("train", "val")

__all__ = ["pack", "unpack", "load"]


def _encode(images: np.ndarray, quality: int) -> tuple[np.ndarray, np.ndarray]:
    from PIL import Image

    chunks, offsets = [], [0]
    for image in images:
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="JPEG", quality=quality, subsampling=0)
        chunks.append(np.frombuffer(buffer.getvalue(), dtype=np.uint8))
        offsets.append(offsets[-1] + len(chunks[-1]))
    return np.concatenate(chunks), np.array(offsets, dtype=np.int64)


def pack(root: str | os.PathLike, out: str | os.PathLike, quality: int = 90) -> dict:
    """Write CamVid's train and val splits from ``root`` to ``out`` (.npz); return sizes.

    Args:
        root: a CamVid folder (``train/``, ``trainannot/``, ``val/``, ``valannot/``).
        out: the .npz to write (atomically: a temporary file renamed into place).
        quality: JPEG quality of the photos, 1 to 100.

    Returns:
        dict: ``{"path", "bytes", "pairs": {split: count}, "mean_abs_error": {split: e}}``,
        ``e`` the mean absolute difference, in 0..255 steps, of the decoded photos.

    Raises:
        ValueError: for a quality outside 1..100, and what ``load_camvid`` raises for a
            missing or corrupt file.
    """
    from fcn_tutorial.datasets import load_camvid
    from fcn_tutorial.files import replacing

    if not 1 <= quality <= 100:
        raise ValueError(f"quality={quality} must be 1..100, e.g. 90.")
    arrays = {"jpeg_quality": np.array(quality)}
    report = {"pairs": {}, "mean_abs_error": {}}
    for split in SPLITS:
        images, masks = load_camvid(split, root, download=False, progress=False)
        data, offsets = _encode(images, quality)
        arrays[f"{split}_jpeg"], arrays[f"{split}_offsets"] = data, offsets
        arrays[f"{split}_masks"] = masks
        decoded = _decode(data, offsets)
        error = np.abs(decoded.astype(np.int16) - images.astype(np.int16)).mean()
        report["pairs"][split] = len(images)
        report["mean_abs_error"][split] = round(float(error), 3)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with replacing(out) as temporary:
        np.savez_compressed(temporary, **arrays)
    return {"path": str(out), "bytes": out.stat().st_size, **report}


def _decode(data: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    from PIL import Image

    return np.stack(
        [
            np.asarray(Image.open(io.BytesIO(data[start:end].tobytes())).convert("RGB"))
            for start, end in zip(offsets[:-1], offsets[1:])
        ]
    )


def load(path: str | os.PathLike) -> dict:
    """The packed splits, decoded: ``{"train": (images, masks), "val": (images, masks)}``.

    Images ``(N, 360, 480, 3) uint8`` (from JPEG), masks ``(N, 360, 480) uint8`` (exact).
    """
    with np.load(path) as packed:
        return {
            split: (
                _decode(packed[f"{split}_jpeg"], packed[f"{split}_offsets"]),
                packed[f"{split}_masks"],
            )
            for split in SPLITS
        }


def unpack(path: str | os.PathLike, folder: str | os.PathLike) -> dict:
    """Write the packed pairs to ``folder/images`` (the JPEG bytes as packed) and
    ``folder/masks`` (index PNGs), for ``train(dataset="folder", num_val=...)``.

    Returns:
        dict: ``{"images": path, "masks": path, "num_train": n, "num_val": m}``.
    """
    from PIL import Image

    folder = Path(folder)
    images_dir, masks_dir = folder / "images", folder / "masks"
    images_dir.mkdir(parents=True, exist_ok=True)
    masks_dir.mkdir(parents=True, exist_ok=True)
    counts = {}
    with np.load(path) as packed:
        for split in SPLITS:
            data, offsets = packed[f"{split}_jpeg"], packed[f"{split}_offsets"]
            masks = packed[f"{split}_masks"]
            for index, mask in enumerate(masks):
                stem = f"{split}_{index:04d}"
                start, end = offsets[index], offsets[index + 1]
                (images_dir / f"{stem}.jpg").write_bytes(data[start:end].tobytes())
                Image.fromarray(mask).save(masks_dir / f"{stem}.png")
            counts[split] = len(masks)
    return {
        "images": str(images_dir),
        "masks": str(masks_dir),
        "num_train": counts["train"],
        "num_val": counts["val"],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=str(DEFAULT_ROOT), help="the CamVid folder")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="the .npz to write")
    parser.add_argument("--quality", type=int, default=90, help="JPEG quality (90)")
    parser.add_argument("--unpack", metavar="NPZ", help="write NPZ out as a folder instead")
    parser.add_argument("--to", help="with --unpack: the folder to write")
    args = parser.parse_args(argv)
    try:
        if args.unpack:
            if not args.to:
                parser.error("--unpack needs --to FOLDER.")
            print(unpack(args.unpack, args.to))
            return 0
        result = pack(args.root, args.out, args.quality)
    except (ValueError, FileNotFoundError) as error:
        print(f"pack_camvid: {error}", file=sys.stderr)
        return 2
    print(
        f"wrote {result['path']}: {result['bytes'] / 2**20:.1f} MiB, pairs {result['pairs']}, "
        f"JPEG quality {args.quality}, mean abs error {result['mean_abs_error']} (0..255)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
