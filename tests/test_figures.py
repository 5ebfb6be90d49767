"""figures/ is exactly what the registry builds, and rebuilding it gives the same pixels."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageSequence

from fcn_tutorial import cli, figures, viz

FIGURES_DIR = Path(__file__).resolve().parents[1] / "figures"


def frames(path: Path) -> list[np.ndarray]:
    with Image.open(path) as image:
        return [np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(image)]


# Drawn from a trained model: rebuilt only where that run is (make demo), never in CI.
NEEDS_RUN = {"07_self-driving-drive.mp4", "07_self-driving-drive.webp"}


def test_every_file_has_a_generator_and_every_generator_a_file():
    on_disk = {path.name for path in FIGURES_DIR.iterdir() if not path.name.startswith(".")}
    assert on_disk <= set(figures.FIGURES)
    # Only a figure copied from the demo's run may be missing, until that run is made.
    assert set(figures.FIGURES) - on_disk <= NEEDS_RUN


@pytest.mark.parametrize("name", sorted(NEEDS_RUN))
def test_the_drive_figures_are_a_playable_video_and_a_small_preview(name):
    from fcn_tutorial import video

    path = FIGURES_DIR / name
    if not path.is_file():
        pytest.skip(
            f"figures/{name} is copied from the demo run (make demo, then make figures): "
            "not committed yet"
        )
    if name.endswith(".mp4"):
        probe = video.probe_video(path)
        assert probe["codec"] == "h264" and probe["size"] == (1440, 432)
        assert path.stat().st_size <= 8_000_000
    else:
        assert path.stat().st_size <= 1_000_000


def test_names_start_with_a_notebook_and_say_what_they_show():
    for name, fn in figures.FIGURES.items():
        assert figures.NAME_PATTERN.match(name), name
        assert fn.__doc__ and fn.__doc__.strip(), f"{name} has no docstring"
    expected = {
        f"02_conv-{name.replace('_', '-')}.gif" for name in figures.convolution.CONV_ANIMATIONS
    }
    assert expected <= set(figures.FIGURES)


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("figures")
    paths = figures.build(out_dir=out_dir)
    built = [path.name for path in paths]
    assert [name for name in figures.FIGURES if name not in built] <= sorted(NEEDS_RUN)
    return out_dir


@pytest.mark.parametrize("name", list(figures.FIGURES))
def test_rebuild_gives_the_same_pixels(rebuilt, name):
    if not (rebuilt / name).exists():
        assert name in NEEDS_RUN
        pytest.skip(f"{name} is drawn from the demo run in runs/demo (make demo): not here")
    if name in NEEDS_RUN:  # copied, not drawn: the same bytes as the run's
        if not (FIGURES_DIR / name).is_file():
            pytest.skip(f"figures/{name} is not committed yet (make figures after make demo)")
        assert (rebuilt / name).read_bytes() == (FIGURES_DIR / name).read_bytes()
        return
    committed, fresh = frames(FIGURES_DIR / name), frames(rebuilt / name)
    assert len(committed) == len(fresh)
    for before, after in zip(committed, fresh, strict=True):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize("config_name", figures.convolution.CONV_ANIMATIONS)
def test_conv_animations_have_one_frame_per_output_cell(config_name):
    path = FIGURES_DIR / f"02_conv-{config_name.replace('_', '-')}.gif"
    output_size = viz.conv_step(viz.CONV_CONFIGS[config_name], 0)["output_size"]
    with Image.open(path) as gif:
        assert gif.n_frames == output_size**2
    assert path.stat().st_size < 300_000


def test_registry_rejects_bad_and_duplicate_names():
    with pytest.raises(ValueError, match="notebook number"):
        figures.register("conv.gif")
    with pytest.raises(ValueError, match="twice"):
        figures.register("03_max-pooling.gif")(lambda path: None)
    with pytest.raises(ValueError, match="--list"):
        figures.build(["99_missing.png"])


def test_describe_gives_each_figure_its_docstring_line():
    described = figures.describe()
    assert list(described) == list(figures.FIGURES)
    for name, line in described.items():
        assert line == figures.FIGURES[name].__doc__.strip().splitlines()[0], name


def test_command_line(tmp_path, capsys):
    assert cli.main(["figures", "--list"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in figures.FIGURES)
    assert cli.main(["figures", "03_vgg16-receptive-fields.png", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "03_vgg16-receptive-fields.png").is_file()
    assert cli.main(["figures", "nope.png"]) == 2
    assert "--list" in capsys.readouterr().err


def test_python_dash_m_runs_the_cli_figures_command():
    result = subprocess.run(
        [sys.executable, "-m", "fcn_tutorial.figures", "--list"],
        capture_output=True,
        text=True,
        check=True,
    )
    listed = [line.split(": ", 1)[0] for line in result.stdout.splitlines()]
    assert listed == list(figures.FIGURES)


@pytest.mark.parametrize("config_name", list(figures.transposed.TRANSPOSED_ANIMATIONS))
def test_transposed_animations_have_one_frame_per_output_cell(config_name):
    path = FIGURES_DIR / f"04_{config_name.replace('_', '-')}.gif"
    steps = viz.transposed_step(viz.TRANSPOSED_CONFIGS[config_name], 0, "zero_insertion")["steps"]
    with Image.open(path) as gif:
        assert gif.n_frames == steps
    assert path.stat().st_size < 250_000


def test_every_notebook_04_animation_is_small():
    paths = sorted(FIGURES_DIR.glob("04_*.gif"))
    assert len(paths) >= 8
    assert all(path.stat().st_size < 250_000 for path in paths)
