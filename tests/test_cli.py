"""The ``fcn-tutorial`` command: predict's files, evaluate, bench, help, and bad input."""

import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from commandline import run_command
from PIL import Image

from fcn_tutorial import cli, speed
from fcn_tutorial.models import build_fcn

ROOT = Path(__file__).resolve().parents[1]
# TensorFlow's C++ start-up lines, written before its logging can be configured.


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    """An untrained MobileNet FCN-8s saved as a .keras file (predict needs no training)."""
    path = tmp_path_factory.mktemp("model") / "fcn.keras"
    build_fcn(11, backbone="mobilenet", alpha=0.25, weights=None).save(path)
    return path


@pytest.fixture()
def photos(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (97, 131, 3), dtype=np.uint8)).save(folder / "odd.png")
    Image.fromarray(rng.integers(0, 256, (40, 64, 3), dtype=np.uint8)).save(folder / "b.jpg")
    return folder


def _one_line_error(capsys, code, *needles):
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def test_predict_writes_a_uint8_mask_per_image_at_its_exact_size(model_file, photos, tmp_path):
    out = tmp_path / "masks"
    argv = ["predict", "--model", str(model_file), "--input", str(photos), "--output", str(out)]
    assert cli.main([*argv, "--overlay"]) == 0
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == [
        "b.png",
        "odd.png",
        "overlays",
        "overlays/b.png",
        "overlays/odd.png",
    ]
    for stem, size in (("odd", (97, 131)), ("b", (40, 64))):
        mask = np.asarray(Image.open(out / f"{stem}.png"))
        assert mask.shape == size and mask.dtype == np.uint8
        assert mask.max() < 11
        overlay = np.asarray(Image.open(out / "overlays" / f"{stem}.png"))
        assert overlay.shape == (*size, 3) and overlay.dtype == np.uint8


def test_predict_takes_a_single_file(model_file, photos, tmp_path):
    out = tmp_path / "one"
    argv = ["predict", "--model", str(model_file), "--input", str(photos / "odd.png")]
    assert cli.main([*argv, "--output", str(out)]) == 0
    assert [p.name for p in out.iterdir()] == ["odd.png"]


def _save_model(path, image, *layers):
    """A tiny functional model, saved: ``image`` an Input, ``layers`` applied in turn."""
    x = image
    for layer in layers:
        x = layer(x)
    keras.Model(image, x).save(path)
    return path


def _contract_breakers(folder):
    rgb = (None, None, 3)
    return {
        "1-channel": (
            _save_model(
                folder / "gray.keras", keras.Input((None, None, 1)), keras.layers.Conv2D(11, 1)
            ),
            ("input contract", "1-channel", "(H, W, 3)"),
        ),
        "classifier": (
            _save_model(
                folder / "dense.keras",
                keras.Input(rgb),
                keras.layers.Conv2D(8, 3, padding="same"),
                keras.layers.GlobalAveragePooling2D(),
                keras.layers.Dense(11),
            ),
            ("output contract", "(None, 11)", "per-pixel"),
        ),
        "stride 2": (
            _save_model(
                folder / "stride2.keras",
                keras.Input(rgb),
                keras.layers.Conv2D(11, 3, strides=2, padding="same"),
            ),
            ("output contract", "97x131 image into a 49x66 map (stride 2)", "Conv2DTranspose"),
        ),
    }


@pytest.mark.parametrize("kind", ["1-channel", "classifier", "stride 2"])
def test_predict_says_which_contract_a_model_breaks_before_writing(kind, photos, capsys, tmp_path):
    model, needles = _contract_breakers(tmp_path)[kind]
    out = tmp_path / "out"
    argv = ["predict", "--model", str(model), "--input", str(photos), "--output", str(out)]
    _one_line_error(capsys, cli.main([*argv, "--overlay"]), *needles)
    assert not out.exists()


def test_a_whole_image_classifier_is_refused_by_the_console_command(photos, tmp_path):
    """Issue 14: predict with GlobalAveragePooling + Dense wrote a one-class mask and exited
    0. Here as a user meets it, in the command's own process."""
    model, needles = _contract_breakers(tmp_path)["classifier"]
    out = tmp_path / "out"
    argv = ["predict", "--model", str(model), "--input", str(photos), "--output", str(out)]
    result, lines = run_command(*argv)
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert all(needle in lines[0] for needle in needles), lines[0]
    assert not out.exists()


def test_evaluate_checks_the_models_contract_too(capsys, tmp_path):
    model, needles = _contract_breakers(tmp_path)["classifier"]
    argv = ["evaluate", "--model", str(model), "--dataset", "synthetic", "--num-images", "1"]
    _one_line_error(capsys, cli.main([*argv, "--size", "32x32"]), *needles)


