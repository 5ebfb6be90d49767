"""The one parser of ``fcn-tutorial``: every subcommand, its options, help and examples.

Kept free of Keras and of the library's heavy modules, so ``fcn-tutorial --help`` answers
at once; each command imports what it needs when it runs (:mod:`.commands`).
"""

from __future__ import annotations

import argparse
import textwrap

from fcn_tutorial import __version__

__all__ = ["build_parser", "parse_size"]

_DATASETS = "synthetic, camvid, kitti, folder"  # training.DATASETS, without importing Keras


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Defaults shown after each option's help; descriptions and examples kept as written.

    An option whose help names its own default, or whose default is nothing (``None``, an
    unset switch), gets no ``(default: None)`` after it.
    """

    def _get_help_string(self, action):
        if action.default in (None, False) or "(default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def parse_size(text: str) -> tuple[int, int]:
    """``"360x480"`` to ``(360, 480)``.

    Raises:
        ValueError: for anything but two positive integers joined by ``x``.

    Example:
        >>> parse_size("360x480")
        (360, 480)
    """
    try:
        height, width = (int(part) for part in text.lower().split("x"))
    except ValueError:
        height = width = 0
    if height < 1 or width < 1:
        raise ValueError(f"size {text!r} is not HEIGHTxWIDTH: pass e.g. --size 360x480.")
    return height, width


def _examples(*lines: str) -> str:
    return "examples:\n" + textwrap.indent("\n".join(lines), "  ")


def _command(commands, name: str, summary: str, description: str, examples: tuple[str, ...]):
    return commands.add_parser(
        name,
        help=summary,
        description=description,
        epilog=_examples(*examples),
        formatter_class=_HelpFormatter,
    )


def _data_options(parser) -> None:
    parser.add_argument("--dataset", help=f"one of {_DATASETS} (default: the profile's)")
    parser.add_argument(
        "--data-root", help="CamVid or KITTI folder (default: wherever CamVid is found)"
    )
    parser.add_argument("--images", help="folder dataset: the photos")
    parser.add_argument("--masks", help="folder dataset: index-PNG masks, same file stems")
    parser.add_argument("--num-classes", type=int, help="folder dataset: number of classes")
    parser.add_argument(
        "--void-index",
        type=int,
        help="folder dataset: the mask label of unlabelled pixels, if any (default: none; "
        "every label must then be a class)",
    )
    parser.add_argument("--size", help="HEIGHTxWIDTH of synthetic (or resized) images")


def _devices_option(parser) -> None:
    parser.add_argument(
        "--devices",
        help="auto, all or N: data parallel over N devices, the batch split between them "
        "(more than one needs KERAS_BACKEND=jax; default: auto)",
    )


def _add_notebook_commands(commands) -> None:
    lab = _command(
        commands,
        "lab",
        "open JupyterLab on the notebooks",
        "Start JupyterLab on the tutorial's notebooks. In a clone, those of the repository. "
        "Installed with pip, the first use copies the notebooks, figures and results into a "
        "folder of your own (./fcn-tutorial-notebooks, or --dir) and says so; later uses add "
        "what a new version brings and never overwrite a notebook you changed (--refresh "
        "does, keeping yours in backup/). On a machine with no screen, open the "
        "http://127.0.0.1:PORT/lab?token=... URL it prints in a browser.",
        (
            "fcn-tutorial lab",
            "fcn-tutorial lab --dir ~/fcn --port 8890 --no-browser",
            "fcn-tutorial lab --copy-only",
        ),
    )
    lab.add_argument("--port", type=int, default=8888, help="the port JupyterLab listens on")
    lab.add_argument("--ip", default="127.0.0.1", help="the address JupyterLab listens on")
    lab.add_argument("--no-browser", action="store_true", help="only print the URL")
    lab.add_argument(
        "--dir",
        help="the folder to copy the tutorial into and work in (default: the repository's "
        "notebooks/ in a clone, else the copy around the working directory or "
        "./fcn-tutorial-notebooks)",
    )
    lab.add_argument(
        "--refresh",
        action="store_true",
        help="replace the notebooks you changed with the shipped ones (yours go to backup/)",
    )
    lab.add_argument(
        "--copy-only", action="store_true", help="copy the tutorial, do not start JupyterLab"
    )

    notebooks = _command(
        commands,
        "notebooks",
        "re-execute notebooks in place",
        "Run notebooks top to bottom in place, so their saved outputs are fresh: the "
        "tutorial folder's notebooks/ (the repository's in a clone; `fcn-tutorial info` "
        "names it).",
        ("fcn-tutorial notebooks", "fcn-tutorial notebooks 03_pooling 05"),
    )
    notebooks.add_argument(
        "names",
        nargs="*",
        help="notebook files, or names or numbers in notebooks/ (default: all, in order)",
    )

    figures = _command(
        commands,
        "figures",
        "rebuild figures/ from the registry",
        "Rebuild the files in figures/ from the code that draws them (same bytes every "
        "time), in the tutorial folder (the repository's in a clone).",
        (
            "fcn-tutorial figures",
            "fcn-tutorial figures --list",
            "fcn-tutorial figures 03_max-pooling.gif --out /tmp/figures",
        ),
    )
    figures.add_argument("names", nargs="*", help="figure file names (default: all)")
    figures.add_argument(
        "--out", help="the folder to write into (default: the tutorial folder's figures/)"
    )
    figures.add_argument("--list", action="store_true", help="list the figures and what each shows")

    info = _command(
        commands,
        "info",
        "backend, devices, notebook speed",
        "Print the Keras version and backend, the devices it sees, the notebooks' speed "
        "and the tutorial folder (where notebooks, figures, results and runs are).",
        ("fcn-tutorial info", "KERAS_BACKEND=jax fcn-tutorial info"),
    )
    del info


def _add_bench(commands) -> None:
    bench = _command(
        commands,
        "bench",
        "time the data pipeline or a model",
        "Measure images/s of the data pipeline, or a random-weight FCN's forward ms/frame, "
        "training images/s, peak memory and FLOPs on this machine.",
        (
            "fcn-tutorial bench data",
            "fcn-tutorial bench model --backbone mobilenet --size 360x480",
            "fcn-tutorial bench model --backbone vgg16 --batch-size 4 --repeats 3",
        ),
    )
    bench.add_argument("target", choices=["data", "model"], help="what to time")
    bench.add_argument("--root", help="bench data: CamVid folder (default: wherever it is found)")
    bench.add_argument(
        "--split", default="val", choices=["train", "val", "test"], help="bench data: CamVid split"
    )
    bench.add_argument("--num-images", type=int, default=50, help="bench data: synthetic scenes")
    bench.add_argument(
        "--backbone", default="mobilenet", help="bench model: vgg16, mobilenet or mobilenetv2"
    )
    bench.add_argument("--variant", default="fcn8s", help="bench model: fcn32s, fcn16s or fcn8s")
    bench.add_argument("--alpha", type=float, help="bench model: MobileNet width (default 0.25)")
    bench.add_argument("--size", default="360x480", help="bench model: HEIGHTxWIDTH")
    bench.add_argument("--batch-size", type=int, default=8, help="bench model: frames per batch")
    bench.add_argument("--repeats", type=int, default=5, help="bench model: timed calls")


def _add_train(commands) -> None:
    train = _command(
        commands,
        "train",
        "train an FCN, resumable",
        "Train an FCN from a profile (quick: synthetic scenes in a minute; cpu: CamVid on a "
        "laptop; gpu: the paper's VGG16 in bfloat16). Options left out take the profile's "
        "value. Writes log.csv, best.keras, last.keras, state.json and summary.json to --out.",
        (
            "fcn-tutorial train --profile quick --out runs/quick",
            "fcn-tutorial train --profile cpu --dataset camvid --out runs/camvid",
            "fcn-tutorial train --profile cpu --dataset camvid --out runs/camvid --resume",
            "fcn-tutorial train --dataset folder --images photos/ --masks masks/ "
            "--num-classes 13 --void-index 255 --out runs/mine",
            "KERAS_BACKEND=jax fcn-tutorial train --profile gpu --devices 4 --batch-size 32",
        ),
    )
    _data_options(train)
    train.add_argument("--profile", default="quick", help="the recipe: quick, cpu or gpu")
    train.add_argument("--backbone", help="vgg16, mobilenet or mobilenetv2")
    train.add_argument("--variant", help="fcn32s, fcn16s or fcn8s")
    train.add_argument("--alpha", type=float, help="MobileNet width multiplier")
    train.add_argument("--weights", help="imagenet or none (random initialisation)")
    train.add_argument("--epochs", type=int, help="epochs in all (a resumed run goes on to it)")
    train.add_argument("--batch-size", type=int, help="images per training step")
    train.add_argument("--learning-rate", type=float, help="Adam's starting learning rate")
    train.add_argument("--num-train", type=int, help="use only the first N training images")
    train.add_argument("--num-val", type=int, help="validation images")
    train.add_argument("--seed", type=int, help="seeds data order, augmentation and weights")
    train.add_argument("--out", help="the run's folder, e.g. runs/NAME (default: runs/quick)")
    train.add_argument("--resume", action="store_true", help="continue the run in --out")
    train.add_argument(
        "--overwrite",
        action="store_true",
        help="start again in an --out that holds a run, moving that run aside to "
        "OUT.replaced-<UTC time> (without it, such an --out is refused)",
    )
    _devices_option(train)


def _flip_option(parser) -> None:
    flips = parser.add_mutually_exclusive_group()
    flips.add_argument(
        "--flip",
        dest="flip",
        action="store_true",
        default=None,
        help="test-time flip averaging: label each image and its mirror image, average the "
        "scores (twice the time) (default: training.FLIP, chosen on val)",
    )
    flips.add_argument("--no-flip", dest="flip", action="store_false", help="no flip averaging")


def _add_model_commands(commands) -> None:
    _add_train(commands)
    evaluate = _command(
        commands,
        "evaluate",
        "the paper's four metrics and IU table",
        "Score a trained model on a dataset split: pixel accuracy, mean accuracy, mean IU, "
        "frequency weighted IU and each class's IU. Choose checkpoints and settings on val; "
        "score the chosen model on test once (CamVid's 233 images: Seq05VD, a drive training "
        "never saw, and the minute of the dusk drive 0001TP after training's).",
        (
            "fcn-tutorial evaluate --model runs/quick/best.keras --dataset synthetic",
            "fcn-tutorial evaluate --model runs/camvid/best.keras --dataset camvid --split val",
            "fcn-tutorial evaluate --model runs/camvid/best.keras --dataset camvid --split test",
        ),
    )
    evaluate.add_argument("--model", required=True, help="a .keras file that train wrote")
    _data_options(evaluate)
    evaluate.add_argument(
        "--split", default="val", choices=["train", "val", "test"], help="the split to score"
    )
    evaluate.add_argument(
        "--num-images", type=int, help="synthetic: how many images; camvid test: the first N"
    )
    evaluate.add_argument("--batch-size", type=int, default=4, help="images per forward pass")
    _flip_option(evaluate)

    predict = _command(
        commands,
        "predict",
        "write class-index PNGs for images",
        "Label photos with a trained model: STEM.png holds each pixel's class index, at the "
        "photo's exact size; --overlay also paints the classes over the photo, in "
        "overlays/STEM.png. An image that cannot be read is reported and skipped, the "
        "others labelled, and the command then exits with code 2. A video (.mp4, .mov, "
        ".avi, .mkv, .webm ...) is labelled frame by frame in constant memory into an "
        "H.264 .mp4 at its own size and frame rate: class colours, or with --overlay the "
        "colours over the footage.",
        (
            "fcn-tutorial predict --model runs/quick/best.keras --input photo.jpg --output out/",
            "fcn-tutorial predict --model runs/camvid/best.keras --input photos/ --output out/ "
            "--overlay",
            "fcn-tutorial predict --model runs/camvid/best.keras --input clip.mp4 --output "
            "labelled.mp4 --overlay",
        ),
    )
    predict.add_argument("--model", required=True, help="a .keras file that train wrote")
    predict.add_argument("--input", required=True, help="an image, a folder of images, or a video")
    predict.add_argument(
        "--output",
        required=True,
        help="folder for STEM.png masks (made if missing); for a video, the .mp4 to write",
    )
    predict.add_argument(
        "--overlay", action="store_true", help="also write overlays/STEM.png, classes painted"
    )
    predict.add_argument(
        "--tile-size",
        type=int,
        help="larger images are labelled in overlapping windows of this side, which bounds "
        "memory; the labels are the ones the whole image would get (default: 1536)",
    )
    predict.add_argument(
        "--video-size",
        default="360x480",
        help="video: HEIGHTxWIDTH each frame is labelled at (the model's training size), "
        "the labels then resized back to the frame's",
    )
    _flip_option(predict)
    _add_drive(commands)

    download = _command(
        commands,
        "download",
        "fetch and verify a dataset",
        "Download a dataset once, checking every file's sha256, so later runs work offline.",
        ("fcn-tutorial download camvid", "fcn-tutorial download camvid --root /data/camvid"),
    )
    download.add_argument("name", choices=["camvid"], help="the dataset")
    download.add_argument("--root", help="where to put it (default: the user cache folder)")


def _add_drive(commands) -> None:
    drive = _command(
        commands,
        "drive",
        "render a drive as an MP4",
        "Label a drive frame by frame and write it as an H.264 MP4, 480x360 a panel: camera "
        "| prediction | errors against the labels, with the frame's mean IU, a sparkline of "
        "it and the speed. Seq05VD and 0001TP are CamVid's test drives (test: both); a "
        "folder of frames works too (masks, if any, in the sibling folder NAMEannot).",
        (
            "fcn-tutorial drive --model runs/demo/best.keras --sequence Seq05VD --output drive.mp4",
            "fcn-tutorial drive --model runs/demo/best.keras --sequence frames/ --output d.mp4",
        ),
    )
    drive.add_argument("--model", required=True, help="a .keras file that train wrote")
    drive.add_argument(
        "--sequence", default="test", help="Seq05VD, 0001TP, test (both) or a folder of frames"
    )
    drive.add_argument("--output", required=True, help="the .mp4 to write")
    drive.add_argument("--preview", help="also write an animated .webp preview (<= 1 MB)")
    drive.add_argument("--data-root", help="the CamVid folder (default: wherever it is found)")
    drive.add_argument(
        "--ms-per-frame",
        type=float,
        help="the speed to show (default: the run's summary.json speed, else measured now)",
    )
    drive.add_argument("--fps", type=float, default=4, help="frames per second of the video")
    _flip_option(drive)


def _add_demo_commands(commands) -> None:
    results = _command(
        commands,
        "results",
        "run notebooks 05-06's experiments",
        "Train (or reuse) the runs notebooks 05 and 06 quote and write results/NAME.json.",
        ("fcn-tutorial results", "fcn-tutorial results skips --speed quick --out /tmp/results"),
    )
    results.add_argument("names", nargs="*", help="transfer, skips (default: both)")
    results.add_argument(
        "--speed", default="full", choices=["full", "quick"], help="full runs, or quick small ones"
    )
    results.add_argument("--out", help="results folder (default: the tutorial folder's results/)")
    results.add_argument(
        "--runs",
        help="runs folder (default: the tutorial folder's runs/results/, or at --speed quick "
        "its runs/notebooks-quick/)",
    )
    _devices_option(results)

    demo = _command(
        commands,
        "demo",
        "the self-driving demo, end to end",
        "Check the hardware, find CamVid (or say why synthetic streets stand in), train or "
        "resume, score the checkpoint chosen on val on val and on test, and write a test "
        "gallery, a confusion matrix, the drive (drive.mp4, drive.webp) and summary.json to "
        "--out. Rerun on a finished run, it reuses the checkpoint and only scores and draws.",
        (
            "fcn-tutorial demo",
            "fcn-tutorial demo --profile quick --out /tmp/demo --offline",
            "fcn-tutorial demo --profile gpu --budget-s 300",
        ),
    )
    demo.add_argument("--profile", help="quick, cpu or gpu (default: from the hardware)")
    demo.add_argument("--out", help="the run's folder (default: the tutorial folder's runs/demo)")
    demo.add_argument("--offline", action="store_true", help="never try to download")
    demo.add_argument("--results", help="also write the summary here (results/demo.json)")
    demo.add_argument("--budget-s", type=float, help="stop training after this many seconds")
    _devices_option(demo)


def build_parser() -> argparse.ArgumentParser:
    """The ``fcn-tutorial`` parser; each subcommand's ``command`` default names it."""
    parser = argparse.ArgumentParser(
        prog="fcn-tutorial",
        description="Learn Fully Convolutional Networks: open the notebooks, train, score "
        "and apply FCNs, rebuild the figures.\n\nThe notebooks, figures, results and runs "
        "live in the tutorial folder: the repository in a clone; installed with pip, the "
        "folder `fcn-tutorial lab` copies them into (./fcn-tutorial-notebooks), found from "
        "the working directory; `fcn-tutorial info` names it.\n\nBad input ends with a "
        "one-line message on stderr and exit code 2; set FCN_TUTORIAL_DEBUG=1 for the "
        "traceback.",
        epilog=_examples(
            "fcn-tutorial lab",
            "fcn-tutorial train --profile quick --out runs/quick",
            "fcn-tutorial predict --model runs/quick/best.keras --input photos/ --output out/",
            "fcn-tutorial COMMAND --help",
        ),
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_notebook_commands(commands)
    _add_bench(commands)
    _add_model_commands(commands)
    _add_demo_commands(commands)
    return parser
