"""Reading the user's files into plain data while remembering where every value came from.

A YAML file is composed into nodes (which carry line numbers) and turned into dicts and lists;
each node's position is recorded under its path, e.g. ``("sites", 2, "work_centers", 0)``.
CSV tables are read with the line number of every row. Syntax problems become
:class:`~dronefab.errors.Problem` objects, never exceptions.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dronefab.errors import Location, Problem, UsageError
from dronefab.files import restore_cell

PathKey = tuple[str | int, ...]

_YamlLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def format_path(path: PathKey) -> str:
    """``("sites", 2, "stations")`` -> ``sites[2].stations``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass
class LocationIndex:
    """Locations of values by path; a path not recorded takes its nearest recorded ancestor."""

    by_path: dict[PathKey, Location] = field(default_factory=dict)

    def add(self, path: PathKey, location: Location) -> None:
        """Record where the value at ``path`` stands."""
        self.by_path[path] = location

    def find(self, path: PathKey) -> Location | None:
        """The location of ``path`` or of its closest ancestor, None if none is known."""
        for end in range(len(path), -1, -1):
            found = self.by_path.get(path[:end])
            if found is not None:
                return found
        return None


@dataclass
class SourceDocument:
    """A scenario as read from disk: data, where each piece came from, and syntax problems."""

    data: dict[str, Any]
    locations: LocationIndex
    problems: list[Problem]
    unreadable: set[str] = field(default_factory=set)
    """Paths of values that could not be read (already reported; later checks skip them)."""
    missing_columns: dict[PathKey, frozenset[str]] = field(default_factory=dict)
    """Required columns a table's header lacks, by table path (reported once, not per row)."""


# -- YAML -----------------------------------------------------------------------------------


class _YamlBuilder:
    """Turns composed YAML nodes into Python data, recording each node's line."""

    def __init__(
        self, display: str, locations: LocationIndex, problems: list[Problem], budget: int
    ) -> None:
        self.display = display
        self.locations = locations
        self.problems = problems
        self.constructor = yaml.constructor.SafeConstructor()
        self.open: set[int] = set()  # ids of the collections being built (to catch self-aliases)
        self.budget = budget  # values left to build; aliases of aliases can grow exponentially
        self.unreadable: set[str] = set()

    def build(self, node: yaml.Node, path: PathKey) -> Any:
        where = Location(self.display, node.start_mark.line + 1)
        self.locations.add(path, where)
        self.budget -= 1
        if self.budget < 0:
            raise _TooLargeError(where)
        if isinstance(node, yaml.CollectionNode):
            if id(node) in self.open:
                message = "refers to itself through an alias; write the value out instead"
                self.problems.append(Problem(where, format_path(path), message))
                self.unreadable.add(format_path(path))
                return None
            self.open.add(id(node))
            try:
                if isinstance(node, yaml.MappingNode):
                    return self._mapping(node, path)
                return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
            finally:
                self.open.discard(id(node))
        value = self._scalar(node, path)
        if value is _UNREADABLE:
            self.unreadable.add(format_path(path))
            return None
        return value

    def _mapping(self, node: yaml.MappingNode, path: PathKey) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        first_mark: dict[str, yaml.Mark] = {}
        for key_node, value_node in node.value:
            key = self._scalar(key_node, path)
            if key is _UNREADABLE:
                continue
            line = key_node.start_mark.line + 1
            if not isinstance(key, str | int | float | bool) or key is None:
                where = Location(self.display, line)
                self.problems.append(Problem(where, format_path(path), "keys must be plain text"))
                continue
            key = str(key) if not isinstance(key, str) else key
            if key in out:
                first = first_mark[key]
                at = f"line {first.line + 1}"
                if first.line + 1 == line:
                    at += f", column {first.column + 1}"
                where = Location(self.display, line)
                message = f"duplicate key '{key}' (first at {at})"
                self.problems.append(Problem(where, format_path((*path, key)), message))
                continue
            first_mark[key] = key_node.start_mark
            out[key] = self.build(value_node, (*path, key))
            # A key's line is where the key is written, which is what an editor jumps to.
            self.locations.add((*path, key), Location(self.display, line))
        return out

    def _scalar(self, node: yaml.Node, path: PathKey) -> Any:
        where = Location(self.display, node.start_mark.line + 1)
        if node.tag in _NUMBER_TAGS and not _PLAIN_NUMBER.fullmatch(node.value):
            # YAML 1.1 reads 1_000 as 1000, 010 as 8, 1:30 as 90 and 0x1f as 31: keep what was
            # written, for the field to read as text (an id '007') or refuse (a number)
            return node.value
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            message = f"cannot read this value: {getattr(exc, 'problem', None) or exc}"
        except ValueError as exc:  # a date-like value that is no date: 2026-13-05
            message = f"must be a date like 2026-01-05, got {node.value} ({exc})"
        self.problems.append(Problem(where, format_path(path), message))
        return _UNREADABLE


