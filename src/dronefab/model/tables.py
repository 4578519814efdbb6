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
from dronefab.model.messages import (
    as_clause,
    closest,
    describe_value,
    did_you_mean,
    field_names,
    phrase_errors,
)
from dronefab.model.schema import (
    BomLine,
    Customer,
    Demand,
    InTransit,
    InventoryRow,
    Item,
    Lane,
    MakesRow,
    OnOrder,
    Organization,
    RequiredTest,
    RoutingStep,
    Row,
    SiteBase,
    SupplierBase,
    SupplyRow,
    WorkCenterRow,
)
from dronefab.model.sources import (
    FilePolicy,
    LocationIndex,
    PathKey,
    SourceDocument,
    format_path,
    inside,
    outside_message,
    read_csv,
)

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
        TableSpec("in_transit", InTransit),
        TableSpec("required_tests", RequiredTest),
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
    parent's and are not reported again); ``reported`` columns are missing from a CSV header,
    which says so once for the whole table.
    """

    data: dict[str, Any]
    path: PathKey
    field_paths: dict[str, PathKey] = field(default_factory=dict)
    injected: frozenset[str] = frozenset()
    reported: frozenset[str] = frozenset()

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
    """Every table's raw rows, plus what went wrong reading them.

    ``incomplete`` names the tables some rows of which could not be read at all (a table that is
    not a list, a missing CSV file, a row that is not a mapping, a misspelt nested key): checks
    that rely on something being absent from such a table are skipped, as their findings would
    only echo the problem already reported.
    """

    rows: dict[str, list[RawRow]]
    problems: list[Problem]
    incomplete: set[str] = field(default_factory=set)


class _Collector:
    """Walks the source document, resolving CSV references and flattening nested lists."""

    def __init__(
        self, doc: SourceDocument, base_dir: Path, display_dir: str, policy: FilePolicy
    ) -> None:
        self.doc = doc
        self.base_dir = base_dir
        self.display_dir = display_dir
        self.policy = policy
        self.rows: dict[str, list[RawRow]] = {name: [] for name in TABLES}
        self.problems: list[Problem] = []
        self.incomplete: set[str] = set()

    def problem(self, path: PathKey, message: str) -> None:
        self.problems.append(Problem(self.doc.locations.find(path), format_path(path), message))

    def table_rows(self, table: str, value: Any, path: PathKey) -> list[tuple[Any, PathKey]]:
        """The rows of a table value: inline list, CSV file reference, or nothing."""
        if value is None:
            return []
        if isinstance(value, list):
            return [(row, (*path, i)) for i, row in enumerate(value)]
        if isinstance(value, str):
            return self.csv_rows(table, value, path)
        self.incomplete.add(table)
        self.problem(
            path, f"must be a list of rows or the name of a CSV file, got {describe_value(value)}"
        )
        return []

    def csv_rows(self, table: str, reference: str, path: PathKey) -> list[tuple[Any, PathKey]]:
        display = os.path.normpath(os.path.join(self.display_dir, reference))
        file = (self.base_dir / reference).resolve()
        if not self.policy.allow_outside and not inside(self.base_dir, file):
            # said before looking at the file: whether it exists out there is not ours to tell
            self.incomplete.add(table)
            self.problem(path, outside_message(reference))
            return []
        if not file.exists():
            self.incomplete.add(table)
            if not reference.lower().endswith(".csv"):
                message = f"must be a list of rows or the name of a .csv file, got '{reference}'"
            else:
                message = f"CSV file '{reference}' not found (looked for {display})"
            self.problem(path, message)
            return []
        csv_table = read_csv(file, display, self.policy)
        if csv_table.problems:
            self.incomplete.add(table)
        self.problems.extend(csv_table.problems)
        header_at = Location(display, csv_table.header_line)
        found, unknown, missing = check_header(TABLES[table], csv_table.header, header_at, path)
        self.problems += found
        self.doc.missing_columns[path] = missing
        out: list[tuple[Any, PathKey]] = []
        for i, (cells, line) in enumerate(zip(csv_table.rows, csv_table.lines, strict=True)):
            row_path = (*path, i)
            self.doc.locations.add(row_path, Location(display, line))
            row: dict[str, Any] = {
                column: value for column, value in cells.items() if column not in unknown
            }
            if "makes" in row and path == ("sites",):
                row["makes"] = [part.strip() for part in row["makes"].split(";") if part.strip()]
            out.append((row, row_path))
        return out

    def collect(self) -> RawTables:
        for name in TABLES:
            if name not in self.doc.data:
                continue
            for row, path in self.table_rows(name, self.doc.data[name], (name,)):
                if not isinstance(row, dict):
                    self.incomplete.add(name)
                    self.problem(
                        path, f"must be a mapping of column: value, got {describe_value(row)}"
                    )
                    continue
                self.add_row(name, dict(row), path)
        return RawTables(self.rows, self.problems, self.incomplete)

    def add_row(self, table: str, data: dict[str, Any], path: PathKey) -> None:
        nested = {key: spec for key, spec in NESTED.items() if spec.parent_table == table}
        for key in [key for key in data if key in nested]:
            self.add_nested(nested[key], data.pop(key), data.get("id"), (*path, key))
        if nested:
            # ``work_center:`` for ``work_centers:`` is reported as an unknown key; the list
            # under it is still unread.
            known = [*field_names(TABLES[table].row), *nested]
            for key in data:
                near = closest(str(key), known) if key not in known else None
                if near in nested:
                    self.incomplete.add(nested[near].name)
        reported = self.doc.missing_columns.get(path[:-1], frozenset())
        self.rows[table].append(RawRow(data, path, reported=reported))

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
        if spec.name in {"makes", "initial_inventory"} and not (
            isinstance(value, str) and value.lower().endswith(".csv")
        ):
            expected = (
                "a list of item ids" if spec.name == "makes" else "a mapping of item: quantity"
            )
            self.incomplete.add(spec.name)
            self.problem(path, f"must be {expected}, got {describe_value(value)}")
            return
        for child, child_path in self.table_rows(spec.name, value, path):
            if not isinstance(child, dict):
                self.incomplete.add(spec.name)
                self.problem(
                    child_path, f"must be a mapping of column: value, got {describe_value(child)}"
                )
                continue
            if column in child:
                # Reported, and the row still counts (with its parent's id), so that one
                # redundant column does not also make the row's id unknown everywhere.
                self.problem(
                    (*child_path, column),
                    f"unknown key '{column}'; it is given by the enclosing {spec.parent_table} row",
                )
                child = {key: value for key, value in child.items() if key != column}
            data = {column: parent_id, **child}
            reported = self.doc.missing_columns.get(path, frozenset())
            self.rows[spec.name].append(RawRow(data, child_path, {}, frozenset({column}), reported))


def check_header(
    spec: TableSpec,
    header: list[str],
    where: Location,
    path: PathKey,
    *,
    report_unknown: bool = True,
) -> tuple[list[Problem], set[str], frozenset[str]]:
    """Check the columns of a CSV file once, rather than in each row.

    Parameters
    ----------
    spec
        The table the file holds.
    header
        Its column names.
    where
        Where the header is.
    path
        The table's path: ``(name,)`` for a top-level table, ``("sites", 0, "work_centers")``
        for a nested one (whose parent column the enclosing row gives).
    report_unknown
        False when the reader has reported unknown columns already (a workbook's sheets).

    Returns
    -------
    problems, unknown, missing
        The problems found, the unknown columns (to leave out of the rows) and the required
        columns the header lacks (whose absence is not reported again for each row).
    """
    problems: list[Problem] = []
    if not header:
        return problems, set(), frozenset()  # an empty file, reported as such
    parent = spec.parent_column if len(path) > 1 else None
    allowed = [name for name in field_names(spec.row) if name != parent]
    allowed += [key for key, nested in NESTED.items() if nested.parent_table == spec.name]
    unknown: set[str] = set()
    meant: set[str] = set()
    for column in header:
        if column in allowed:
            continue
        unknown.add(column)
        if column == parent:
            message = (
                f"unknown column '{column}'; it is given by the enclosing {spec.parent_table} row"
            )
        else:
            unused = [name for name in allowed if name not in header]
            meant.add(closest(column, unused) or "")
            hint = did_you_mean(column, unused) or f"; expected columns: {', '.join(allowed)}"
            message = f"unknown column '{column}'{hint}"
        if report_unknown:
            problems.append(Problem(where, format_path(path), message))
    missing = []
    for name, info in spec.row.model_fields.items():
        column = info.alias or name
        if not info.is_required() or column in header or column == parent:
            continue
        missing.append(column)
        if column not in meant:  # else the misspelt column's did-you-mean says it
            message = f"needs a column '{column}': {as_clause(info.description or column)}"
            problems.append(Problem(where, format_path(path), message))
    return problems, unknown, frozenset(missing)


def collect_rows(
    doc: SourceDocument, base_dir: Path, display_dir: str, policy: FilePolicy | None = None
) -> RawTables:
    """Gather every table's rows from a source document (inline, CSV, nested or flat).

    Parameters
    ----------
    doc
        The document read from the user's file.
    base_dir
        Directory that CSV references are relative to.
    display_dir
        The same directory as the user named it, for messages.
    policy
        Which files a table may name and how large they may be; by default the environment's
        (:meth:`~dronefab.model.sources.FilePolicy.from_environment`).
    """
    policy = policy or FilePolicy.from_environment()
    return _Collector(doc, base_dir, display_dir, policy).collect()


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
            errors = exc.errors(include_url=False)
            nested = [key for key, table in NESTED.items() if table.parent_table == spec.name]
            for loc, message in phrase_errors(errors, spec.row, raw.data, raw.injected, nested):
                if loc and loc[0] in raw.injected | raw.reported:
                    continue
                path = (*raw.path_of(loc[0]), *loc[1:]) if loc else raw.path
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


def misspelt_tables(doc: SourceDocument) -> dict[str, str]:
    """Unknown top-level keys that look like a table the document lacks: key -> table.

    ``item:`` for ``items:`` is reported once as an unknown key; the ids its rows declare still
    count (see :func:`declared_ids`), so each reference to them is not reported again.
    """
    out: dict[str, str] = {}
    for key in doc.data:
        if key not in TOP_LEVEL_KEYS:
            table = closest(key, TABLES)
            if table is not None and table not in doc.data and table not in out.values():
                out[key] = table
    return out


@dataclass
class Declared:
    """What the tables declare, including rows that failed their own validation.

    References are checked against these, so one bad column of an item does not also turn
    every mention of that item into an "unknown item" error; likewise a routing row with a bad
    column still gives its item a routing.
    """

    ids: dict[str, set[str]]
    work_centers_at: dict[str, list[str]]
    rows: dict[str, list[RawRow]]
    incomplete: set[str]
    risk_keys: dict[str, list[str]]
    """Sites and suppliers named in ``risks.sites`` and ``risks.suppliers``, as written."""

    def named(self, table: str, column: str) -> set[str]:
        """Every id written in ``column`` of ``table``."""
        return {_as_id(raw.data.get(column)) for raw in self.rows[table]} - {""}

    def named_together(self, table: str, *columns: str) -> set[tuple[str, ...]]:
        """The ids written in ``columns`` of each row of ``table``, as tuples."""
        return {
            tuple(_as_id(raw.data.get(column)) for column in columns) for raw in self.rows[table]
        }


def declared_ids(
    tables: RawTables, doc: SourceDocument, base_dir: Path, policy: FilePolicy | None = None
) -> Declared:
    """Collect what every table declares (see :class:`Declared`).

    Rows of a misspelt table (:func:`misspelt_tables`) count too; what is wrong with them is
    reported once the table is named right.
    """
    rows = tables.rows
    stand_ins = {table: doc.data[key] for key, table in misspelt_tables(doc).items()}
    if stand_ins:
        shadow = SourceDocument(stand_ins, LocationIndex(), [])
        extra = collect_rows(shadow, base_dir, "", policy).rows
        rows = {table: [*rows[table], *extra[table]] for table in rows}
    ids: dict[str, set[str]] = {}
    incomplete = set(tables.incomplete)
    for table in ("organizations", "items", "sites", "suppliers", "customers", "work_centers"):
        written = [_as_id(raw.data.get("id")) for raw in rows[table]]
        ids[table] = set(written) - {""}
        if "" in written:  # a row without a usable id, which a reference may well mean
            incomplete.add(table)
    # A header without a required column leaves every row of its table unread.
    incomplete |= {_table_at(path) for path, missing in doc.missing_columns.items() if missing} - {
        ""
    }
    # What is nested in rows that could not be read was not read either.
    incomplete |= {spec.name for spec in NESTED.values() if spec.parent_table in incomplete}
    at: dict[str, list[str]] = {}
    for raw in rows["work_centers"]:
        site, center = _as_id(raw.data.get("site")), _as_id(raw.data.get("id"))
        if site and center:
            at.setdefault(site, []).append(center)
    risks = doc.data.get("risks")
    risk_keys = {
        section: [str(key) for key in risks[section]]
        for section in ("sites", "suppliers")
        if isinstance(risks, dict) and isinstance(risks.get(section), dict)
    }
    return Declared(ids, at, rows, incomplete, risk_keys)


def _table_at(path: PathKey) -> str:
    """The table a CSV reference at ``path`` holds (``("sites", 0, "work_centers")``)."""
    key = str(path[-1]) if len(path) > 1 else str(path[0]) if path else ""
    return NESTED[key].name if len(path) > 1 and key in NESTED else key


def _as_id(value: Any) -> str:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value).strip()
    return ""
