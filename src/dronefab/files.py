"""Writing files so that a reader never sees half of one.

Each output goes to a temporary file in the same folder and is renamed over the target once it
is complete; a crash or Ctrl-C leaves either the old file or the new one, never a torn one.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dronefab.errors import FolderError, Location, Problem, UsageError

# Read once: os.umask can only be read by setting it, which is not safe once threads run.
_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` if the block succeeds.

    Examples
    --------
    >>> with atomic_path("out.csv") as tmp:  # doctest: +SKIP
    ...     frame.to_csv(tmp)
    """
    target = Path(target)
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        handle, name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".part", dir=target.parent
        )
    except OSError as exc:  # name the file the user asked for, not the temporary one
        raise type(exc)(exc.errno, exc.strerror, str(target)) from None
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        temporary.chmod(_mode_for(target))
        try:
            temporary.replace(target)
        except OSError as exc:
            raise type(exc)(exc.errno, exc.strerror, str(target)) from None
    finally:
        temporary.unlink(missing_ok=True)


def _mode_for(target: Path) -> int:
    """The existing file's mode, or 0666 less the umask for a new one."""
    if target.exists():
        return target.stat().st_mode & 0o7777
    return 0o666 & ~_UMASK


def write_text(target: str | os.PathLike[str], text: str) -> None:
    """Write UTF-8 text atomically."""
    with atomic_path(target) as temporary:
        temporary.write_text(text, encoding="utf-8")


def write_bytes(target: str | os.PathLike[str], data: bytes) -> None:
    """Write bytes atomically."""
    with atomic_path(target) as temporary:
        temporary.write_bytes(data)


def read_json(source: str | os.PathLike[str], command: str) -> Any:
    """Read a JSON file a dronefab command wrote.

    Raises
    ------
    dronefab.errors.UsageError
        If it is missing, naming the file and the command that writes it.
    dronefab.errors.FolderError
        If it is not valid JSON (naming the line) or not UTF-8: damaged input, as a damaged
        scenario is (exit 1).
    """
    path = Path(source)
    if not path.is_file():
        message = f"{path}: not found; run '{command}' to write it"
        raise UsageError(message)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        message = f"not valid JSON (line {exc.lineno}: {exc.msg})"
    except UnicodeDecodeError:
        message = "not UTF-8 text"
    raise FolderError([Problem(Location(str(path)), "", message)], command)


ID_COLUMNS = dict.fromkeys(
    (
        "site",
        "item",
        "customer",
        "supplier",
        "from_site",
        "to_site",
        "work_center",
        "constraint",
        "node",
        "open_sites",
        "closed_sites",
    ),
    str,
)
"""Columns of the output tables that hold ids: read as text (``pd.read_csv(..., dtype=...)``), so
that an id like ``007`` comes back as written, not as the number 7."""


FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r", "\n")
"""First characters a spreadsheet reads as a formula (OWASP's list, CSV injection)."""


def inert_cell(value: Any) -> Any:
    """``value`` safe to open in a spreadsheet: text that would start a formula gets a leading
    apostrophe (shown by Excel and LibreOffice as the text itself); numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value


def write_csv(
    target: str | os.PathLike[str],
    columns: list[str] | tuple[str, ...],
    rows: Iterator[Any] | list[Any],
) -> int:
    """Write rows (sequences in the order of ``columns``) as CSV atomically, every text cell
    made inert (:func:`inert_cell`). Returns the number of rows written."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow(["" if cell is None else inert_cell(_plain(cell)) for cell in row])
        count += 1
    write_text(target, buffer.getvalue())
    return count


def _plain(cell: Any) -> Any:
    """Booleans as true/false, whole floats without ``.0`` (CSV readers and people both)."""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float) and cell.is_integer() and abs(cell) < 1e15:
        return int(cell)
    return cell
