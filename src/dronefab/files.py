"""Writing files so that a reader never sees half of one.

Each output goes to a temporary file in the same folder and is renamed over the target once it
is complete; a crash or Ctrl-C leaves either the old file or the new one, never a torn one.
(A folder of results is written whole in the same way: :mod:`dronefab.folders`.) Text cells of
every CSV table are neutralised against formula injection (:func:`inert_cell`).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dronefab.errors import FolderError, Location, Problem, UsageError

if TYPE_CHECKING:
    import pandas as pd

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


_HTML_SIGNIFICANT = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def json_text(data: Any, *, allow_nan: bool = True) -> str:
    """``data`` as indented JSON with ``<``, ``>`` and ``&`` written as ``\\u003c`` ...: the same
    values to every JSON reader, and no tag a user typed if a page ever embeds the text."""
    return json.dumps(data, indent=2, allow_nan=allow_nan).translate(_HTML_SIGNIFICANT) + "\n"


def write_json(target: str | os.PathLike[str], data: Any, *, allow_nan: bool = True) -> None:
    """Write :func:`json_text` of ``data`` atomically."""
    write_text(target, json_text(data, allow_nan=allow_nan))


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

# Text that starts with a formula lead, after any number of apostrophes. Neutralising adds one
# apostrophe to exactly these, so that restoring (taking one off exactly these) is its inverse:
# a value the user wrote as ``'=x`` is written ``''=x`` and read back as ``'=x``.
_NEUTRALISED = re.compile("'*[=+\\-@\t\r\n]")


def inert_cell(value: Any) -> Any:
    """``value`` safe to open in a spreadsheet (OWASP's defence against CSV injection).

    Text that would start a formula (its first character is one of :data:`FORMULA_LEADS`) gets a
    leading apostrophe, which Excel and LibreOffice show as the text itself; so does text that
    is already such a text behind apostrophes, so that :func:`restore_cell` is the exact inverse.
    Numbers (of any type but ``str``) stay numbers: ``-2.5`` is written as is.

    Examples
    --------
    >>> inert_cell("=SUM(A1)")
    "'=SUM(A1)"
    >>> inert_cell(-2.5), inert_cell("west-1")
    (-2.5, 'west-1')
    """
    if isinstance(value, str) and _NEUTRALISED.match(value):
        return "'" + value
    return value


def restore_cell(value: Any) -> Any:
    """The value :func:`inert_cell` was given: one leading apostrophe off text it neutralised.

    Examples
    --------
    >>> restore_cell("'=SUM(A1)"), restore_cell("''=x"), restore_cell("'quoted'")
    ('=SUM(A1)', "'=x", "'quoted'")
    """
    if isinstance(value, str) and value.startswith("'") and _NEUTRALISED.match(value, 1):
        return value[1:]
    return value


def frame_csv(frame: pd.DataFrame) -> str:
    """A table as CSV text, every text cell made inert (:func:`inert_cell`), numbers as they are
    (10 significant digits, ``inf`` as ``inf``). Every CSV table dronefab writes goes through here."""
    import pandas as pd

    text_columns = [
        column
        for column in frame.columns
        if not (
            pd.api.types.is_numeric_dtype(frame[column])
            or pd.api.types.is_datetime64_any_dtype(frame[column])
        )
    ]
    carriage_return = False
    if text_columns:
        frame = frame.copy()
        for column in text_columns:
            frame[column] = frame[column].astype(object).map(inert_cell)
            carriage_return = carriage_return or bool(
                frame[column].map(lambda cell: isinstance(cell, str) and "\r" in cell).any()
            )
    # A carriage return inside a value is quoted only if it is part of the line end: see
    # csv_rows_text.
    text: str = frame.to_csv(
        index=False, float_format="%.10g", lineterminator="\r\n" if carriage_return else "\n"
    )
    return text


def write_frame(target: str | os.PathLike[str], frame: pd.DataFrame) -> None:
    """Write a table as CSV (:func:`frame_csv`) atomically."""
    write_text(target, frame_csv(frame))


def read_frame(source: str | os.PathLike[str], dtype: Any = None) -> pd.DataFrame:
    """Read a CSV table dronefab wrote (:func:`write_frame`): ``pandas.read_csv`` with the
    neutralised text cells restored (:func:`restore_cell`)."""
    import pandas as pd

    frame = pd.read_csv(source, dtype=dtype)
    for column in frame.columns:
        if pd.api.types.is_object_dtype(frame[column]) or pd.api.types.is_string_dtype(
            frame[column]
        ):
            frame[column] = frame[column].map(restore_cell)
    return frame


def csv_rows_text(columns: list[str] | tuple[str, ...], rows: list[list[Any]]) -> str:
    """CSV text of a header and rows of cells already made inert.

    Lines end in ``\n``; a table with a carriage return inside a value gets ``\r\n`` line ends
    (RFC 4180) instead, because Python's CSV writer quotes a cell only for the characters of
    its line end: a raw ``\r`` would end the row early in every reader, and what follows it
    would start a new row (a way round the neutralising)."""
    import csv
    import io

    carriage_return = any(isinstance(cell, str) and "\r" in cell for row in rows for cell in row)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n" if carriage_return else "\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue()


def write_csv(
    target: str | os.PathLike[str],
    columns: list[str] | tuple[str, ...],
    rows: Iterator[Any] | list[Any],
) -> int:
    """Write rows (sequences in the order of ``columns``) as CSV atomically, every text cell
    made inert (:func:`inert_cell`). Returns the number of rows written."""
    cells = [["" if cell is None else inert_cell(_plain(cell)) for cell in row] for row in rows]
    write_text(target, csv_rows_text(columns, cells))
    return len(cells)


def _plain(cell: Any) -> Any:
    """Booleans as true/false, whole floats without ``.0`` (CSV readers and people both)."""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, float) and cell.is_integer() and abs(cell) < 1e15:
        return int(cell)
    return cell
