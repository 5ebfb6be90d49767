"""The model commands of ``fcn-tutorial``: train, evaluate, predict, download, bench model.

Kept apart from ``cli`` so that ``fcn-tutorial --help`` and the notebook commands start
without importing Keras; each command imports it when it runs. Every command turns bad
input into one line on stderr and exit code 2 (:func:`report`), never a traceback; set
``FCN_TUTORIAL_DEBUG=1`` to see the traceback anyway.

Examples::

    fcn-tutorial train --profile quick --out /tmp/runs/quick
    fcn-tutorial evaluate --model /tmp/runs/quick/best.keras --dataset synthetic
    fcn-tutorial predict --model /tmp/runs/quick/best.keras --input photos/ --output out/
    fcn-tutorial bench model --backbone mobilenet --size 360x480
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

__all__ = [
    "add_commands",
    "report",
    "is_bad_input",
    "parse_size",
    "model_flops",
    "bench_model",
    "PEAK_FLOPS",
]

# Dense float16/bfloat16 tensor-core peaks (no sparsity), from the vendors' data sheets,
# matched against the start of the GPU's name as nvidia-smi prints it.
PEAK_FLOPS = {
    "NVIDIA H200": 989e12,
    "NVIDIA H100": 989e12,
    "NVIDIA A100": 312e12,
    "NVIDIA L4": 121e12,
    "NVIDIA A10": 125e12,
    "Tesla V100": 125e12,
    "Tesla T4": 65e12,
}


def is_bad_input(error: BaseException) -> bool:
    """Whether ``error`` is the user's input being wrong (rather than a bug).

    Missing or unreadable files, unknown names, class counts that disagree, weights
    that cannot be had, a download that failed: the library raises these with a
    message that names the fix, so the CLI prints that message and nothing else.
    """
    if isinstance(error, (ValueError, FileNotFoundError, ConnectionError, IsADirectoryError)):
        return True
    classifiers = sys.modules.get("fcn_tutorial.models.classifiers")
    return classifiers is not None and isinstance(error, classifiers.WeightsUnavailableError)


def report(command: str, error: BaseException) -> int:
    """Print ``error`` as one line on stderr and return the exit code 2."""
    message = " ".join(str(error).split()) or type(error).__name__
    print(f"fcn-tutorial {command}: error: {message}", file=sys.stderr, flush=True)
    return 2


def parse_size(text: str) -> tuple[int, int]:
    """``"360x480"`` to ``(360, 480)``.

    Raises:
        ValueError: for anything but two positive integers joined by ``x``.
    """
    try:
        height, width = (int(part) for part in text.lower().split("x"))
    except ValueError:
        height = width = 0
    if height < 1 or width < 1:
        raise ValueError(f"size {text!r} is not HEIGHTxWIDTH: pass e.g. --size 360x480.")
    return height, width


def _weights(text: str | None) -> str | None:
    if text is None:
        return None
    return None if text.lower() == "none" else text


def _data_fields(args: argparse.Namespace) -> dict:
    # The TrainConfig fields behind add_commands' data_options, shared by train and evaluate.
    return {
        "dataset": args.dataset,
        "data_root": args.data_root,
        "images": args.images,
        "masks": args.masks,
        "num_classes": args.num_classes,
        "image_size": parse_size(args.size) if args.size else None,
    }


def _train(args: argparse.Namespace) -> int:
    from fcn_tutorial import training

    weights = _weights(args.weights)
    overrides = {
        **_data_fields(args),
        "backbone": args.backbone,
        "variant": args.variant,
        "alpha": args.alpha,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "seed": args.seed,
        "out": args.out,
        "resume": args.resume or None,
        "profile": args.profile,
        "num_train": args.num_train,
        "num_val": args.num_val,
    }
    # An option left out is None: the profile's value stands.
    overrides = {key: value for key, value in overrides.items() if value is not None}
    if args.weights is not None:
        overrides["weights"] = weights  # "none" is a choice, not "use the profile's"
    config = training._make_config(None, overrides)
    summary = training.train(config)
    metrics, baseline = summary["metrics"], summary["baseline"]
    print(
        f"done in {summary['wall_time_s']:.1f} s, {summary['train_images_per_s']} images/s "
        f"on {summary['device']}: val mean IU {metrics['mean_iu']:.4f} "
        f"(majority-class baseline {baseline['mean_iu']:.4f}); files in {config.out}"
    )
    return 0


def _evaluation_data(args, model):
    from fcn_tutorial import training
    from fcn_tutorial.datasets import load_camvid

    overrides = {**_data_fields(args), "num_val": args.num_images}
    overrides = {key: value for key, value in overrides.items() if value is not None}
    config = training._make_config(None, overrides)
    if args.split == "test" and config.dataset != "camvid":
        raise ValueError(
            f"--split test exists only for camvid: use val or train for {args.dataset}."
        )
    if config.dataset == "camvid" and args.split == "test":
        pairs = load_camvid("test", config.data_root)
        names = list(training.CLASS_NAMES)
    else:
        train_pairs, val_pairs, names = training.load_dataset(config)
        pairs = val_pairs if args.split == "val" else train_pairs
    classes = int(model.output_shape[-1])
    if classes != len(names):
        raise ValueError(
            f"the model predicts {classes} classes but {config.dataset} has {len(names)}: "
            f"evaluate it on the data it was trained for, or pass --num-classes {classes} "
            "for a folder."
        )
    return pairs, names


def _evaluate(args: argparse.Namespace) -> int:
    from fcn_tutorial import training

    model = training.load_model(args.model)
    (images, masks), names = _evaluation_data(args, model)
    scores = training.evaluate(model, images, masks, batch_size=args.batch_size)
    print(f"{args.model} on {args.dataset} {args.split} ({len(images)} images)")
    for key, label in (
        ("pixel_accuracy", "pixel accuracy"),
        ("mean_accuracy", "mean accuracy"),
        ("mean_iu", "mean IU"),
        ("frequency_weighted_iu", "frequency weighted IU"),
    ):
        print(f"  {label:<24}{scores[key]:8.4f}")
    print(f"  {'class':<24}{'IoU':>8}")
    for name, iou in zip(names, scores["per_class_iu"], strict=True):
        print(f"  {name:<24}{'  absent' if iou != iou else f'{iou:8.4f}'}")
    return 0


def _inputs(path: Path) -> list[Path]:
    from fcn_tutorial.datasets.folders import IMAGE_SUFFIXES

    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not found:
            raise ValueError(f"{path} holds no images ({', '.join(IMAGE_SUFFIXES)}).")
        return found
    if not path.exists():
        raise FileNotFoundError(f"no such file or folder {path}: pass an image or a folder.")
    return [path]


def _predict(args: argparse.Namespace) -> int:
    import numpy as np
    from PIL import Image

    from fcn_tutorial import training
    from fcn_tutorial.classes import KITTI_PALETTE, PALETTE
    from fcn_tutorial.datasets import read_image
    from fcn_tutorial.viz import paint_labels

    paths = _inputs(Path(args.input))
    output = Path(args.output)
    stems = [p.stem for p in paths]
    if len(set(stems)) != len(stems):
        raise ValueError(
            f"{args.input} holds images with the same stem (e.g. a.jpg and a.png), whose "
            "masks would overwrite each other: rename one."
        )
    for path in paths:
        if (output / f"{path.stem}.png").resolve() == path.resolve():
            raise ValueError(
                f"writing {path.stem}.png would overwrite {path}: pick another --output."
            )
    model = training.load_model(args.model)
    classes = int(model.output_shape[-1])
    palette = KITTI_PALETTE if classes == 2 else PALETTE
    output.mkdir(parents=True, exist_ok=True)
    for path in paths:
        image = read_image(path)
        mask = training.predict_masks(model, image)
        Image.fromarray(mask.astype(np.uint8)).save(output / f"{path.stem}.png")
        if args.overlay:
            if classes > len(palette):
                raise ValueError(
                    f"the model has {classes} classes but the palette {len(palette)} "
                    "colours: leave out --overlay."
                )
            blended = paint_labels(image, mask, palette)
            Image.fromarray(blended).save(output / f"{path.stem}_overlay.png")
        print(f"{path} -> {output / (path.stem + '.png')} ({mask.shape[0]}x{mask.shape[1]})")
    return 0


def _download(args: argparse.Namespace) -> int:
    from fcn_tutorial.datasets import download_camvid

    root = download_camvid(root=args.root)
    print(f"CamVid is complete and verified in {root}")
    return 0


def model_flops(model) -> int:
    """Multiply-adds × 2 of one image through the model's convolutions.

    Counted from each layer's kernel and its output (transposed: input) size, so the
    model must have been built with a fixed ``input_shape``. Element-wise layers,
    batch norm and activations are left out: they are a few percent at most.

    Args:
        model: a Keras model whose ``Conv2D``, ``DepthwiseConv2D`` and
            ``Conv2DTranspose`` layers have known output shapes.

    Returns:
        int: floating-point operations per image.
    """
    import keras

    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.DepthwiseConv2D):
            kh, kw, channels, multiplier = layer.kernel.shape
            _, h, w, _ = layer.output.shape
            total += 2 * h * w * kh * kw * channels * multiplier
        elif isinstance(layer, keras.layers.Conv2DTranspose):
            kh, kw, out_channels, in_channels = layer.kernel.shape
            _, h, w, _ = layer.input.shape
            total += 2 * h * w * kh * kw * in_channels * out_channels
        elif isinstance(layer, keras.layers.Conv2D):
            kh, kw, in_channels, out_channels = layer.kernel.shape
            _, h, w, _ = layer.output.shape
            total += 2 * h * w * kh * kw * in_channels * out_channels
    return int(total)


def nvidia_smi(field: str) -> str | None:
    """The first GPU's ``field`` (``name``, ``memory.total`` ...), or ``None`` without one."""
    try:
        result = subprocess.run(
            ["nvidia-smi", f"--query-gpu={field}", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    lines = result.stdout.strip().splitlines() if result.returncode == 0 else []
    return lines[0].strip() if lines else None


def _gpu_name() -> str | None:
    return nvidia_smi("name")


def _peak_memory_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kibibytes, macOS bytes.
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def bench_model(args: argparse.Namespace) -> int:
    """``fcn-tutorial bench model``: forward and training speed of a random-weight FCN.

    Prints forward ms/frame at batch 1 and at ``--batch-size``, training images/s, the
    process' peak resident memory, the model's GFLOPs per frame, and on a GPU the
    achieved FLOP/s of the batched forward pass against the device's peak where
    :data:`PEAK_FLOPS` knows it.
    """
    import keras
    import numpy as np

    from fcn_tutorial import training
    from fcn_tutorial.losses import MaskedSparseCrossEntropy
    from fcn_tutorial.models import build_fcn

    height, width = parse_size(args.size)
    if args.batch_size < 1 or args.repeats < 1:
        raise ValueError("--batch-size and --repeats must be at least 1.")
    alpha = args.alpha or (0.25 if args.backbone == "mobilenet" else 1.0)
    on_gpu = training.gpu_available()
    previous = keras.config.dtype_policy()
    if on_gpu:
        keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = build_fcn(
            11,
            backbone=args.backbone,
            variant=args.variant,
            weights=None,
            input_shape=(height, width, 3),
            alpha=alpha,
        )
        model.compile(
            optimizer=keras.optimizers.Adam(1e-4),
            loss=MaskedSparseCrossEntropy(),
            jit_compile=on_gpu,
        )
        rng = np.random.default_rng(0)
        batch = rng.uniform(0, 255, (args.batch_size, height, width, 3)).astype("float32")
        labels = rng.integers(0, 11, (args.batch_size, height, width)).astype("int32")

        def seconds(run, warmup=2):
            for _ in range(warmup):
                run()
            start = time.perf_counter()
            for _ in range(args.repeats):
                run()
            return (time.perf_counter() - start) / args.repeats

        single = seconds(lambda: keras.ops.convert_to_numpy(model.predict_on_batch(batch[:1])))
        batched = seconds(lambda: keras.ops.convert_to_numpy(model.predict_on_batch(batch)))
        step = seconds(lambda: model.train_on_batch(batch, labels), warmup=1)
    finally:
        keras.mixed_precision.set_global_policy(previous)
    flops = model_flops(model)
    device = "gpu" if on_gpu else "cpu"
    print(
        f"{model.name} alpha={alpha} at {height}x{width}, {model.count_params():,} parameters, "
        f"{flops / 1e9:.2f} GFLOPs/frame, {keras.backend.backend()} on {device}"
    )
    print(f"  forward, batch 1           {single * 1e3:9.1f} ms/frame")
    per_frame = batched * 1e3 / args.batch_size
    print(f"  forward, batch {args.batch_size:<3}        {per_frame:9.1f} ms/frame")
    print(f"  training, batch {args.batch_size:<3}       {args.batch_size / step:9.1f} images/s")
    print(f"  peak memory (host RSS)     {_peak_memory_mib():9.0f} MiB")
    if on_gpu:
        achieved = flops * args.batch_size / batched
        name = _gpu_name()
        peak = next((v for k, v in PEAK_FLOPS.items() if name and name.startswith(k)), None)
        share = f", {achieved / peak:.1%} of {name}'s {peak / 1e12:.0f}" if peak else ""
        print(f"  achieved (forward, batched) {achieved / 1e12:8.2f} TFLOP/s{share}")
    return 0


def add_commands(commands) -> None:
    """Add train, evaluate, predict and download to ``fcn-tutorial``'s subparsers."""
    # Spelled out, not imported from training: that would import Keras for --help.
    datasets = "synthetic, camvid, kitti, folder"

    def data_options(parser):
        parser.add_argument("--dataset", help=f"one of {datasets}")
        parser.add_argument("--data-root", help="CamVid or KITTI folder")
        parser.add_argument("--images", help="folder dataset: the photos")
        parser.add_argument("--masks", help="folder dataset: index-PNG masks, same stems")
        parser.add_argument("--num-classes", type=int, help="folder dataset: classes")
        parser.add_argument("--size", help="HEIGHTxWIDTH of synthetic (or resized) images")

    train = commands.add_parser("train", help="train an FCN, resumable")
    data_options(train)
    train.add_argument("--profile", help="preset: quick, cpu or gpu (default quick)")
    train.add_argument("--backbone", help="vgg16, mobilenet or mobilenetv2")
    train.add_argument("--variant", help="fcn32s, fcn16s or fcn8s")
    train.add_argument("--alpha", type=float, help="MobileNet width multiplier")
    train.add_argument("--weights", help="imagenet or none")
    train.add_argument("--epochs", type=int)
    train.add_argument("--batch-size", type=int)
    train.add_argument("--learning-rate", type=float)
    train.add_argument("--num-train", type=int, help="use only the first N training images")
    train.add_argument("--num-val", type=int, help="validation images")
    train.add_argument("--seed", type=int)
    train.add_argument("--out", help="the run's folder, e.g. runs/NAME")
    train.add_argument("--resume", action="store_true", help="continue from out/last.keras")
    train.set_defaults(run=_train)

    evaluate = commands.add_parser("evaluate", help="the paper's four metrics and IoU table")
    evaluate.add_argument("--model", required=True, help="a .keras file from train")
    data_options(evaluate)
    evaluate.add_argument("--split", default="val", choices=["train", "val", "test"])
    evaluate.add_argument("--num-images", type=int, help="synthetic: how many images")
    evaluate.add_argument("--batch-size", type=int, default=4)
    evaluate.set_defaults(run=_evaluate)

    predict = commands.add_parser("predict", help="write class-index PNGs for images")
    predict.add_argument("--model", required=True, help="a .keras file from train")
    predict.add_argument("--input", required=True, help="an image or a folder of images")
    predict.add_argument("--output", required=True, help="folder for STEM.png masks")
    predict.add_argument("--overlay", action="store_true", help="also STEM_overlay.png")
    predict.set_defaults(run=_predict)

    download = commands.add_parser("download", help="fetch and verify a dataset")
    download.add_argument("name", choices=["camvid"])
    download.add_argument("--root", help="where to put it (default: the cache)")
    download.set_defaults(run=_download)
