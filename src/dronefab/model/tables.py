"""The scenario's tables, their nested and flat forms, and row-by-row validation.

Internally every table is flat: a site's work centers become rows of ``work_centers`` with a
``site`` column, whether the user nested them under the site or wrote a top-level table. Each row
keeps the path the user wrote it at, so messages point to ``sites[2].work_centers[0].stations``
or to ``work_centers[5].stations`` as the case may be.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from dronefab.errors import Location, Problem
from dronefab.model.messages import describe_value, did_you_mean, error_message
from dronefab.model.schema import (
    BomLine,
    Customer,
    Demand,
    InventoryRow,
    Item,
    Lane,
    MakesRow,
    OnOrder,
    Organization,
    RoutingStep,
    Row,
    SiteBase,
    SupplierBase,
    SupplyRow,
    WorkCenterRow,
)
from dronefab.model.sources import LocationIndex, PathKey, SourceDocument, format_path, read_csv

R = TypeVar("R", bound=BaseModel)


@dataclass(frozen=True)
class TableSpec:
    """A scenario table: its row model and, for a nested list, where it nests.

    Parameters
    ----------
    name
        Top-level key of the table.
    row
        The pydantic model of one row in the flat form.
    parent_table, parent_column, nested_key
        For a list nested in another table's rows: the parent table (``sites``), the column
        naming the parent in the flat form (``site``) and the key inside a parent row
        (``work_centers``).
    """

    name: str
    row: type[Row]
    parent_table: str | None = None
    parent_column: str | None = None
    nested_key: str | None = None


TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec("organizations", Organization),
        TableSpec("items", Item),
        TableSpec("bom", BomLine),
        TableSpec("routings", RoutingStep),
        TableSpec("sites", SiteBase),
        TableSpec("work_centers", WorkCenterRow, "sites", "site", "work_centers"),
        TableSpec("makes", MakesRow, "sites", "site", "makes"),
        TableSpec("initial_inventory", InventoryRow, "sites", "site", "initial_inventory"),
        TableSpec("suppliers", SupplierBase),
        TableSpec("supplies", SupplyRow, "suppliers", "supplier", "supplies"),
        TableSpec("on_order", OnOrder),
        TableSpec("customers", Customer),
        TableSpec("lanes", Lane),
        TableSpec("demand", Demand),
    )
}
HEADER_KEYS = ("format", "name", "horizon", "risks")
TOP_LEVEL_KEYS = (*HEADER_KEYS, *TABLES)
NESTED = {spec.nested_key: spec for spec in TABLES.values() if spec.nested_key}


@dataclass
class RawRow:
    """A row as the user wrote it, before validation.

    ``field_paths`` maps a flat column to where the user wrote it when that differs from
    ``path + (column,)``; ``injected`` columns came from a parent row (their errors are the
    parent's and are not reported again).
    """

    data: dict[str, Any]
    path: PathKey
    field_paths: dict[str, PathKey] = field(default_factory=dict)
    injected: frozenset[str] = frozenset()

    def path_of(self, column: str | int) -> PathKey:
        """Where the user wrote ``column`` of this row."""
        if isinstance(column, str):
            column = column.rstrip("_")  # ``from_`` is written ``from``
            if column in self.field_paths:
                return self.field_paths[column]
        return (*self.path, column)


@dataclass
class CheckedRow(Generic[R]):
    """A row that passed its own validation, with where the user wrote it."""

    value: R
    raw: RawRow

    @property
    def path(self) -> PathKey:
        """Path of the whole row."""
        return self.raw.path

    def path_of(self, column: str) -> PathKey:
        """Path of one column of the row."""
        return self.raw.path_of(column)


@dataclass
class RawTables:
    """Every table's raw rows, plus what went wrong reading them."""

    rows: dict[str, list[RawRow]]
    problems: list[Problem]


class _Collector:
    """Walks the source document, resolving CSV references and flattening nested lists."""

    def __init__(self, doc: SourceDocument, base_dir: Path, display_dir: str) -> None:
        self.doc = doc
        self.base_dir = base_dir
        self.display_dir = display_dir
        self.rows: dict[str, list[RawRow]] = {name: [] for name in TABLES}
        self.problems: list[Problem] = []

    def problem(self, path: PathKey, message: str) -> None:
        self.problems.append(Problem(self.doc.locations.find(path), format_path(path), message))

    def table_rows(self, value: Any, path: PathKey) -> list[tuple[Any, PathKey]] | None:
        """The rows of a table value: inline list, CSV file reference, or nothing."""
        if value is None:
            return []
        if isinstance(value, list):
            return [(row, (*path, i)) for i, row in enumerate(value)]
        if isinstance(value, str):
            return self.csv_rows(value, path)
        self.problem(
            path, f"must be a list of rows or the name of a CSV file, got {describe_value(value)}"
        )
        return None

    def csv_rows(self, reference: str, path: PathKey) -> list[tuple[Any, PathKey]] | None:
        display = os.path.normpath(os.path.join(self.display_dir, reference))
        file = (self.base_dir / reference).resolve()
        if not file.is_file():
            self.problem(path, f"CSV file '{reference}' not found (looked for {display})")
            return None
        table = read_csv(file, display)
        self.problems.extend(table.problems)
        out: list[tuple[Any, PathKey]] = []
        for i, (row, line) in enumerate(zip(table.rows, table.lines, strict=True)):
            row_path = (*path, i)
            self.doc.locations.add(row_path, Location(display, line))
            if "makes" in row and path == ("sites",):
                row["makes"] = [part.strip() for part in row["makes"].split(";") if part.strip()]
            out.append((row, row_path))
        return out

    def collect(self) -> RawTables:
        for name in TABLES:
            if name not in self.doc.data:
                continue
            rows = self.table_rows(self.doc.data[name], (name,))
            for row, path in rows or []:
                if not isinstance(row, dict):
                    self.problem(
                        path, f"must be a mapping of column: value, got {describe_value(row)}"
                    )
                    continue
                self.add_row(name, dict(row), path)
        return RawTables(self.rows, self.problems)

    def add_row(self, table: str, data: dict[str, Any], path: PathKey) -> None:
        for key, spec in NESTED.items():
            if spec.parent_table == table and key in data:
                self.add_nested(spec, data.pop(key), data.get("id"), (*path, key))
        self.rows[table].append(RawRow(data, path))

    def add_nested(self, spec: TableSpec, value: Any, parent_id: Any, path: PathKey) -> None:
        column = spec.parent_column
        assert column is not None
        if spec.name == "initial_inventory" and isinstance(value, dict):
            for item, quantity in value.items():
                child_path = (*path, item)
                data = {column: parent_id, "item": item, "quantity": quantity}
                paths = {"item": child_path, "quantity": child_path}
                self.rows[spec.name].append(RawRow(data, child_path, paths, frozenset({column})))
            return
        if spec.name == "makes" and isinstance(value, list):
            for i, item in enumerate(value):
                child_path = (*path, i)
                data = {column: parent_id, "item": item}
                self.rows[spec.name].append(
                    RawRow(data, child_path, {"item": child_path}, frozenset({column}))
                )
            return
        if spec.name in {"makes", "initial_inventory"} and not isinstance(value, str):
            expected = (
                "a list of item ids" if spec.name == "makes" else "a mapping of item: quantity"
            )
            self.problem(path, f"must be {expected}, got {describe_value(value)}")
            return
        for child, child_path in self.table_rows(value, path) or []:
            if not isinstance(child, dict):
                self.problem(
                    child_path, f"must be a mapping of column: value, got {describe_value(child)}"
                )
                continue
            if column in child:
                self.problem(
                    (*child_path, column),
                    f"unknown key '{column}'; it is given by the enclosing {spec.parent_table} row",
                )
                continue
            data = {column: parent_id, **child}
            self.rows[spec.name].append(RawRow(data, child_path, {}, frozenset({column})))


def collect_rows(doc: SourceDocument, base_dir: Path, display_dir: str) -> RawTables:
    """Gather every table's rows from a source document (inline, CSV, nested or flat).

    Parameters
    ----------
    doc
        The document read from the user's file.
    base_dir
        Directory that CSV references are relative to.
    display_dir
        The same directory as the user named it, for messages.
    """
    return _Collector(doc, base_dir, display_dir).collect()


def validate_rows(
    spec: TableSpec, rows: list[RawRow], locations: LocationIndex
) -> tuple[list[CheckedRow[Row]], list[Problem]]:
    """Validate each row of one table against its model; report every error of every row."""
    checked: list[CheckedRow[Row]] = []
    problems: list[Problem] = []
    validate: Callable[[Any], Row] = spec.row.model_validate
    for raw in rows:
        try:
            value = validate(raw.data)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                loc = error["loc"]
                if loc and loc[0] in raw.injected:
                    continue
                path = (*raw.path_of(loc[0]), *loc[1:]) if loc else raw.path
                message = error_message(error, spec.row)
                problems.append(Problem(locations.find(path), format_path(path), message))
            continue
        checked.append(CheckedRow(value, raw))
    return checked, problems


def unknown_top_level_keys(doc: SourceDocument) -> list[Problem]:
    """An error for each top-level key that is neither a table nor a header key."""
    problems = []
    for key in doc.data:
        if key not in TOP_LEVEL_KEYS:
            hint = (
                did_you_mean(key, TOP_LEVEL_KEYS)
                or f"; expected one of: {', '.join(TOP_LEVEL_KEYS)}"
            )
            path = (key,)
            problems.append(Problem(doc.locations.find(path), key, f"unknown key '{key}'{hint}"))
    return problems


@dataclass
class Declared:
    """Ids the tables declare, including rows that failed their own validation.

    References are checked against these, so one bad column of an item does not also turn
    every mention of that item into an "unknown item" error.
    """

    ids: dict[str, set[str]]
    work_centers_at: dict[str, list[str]]


def declared_ids(rows: dict[str, list[RawRow]]) -> Declared:
    """Collect the ids every table declares (see :class:`Declared`)."""
    ids: dict[str, set[str]] = {}
    for table in ("organizations", "items", "sites", "suppliers", "customers", "work_centers"):
        ids[table] = {_as_id(raw.data.get("id")) for raw in rows[table]} - {""}
    at: dict[str, list[str]] = {}
    for raw in rows["work_centers"]:
        site, center = _as_id(raw.data.get("site")), _as_id(raw.data.get("id"))
        if site and center:
            at.setdefault(site, []).append(center)
    return Declared(ids, at)


def _as_id(value: Any) -> str:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value).strip()
    return ""
