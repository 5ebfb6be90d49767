"""What each ``fcn-tutorial`` subcommand does: read its options, call the library, print.

A thin layer: the work is in public library functions; here are only the choices a
command line makes (which options were given) and what it prints.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fcn_tutorial.cli.parser import parse_size

__all__ = ["COMMANDS"]


def _lab_folder(args) -> Path | None:
    # The folder lab copies the tutorial into, or None in a clone (the repository's own).
    from fcn_tutorial import workspace

    if args.dir is not None:
        return Path(args.dir).expanduser().resolve()
    folder, _ = workspace.locate_tutorial()
    if folder == workspace.source_checkout():
        return None
    if (folder / workspace.MARKER).is_file() or os.environ.get(workspace.ENV):
        return folder
    return Path(workspace.DEFAULT_FOLDER).resolve()


def _say_copied(folder: Path, report: dict, first: bool) -> None:
    if first:
        counts = {kind: 0 for kind in ("notebooks", "figures", "results")}
        for name in report["copied"]:
            counts[name.split("/")[0]] += 1
        print(
            f"First use: copied {counts['notebooks']} notebooks, {counts['figures']} figures "
            f"and {counts['results']} results files into {folder}. They are yours to edit: "
            "`fcn-tutorial lab` never overwrites a notebook you changed "
            "(`fcn-tutorial lab --refresh` puts the originals back, keeping yours in backup/).",
            flush=True,
        )
        return
    print(f"Tutorial folder: {folder}", flush=True)
    for kind, text in (("copied", "new"), ("updated", "updated to this version")):
        if report[kind]:
            print(f"{len(report[kind])} files {text}: {', '.join(report[kind])}", flush=True)
    if report["replaced"]:
        names = ", ".join(report["replaced"])
        print(f"Put back the originals of {names}; yours are in {report['backup'][0]}.")
    if report["kept"]:
        print(
            f"Kept your changed {', '.join(report['kept'])}; this version ships other ones: "
            "`fcn-tutorial lab --refresh` takes them (yours go to backup/).",
            flush=True,
        )


def _start_lab(root_dir: Path, args, env: dict) -> int:
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={root_dir}",
        f"--ServerApp.port={args.port}",
        f"--ServerApp.ip={args.ip}",
    ]
    if args.no_browser:
        command.append("--no-browser")
    # Jupyter refuses to run as root unless told; containers and CI machines often are root.
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    print("Starting JupyterLab on", root_dir, flush=True)
    print("Headless? Open the http://127.0.0.1:... URL printed below in your browser.", flush=True)
    env = {**os.environ, **env}
    if os.name != "nt":
        os.execve(sys.executable, command, env)
        return 0  # pragma: no cover - execve does not return
    # Windows' exec starts a new process and returns at once: wait for JupyterLab instead.
    server = subprocess.Popen(command, env=env)
    while True:
        try:
            return server.wait()
        except KeyboardInterrupt:  # JupyterLab answers Ctrl-C itself (it asks first)
            continue


def lab(args) -> int:
    from fcn_tutorial import workspace
    from fcn_tutorial.notebooks import NOTEBOOKS

    folder = _lab_folder(args)
    if folder is None:  # a clone: the repository's notebooks, as `make lab` has always opened
        if args.refresh:
            raise ValueError(
                "--refresh restores a copied folder's notebooks: in a clone, `git checkout "
                "notebooks/` restores the repository's, or pass --dir FOLDER to copy them."
            )
        if args.copy_only:
            print(f"A clone: the notebooks are the repository's, in {NOTEBOOKS} (--dir copies).")
            return 0
        return _start_lab(NOTEBOOKS, args, {})
    first = not (folder / workspace.MARKER).is_file()
    _say_copied(folder, workspace.copy_tutorial(folder, refresh=args.refresh), first)
    if args.copy_only:
        return 0
    # The kernels inherit the variable, so the notebooks read and write this folder.
    return _start_lab(folder, args, {workspace.ENV: str(folder)})


def notebooks(args) -> int:
    from fcn_tutorial.notebooks import NOTEBOOKS, execute_notebook, notebook_paths

    known = notebook_paths()
    paths = [_notebook_path(name, known) for name in args.names] or known
    if not paths:
        raise FileNotFoundError(
            f"no notebooks in {NOTEBOOKS}: copy them with `fcn-tutorial lab --copy-only` and "
            "run this command inside the folder it names, or name the notebooks to run."
        )
    for path in paths:
        print(f"executing {path.name} ...", flush=True)
        execute_notebook(path)
    return 0


def _notebook_path(name: str, known: list[Path]) -> Path:
    # A file, or one of the tutorial's notebooks by name, stem or number: "03_pooling.ipynb",
    # "03_pooling", "03".
    if Path(name).is_file():
        return Path(name)
    found = [p for p in known if name in (p.name, p.stem) or p.stem.startswith(f"{name}_")]
    if len(found) == 1:
        return found[0]
    raise FileNotFoundError(
        f"no notebook {name!r}: name a file, or one of {', '.join(p.stem for p in known)} "
        "(its number is enough, e.g. 03)."
    )


def figures(args) -> int:
    from fcn_tutorial import figures as registry

    if args.list:
        for name, what in registry.describe().items():
            print(f"{name}: {what}")
        return 0
    for path in registry.build(args.names or None, out_dir=args.out or registry.FIGURES_DIR):
        print(path)
    return 0


def info(args) -> int:
    import keras

    from fcn_tutorial import hardware, notebook_speed, workspace

    folder, how = workspace.locate_tutorial()
    print(f"keras {keras.__version__}, backend {keras.backend.backend()}")
    print(f"devices: {', '.join(hardware.devices())}")
    print(f"notebook speed: {notebook_speed()} (FCN_TUTORIAL_SPEED)")
    print(f"tutorial folder: {folder} ({how})")
    return 0


def bench(args) -> int:
    if args.target == "model":
        return _bench_model(args)
    from fcn_tutorial import datasets
    from fcn_tutorial.datasets import throughput

    print("data throughput at 360x480, one process", flush=True)
    synthetic = throughput.synthetic_images_per_s(args.num_images, 360, 480)["images_per_s"]
    print(f"  synthetic_driving           {synthetic:7.1f} images/s", flush=True)
    root = args.root or datasets.locate_camvid(splits=(args.split,))
    if root is None:
        print("  CamVid: not measured, no complete copy found: run `fcn-tutorial download camvid`.")
        return 1
    try:
        camvid = throughput.camvid_images_per_s(root, split=args.split)
    except FileNotFoundError as error:  # a --root without (all of) the split
        print(f"  CamVid: not measured, its files are missing. {error}")
        return 1
    print(f"  CamVid {args.split}, {camvid['num_images']} images from {root}:")
    print(f"    load (verify + decode)    {camvid['load']:7.1f} images/s")
    print(f"    augment (from memory)     {camvid['augment']:7.1f} images/s")
    print(f"    read + augment (lazy)     {camvid['read_augment']:7.1f} images/s")
    return 0


def _bench_model(args) -> int:
    from fcn_tutorial.speed import bench_model

    height, width = parse_size(args.size)
    result = bench_model(
        args.backbone, args.variant, args.alpha, (height, width), args.batch_size, args.repeats
    )
    print(
        f"{result['name']} alpha={result['alpha']} at {height}x{width}, "
        f"{result['parameters']:,} parameters, {result['flops_per_frame'] / 1e9:.2f} "
        f"GFLOPs/frame, {result['backend']} on {result['device']}"
    )
    print(f"  forward, batch 1           {result['ms_per_frame']:9.1f} ms/frame")
    batch = args.batch_size
    print(f"  forward, batch {batch:<3}        {result['ms_per_frame_batched']:9.1f} ms/frame")
    print(f"  training, batch {batch:<3}       {result['train_images_per_s']:9.1f} images/s")
    memory = result["peak_memory_mib"]
    print(f"  peak memory (host RSS)     {'unknown' if memory is None else f'{memory:9.0f} MiB'}")
    if "achieved_flops_per_s" in result:
        achieved, peak = result["achieved_flops_per_s"], result["peak_flops"]
        share = (
            f", {achieved / peak:.1%} of {result['device_name']}'s {peak / 1e12:.0f}"
            if peak
            else ""
        )
        print(f"  achieved (forward, batched) {achieved / 1e12:8.2f} TFLOP/s{share}")
    return 0


def _weights(text: str | None) -> str | None:
    # The flag's "none" is the library's None, so the library's advice ("or None") would
    # not be what to type: the choice is checked here in the flag's own words.
    if text is not None and text.lower() not in ("imagenet", "none"):
        raise ValueError(f"--weights {text}: pass imagenet or none (random initialisation).")
    return None if text is None or text.lower() == "none" else text


def _data_fields(args) -> dict:
    # The TrainConfig fields behind the parser's data options, shared by train and evaluate.
    return {
        "dataset": args.dataset,
        "data_root": args.data_root,
        "images": args.images,
        "masks": args.masks,
        "num_classes": args.num_classes,
        "void_index": args.void_index,
        "image_size": parse_size(args.size) if args.size else None,
    }


def _given(values: dict) -> dict:
    # An option left out is None: the profile's value stands.
    return {key: value for key, value in values.items() if value is not None}


def train(args) -> int:
    from fcn_tutorial import training

    overrides = _given(
        {
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
            "overwrite": args.overwrite or None,
            "num_train": args.num_train,
            "num_val": args.num_val,
            "devices": args.devices,
        }
    )
    if args.weights is not None:
        overrides["weights"] = _weights(args.weights)  # "none" is a choice, not "the profile's"
    config = training.TrainConfig.from_profile(args.profile, **overrides)
    summary = training.train(config)
    metrics, baseline = summary["metrics"], summary["baseline"]
    print(
        f"done in {summary['wall_time_s']:.1f} s, {summary['train_images_per_s']} images/s "
        f"on {summary['device']}: val mean IU {metrics['mean_iu']:.4f} "
        f"(majority-class baseline {baseline['mean_iu']:.4f}); files in {config.out}"
    )
    return 0


def _evaluation_split(args, model):
    from fcn_tutorial import training

    config = training.TrainConfig.from_profile(
        "quick", **_given({**_data_fields(args), "num_val": args.num_images})
    )
    if args.split == "test" and config.dataset != "camvid":
        raise ValueError(
            f"--split test exists only for camvid: use val or train for {args.dataset}."
        )
    if config.dataset == "camvid":
        from fcn_tutorial import datasets

        # The whole split (val's 101, test's 233), not the quick profile's first few;
        # --num-images keeps the first N.
        chosen = datasets.load_split(
            "camvid", args.split, root=config.data_root, count=args.num_images
        )
    else:
        train_split, val_split = training.load_data(config)
        chosen = val_split if args.split == "val" else train_split
    classes = int(model.output_shape[-1])
    if classes != len(chosen.class_names):
        raise ValueError(
            f"the model predicts {classes} classes but {config.dataset} has "
            f"{len(chosen.class_names)}: evaluate it on the data it was trained for, or pass "
            f"--num-classes {classes} for a folder."
        )
    return config, chosen


def evaluate(args) -> int:
    from fcn_tutorial import training

    model = training.load_model(args.model)
    training.check_model(model)  # before any data is read
    config, split = _evaluation_split(args, model)
    scores = training.evaluate(
        model,
        split.images,
        split.masks,
        batch_size=args.batch_size,
        ignore_class=config.void,
        flip=args.flip,
    )
    flip = training.FLIP if args.flip is None else args.flip
    averaged = ", flip-averaged" if flip else ""
    print(f"{args.model} on {split.source} {args.split} ({len(split)} images{averaged})")
    for key, label in (
        ("pixel_accuracy", "pixel accuracy"),
        ("mean_accuracy", "mean accuracy"),
        ("mean_iu", "mean IU"),
        ("frequency_weighted_iu", "frequency weighted IU"),
    ):
        print(f"  {label:<24}{scores[key]:8.4f}")
    print(f"  {'class':<24}{'IU':>8}")
    for name, iu in zip(split.class_names, scores["per_class_iu"], strict=True):
        print(f"  {name:<24}{'  absent' if iu != iu else f'{iu:8.4f}'}")
    if args.split == "val":
        print("  (val chose the checkpoint, so it flatters: quote --split test)")
    return 0


def predict(args) -> int:
    from fcn_tutorial import video
    from fcn_tutorial.predict import predict_images

    if video.is_video(args.input):
        size = parse_size(args.video_size)
        video.label_video(args.model, args.input, args.output, args.overlay, size, args.flip)
        return 0

    def skipped(line: str) -> None:
        print(f"fcn-tutorial predict: {line}", file=sys.stderr, flush=True)

    tiles = {} if args.tile_size is None else {"tile_size": args.tile_size}
    predict_images(
        args.model, args.input, args.output, args.overlay, log_error=skipped, flip=args.flip,
        **tiles,
    )  # fmt: skip
    return 0


def _drive_speed(args, model) -> float:
    # The demo's one measurement when the model comes from a run that made it.
    from fcn_tutorial import speed, training

    if args.ms_per_frame is not None:
        return args.ms_per_frame
    measured = (training.Run(Path(args.model).parent).summary or {}).get("speed")
    if measured:
        return measured["ms_per_frame"]
    return speed.forward_speed(model, 360, 480, batch_size=1)["ms_per_frame"]


def drive(args) -> int:
    from fcn_tutorial import drive as the_drive
    from fcn_tutorial import training

    output = Path(args.output)
    if output.suffix.lower() != ".mp4":
        raise ValueError(f"--output {output} is not an .mp4 file: pass e.g. drive.mp4.")
    pairs = the_drive.drive_sources(args.sequence, args.data_root)
    model = training.load_model(args.model)
    training.check_model(model)
    result = the_drive.render_drive(
        model, the_drive.read_frames(pairs), output, count=len(pairs),
        ms_per_frame=_drive_speed(args, model), preview=args.preview, fps=args.fps,
        flip=args.flip,
    )  # fmt: skip
    scored = [s for s in result["mean_iu"] if s is not None]
    mean = f", mean of per-frame mean IU {sum(scored) / len(scored):.3f}" if scored else ""
    print(
        f"{output}: {result['frames']} frames in {result['render_s']:.0f} s, "
        f"{result['video_bytes'] / 1e6:.1f} MB{mean}"
    )
    if args.preview:
        print(f"{args.preview}: {result['preview_bytes'] / 1e6:.2f} MB")
    return 0


def download(args) -> int:
    from fcn_tutorial.datasets import download_camvid

    root = download_camvid(root=args.root)
    print(f"CamVid is complete and verified in {root}")
    return 0


def results(args) -> int:
    from fcn_tutorial import experiments

    names = list(args.names or experiments.EXPERIMENTS)
    for name in names:
        if name not in experiments.EXPERIMENTS:
            raise ValueError(
                f"unknown experiment {name!r}: use one of {list(experiments.EXPERIMENTS)}."
            )
    for name in names:
        title = experiments.EXPERIMENTS[name]["title"]
        print(f"{name}: {title} ({args.speed} speed)", flush=True)
        result = experiments.run(name, args.speed, out=args.runs, verbose=2, devices=args.devices)
        path = experiments.write_results(result, args.out)
        scores = ", ".join(
            f"{spec['label']} {spec['metrics']['mean_iu']:.3f}" for spec in result["runs"].values()
        )
        print(
            f"{name}: val mean IU {scores} on {result['dataset']}; "
            f"{result['wall_time_s']:.0f} s; wrote {path}",
            flush=True,
        )
    return 0


def demo(args) -> int:
    from fcn_tutorial import demo as the_demo

    options = _given({"time_budget_s": args.budget_s or None, "devices": args.devices})
    out = args.out or the_demo.RUN_DIR
    summary = the_demo.run_demo(args.profile, out, download=not args.offline, **options)
    if args.results:
        print(f"  results  {the_demo.write_results(summary, args.results)}")
    return 0


COMMANDS = {
    "lab": lab,
    "notebooks": notebooks,
    "figures": figures,
    "info": info,
    "bench": bench,
    "train": train,
    "evaluate": evaluate,
    "predict": predict,
    "drive": drive,
    "download": download,
    "results": results,
    "demo": demo,
}
"""dict: subcommand name to the function that runs it (``fn(args) -> exit code``)."""
