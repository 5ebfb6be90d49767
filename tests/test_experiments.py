"""The experiments behind notebooks 05-06: reuse, resume, results files, and their freshness."""

import json
import shutil

import pytest

from fcn_tutorial import experiments
from fcn_tutorial.cli import main

TINY = {
    "backbone": "mobilenet",
    "alpha": 0.25,
    "variant": "fcn8s",
    "weights": None,
    "seed": 0,
    "augment": False,
    "dataset": "synthetic",
    "epochs": 1,
    "batch_size": 4,
    "learning_rate": 1e-3,
    "end_learning_rate": 1e-5,
    "class_weighting": False,
    "crop_size": None,
    "image_size": (32, 32),
    "num_train": 4,
    "num_val": 2,
}


def use_tiny_experiments(monkeypatch):
    """Two one-epoch experiments on 32x32 scenes that share one configuration."""
    monkeypatch.setitem(experiments.SETTINGS, "quick", TINY)
    monkeypatch.setattr(
        experiments,
        "EXPERIMENTS",
        {
            "a": {"title": "A", "runs": {"x": {"label": "X"}, "y": {"label": "Y", "seed": 1}}},
            "b": {"title": "B", "runs": {"same-as-x": {"label": "X again"}}},
        },
    )


@pytest.fixture
def tiny(monkeypatch):
    use_tiny_experiments(monkeypatch)


@pytest.fixture(scope="module")
def trained_a(tmp_path_factory):
    """Experiment "a" trained once for the module: ``(runs folder, run's result)``.

    Tests that change the folder work on a copy (:func:`copy_of`).
    """
    folder = tmp_path_factory.mktemp("trained-a")
    with pytest.MonkeyPatch.context() as monkeypatch:
        use_tiny_experiments(monkeypatch)
        return folder, experiments.run("a", speed="quick", out=folder)


def copy_of(trained_a, tmp_path):
    shutil.copytree(trained_a[0], tmp_path, dirs_exist_ok=True)
    return tmp_path


def test_a_run_is_reused_not_retrained(tiny, trained_a):
    tmp_path, first = trained_a
    assert set(first["runs"]) == {"x", "y"}
    assert first["dataset"] == "synthetic" and first["num_train"] == 4
    x = first["runs"]["x"]
    assert x["history"][0]["step"] == x["steps_per_epoch"] == 1
    assert 0 <= x["metrics"]["mean_iu"] <= 1
    assert first["runs"]["y"]["metrics"] != x["metrics"]  # another seed, another model

    modified = (tmp_path / "a" / "x" / "best.keras").stat().st_mtime_ns
    again = experiments.run("a", speed="quick", out=tmp_path)
    assert again["runs"]["x"]["metrics"] == x["metrics"]
    assert (tmp_path / "a" / "x" / "best.keras").stat().st_mtime_ns == modified

    # b's only run has a's x settings: it is read from a/x, never trained again.
    shared = experiments.run("b", speed="quick", out=tmp_path)
    assert shared["runs"]["same-as-x"]["metrics"] == x["metrics"]
    assert shared["runs"]["same-as-x"]["run_dir"] == str(tmp_path / "a" / "x")
    assert not (tmp_path / "b" / "same-as-x" / "best.keras").exists()
    assert experiments.load_run_model("b", "same-as-x", shared).output_shape[-1] == 11


def test_without_imagenet_weights_the_quick_runs_start_random_and_say_so(tiny, tmp_path):
    # What notebook 06 does on a machine with neither network nor cached weights.
    experiments.SETTINGS["quick"] = {**TINY, "weights": "imagenet"}
    results = experiments.run("a", speed="quick", out=tmp_path, pretrained=False)
    assert results["pretrained"] is False
    for run in ("x", "y"):
        assert json.loads((tmp_path / "a" / run / "config.json").read_text())["weights"] is None
    with pytest.raises(ValueError, match="pretrained=False at full speed"):
        experiments.run("a", speed="full", out=tmp_path, pretrained=False)


def test_changed_settings_train_again(tiny, trained_a, tmp_path, monkeypatch):
    copy_of(trained_a, tmp_path)
    monkeypatch.setitem(experiments.SETTINGS, "quick", {**TINY, "learning_rate": 5e-3})
    config = json.loads((tmp_path / "a" / "x" / "config.json").read_text())
    assert config["learning_rate"] == 1e-3
    experiments.run("a", speed="quick", out=tmp_path)
    config = json.loads((tmp_path / "a" / "x" / "config.json").read_text())
    assert config["learning_rate"] == 5e-3
    # The run it replaced is moved aside, never deleted, and never reused as another's.
    [aside] = (tmp_path / "a").glob("x.replaced-*")
    assert json.loads((aside / "config.json").read_text())["learning_rate"] == 1e-3
    assert (aside / "best.keras").is_file()


def test_the_command_writes_results_files(tiny, trained_a, tmp_path, capsys):
    runs = str(copy_of(trained_a, tmp_path / "runs"))  # its finished runs are reused
    code = main(
        ["results", "a", "--speed", "quick", "--runs", runs, "--out", str(tmp_path / "res")]
    )
    assert code == 0
    assert "a: val mean IU X" in capsys.readouterr().out
    written = experiments.load_results("a", tmp_path / "res")
    assert written["experiment"] == "a" and written["speed"] == "quick"
    assert set(written["runs"]) == {"x", "y"}


def test_bad_names_say_what_exists(tmp_path):
    with pytest.raises(ValueError, match="use one of \\['transfer', 'skips'\\]"):
        experiments.run("skip", speed="quick")
    with pytest.raises(ValueError, match="unknown speed 'fast'"):
        experiments.run("skips", speed="fast")
    with pytest.raises(FileNotFoundError, match="make results"):
        experiments.load_results("skips", tmp_path)


