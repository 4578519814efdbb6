"""Reading the user's files into plain data while remembering where every value came from.

A YAML file is composed into nodes (which carry line numbers) and turned into dicts and lists;
each node's position is recorded under its path, e.g. ``("sites", 2, "work_centers", 0)``.
CSV tables are read with the line number of every row. Syntax problems become
:class:`~dronefab.errors.Problem` objects, never exceptions.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dronefab.errors import Location, Problem

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


# -- YAML -----------------------------------------------------------------------------------


class _YamlBuilder:
    """Turns composed YAML nodes into Python data, recording each node's line."""

    def __init__(self, display: str, locations: LocationIndex, problems: list[Problem]) -> None:
        self.display = display
        self.locations = locations
        self.problems = problems
        self.constructor = yaml.constructor.SafeConstructor()

    def build(self, node: yaml.Node, path: PathKey) -> Any:
        self.locations.add(path, Location(self.display, node.start_mark.line + 1))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
        return self._scalar(node, path)

    def _mapping(self, node: yaml.MappingNode, path: PathKey) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        first_line: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = self._scalar(key_node, path)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str | int | float | bool) or key is None:
                where = Location(self.display, line)
                self.problems.append(Problem(where, format_path(path), "keys must be plain text"))
                continue
            key = str(key) if not isinstance(key, str) else key
            if key in out:
                where = Location(self.display, line)
                message = f"duplicate key '{key}' (first at line {first_line[key]})"
                self.problems.append(Problem(where, format_path((*path, key)), message))
                continue
            first_line[key] = line
            out[key] = self.build(value_node, (*path, key))
            # A key's line is where the key is written, which is what an editor jumps to.
            self.locations.add((*path, key), Location(self.display, line))
        return out

    def _scalar(self, node: yaml.Node, path: PathKey) -> Any:
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            where = Location(self.display, node.start_mark.line + 1)
            message = f"cannot read this value: {getattr(exc, 'problem', None) or exc}"
            self.problems.append(Problem(where, format_path(path), message))
            return None


def read_yaml(path: Path, display: str) -> SourceDocument:
    """Read a YAML scenario file, recording the line of every value.

    Parameters
    ----------
    path
        The file to read.
    display
        The name used for it in messages.
    """
    locations = LocationIndex()
    problems: list[Problem] = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        message = f"is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        return SourceDocument({}, locations, [Problem(Location(display), "", message)])
    try:
        root = yaml.compose(text, Loader=_YamlLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        column = f" (column {mark.column + 1})" if mark is not None else ""
        message = f"YAML syntax error: {exc.problem or exc.context}{column}"
        return SourceDocument({}, locations, [Problem(Location(display, line), "", message)])
    except yaml.YAMLError as exc:
        message = f"YAML syntax error: {exc}"
        return SourceDocument({}, locations, [Problem(Location(display), "", message)])
    if root is None:
        message = "is empty; a scenario starts with 'format: dronefab/1'"
        return SourceDocument({}, locations, [Problem(Location(display), "", message)])
    data = _YamlBuilder(display, locations, problems).build(root, ())
    if not isinstance(data, dict):
        message = (
            "must be a mapping of keys (format, name, horizon, items, ...), not a list or value"
        )
        problems.append(Problem(Location(display, root.start_mark.line + 1), "", message))
        data = {}
    return SourceDocument(data, locations, problems)


# -- CSV ------------------------------------------------------------------------------------


@dataclass
class CsvTable:
    """Rows of a CSV file with the line each row starts on; empty cells are left out."""

    rows: list[dict[str, str]]
    lines: list[int]
    problems: list[Problem]


def _csv_records(handle: Any) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(handle)
    line = 1
    for record in reader:
        yield line, record
        line = reader.line_num + 1


def read_csv(path: Path, display: str) -> CsvTable:
    """Read a CSV table with a header row.

    Parameters
    ----------
    path
        The file.
    display
        Its name in messages.
    """
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    problems: list[Problem] = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            records = list(_csv_records(handle))
    except FileNotFoundError:
        message = f"CSV file not found: {display}"
        return CsvTable(rows, lines, [Problem(Location(display), "", message)])
    except UnicodeDecodeError as exc:
        message = f"is not UTF-8 text (byte {exc.start}); save the CSV as UTF-8"
        return CsvTable(rows, lines, [Problem(Location(display), "", message)])
    except csv.Error as exc:
        return CsvTable(rows, lines, [Problem(Location(display), "", f"CSV syntax error: {exc}")])
    if not records:
        message = "is empty; a CSV table needs a header row naming its columns"
        return CsvTable(rows, lines, [Problem(Location(display, 1), "", message)])
    header_line, header = records[0]
    header = [cell.strip() for cell in header]
    for index, name in enumerate(header):
        if not name:
            message = f"header cell {index + 1} is empty; every column needs a name"
            problems.append(Problem(Location(display, header_line), "", message))
        elif name in header[:index]:
            message = f"column '{name}' appears twice in the header"
            problems.append(Problem(Location(display, header_line), "", message))
    for line, record in records[1:]:
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(header):
            message = f"row has {len(record)} cells but the header has {len(header)} columns"
            problems.append(Problem(Location(display, line), "", message))
            continue
        row = {
            name: cell.strip()
            for name, cell in zip(header, record, strict=False)
            if name and cell.strip()
        }
        rows.append(row)
        lines.append(line)
    return CsvTable(rows, lines, problems)
