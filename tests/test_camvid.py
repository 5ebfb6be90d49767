"""CamVid: the shipped manifest, the shared copy, and downloads from a local HTTP server.

The download tests never reach the internet: a server on 127.0.0.1 serves the files of
``../shared/data/camvid`` (or a three-pair stand-in under a monkeypatched manifest) and can
be told to corrupt a file, to drop a connection half-way or to stall, and it counts the
requests it gets.
"""

import hashlib
import http.server
import io
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pooch
import pytest
from PIL import Image

from fcn_tutorial import cli, datasets
from fcn_tutorial.datasets import CLASS_NAMES, VOID, camvid, download, load_camvid
from fcn_tutorial.datasets.folders import read_pair

ROOT = Path(__file__).resolve().parents[1]
CAMVID = ROOT.parent / "shared" / "data" / "camvid"


@pytest.fixture(scope="module")
def shared():
    """``../shared/data/camvid`` (train and val only), or a skip."""
    if not (CAMVID / "SHA256SUMS").is_file():
        pytest.skip(f"{CAMVID} is absent: no local CamVid copy to test against")
    return CAMVID


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_manifest_lists_all_three_splits_in_pairs():
    for split, count in [("train", 367), ("val", 101), ("test", 233)]:
        images, masks = camvid.camvid_files(split)
        assert len(images) == len(masks) == count
        assert all(Path(i).name == Path(m).name for i, m in zip(images, masks))
        assert all(m.startswith(f"{split}annot/") for m in masks)
    assert all(len(digest) == 64 for digest in camvid._manifest().values())
    with pytest.raises(ValueError, match="not one of CamVid's"):
        camvid.camvid_files("training")


def test_shipped_manifest_is_the_shared_sha256sums(shared):
    rows = [line.split() for line in (shared / "SHA256SUMS").read_text().splitlines() if line]
    assert camvid._manifest() == {path: digest for digest, path in rows}


def test_loads_the_shared_train_and_val_splits(shared):
    for split, count in [("val", 101), ("train", 367)]:
        images, masks = load_camvid(split, root=shared, download=False)
        assert images.shape == (count, 360, 480, 3) and images.dtype == np.uint8
        assert masks.shape == (count, 360, 480) and masks.dtype == np.uint8
        labels = np.flatnonzero(np.bincount(masks.ravel(), minlength=VOID + 1))
        # Every class and void occur in both splits; nothing else does.
        assert labels.tolist() == list(range(VOID + 1))
        # Images are photos, not blank: each has a real spread of values.
        assert images[:, ::8, ::8].reshape(count, -1).std(axis=1).min() > 10
    image_paths, mask_paths = camvid.camvid_paths("val", root=shared, download=False)
    assert image_paths[0] == shared / "val" / image_paths[0].name
    assert [p.name for p in image_paths] == [p.name for p in mask_paths]


def link_split(source: Path, root: Path, split: str, leave_out=()) -> None:
    """Fill ``root`` with symlinks to ``source``'s files of ``split``, except ``leave_out``."""
    images, masks = camvid.camvid_files(split)
    for name in images + masks:
        if name not in leave_out:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).symlink_to(source / name)


def test_an_absent_test_split_fails_with_what_where_and_how(shared, tmp_path):
    # The shared copy now holds test too: a copy of its train and val stands in for one
    # without it.
    for split in ("train", "val"):
        link_split(shared, tmp_path, split)
    with pytest.raises(FileNotFoundError) as error:
        load_camvid("test", root=tmp_path, download=False)
    message = str(error.value)
    for expected in ("466 of CamVid's 466 test files", str(tmp_path), "test/0001TP_008550.png"):
        assert expected in message
    for how in (camvid.CAMVID_URL, "FCN_TUTORIAL_DATA", "download=True", "root="):
        assert how in message