def test_predict_into_an_existing_file_is_a_one_line_error(model_file, photos, capsys):
    taken = photos / "odd.png"
    argv = ["predict", "--model", str(model_file), "--input", str(photos / "b.jpg")]
    line = _one_line_error(capsys, cli.main([*argv, "--output", str(taken)]), str(taken))
    assert "is a file, not a folder" in line and f"--output {taken.with_suffix('')}_masks" in line


def test_predict_with_an_overlay_of_300_classes_fails_before_writing(photos, capsys, tmp_path):
    model = _save_model(
        tmp_path / "c300.keras", keras.Input((None, None, 3)), keras.layers.Conv2D(300, 1)
    )
    out = tmp_path / "out"
    argv = ["predict", "--model", str(model), "--input", str(photos), "--output", str(out)]
    _one_line_error(
        capsys, cli.main([*argv, "--overlay"]), "300 classes", "12 colours", "without overlays"
    )
    assert not out.exists()


def test_overlays_never_overwrite_masks_of_inputs_named_like_them(model_file, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(1)
    for stem in ("a", "a_overlay"):
        image = rng.integers(0, 256, (33, 45, 3), dtype=np.uint8)
        Image.fromarray(image).save(photos / f"{stem}.png")
    out = tmp_path / "out"
    argv = ["predict", "--model", str(model_file), "--input", str(photos), "--output", str(out)]
    assert cli.main([*argv, "--overlay"]) == 0
    for stem in ("a", "a_overlay"):
        assert np.asarray(Image.open(out / f"{stem}.png")).shape == (33, 45)  # a mask
        assert np.asarray(Image.open(out / "overlays" / f"{stem}.png")).shape == (33, 45, 3)
    # An input folder that is the overlays folder would be overwritten: refused.
    argv = ["predict", "--model", str(model_file), "--input", str(out / "overlays")]
    assert cli.main([*argv, "--output", str(out), "--overlay"]) == 2


def test_predict_labels_every_readable_image_and_then_fails_naming_the_others(model_file, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(2)
    for stem in ("a", "c", "e"):
        Image.fromarray(rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)).save(
            photos / f"{stem}.png"
        )
    whole = (photos / "a.png").read_bytes()
    (photos / "b.png").write_bytes(whole[: len(whole) // 2])  # truncated
    (photos / "d.jpg").write_text("not a photo")
    out = tmp_path / "out"
    argv = ["predict", "--model", str(model_file), "--input", str(photos), "--output", str(out)]
    result, lines = run_command(*argv)
    err = result.stderr
    assert result.returncode == 2 and "Traceback" not in err, err
    assert len(lines) == 3, err
    assert "skipped" in lines[0] and "b.png" in lines[0]
    assert "skipped" in lines[1] and "d.jpg" in lines[1]
    assert "2 of 5 images could not be read: b.png, d.jpg" in lines[2]
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "c.png", "e.png"]


def test_colour_masks_in_a_folder_get_advice_a_command_line_user_can_follow(
    model_file, capsys, tmp_path
):
    from fcn_tutorial.classes import PALETTE

    rng = np.random.default_rng(3)
    for k in range(3):
        for folder in ("images", "masks"):
            (tmp_path / folder).mkdir(exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(
            tmp_path / "images" / f"{k}.png"
        )
        Image.fromarray(PALETTE[rng.integers(0, 11, (16, 16))]).save(
            tmp_path / "masks" / f"{k}.png"
        )
    argv = ["evaluate", "--model", str(model_file), "--dataset", "folder"]
    argv += ["--images", str(tmp_path / "images"), "--masks", str(tmp_path / "masks")]
    argv += ["--num-images", "1"]
    line = _one_line_error(
        capsys, cli.main(argv), "colour mask", "index PNGs", "read_mask(path, colours)"
    )
    assert "palette=" not in line  # the command line has no such option


def test_evaluate_prints_the_four_metrics_and_a_class_table(model_file, capsys):
    argv = ["evaluate", "--model", str(model_file), "--dataset", "synthetic"]
    assert cli.main([*argv, "--num-images", "2", "--size", "64x96"]) == 0
    out = capsys.readouterr().out
    for label in ("pixel accuracy", "mean accuracy", "mean IU", "frequency weighted IU"):
        assert label in out
    assert "Sky" in out and "Bicyclist" in out


def test_unknown_backbone_and_variant_are_one_line_errors(capsys, tmp_path):
    code = cli.main(["train", "--backbone", "resnet", "--out", str(tmp_path)])
    _one_line_error(capsys, code, "unknown backbone 'resnet'", "mobilenet")
    code = cli.main(["train", "--variant", "fcn4s", "--out", str(tmp_path)])
    _one_line_error(capsys, code, "unknown variant 'fcn4s'")
    code = cli.main(["bench", "model", "--backbone", "resnet", "--size", "64x64"])
    _one_line_error(capsys, code, "resnet")
    code = cli.main(["bench", "model", "--size", "64by64"])
    _one_line_error(capsys, code, "HEIGHTxWIDTH")


def test_a_file_that_is_not_a_model_is_a_one_line_error(capsys, photos, tmp_path):
    text = tmp_path / "notes.keras"
    text.write_text("not a model\n")
    for model in (text, tmp_path / "missing.keras"):
        argv = ["predict", "--model", str(model), "--input", str(photos), "--output", "x"]
        _one_line_error(capsys, cli.main(argv), str(model))


def test_an_unreadable_image_is_a_one_line_error_naming_it(model_file, capsys, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n this is no picture")
    argv = ["predict", "--model", str(model_file), "--input", str(broken)]
    _one_line_error(capsys, cli.main([*argv, "--output", str(tmp_path / "o")]), "broken.png")


def test_a_class_count_that_does_not_match_the_model_is_a_one_line_error(capsys, tmp_path):
    path = tmp_path / "road.keras"
    build_fcn(2, backbone="mobilenet", alpha=0.25, weights=None, variant="fcn32s").save(path)
    argv = ["evaluate", "--model", str(path), "--dataset", "synthetic", "--num-images", "1"]
    _one_line_error(capsys, cli.main(argv), "predicts 2 classes", "has 11")


def test_the_console_script_prints_no_traceback(tmp_path):
    text = tmp_path / "model.keras"
    text.write_text("hello")
    argv = ["--input", str(text), "--output", str(tmp_path / "o")]
    result, lines = run_command("predict", "--model", str(text), *argv)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert lines[-1].startswith("fcn-tutorial predict: error:")


def test_an_offline_download_gives_advice_for_the_command_line(capsys, monkeypatch, tmp_path):
    # Port 9 (discard) refuses at once: the download fails as it does without a network.
    monkeypatch.setenv("FCN_TUTORIAL_CAMVID_URL", "http://127.0.0.1:9/")
    code = cli.main(["download", "camvid", "--root", str(tmp_path)])
    err = capsys.readouterr().err
    line = err.strip().splitlines()[-1]  # after the progress bar
    assert code == 2 and "Traceback" not in err and line.startswith("fcn-tutorial download: error")
    assert "fcn-tutorial download camvid" in line and str(tmp_path) in line
    assert "--root '/path/to/camvid'" in line
    assert "root=" not in line and "load_camvid(...," not in line and "download=True" not in line


def test_bench_model_prints_its_figures(capsys):
    argv = ["bench", "model", "--size", "64x96", "--batch-size", "2", "--repeats", "1"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    for figure in ("GFLOPs/frame", "batch 1", "ms/frame", "images/s", "peak memory"):
        assert figure in out


def test_model_flops_counts_a_convolution_by_hand():
    image = keras.Input((8, 10, 3))
    x = keras.layers.Conv2D(4, 3, padding="same")(image)
    x = keras.layers.DepthwiseConv2D(3, padding="same")(x)
    x = keras.layers.Conv2DTranspose(2, 4, strides=2, padding="same")(x)
    model = keras.Model(image, x)
    expected = (
        2 * 8 * 10 * (3 * 3 * 3 * 4) + 2 * 8 * 10 * (3 * 3 * 4) + 2 * 8 * 10 * (4 * 4 * 4 * 2)
    )
    assert speed.model_flops(model) == expected


def test_parse_size():
    assert cli.parse_size("360x480") == (360, 480)
    with pytest.raises(ValueError, match="360x480"):
        cli.parse_size("360")


@pytest.mark.parametrize("command", sorted(cli.commands.COMMANDS))
def test_every_option_of_every_command_has_help_and_examples(command):
    parser = cli.parser.build_parser()
    sub = parser._subparsers._group_actions[0].choices[command]
    assert sub.description and "examples:" in sub.epilog, command
    for action in sub._actions:
        assert action.help, f"fcn-tutorial {command} {action.option_strings or action.dest}"


def test_version_and_python_dash_m(tmp_path):
    import fcn_tutorial

    for module in ("fcn_tutorial", "fcn_tutorial.cli"):
        result = subprocess.run(
            [sys.executable, "-m", module, "--version"], capture_output=True, text=True, cwd=ROOT
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"fcn-tutorial {fcn_tutorial.__version__}"


def test_notebooks_are_named_by_file_name_stem_or_number(monkeypatch, capsys):
    import fcn_tutorial.notebooks

    ran = []
    monkeypatch.setattr(fcn_tutorial.notebooks, "execute_notebook", ran.append)
    folder = fcn_tutorial.notebooks.NOTEBOOKS
    assert (
        cli.main(["notebooks", "03_pooling", "05", str(folder / "01_segmentation_intro.ipynb")])
        == 0
    )
    assert [p.name for p in ran] == [
        "03_pooling.ipynb", "05_transfer_learning.ipynb", "01_segmentation_intro.ipynb"
    ]  # fmt: skip
    assert cli.main(["notebooks", "pooling"]) == 2
    assert "no notebook 'pooling': name a file, or one of 01_segmentation_intro" in (
        capsys.readouterr().err
    )
    assert not ran[3:]
