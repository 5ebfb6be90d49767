"""Files written whole or not at all (fcn_tutorial.files)."""

import pytest

from fcn_tutorial import files


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path):
    target = tmp_path / "summary.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), files.replacing(target) as temporary:
        temporary.write_text("half of the new")
        raise RuntimeError("the writer failed")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_the_temporary_file_keeps_the_suffix_that_picks_the_format(tmp_path):
    temporary = files.temporary_path(tmp_path / "drive.mp4")
    assert temporary.parent == tmp_path and temporary.name.startswith(".drive.")
    assert temporary.suffix == ".mp4" and ".tmp" in temporary.name