def test_a_corrupted_copy_is_rejected_by_name_and_hashes(shared, tmp_path):
    images, _ = camvid.camvid_files("val")
    bad = images[7]
    link_split(shared, tmp_path, "val", leave_out={bad})
    data = bytearray((shared / bad).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / bad).write_bytes(data)
    with pytest.raises(ValueError) as error:
        load_camvid("val", root=tmp_path, download=False)
    message = str(error.value)
    assert str(tmp_path / bad) in message
    assert sha256(bytes(data)) in message and camvid._manifest()[bad] in message


class Server:
    """Serves ``folder`` under ``/CamVid/``; ``corrupt`` names get one byte flipped, the
    first ``interrupt[name]`` requests of a name are cut off half-way, and ``stall[name]``
    requests stall (``"headers"``: before any answer; ``"body"``: half-way) until closed."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.corrupt: set[str] = set()
        self.interrupt: Counter = Counter()
        self.stall: dict[str, str] = {}
        self.released = threading.Event()
        self.requests: Counter = Counter()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                name = unquote(self.path).removeprefix("/CamVid/")
                server.requests[name] += 1
                path = server.folder / name
                if not path.is_file():
                    self.send_error(404)
                    return
                body = bytearray(path.read_bytes())
                if name in server.corrupt:
                    body[100] ^= 0xFF
                if server.stall.get(name) == "headers":
                    server.released.wait(60)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.stall.get(name) == "body":
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    server.released.wait(60)
                    return
                if server.interrupt[name] > 0:
                    server.interrupt[name] -= 1
                    self.wfile.write(body[: len(body) // 2])
                    self.close_connection = True
                    return
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/CamVid/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.released.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(shared, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    server = Server(shared)
    yield server
    server.close()


def stray_files(root: Path, split: str) -> list[str]:
    """Files under ``root`` that are not CamVid's, e.g. a temporary download left behind."""
    images, masks = camvid.camvid_files(split)
    known = set(images + masks)
    files = [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()]
    return [name for name in files if name not in known]


def missing_files(root: Path, split: str) -> set[str]:
    images, masks = camvid.camvid_files(split)
    return {name for name in images + masks if not (root / name).is_file()}


@pytest.fixture
def half_empty(shared, tmp_path):
    """A val folder with three pairs missing, so downloads stay small."""
    images, masks = camvid.camvid_files("val")
    gone = {*images[:3], *masks[:3]}
    link_split(shared, tmp_path / "camvid", "val", leave_out=gone)
    return tmp_path / "camvid", sorted(gone)


def test_download_fetches_only_what_is_missing(server, half_empty, monkeypatch):
    root, gone = half_empty
    monkeypatch.setenv("FCN_TUTORIAL_DATA", str(root.parent))  # root is $.../camvid
    monkeypatch.setenv("FCN_TUTORIAL_CAMVID_URL", server.url)
    images, masks = load_camvid("val", progress=False)
    assert images.shape == (101, 360, 480, 3) and masks.shape == (101, 360, 480)
    assert server.requests == Counter(gone)
    for name in gone:
        assert sha256((root / name).read_bytes()) == camvid._manifest()[name]
    load_camvid("val", progress=False)
    assert server.requests == Counter(gone), "a complete folder must not be fetched again"


def test_a_corrupt_download_is_retried_then_named_with_both_hashes(server, half_empty):
    root, gone = half_empty
    bad = gone[0]
    server.corrupt.add(bad)
    with pytest.raises(ValueError) as error:
        load_camvid("val", root=root, base_url=server.url, progress=False)
    message = str(error.value)
    body = bytearray((server.folder / bad).read_bytes())
    body[100] ^= 0xFF
    assert bad in message and sha256(bytes(body)) in message
    assert camvid._manifest()[bad] in message and "sha256 mismatch" in message
    assert server.requests[bad] == 1 + download.RETRIES
    assert not (root / bad).exists() and stray_files(root, "val") == []
    # Fixed upstream: a rerun fetches exactly what is still missing, then loads.
    server.corrupt.clear()
    still_missing = missing_files(root, "val")
    before = server.requests.copy()
    images, _ = load_camvid("val", root=root, base_url=server.url, progress=False)
    assert len(images) == 101
    assert server.requests - before == Counter(still_missing)


