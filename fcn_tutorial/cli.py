"""The ``fcn-tutorial`` command: open the notebooks, rebuild them and the figures.

Examples::

    fcn-tutorial lab            # JupyterLab on notebooks/ (prints the URL when headless)
    fcn-tutorial notebooks      # re-execute every notebook in place
    fcn-tutorial figures        # rebuild figures/ from the registry
    fcn-tutorial info           # backend, devices, profile
    fcn-tutorial bench data     # images/s of the synthetic scenes and the CamVid pipeline
    fcn-tutorial train --profile quick --out /tmp/runs/quick
    fcn-tutorial evaluate --model /tmp/runs/quick/best.keras --dataset synthetic
    fcn-tutorial predict --model /tmp/runs/quick/best.keras --input photos/ --output masks/
    fcn-tutorial download camvid
    fcn-tutorial bench model --backbone mobilenet --size 360x480

Bad input (an unknown backbone, a file that is not a model, an unreadable image) ends
with a one-line message on stderr and exit code 2, not a traceback.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

__all__ = ["main", "ROOT", "NOTEBOOKS"]

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
# A developer checkout may sit next to a read-only CamVid copy; users get the cache.
SHARED_CAMVID = ROOT.parent / "shared" / "data" / "camvid"


def _lab(args: argparse.Namespace) -> int:
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={NOTEBOOKS}",
        f"--ServerApp.port={args.port}",
        f"--ServerApp.ip={args.ip}",
    ]
    if args.no_browser:
        command.append("--no-browser")
    # Jupyter refuses to run as root unless told; containers and CI machines often are root.
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    print("Starting JupyterLab on", NOTEBOOKS, flush=True)
    print("Headless? Open the http://127.0.0.1:... URL printed below in your browser.", flush=True)
    os.execv(sys.executable, command)
    return 0  # pragma: no cover - execv does not return


# TensorFlow's C++ runtime writes these to the process' stderr on import, whatever
# TF_CPP_MIN_LOG_LEVEL says; a learner sees them live, the committed notebook need not.
_TF_STARTUP_LOG = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called.*"
    r"|[IWE]\d{4} [\d:.]+\s+\d+ \w+\.cc:\d+\] .*)$"
)


def _drop_startup_logs(cell) -> None:
    kept = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            lines = [line for line in output["text"].splitlines() if line.strip()]
            remaining = [line for line in lines if not _TF_STARTUP_LOG.match(line)]
            if not remaining:
                continue
            output["text"] = "\n".join(remaining) + "\n"
        kept.append(output)
    if "outputs" in cell:
        cell["outputs"] = kept


def execute_notebook(path: Path, timeout: int = 1200) -> None:
    """Run a notebook top to bottom in place, as a learner would, in this environment.

    Timing metadata is not recorded, so re-running an unchanged notebook changes only
    what its cells print; TensorFlow's start-up log lines are left out of the saved file.
    """
    import nbclient
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        _drop_startup_logs(cell)
    nbformat.write(notebook, path)


def _notebooks(args: argparse.Namespace) -> int:
    paths = [Path(name) for name in args.names] or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    for path in paths:
        print(f"executing {path.name} ...", flush=True)
        execute_notebook(path)
    return 0


def _figures(args: argparse.Namespace) -> int:
    from fcn_tutorial import figures

    if args.list:
        print("\n".join(f"{name}: {line}" for name, line in figures.describe().items()))
        return 0
    for path in figures.build(args.names or None, out_dir=args.out):
        print(path)
    return 0


def _info(args: argparse.Namespace) -> int:
    import keras

    from fcn_tutorial import profile

    print(f"keras {keras.__version__}, backend {keras.backend.backend()}, profile {profile()}")
    return 0


def _bench(args: argparse.Namespace) -> int:
    if args.target == "model":
        from fcn_tutorial import cli_models

        return cli_models.bench_model(args)
    from fcn_tutorial.datasets import benchmark_synthetic, camvid_root
    from fcn_tutorial.datasets.pipeline import benchmark_camvid

    print("data throughput at 360x480, one process", flush=True)
    synthetic = benchmark_synthetic(args.num_images, 360, 480)
    print(f"  synthetic_driving           {synthetic['images_per_s']:7.1f} images/s", flush=True)
    root = args.root or (SHARED_CAMVID if SHARED_CAMVID.is_dir() else camvid_root())
    try:
        camvid = benchmark_camvid(root, split=args.split)
    except FileNotFoundError as error:
        print(f"  CamVid: not measured, its files are missing. {error}")
        return 1
    print(f"  CamVid {args.split}, {camvid['num_images']} images from {root}:")
    print(f"    load (verify + decode)    {camvid['load']:7.1f} images/s")
    print(f"    augment (from memory)     {camvid['augment']:7.1f} images/s")
    print(f"    read + augment (lazy)     {camvid['read_augment']:7.1f} images/s")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``fcn-tutorial`` console script.

    Returns:
        int: the exit code: 0 on success, 2 for bad input (after a one-line message on
        stderr), 1 for a measurement that could not be made.
    """
    parser = argparse.ArgumentParser(prog="fcn-tutorial", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    lab = commands.add_parser("lab", help="open JupyterLab on the notebooks")
    lab.add_argument("--port", type=int, default=8888)
    lab.add_argument("--ip", default="127.0.0.1")
    lab.add_argument("--no-browser", action="store_true", help="only print the URL")
    lab.set_defaults(run=_lab)

    notebooks = commands.add_parser("notebooks", help="re-execute notebooks in place")
    notebooks.add_argument("names", nargs="*", help="notebook paths (default: all)")
    notebooks.set_defaults(run=_notebooks)

    figures = commands.add_parser("figures", help="rebuild figures/ from the registry")
    figures.add_argument("names", nargs="*", help="figure file names (default: all)")
    figures.add_argument("--out", default=str(ROOT / "figures"))
    figures.add_argument("--list", action="store_true", help="list the figures and exit")
    figures.set_defaults(run=_figures)

    info = commands.add_parser("info", help="backend, profile")
    info.set_defaults(run=_info)

    bench = commands.add_parser("bench", help="time the data pipeline or a model")
    bench.add_argument("target", choices=["data", "model"], help="what to time")
    bench.add_argument("--root", type=Path, help="CamVid folder (default: shared copy or cache)")
    bench.add_argument("--split", default="val", choices=["train", "val", "test"])
    bench.add_argument("--num-images", type=int, default=50, help="synthetic scenes per run")
    bench.add_argument("--backbone", default="mobilenet", help="bench model: backbone")
    bench.add_argument("--variant", default="fcn8s", help="bench model: variant")
    bench.add_argument("--alpha", type=float, default=None, help="MobileNet width (0.25)")
    bench.add_argument("--size", default="360x480", help="bench model: HEIGHTxWIDTH")
    bench.add_argument("--batch-size", type=int, default=8, help="bench model: batch")
    bench.add_argument("--repeats", type=int, default=5, help="bench model: timed runs")
    bench.set_defaults(run=_bench)

    from fcn_tutorial import cli_models, demo, experiments

    cli_models.add_commands(commands)

    results = commands.add_parser("results", help="run notebooks 05-06's experiments")
    results.add_argument("names", nargs="*", help="transfer, skips (default: both)")
    experiments.add_arguments(results)
    results.set_defaults(run=experiments.run_command)

    demo_command = commands.add_parser("demo", help="the self-driving demo, end to end")
    demo.add_arguments(demo_command)
    demo_command.set_defaults(run=demo.run_command)

    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except Exception as error:
        # The library's messages name the fix; a traceback would only bury it.
        if cli_models.is_bad_input(error) and not os.environ.get("FCN_TUTORIAL_DEBUG"):
            return cli_models.report(args.command, error)
        raise


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
