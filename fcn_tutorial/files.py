"""Files written whole or not at all: checkpoints, JSON, masks, videos, the tutorial's copy.

Every file the package writes goes first to a temporary file beside it (the same folder,
so the same file system) that is then renamed over the target: atomic on POSIX and
Windows, so a reader, or a run killed halfway, sees the old file or the new one, never
half of one.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["temporary_path", "replacing"]


def temporary_path(path: str | os.PathLike) -> Path:
    """Where ``path`` is written before it replaces the target: ``.NAME.PID.tmp.SUFFIX``.

    Hidden, marked with this process's id (two writers never share one), and ending in
    ``path``'s own suffix, because Keras, Pillow and ffmpeg choose the format by it.

    Example:
        >>> temporary_path("runs/quick/best.keras").name.endswith(".tmp.keras")
        True
    """
    path = Path(path)
    return path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")


@contextlib.contextmanager
def replacing(path: str | os.PathLike) -> Iterator[Path]:
    """Write ``path`` whole or not at all: ``with replacing(path) as temporary: ...``.

    The block writes :func:`temporary_path`; when it ends without an error the file is
    renamed over ``path``. When it raises, the temporary file is removed and ``path`` is
    as it was. (A process killed in the block leaves the temporary file: whoever owns the
    folder removes ``.*.tmp*`` files, as :meth:`~fcn_tutorial.training.Run.start` does.)

    Example:
        >>> import tempfile
        >>> target = Path(tempfile.mkdtemp()) / "note.txt"
        >>> with replacing(target) as temporary:
        ...     _ = temporary.write_text("whole")
        >>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
        ('whole', ['note.txt'])
    """
    path = Path(path)
    temporary = temporary_path(path)
    try:
        yield temporary
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    os.replace(temporary, path)