@pytest.mark.parametrize("cuts", [download.RETRIES, download.RETRIES + 1])
def test_an_interrupted_download_never_leaves_a_partial_file(server, half_empty, cuts):
    root, gone = half_empty
    cut = gone[-1]
    server.interrupt[cut] = cuts
    attempts = 1 + download.RETRIES
    if cuts < attempts:  # the last retry succeeds
        load_camvid("val", root=root, base_url=server.url, progress=False)
        assert server.requests[cut] == attempts
        assert sha256((root / cut).read_bytes()) == camvid._manifest()[cut]
        return
    with pytest.raises(ConnectionError) as error:
        load_camvid("val", root=root, base_url=server.url, progress=False)
    assert cut in str(error.value) and str(root) in str(error.value)
    assert server.requests[cut] == attempts
    assert not (root / cut).exists() and stray_files(root, "val") == []


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_offline_fails_fast_saying_what_where_and_how(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    url = f"http://127.0.0.1:{closed_port()}/CamVid/"
    start = time.perf_counter()
    with pytest.raises(ConnectionError) as error:
        load_camvid("val", root=tmp_path / "camvid", base_url=url, progress=False)
    assert time.perf_counter() - start < 15
    message = str(error.value)
    assert f"still missing in {tmp_path / 'camvid'}: 202 " in message
    for how in (url, "FCN_TUTORIAL_DATA", "copy a CamVid folder"):
        assert how in message
    assert stray_files(tmp_path / "camvid", "val") == []


def test_default_root_is_the_data_variable_or_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("FCN_TUTORIAL_DATA", str(tmp_path))
    assert camvid.camvid_root() == tmp_path / "camvid"
    monkeypatch.delenv("FCN_TUTORIAL_DATA")
    assert "fcn-tutorial" in str(camvid.camvid_root())
    assert camvid.camvid_root("elsewhere") == Path("elsewhere")


# -- finding a copy, and reading only what is selected --------------------------------------

TINY_STEMS = ("0001TP_000010", "0001TP_000020", "0001TP_000030")


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def tiny(monkeypatch, tmp_path):
    """A three-pair val split under a monkeypatched manifest, the cache and the shared copy
    moved into ``tmp_path``; returns ``write(root)``, which puts a complete copy there."""
    files = {}
    for k, stem in enumerate(TINY_STEMS):
        files[f"val/{stem}.png"] = png(np.full((4, 6, 3), 10 * k, np.uint8))
        files[f"valannot/{stem}.png"] = png(np.full((4, 6), k, np.uint8))
    monkeypatch.setattr(camvid, "_manifest", lambda: {n: sha256(b) for n, b in files.items()})
    monkeypatch.setattr(camvid, "_cache_root", lambda: tmp_path / "cache" / "camvid")
    monkeypatch.setattr(camvid, "_SHARED_COPY", tmp_path / "shared")
    monkeypatch.delenv("FCN_TUTORIAL_DATA", raising=False)

    def write(root: Path) -> Path:
        for name, data in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(data)
        return root

    return write


def record_calls(monkeypatch, owner, name: str) -> list[str]:
    """Wrap ``owner.name`` so that each call's file is recorded, as ``val/x.png``."""
    names = []
    original = getattr(owner, name)

    def recording(path, *args, **kwargs):
        names.append(Path(path).relative_to(Path(path).parents[1]).as_posix())
        return original(path, *args, **kwargs)

    monkeypatch.setattr(owner, name, recording)
    return names


@pytest.fixture
def hashed(monkeypatch):
    """The files whose sha256 is computed, in order."""
    return record_calls(monkeypatch, pooch, "file_hash")


@pytest.fixture
def opened(monkeypatch):
    """The image files decoded, in any order."""
    return record_calls(monkeypatch, Image, "open")


def test_is_complete_looks_for_every_file_before_hashing_any(tiny, tmp_path, hashed):
    root = tmp_path / "copy"
    assert not camvid.is_complete(root, "val")
    tiny(root)
    (root / f"valannot/{TINY_STEMS[2]}.png").unlink()
    assert not camvid.is_complete(root, ("val",)) and hashed == []
    tiny(root)
    assert camvid.is_complete(root, "val") and len(hashed) == 6
    data = bytearray((root / f"val/{TINY_STEMS[1]}.png").read_bytes())
    data[-20] ^= 0xFF
    (root / f"val/{TINY_STEMS[1]}.png").write_bytes(bytes(data))
    assert not camvid.is_complete(root, "val")
    with pytest.raises(ValueError, match="not one of CamVid's"):
        camvid.is_complete(root, "validation")


def test_locate_camvid_searches_root_variable_cache_then_shared(tiny, tmp_path, monkeypatch):
    places = {
        "root": tmp_path / "given",
        "variable": tmp_path / "data" / "camvid",
        "cache": tmp_path / "cache" / "camvid",
        "shared": tmp_path / "shared",
    }
    assert camvid.locate_camvid(places["root"], "val") is None  # nowhere yet
    for place in places.values():
        tiny(place)
    monkeypatch.setenv("FCN_TUTORIAL_DATA", str(tmp_path / "data"))
    assert camvid.locate_camvid(places["root"], "val") == places["root"]
    assert datasets.locate_camvid(splits="val") == places["variable"]
    monkeypatch.delenv("FCN_TUTORIAL_DATA")
    assert camvid.locate_camvid(splits="val") == places["cache"]
    (places["cache"] / f"val/{TINY_STEMS[0]}.png").unlink()  # incomplete: passed over
    assert camvid.locate_camvid(tmp_path / "elsewhere", "val") == places["shared"]


def test_load_split_reads_only_the_selected_files(tiny, tmp_path, hashed, opened):
    root = tiny(tmp_path / "copy")
    split = datasets.load_split("camvid", "val", root=root, select=[TINY_STEMS[1]], download=False)
    selected = [f"val/{TINY_STEMS[1]}.png", f"valannot/{TINY_STEMS[1]}.png"]
    assert sorted(hashed) == sorted(opened) == selected
    assert split.names == (TINY_STEMS[1],) and split.root == str(root)
    assert split.images.shape == (1, 4, 6, 3) and int(split.images.max()) == 10
    np.testing.assert_array_equal(split.masks, np.ones((1, 4, 6), np.uint8))
    assert split.class_names == tuple(CLASS_NAMES) and split.source == "camvid"


def test_load_split_reads_the_first_complete_copy_it_finds(tiny, tmp_path, hashed, opened):
    shared_copy = tiny(tmp_path / "shared")
    split = datasets.load_split("camvid", "val", count=2, download=False)
    assert split.root == str(shared_copy) and split.names == TINY_STEMS[:2]
    # Locating checks the whole split once; only the two chosen pairs are decoded.
    assert len(hashed) == 6 and len(opened) == 4
    last = datasets.load_split("camvid", "val", select=lambda stem: stem.endswith("30"))
    assert last.names == (TINY_STEMS[2],)


def test_load_split_without_a_copy_says_where_to_put_one(tiny, tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        datasets.load_split("camvid", "val", download=False)
    message = str(error.value)
    assert "6 of CamVid's 6 val files are missing in " + str(tmp_path / "cache") in message
    for how in ("FCN_TUTORIAL_DATA", "download=True", "root="):
        assert how in message


def test_camvid_files_select_by_stem_or_predicate():
    images, masks = camvid.camvid_files("val", ["0016E5_08159", "0016E5_07959"])
    assert images == ["val/0016E5_07959.png", "val/0016E5_08159.png"]
    assert masks == ["valannot/0016E5_07959.png", "valannot/0016E5_08159.png"]
    assert len(camvid.camvid_files("test", lambda stem: stem.startswith("Seq05VD"))[0]) == 171
    with pytest.raises(ValueError, match=r"CamVid's val split has no file named 0001TP_008550"):
        camvid.camvid_files("val", ["0001TP_008550"])  # a test frame
    with pytest.raises(ValueError, match="select= keeps none"):
        camvid.camvid_files("val", lambda stem: False)


def test_load_split_on_the_shared_copy_matches_the_loader(shared):
    split = datasets.load_split("camvid", "val", root=shared, count=3, download=False)
    image_paths, mask_paths = camvid.camvid_paths("val", root=shared, download=False)
    assert split.names == tuple(p.stem for p in image_paths[:3])
    for k in range(3):
        image, mask = read_pair(image_paths[k], mask_paths[k])
        np.testing.assert_array_equal(split.images[k], image)
        np.testing.assert_array_equal(split.masks[k], mask)


# -- a corrupt copy, a stalled server, a killed download ------------------------------------

BAD = f"val/{TINY_STEMS[1]}.png"


@pytest.fixture
def tiny_server(tiny, tmp_path, monkeypatch):
    """A server of the three-pair stand-in, which ``$FCN_TUTORIAL_CAMVID_URL`` points at."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    server = Server(tiny(tmp_path / "served"))
    monkeypatch.setenv("FCN_TUTORIAL_CAMVID_URL", server.url)
    yield server
    server.close()


@pytest.fixture
def quick_timeouts(monkeypatch):
    """Half a second without a byte ends an attempt, and one retry follows."""
    monkeypatch.setattr(download, "CONNECT_TIMEOUT", 1.0)
    monkeypatch.setattr(download, "READ_TIMEOUT", 0.5)
    monkeypatch.setattr(download, "RETRIES", 1)


@pytest.fixture
def corrupt(tiny, tmp_path, monkeypatch):
    """A complete stand-in copy in ``tmp_path/data/camvid`` with one byte of ``BAD`` flipped,
    and no server (a closed port): returns the folder and the bad file's sha256."""
    root = tiny(tmp_path / "data" / "camvid")
    data = bytearray((root / BAD).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (root / BAD).write_bytes(bytes(data))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("FCN_TUTORIAL_CAMVID_URL", f"http://127.0.0.1:{closed_port()}/CamVid/")
    monkeypatch.setattr(download, "RETRIES", 0)  # refused at once; no pauses
    return root, sha256(bytes(data))


def assert_names_the_mismatch(message: str, root: Path, found: str) -> None:
    for needle in (str(root / BAD), found, camvid._manifest()[BAD], "sha256 mismatch"):
        assert needle in message, (needle, message)


CORRUPT_PATHS = {
    "load_camvid": (ConnectionError, lambda root: load_camvid("val", root, progress=False)),
    "load_camvid-offline": (ValueError, lambda root: load_camvid("val", root, download=False)),
    "load_split": (ConnectionError, lambda root: datasets.load_split("camvid", "val", root=root)),
    "load_split-offline": (
        ValueError,
        lambda root: datasets.load_split("camvid", "val", root=root, download=False),
    ),
    "download_camvid": (ConnectionError, lambda root: camvid.download_camvid(root=root)),
    "camvid_paths": (ConnectionError, lambda root: camvid.camvid_paths("val", root)),
}


@pytest.mark.parametrize("path", CORRUPT_PATHS)
def test_a_corrupt_file_is_named_with_both_hashes_on_every_path(corrupt, path):
    root, found = corrupt
    error_type, call = CORRUPT_PATHS[path]
    with pytest.raises(error_type) as error:
        call(root)
    assert_names_the_mismatch(str(error.value), root, found)
    # The fix: delete and download again, or, offline, copy good files over them.
    assert "Delete it and download again" in str(error.value) or "copy a CamVid" in str(error.value)


def test_the_download_command_names_a_corrupt_file_with_both_hashes(corrupt, capsys):
    root, found = corrupt
    assert cli.main(["download", "camvid", "--root", str(root)]) == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith("fcn-tutorial download: error: could not download CamVid's")
    assert_names_the_mismatch(line, root, found)
    assert "Files still missing" not in line  # nothing is missing: one file is corrupt


def test_locating_passes_over_a_corrupt_copy_saying_why(corrupt, monkeypatch):
    root, found = corrupt
    monkeypatch.setenv("FCN_TUTORIAL_DATA", str(root.parent))
    with pytest.warns(UserWarning, match="passed over the CamVid copy") as caught:
        assert camvid.locate_camvid(splits="val") is None
    assert_names_the_mismatch(str(caught[0].message), root, found)
    # load_split, demo, experiments and bench data find data this way.
    with pytest.warns(UserWarning, match="passed over"), pytest.raises(ConnectionError) as error:
        datasets.load_split("camvid", "val")
    assert_names_the_mismatch(str(error.value), root, found)
    (root / BAD).unlink()  # incomplete, not corrupt: passed over in silence
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert camvid.locate_camvid(splits="val") is None


@pytest.mark.parametrize("stall", ["headers", "body"])
def test_a_stalled_server_is_given_up_on_and_retried(
    tiny_server, quick_timeouts, tmp_path, capsys, stall
):
    names = sorted(camvid._manifest())
    tiny_server.stall = dict.fromkeys(names, stall)
    start = time.perf_counter()
    assert cli.main(["download", "camvid", "--root", str(tmp_path / "camvid")]) == 2
    # Two attempts of 0.5 s each and a 1 s pause; the defaults are 20 s, 2 retries.
    assert time.perf_counter() - start < 8
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert "in 2 attempts (the server sent nothing for 0.5 s" in line
    assert tiny_server.requests == Counter(dict.fromkeys(names, 2))
    assert stray_files(tmp_path / "camvid", "val") == []


def test_after_a_failure_no_queued_file_is_started(tiny_server, quick_timeouts, tmp_path):
    tiny_server.stall = dict.fromkeys(camvid._manifest(), "headers")
    with pytest.raises(ConnectionError, match="sent nothing for 0.5 s"):
        camvid.download_camvid(root=tmp_path / "camvid", workers=2, progress=False)
    # The two files in flight, twice each; the four queued ones never start (each would
    # have waited its own timeouts before the error could be reported).
    assert sum(tiny_server.requests.values()) == 2 * 2


def test_the_timeout_and_retry_policy():
    # No attempt waits more than 30 s without a byte, and a failure is retried.
    assert download.CONNECT_TIMEOUT + download.READ_TIMEOUT <= 30
    assert download.RETRIES >= 1


POOCH_TEMPORARY = re.compile(r"tmp[a-z0-9_]{8}")  # tempfile's names


def test_a_killed_download_leaves_temporaries_that_the_next_run_removes(tiny_server, tmp_path):
    root = tmp_path / "camvid"
    tiny_server.stall[BAD] = "body"
    (tmp_path / "manifest.json").write_text(json.dumps(camvid._manifest()))
    script = (
        "import json, sys; from fcn_tutorial import cli; from fcn_tutorial.datasets import camvid;"
        f"manifest = json.loads(open({str(tmp_path / 'manifest.json')!r}).read());"
        "camvid._manifest = lambda: manifest;"
        f"sys.exit(cli.main(['download', 'camvid', '--root', {str(root)!r}]))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env)
    others = [name for name in camvid._manifest() if name != BAD]
    try:  # until every other file is in and the stalled one is half-way
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (
            tiny_server.requests[BAD] and all((root / name).is_file() for name in others)
        ):
            time.sleep(0.05)
        time.sleep(0.2)
    finally:
        process.kill()  # kill -9
        process.wait()
    left = [p for p in (root / "val").iterdir() if p.name not in {Path(n).name for n in others}]
    assert len(left) == 1 and POOCH_TEMPORARY.fullmatch(left[0].name), left
    hour_ago = time.time() - 3600
    os.utime(left[0], (hour_ago, hour_ago))
    # Not temporaries, or one a live download may be writing now: all kept.
    keep = [root / "val" / "notes.txt", root / "val" / "tmp_keep.png", root / "val" / "tmpfresh123"]
    for path in keep:
        path.write_text("mine")
    tiny_server.stall.clear()
    assert cli.main(["download", "camvid", "--root", str(root)]) == 0
    assert not left[0].exists()
    assert all(path.read_text() == "mine" for path in keep)
    assert camvid.is_complete(root, "val") and tiny_server.requests[BAD] == 2