@pytest.mark.parametrize("name", list(experiments.EXPERIMENTS))
def test_committed_results_match_the_code(name):
    """results/NAME.json must come from today's settings: change them, rerun make results."""
    results = experiments.load_results(name)
    assert results["speed"] == "full"
    assert set(results["runs"]) == set(experiments.EXPERIMENTS[name]["runs"])
    for key, value in experiments.SETTINGS["full"].items():
        if key in results["common"]:
            assert results["common"][key] == json.loads(json.dumps(value)), key
    for spec in results["runs"].values():
        metrics = spec["metrics"]
        assert 0 < metrics["mean_iu"] < metrics["pixel_accuracy"] <= 1
        assert len(spec["history"]) == results["common"]["epochs"]
        assert not spec["run_dir"].startswith("/"), "run folders are stored repository-relative"


def test_a_setting_added_later_at_its_default_keeps_old_runs(tiny, trained_a, tmp_path):
    """A run made before TrainConfig grew a field is still reused (it ran at the default)."""
    copy_of(trained_a, tmp_path)
    path = tmp_path / "a" / "x" / "config.json"
    stored = json.loads(path.read_text())
    del stored["time_budget_s"]  # as a config.json written before the field existed
    path.write_text(json.dumps(stored))
    modified = (tmp_path / "a" / "x" / "best.keras").stat().st_mtime_ns
    experiments.run("a", speed="quick", out=tmp_path)
    assert (tmp_path / "a" / "x" / "best.keras").stat().st_mtime_ns == modified


def readme_rows() -> list[str]:
    """The README's results table rows, as the results files say they must read."""
    rows = []
    for name in experiments.EXPERIMENTS:
        results = experiments.load_results(name)
        for spec in results["runs"].values():
            rows.append(
                f"| {name} | {spec['label']} | {experiments.score_text(spec, 'val')} | "
                f"{experiments.score_text(spec, 'test')} | "
                f"{experiments.score_text(spec, 'test', 'pixel_accuracy')} | "
                f"{spec['wall_time_s'] / 60:.0f} min |"
            )
    demo = json.loads((experiments.RESULTS_DIR / "demo.json").read_text())
    rows.append(
        f"| demo | FCN-8s, MobileNet α=0.25, cpu profile | {experiments.score_text(demo, 'val')} | "
        f"{experiments.score_text(demo, 'test')} | "
        f"{experiments.score_text(demo, 'test', 'pixel_accuracy')} | "
        f"{demo['train_time_s'] / 60:.0f} min |"
    )
    return rows


def test_readme_quotes_the_results_files():
    readme = (experiments.ROOT / "README.md").read_text()
    missing = [row for row in readme_rows() if row not in readme]
    assert not missing, "README's results table is stale; it should hold:\n" + "\n".join(missing)


QUOTING_NOTEBOOK = {
    "transfer": "05_transfer_learning.ipynb",
    "skips": "06_skip_layers.ipynb",
    "demo": "07_self_driving_demo.ipynb",
}


@pytest.mark.parametrize("name", list(QUOTING_NOTEBOOK))
def test_notebooks_quote_the_test_scores_of_their_results_file(name):
    """Each run's CamVid test mean IU, as the file has it, is in its notebook's prose."""
    results = json.loads((experiments.RESULTS_DIR / f"{name}.json").read_text())
    records = [results] if name == "demo" else list(results["runs"].values())
    notebook = json.loads((experiments.ROOT / "notebooks" / QUOTING_NOTEBOOK[name]).read_text())
    prose = "\n".join(
        "".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "markdown"
    )
    for record in records:
        quoted = experiments.score_text(record, "test")
        assert quoted != experiments.NOT_MEASURED, f"{name}: no test block (make results)"
        assert f"**{quoted}**" in prose, f"{QUOTING_NOTEBOOK[name]} should quote test {quoted}"


def test_a_results_file_without_a_test_block_says_so():
    """Old files (val only, as ``metrics``) are read; their test is never invented."""
    old = {"metrics": {"mean_iu": 0.5983, "pixel_accuracy": 0.876}}
    assert experiments.split_scores(old, "val") == old["metrics"]
    assert experiments.split_scores(old, "test") is None
    assert experiments.score_text(old, "test") == experiments.NOT_MEASURED
    new = {**old, "val": {"mean_iu": 0.6}, "test": {"mean_iu": 0.5261}}
    assert experiments.score_text(new, "val") == "0.600"
    assert experiments.score_text(new, "test") == "0.526"
    with pytest.raises(ValueError, match="'val' and 'test'"):
        experiments.split_scores(new, "train")


@pytest.mark.parametrize("name", ["demo", *experiments.EXPERIMENTS])
def test_committed_blocks_are_whole_where_present(name):
    """Each val or test block a results file holds has the four metrics and both tables."""
    path = experiments.RESULTS_DIR / f"{name}.json"
    results = json.loads(path.read_text())
    records = [results] if name == "demo" else list(results["runs"].values())
    for record in records:
        for split in ("val", "test"):
            block = experiments.split_scores(record, split)
            if block is None:
                continue
            for key in ("pixel_accuracy", "mean_accuracy", "mean_iu", "frequency_weighted_iu"):
                assert 0 <= block[key] <= 1, (split, key)
            assert set(block["per_class_iu"]) == set(block["per_class_accuracy"])
        if "checkpoint" in record:
            assert record["checkpoint"]["chosen_by"] == "highest val mean IU"