_UNREADABLE = object()
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_PLAIN_NUMBER = re.compile(
    r"[-+]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)
"""A number as people write it; YAML's other forms of numbers are read as the text written."""


class _TooLargeError(Exception):
    """Aliases expanded a YAML file far beyond its written size (a "billion laughs")."""

    def __init__(self, where: Location) -> None:
        super().__init__(str(where))
        self.where = where


def _syntax_problem(exc: yaml.MarkedYAMLError, display: str) -> Problem:
    """A YAML syntax error at the line where the parser gave up, naming the construct it was in.

    An unclosed ``{`` or ``[`` is noticed lines after it was opened; the message then says where
    the construct began, which is where the fix usually is.
    """
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else None
    column = f" (column {mark.column + 1})" if mark is not None else ""
    message = f"YAML syntax error: {exc.problem or exc.context}{column}"
    start = exc.context_mark
    if exc.problem and exc.context:
        if not exc.context.startswith("while "):
            message = f"YAML syntax error: {exc.context}, {exc.problem}{column}"
        elif (
            start is not None
            and mark is not None
            and start.line != mark.line
            and "plain scalar" not in exc.context  # where a plain scalar began tells nothing
        ):
            message += f" {exc.context} that starts at line {start.line + 1}"
    return Problem(Location(display, line), "", message)


ALLOW_OUTSIDE_VARIABLE = "DRONEFAB_ALLOW_OUTSIDE_TABLES"
MAX_MB_VARIABLE = "DRONEFAB_MAX_FILE_MB"
DEFAULT_MAX_MB = 200


@dataclass(frozen=True)
class FilePolicy:
    """What a scenario may read: files only inside its folder unless ``allow_outside``, and
    none larger than ``max_bytes``.

    A scenario travels between organisations (and soon to a service): a table reference must
    not read ``/proc/self/environ`` or a 40 GB file because the scenario says so.
    """

    allow_outside: bool = False
    max_bytes: int = DEFAULT_MAX_MB * 1_000_000

    @classmethod
    def from_environment(cls) -> FilePolicy:
        """The policy ``DRONEFAB_ALLOW_OUTSIDE_TABLES=1`` and ``DRONEFAB_MAX_FILE_MB=N`` set.

        Raises
        ------
        dronefab.errors.UsageError
            When a variable holds something else.
        """
        allow = os.environ.get(ALLOW_OUTSIDE_VARIABLE, "").strip()
        if allow not in ("", "0", "1"):
            message = f"{ALLOW_OUTSIDE_VARIABLE} must be 1 (allow) or 0, got '{allow}'"
            raise UsageError(message)
        size = os.environ.get(MAX_MB_VARIABLE, "").strip() or str(DEFAULT_MAX_MB)
        if not size.isdigit() or not 1 <= int(size) <= 1_000_000:
            message = f"{MAX_MB_VARIABLE} must be a whole number of megabytes (1 to 1000000), got '{size}'"
            raise UsageError(message)
        return cls(allow == "1", int(size) * 1_000_000)

    def too_large(self, size: int) -> str:
        """The message for a file of ``size`` bytes or more over the limit."""
        limit = self.max_bytes // 1_000_000
        return (
            f"is larger than {limit} MB, the most dronefab reads from one file; "
            f"set {MAX_MB_VARIABLE} to allow more"
        )


def read_text(
    path: Path, display: str, policy: FilePolicy | None = None
) -> tuple[str, Problem | None]:
    """The text of a UTF-8 file, or a problem saying why it cannot be read (and where).

    Only a regular file is read (a pipe or a device could block or never end), and no more of
    it than ``policy`` allows: ``/proc`` files say they are empty, so the size is checked as
    the file is read as well as from its metadata.
    """
    policy = policy or FilePolicy()
    try:
        # O_NONBLOCK: opening a named pipe must not wait for a writer
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return "", Problem(Location(display), "", "file not found")
    except OSError as exc:
        return "", Problem(Location(display), "", f"cannot be read: {exc.strerror or exc}")
    status = os.fstat(handle)
    if not stat.S_ISREG(status.st_mode):
        os.close(handle)
        message = "is not a regular file (a folder, pipe or device); name a file"
        return "", Problem(Location(display), "", message)
    if status.st_size > policy.max_bytes:
        os.close(handle)
        return "", Problem(Location(display), "", policy.too_large(status.st_size))
    with os.fdopen(handle, "rb") as stream:
        try:
            raw = stream.read(policy.max_bytes + 1)
        except OSError as exc:
            return "", Problem(Location(display), "", f"cannot be read: {exc.strerror or exc}")
    if len(raw) > policy.max_bytes:
        return "", Problem(Location(display), "", policy.too_large(len(raw)))
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        message = f"is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        return "", Problem(Location(display, line), "", message)


def inside(folder: Path, file: Path) -> bool:
    """True when ``file`` lies in ``folder`` once both are resolved (symlinks, ``..``)."""
    return file.resolve().is_relative_to(folder.resolve())


def outside_message(reference: str) -> str:
    """What is wrong with a table file that lies outside the scenario's folder."""
    return (
        f"'{reference}' is outside the scenario's folder; a table must be a file in it "
        f"(set {ALLOW_OUTSIDE_VARIABLE}=1 to allow others)"
    )


def read_yaml(path: Path, display: str, policy: FilePolicy | None = None) -> SourceDocument:
    """Read a YAML scenario file, recording the line of every value.

    Parameters
    ----------
    path
        The file to read.
    display
        The name used for it in messages.
    policy
        How large a file may be (:class:`FilePolicy`).
    """
    locations = LocationIndex()
    problems: list[Problem] = []
    text, unreadable = read_text(path, display, policy)
    if unreadable is not None:
        return SourceDocument({}, locations, [unreadable])
    try:
        root = yaml.compose(text, Loader=_YamlLoader)
    except yaml.MarkedYAMLError as exc:
        return SourceDocument({}, locations, [_syntax_problem(exc, display)])
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        message = f"YAML syntax error: {exc.reason} (found character #x{exc.character:04x})"
        return SourceDocument({}, locations, [Problem(Location(display, line), "", message)])
    except yaml.YAMLError as exc:
        message = f"YAML syntax error: {exc}"
        return SourceDocument({}, locations, [Problem(Location(display), "", message)])
    if root is None:
        message = "is empty; a scenario starts with 'format: dronefab/1'"
        return SourceDocument({}, locations, [Problem(Location(display, 1), "", message)])
    # Without aliases a file holds fewer values than characters; far more means alias bombs.
    builder = _YamlBuilder(display, locations, problems, budget=10 * len(text) + 100_000)
    try:
        data = builder.build(root, ())
    except _TooLargeError as exc:
        message = "aliases expand this file to millions of values; write the data out instead"
        return SourceDocument({}, LocationIndex(), [Problem(exc.where, "", message)])
    if not isinstance(data, dict):
        message = (
            "must be a mapping of keys (format, name, horizon, items, ...), not a list or value"
        )
        problems.append(Problem(Location(display, root.start_mark.line + 1), "", message))
        data = {}
    return SourceDocument(data, locations, problems, builder.unreadable)


# -- CSV ------------------------------------------------------------------------------------


@dataclass
class CsvTable:
    """Rows of a CSV file with the line each row starts on; empty cells are left out."""

    rows: list[dict[str, str]]
    lines: list[int]
    problems: list[Problem]
    header: list[str] = field(default_factory=list)
    header_line: int = 1


NOT_A_TABLE = "does not look like a CSV table"
_COLUMN_NAME = re.compile(r"[\w .()/%#-]{1,64}")
"""What a column name may look like: short, words and a little punctuation."""


def _not_a_header(header: list[str]) -> str | None:
    """Why the first row of a file is no header of column names, None when it may be one."""
    names = [name for name in header if name]
    if len(names) == 1 and (";" in names[0] or "\t" in names[0]):
        separator = "';'" if ";" in names[0] else "tabs"
        return f"{NOT_A_TABLE}: its columns are separated by {separator}; save it with commas"
    if any(not _COLUMN_NAME.fullmatch(name) for name in names):
        return f"{NOT_A_TABLE}: its first row should name the columns, separated by commas"
    return None


def read_csv(path: Path, display: str, policy: FilePolicy | None = None) -> CsvTable:
    """Read a CSV table with a header row.

    A cell that dronefab's writers neutralised against formula injection (``'=x``) is read
    back as the value written (``=x``): see :func:`dronefab.files.restore_cell`.

    Parameters
    ----------
    path
        The file.
    display
        Its name in messages.
    policy
        How large a file may be (:class:`FilePolicy`).
    """
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    problems: list[Problem] = []
    text, unreadable = read_text(path, display, policy)
    if unreadable is not None:
        return CsvTable(rows, lines, [unreadable])
    if "\x00" in text:
        message = f"{NOT_A_TABLE}: it holds NUL characters, as binary files do"
        return CsvTable(rows, lines, [Problem(Location(display, 1), "", message)])
    # strict: a stray or unclosed quote is an error, not a silently merged cell
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    line = 1  # where the record being read starts
    while True:
        try:
            record = next(reader, None)
        except csv.Error as exc:
            reason = str(exc)
            if reason == "unexpected end of data":
                reason = 'a quoted cell in this row is never closed (a " is missing)'
            problems.append(Problem(Location(display, line), "", f"CSV syntax error: {reason}"))
            if reader.line_num < line:  # nothing more was read: stop rather than loop
                break
            line = reader.line_num + 1
            continue
        if record is None:
            break
        records.append((line, record))
        line = reader.line_num + 1
    if not any(cell.strip() for _, record in records for cell in record):
        message = "is empty; a CSV table needs a header row naming its columns"
        return CsvTable(rows, lines, [Problem(Location(display, 1), "", message)])
    header_line, header = records[0]
    header = [cell.strip() for cell in header]
    odd = _not_a_header(header)
    if odd is not None:  # nothing of it is echoed: the file may be anything but a table
        return CsvTable(rows, lines, [Problem(Location(display, header_line), "", odd)])
    for index, name in enumerate(header):
        if not name:
            # Spreadsheets often write empty columns at the end; harmless while they are empty.
            if any(len(r) > index and r[index].strip() for _, r in records[1:]):
                message = (
                    f"header cell {index + 1} is empty but rows below fill it; name the column"
                )
                problems.append(Problem(Location(display, header_line), "", message))
        elif name in header[:index]:
            message = f"column '{name}' appears twice in the header"
            problems.append(Problem(Location(display, header_line), "", message))
    for line, record in records[1:]:
        if not any(cell.strip() for cell in record):
            continue
        if any(cell.strip() for cell in record[len(header) :]):
            # Reported, but the row is kept: dropping it would turn every reference to its id
            # into one more error elsewhere.
            message = f"row has {len(record)} cells but the header has {len(header)} columns"
            problems.append(Problem(Location(display, line), "", message))
        row = {
            name: restore_cell(cell.strip())
            for name, cell in zip(header, record, strict=False)
            if name and cell.strip()
        }
        rows.append(row)
        lines.append(line)
    return CsvTable(rows, lines, problems, [name for name in header if name], header_line)


def read_folder_table(
    folder: Path, file: Path, display: str, policy: FilePolicy | None = None
) -> CsvTable:
    """Read a table of a CSV folder, unless it is a link to a file outside the folder."""
    policy = policy or FilePolicy()
    if not policy.allow_outside and not inside(folder, file):
        return CsvTable([], [], [Problem(Location(display), "", outside_message(file.name))])
    return read_csv(file, display, policy)
