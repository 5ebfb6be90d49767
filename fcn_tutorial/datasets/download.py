"""Fetch hash-checked files over HTTP into a folder: timed out, retried, with no leftovers.

CamVid's download (:func:`~fcn_tutorial.datasets.camvid.download_camvid`) goes through
:func:`fetch_files`, which drives ``pooch`` on several threads. The policy:

- **Timeouts**: ``CONNECT_TIMEOUT`` (10 s) to connect, then ``READ_TIMEOUT`` (20 s)
  without receiving a byte ends an attempt, so no download waits more than 30 s without
  progress. A slow connection that keeps delivering is never cut off.
- **Retries**: ``RETRIES`` (2) more attempts after a timeout, a dropped connection or a
  file whose sha256 is wrong, after pauses of 1 s and then 2 s (pooch's). A server that
  stalls every time is reported after about 3 x 20 + 3 = 63 s.
- **Stop at the first failure**: once a file has failed every attempt, no queued file is
  started (offline, each would fail too); the files in flight end within their own
  attempts, and the error names the file, the URL and what went wrong.
- **No partial files**: pooch streams each file to ``tmpXXXXXXXX`` (Python's
  ``tempfile`` name) in its final folder and renames it only once its sha256 matches. A
  process killed mid-download (``kill -9``) leaves that temporary file behind;
  :func:`remove_stale_temporaries` deletes such files at the start of the next download.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import pooch

__all__ = [
    "CONNECT_TIMEOUT",
    "READ_TIMEOUT",
    "RETRIES",
    "STALE_AFTER",
    "DownloadError",
    "fetch_files",
    "is_temporary",
    "remove_stale_temporaries",
]

CONNECT_TIMEOUT = 10.0
"""float: seconds to open a connection before an attempt fails."""
READ_TIMEOUT = 20.0
"""float: seconds without receiving a byte before an attempt fails."""
RETRIES = 2
"""int: attempts after the first, each after a pause (1 s, then 2 s)."""
STALE_AFTER = 2 * (CONNECT_TIMEOUT + READ_TIMEOUT)
"""float: seconds since its last write after which a temporary file belongs to no live
download (a live one writes at least every ``READ_TIMEOUT`` or gives up), so another
process downloading into the same folder never loses its file in flight."""

# tempfile.NamedTemporaryFile's names, which pooch uses: "tmp" and 8 of [a-z0-9_].
_TEMPORARY = re.compile(r"tmp[a-z0-9_]{8}")


class DownloadError(ConnectionError):
    """A file that could not be fetched in ``1 + RETRIES`` attempts.

    Attributes:
        name: the file, relative to the folder (``"val/0016E5_07959.png"``).
        url: where it was fetched from.
    """

    def __init__(self, message: str, name: str, url: str):
        super().__init__(message)
        self.name = name
        self.url = url


def is_temporary(path: str | os.PathLike) -> bool:
    """Whether ``path`` is named as pooch's temporary download files are (``tmpk3_9xq2a``).

    Example:
        >>> is_temporary("train/tmpk3_9xq2a"), is_temporary("train/0001TP_006690.png")
        (True, False)
    """
    return _TEMPORARY.fullmatch(Path(path).name) is not None


def remove_stale_temporaries(
    folders: Iterable[str | os.PathLike], min_age: float | None = None
) -> list[Path]:
    """Delete the temporary files a killed download left in ``folders``.

    Only regular files named as :func:`is_temporary` says, directly in one of
    ``folders``, untouched for ``min_age`` seconds, are deleted; nothing else is.

    Args:
        folders: the folders a download writes into (missing ones are passed over).
        min_age: seconds since the last write; ``None`` uses ``STALE_AFTER`` (60 s).

    Returns:
        The files deleted.
    """
    min_age = STALE_AFTER if min_age is None else min_age
    now = time.time()
    removed = []
    for folder in map(Path, folders):
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            if not is_temporary(path) or path.is_symlink() or not path.is_file():
                continue
            if now - path.stat().st_mtime >= min_age:
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


class _Downloader:
    """pooch's HTTP downloader with our timeouts, remembering the sha256 it received."""

    def __init__(self):
        timeout = (CONNECT_TIMEOUT, READ_TIMEOUT)
        self.http = pooch.HTTPDownloader(progressbar=False, timeout=timeout)
        self.received: dict[str, str] = {}

    def __call__(self, url, output_file, pooch_registry, check_only=False):
        self.http(url, output_file, pooch_registry, check_only=check_only)
        self.received[url] = pooch.file_hash(str(output_file))


