"""Time and peak memory of ``fcn-tutorial predict`` on one large photo (issue 14).

Writes a ``--size`` photo (default 4000x3000, width x height as cameras say it) to a
temporary folder and labels it with ``fcn_tutorial.predict.predict_images``, the function
behind ``fcn-tutorial predict``, in a fresh Python process per measurement, so each peak
resident set size (RSS) is that run's alone. Prints the RSS after imports and the model's
loading, the peak, and the time ``predict_images`` took; ``--whole`` also labels the photo
in one piece (tile size larger than the photo), the way ``predict`` did before tiling, for
comparison (about 6.8 GiB at 4000x3000).

The model: ``--model PATH`` (a ``.keras`` file ``train`` wrote), or by default the quick
profile's network, FCN-8s on MobileNet alpha=0.25, with random weights (speed and memory
do not depend on the weights).

    python benchmarks/predict_memory.py                 # tiled, 1536-pixel windows (the default)
    python benchmarks/predict_memory.py --whole         # and whole, for comparison
    python benchmarks/predict_memory.py --size 800x600 --tile-size 512 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _peak_rss_mib() -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def _current_rss_mib() -> float:
    try:
        fields = Path("/proc/self/status").read_text().split("VmRSS:")[1].split()
        return int(fields[0]) / 2**10
    except (OSError, IndexError, ValueError):
        return _peak_rss_mib()


def measure(model: str, photo: str, out: str, tile_size: int) -> dict:
    """One run of ``predict_images`` in this process: seconds, RSS before and peak."""
    import warnings

    from fcn_tutorial.predict import predict_images
    from fcn_tutorial.training import check_model, load_model

    check_model(load_model(model))  # imports, loading and tracing, outside the timing
    before = _current_rss_mib()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        predict_images(model, photo, out, tile_size=tile_size, log=lambda line: None)
    seconds = time.perf_counter() - start
    return {
        "tile_size": tile_size,
        "seconds": round(seconds, 2),
        "rss_before_mib": round(before),
        "peak_rss_mib": round(_peak_rss_mib()),
    }


def _child(*args: str) -> str:
    # A fresh process per step: Linux keeps a process's peak RSS across fork and exec, so
    # this parent stays small (no Keras, no photo in memory) lest it inflate the children's.
    command = [sys.executable, __file__, "--child", *args]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    if result.returncode != 0:
        sys.exit(f"{args[0]} failed:\n{result.stderr[-3000:]}")
    return result.stdout.strip().splitlines()[-1]


def _prepare(folder: str, width: str, height: str, model: str, tile_size: str) -> dict:
    """Write the photo and, unless given, the model; the tile size, predict's if not given."""
    photo = _photo((int(height), int(width)), Path(folder))
    if not tile_size:
        from fcn_tutorial.predict import TILE_SIZE

        tile_size = TILE_SIZE
    model = model or str(_model(Path(folder)))
    return {"photo": str(photo), "model": model, "tile_size": int(tile_size)}


def _photo(size: tuple[int, int], folder: Path) -> Path:
    import numpy as np
    from PIL import Image

    height, width = size
    rows, columns = np.mgrid[0:height, 0:width]
    noise = np.random.default_rng(0).integers(0, 64, (height, width, 3))
    image = np.stack([columns // 7, rows // 5, (rows + columns) // 9], axis=-1) % 192 + noise
    path = folder / f"photo_{width}x{height}.jpg"
    Image.fromarray(image.astype(np.uint8)).save(path, quality=90)
    return path


def _model(folder: Path) -> Path:
    from fcn_tutorial.models import build_fcn

    path = folder / "fcn8s_mobilenet_0.25.keras"
    build_fcn(11, backbone="mobilenet", variant="fcn8s", alpha=0.25, weights=None).save(path)
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="4000x3000", help="WIDTHxHEIGHT of the photo")
    parser.add_argument("--tile-size", type=int, default=None, help="default: predict's")
    parser.add_argument("--model", help="a .keras file (default: random quick-profile FCN)")
    parser.add_argument("--whole", action="store_true", help="also label it in one piece")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        step, *rest = args.child
        if step == "prepare":
            print(json.dumps(_prepare(*rest)))
        else:
            model, photo, out, tile = rest
            print(json.dumps(measure(model, photo, out, int(tile))))
        return 0
    try:
        width, height = (int(part) for part in args.size.lower().split("x"))
    except ValueError:
        parser.error(f"--size {args.size!r} is not WIDTHxHEIGHT: pass e.g. --size 4000x3000.")
    with tempfile.TemporaryDirectory() as temporary:
        sizes = (str(width), str(height))
        given = (args.model or "", str(args.tile_size or ""))
        prepared = json.loads(_child("prepare", temporary, *sizes, *given))
        tile_size = prepared["tile_size"]
        runs = []
        for tile in [tile_size] + ([max(width, height)] if args.whole else []):
            out = str(Path(temporary) / f"out_{tile}")
            figures = json.loads(
                _child("measure", prepared["model"], prepared["photo"], out, str(tile))
            )
            runs.append({"how": "tiled" if tile < max(width, height) else "whole", **figures})
    args.model = prepared["model"]
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    print(f"predict on a {width}x{height} photo, {Path(args.model).name}, {backend} backend")
    print(f"  {'how':<22}{'time':>9}{'RSS before':>13}{'peak RSS':>12}")
    for run in runs:
        how = f"{run['how']} ({run['tile_size']} px)" if run["how"] == "tiled" else "whole"
        print(
            f"  {how:<22}{run['seconds']:>7.1f} s{run['rss_before_mib']:>9} MiB"
            f"{run['peak_rss_mib']:>8} MiB"
        )
    if args.json:
        report = {"size": [width, height], "backend": backend, "runs": runs}
        from fcn_tutorial.files import replacing  # light: the measuring is in children

        with replacing(args.json) as temporary:
            temporary.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
