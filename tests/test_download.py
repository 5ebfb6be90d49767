"""The download policy's file rules: which temporary files a new download removes.

The downloads themselves (timeouts, retries, hashes, a killed process) are tested through
CamVid, against a local server, in ``test_camvid.py``.
"""

import os
import time

from fcn_tutorial.datasets import download


def test_only_stale_temporary_files_are_removed(tmp_path):
    folder = tmp_path / "val"
    folder.mkdir()
    hour_ago = time.time() - 3600
    stale = folder / "tmpk3_9xq2a"
    kept = {
        "fresh": folder / "tmpfresh123",  # a live download in another process may own it
        "a photo": folder / "0016E5_07959.png",
        "not tempfile's name": folder / "tmp_notes.txt",
        "too short": folder / "tmpabc",
    }
    for path in [stale, *kept.values()]:
        path.write_bytes(b"x")
    for path in [stale, kept["a photo"], kept["not tempfile's name"], kept["too short"]]:
        os.utime(path, (hour_ago, hour_ago))
    (folder / "tmpabcdefgh").mkdir()  # a folder so named is not a file of ours
    (folder / "tmpzzzzzzzz").symlink_to(kept["a photo"])
    os.utime(folder / "tmpzzzzzzzz", (hour_ago, hour_ago), follow_symlinks=False)

    removed = download.remove_stale_temporaries([folder, tmp_path / "absent"])
    assert removed == [stale] and not stale.exists()
    assert all(path.exists() for path in kept.values())
    assert (folder / "tmpabcdefgh").is_dir() and (folder / "tmpzzzzzzzz").is_symlink()
    assert download.remove_stale_temporaries([folder], min_age=0) == [kept["fresh"]]


def test_stale_means_older_than_any_live_download_can_be_idle():
    assert download.STALE_AFTER >= download.CONNECT_TIMEOUT + download.READ_TIMEOUT
