"""Writing files so that a reader never sees half of one.

Each output goes to a temporary file in the same folder and is renamed over the target once it
is complete; a crash or Ctrl-C leaves either the old file or the new one, never a torn one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` if the block succeeds.

    Examples
    --------
    >>> with atomic_path("out.csv") as tmp:  # doctest: +SKIP
    ...     frame.to_csv(tmp)
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        temporary.chmod(_mode_for(target))
        temporary.replace(target)
    finally:
        temporary.unlink(missing_ok=True)


def _mode_for(target: Path) -> int:
    """The existing file's mode, or 0666 less the umask for a new one."""
    if target.exists():
        return target.stat().st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_text(target: str | os.PathLike[str], text: str) -> None:
    """Write UTF-8 text atomically."""
    with atomic_path(target) as temporary:
        temporary.write_text(text, encoding="utf-8")


def write_bytes(target: str | os.PathLike[str], data: bytes) -> None:
    """Write bytes atomically."""
    with atomic_path(target) as temporary:
        temporary.write_bytes(data)