def fetch_files(
    registry: dict[str, str],
    root: str | os.PathLike,
    base_url: str,
    *,
    label: str,
    workers: int = 8,
    progress: bool = True,
) -> None:
    """Download every file of ``registry`` into ``root``, each checked against its sha256.

    Args:
        registry: file name relative to ``root`` (``"val/0016E5_07959.png"``) -> sha256.
        root: the folder; sub-folders are made.
        base_url: file ``name`` comes from ``base_url + name``.
        label: the data's name, for messages (``"CamVid"``).
        workers: parallel downloads.
        progress: show a progress bar (tqdm).

    Raises:
        DownloadError: a file could not be fetched in ``1 + RETRIES`` attempts (offline,
            server down or stalled); the message names the file, the URL and the cause.
        ValueError: a file's sha256 was still wrong after every attempt; the message
            names the file and both hashes.
    """
    from tqdm.auto import tqdm

    root = Path(root)
    store = pooch.create(path=root, base_url=base_url, registry=registry, retry_if_failed=RETRIES)
    # Made up front: pooch creates folders itself, which races between threads.
    for folder in {(root / name).parent for name in registry}:
        folder.mkdir(parents=True, exist_ok=True)
    downloader = _Downloader()
    stop = threading.Event()

    def fetch(name: str) -> bool:
        if stop.is_set():  # another file failed: start no more
            return False
        try:
            store.fetch(name, downloader=downloader)
        except BaseException:
            stop.set()  # set here, not in the caller, so no queued file starts meanwhile
            raise
        return True

    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel("WARNING")  # pooch logs a line per file; the bar says enough
    bar = tqdm(total=len(registry), unit="file", desc=label, disable=not progress)
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        futures = {pool.submit(fetch, name): name for name in registry}
        for future in as_completed(futures):
            if future.exception() is None:
                bar.update(int(future.result()))
                continue
            error = future.exception()
            explained = _explain(error, futures[future], store, downloader, label, root)
            if explained is error:
                raise error
            raise explained from error
    finally:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)  # the files in flight end first
        bar.close()
        logger.setLevel(level)


def _explain(error, name, store, downloader, label, root) -> BaseException:
    """The error to raise for ``name``'s failure: what went wrong, said in full."""
    import requests

    url = store.get_url(name)
    attempts = f"{1 + RETRIES} attempt{'s' if RETRIES else ''}"
    if isinstance(error, requests.RequestException):
        cause = _cause(error)
        message = f"could not download {label}'s {name} from {url} in {attempts} ({cause})"
        return DownloadError(message, name, url)
    if isinstance(error, ValueError) and url in downloader.received:
        return ValueError(
            f"{label}'s {name}, downloaded from {url} in {attempts}, has sha256 "
            f"{downloader.received[url]} but the manifest expects {store.registry[name]} "
            f"(sha256 mismatch): the server sends a different file, so {root / name} was "
            "left as it was. Check base_url, or report it."
        )
    return error


def _cause(error) -> str:
    import requests

    if isinstance(error, requests.ConnectTimeout):
        return f"no connection within {CONNECT_TIMEOUT:g} s: {error}"
    if isinstance(error, requests.ReadTimeout) or "timed out" in str(error).lower():
        return f"the server sent nothing for {READ_TIMEOUT:g} s: {error}"
    return str(error)
