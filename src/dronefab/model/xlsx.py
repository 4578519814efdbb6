"""Excel workbooks: one sheet per flat table, with readable headers.

Headers are written as readable titles (``Lead time (days)``) with the column's description as a
cell comment; on import a header may be either that title or the column id (``lead_time_days``),
in any case. Problems in a workbook name the sheet, the row and the column letter.
"""

from __future__ import annotations

import os
import re
import zipfile
import zlib
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from pydantic import BaseModel

from dronefab.errors import Location, Problem
from dronefab.files import atomic_path
from dronefab.model.flat import (
    FLAT_TABLES,
    KEY_VALUE_COLUMNS,
    META_TABLE,
    RISK_BANDS,
    RISK_SITES,
    RISK_SUPPLIERS,
    FlatTable,
    document_from_tables,
    scenario_tables,
    table_columns,
)
from dronefab.model.messages import did_you_mean
from dronefab.model.scenario import Scenario
from dronefab.model.schema import SiteRisk, StrikeBand, SupplierRisk
from dronefab.model.sources import LocationIndex, SourceDocument
from dronefab.model.tables import TABLES

_PARENT_TITLES = {"site": "Site", "supplier": "Supplier"}


def _table_model(table: str) -> type[BaseModel] | None:
    if table in TABLES:
        return TABLES[table].row
    risk_models: dict[str, type[BaseModel]] = {
        RISK_BANDS: StrikeBand,
        RISK_SITES: SiteRisk,
        RISK_SUPPLIERS: SupplierRisk,
    }
    return risk_models.get(table)


def column_info(table: str, column: str) -> tuple[str, str]:
    """Readable title and description of a column of a flat table."""
    model = _table_model(table)
    if model is not None:
        for name, info in model.model_fields.items():
            if column in (name, info.alias):
                title = info.title or column.replace("_", " ").capitalize()
                return title, info.description or ""
    if column in _PARENT_TITLES:
        return _PARENT_TITLES[column], f"The {column} this row belongs to."
    return column.replace("_", " ").capitalize(), ""


def _normalise(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", label.lower())


def _header_map(table: str) -> dict[str, str]:
    """Normalised header text -> column id, for titles and ids alike."""
    out = {}
    for column in table_columns(table) if table in FLAT_TABLES else []:
        out[_normalise(column)] = column
        out[_normalise(column_info(table, column)[0])] = column
    return out


def _cell_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date() if value.time() == datetime.min.time() else value
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def read_workbook(path: Path, display: str) -> SourceDocument:
    """Read a workbook written by :func:`write_workbook` (or by hand in the same shape).

    A workbook whose XML declares a DTD or entities, or is damaged, is refused naming the sheet;
    so are formula cells without a saved value (which scripts write) and merged cells, naming
    the sheet and cell, rather than read as empty and replaced by defaults.
    """
    refused = _package_problem(path)
    if refused is not None:
        return _refused(display, refused)
    damaged: Exception | None = None
    try:
        layout = _sheet_layouts(path)
    except ParseError as exc:  # the sheet-by-sheet reading below names the damaged sheet
        layout, damaged = {}, exc
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        return _refused(display, f"cannot open the workbook: {exc}")
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        return _refused(display, f"cannot open the workbook: {exc}")
    tables: dict[str, FlatTable] = {}
    problems: list[Problem] = []
    try:
        for sheet in book.worksheets:
            formulas, merged = layout.get(sheet.title, ({}, []))
            try:
                table, found = _read_sheet(sheet, display, formulas)
            except ParseError as exc:
                where = Location(display, None, sheet.title)
                problems.append(Problem(where, "", f"the sheet's XML is damaged ({exc})"))
                continue
            tables[table.name] = table
            problems += found + [_merged_problem(display, sheet.title, cells) for cells in merged]
    finally:
        book.close()
    if damaged is not None and not problems:
        return _refused(display, f"cannot open the workbook: damaged XML ({damaged})")
    problems += _missing_sheets(display, tables)
    doc = document_from_tables(tables)
    doc.problems[:0] = problems
    return doc


def _missing_sheets(display: str, tables: dict[str, FlatTable]) -> list[Problem]:
    """A problem for each table without its sheet: export-xlsx writes every one (empty tables
    with their header row), so a missing sheet was deleted, and its table would silently be
    empty."""
    if META_TABLE not in tables:  # not a scenario workbook at all: its own message says so
        return []
    missing = [name for name in FLAT_TABLES if name not in tables]
    if not missing:
        return []
    message = (
        f"has no sheet {', '.join(repr(name) for name in missing)}; every table has a sheet, "
        "an empty table its header row (dronefab export-xlsx writes them all)"
    )
    return [Problem(Location(display), "", message)]


def _refused(display: str, message: str) -> SourceDocument:
    """A document of no tables and one problem with the whole workbook."""
    return SourceDocument({}, LocationIndex(), [Problem(Location(display), "", message)])


_PROLOG_BYTES = 65536
"""How much of each XML part is searched for a DTD: one comes before the root element."""


def _package_problem(path: Path) -> str | None:
    """Why the workbook's package is refused before any XML is parsed, or None.

    Spreadsheet XML never declares a DTD; one that does is built to expand entities (billion
    laughs) or to reach outside files, so it is refused whole rather than parsed.
    """
    try:
        with zipfile.ZipFile(path) as package:
            for member in package.infolist():
                if not member.filename.endswith((".xml", ".rels", ".vml")):
                    continue
                with package.open(member) as part:
                    if b"<!DOCTYPE" in part.read(_PROLOG_BYTES):
                        return (
                            f"refused: its part {member.filename} declares a DTD (entities), "
                            "which spreadsheet files never do; save it again from Excel or "
                            "LibreOffice"
                        )
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        return f"cannot open the workbook: not a valid .xlsx file ({exc})"
    return None


Layout = tuple[dict[tuple[int, int], str], list[str]]
"""A sheet's formula cells ((row, column) -> formula) and merged ranges (``B2:B4``)."""


def _sheet_layouts(path: Path) -> dict[str, Layout]:
    """Each sheet's formulas and merged ranges, from a second reading of the workbook with
    formulas kept (the values reading shows a formula without a saved value as empty)."""
    book = openpyxl.load_workbook(path, data_only=False)
    try:
        out: dict[str, Layout] = {}
        for sheet in book.worksheets:
            formulas = {
                (cell.row, cell.column): str(cell.value)
                for row in sheet.iter_rows()
                for cell in row
                if cell.data_type == "f"
            }
            out[sheet.title] = (formulas, [str(r) for r in sheet.merged_cells.ranges])
        return out
    finally:
        book.close()


def _merged_problem(display: str, sheet: str, cells: str) -> Problem:
    """A merged range: only its first cell holds a value, the others would read as empty."""
    first = cells.split(":")[0]
    row = int(re.sub(r"[A-Z]+", "", first))
    where = Location(display, row, sheet, re.sub(r"[0-9]+", "", first))
    message = f"cells {cells} are merged; unmerge them and give each cell its value"
    return Problem(where, "", message)


def _read_sheet(
    sheet: Any, display: str, formulas: dict[tuple[int, int], str]
) -> tuple[FlatTable, list[Problem]]:
    name = sheet.title
    rows_iter = sheet.iter_rows(values_only=True)
    header = next(rows_iter, None) or ()
    known = _header_map(name)
    problems: list[Problem] = []
    columns: list[str | None] = []
    named = {known.get(_normalise(str(label))) for label in header if label is not None}
    for index, label in enumerate(header):
        letter = get_column_letter(index + 1)
        if label is None or str(label).strip() == "":
            columns.append(None)
            continue
        column = known.get(_normalise(str(label)))
        if column is None and name in FLAT_TABLES:
            expected = table_columns(name)
            unused = [column for column in expected if column not in named]
            hint = did_you_mean(str(label), unused) or f"; expected one of: {', '.join(expected)}"
            where = Location(display, 1, name, letter)
            problems.append(Problem(where, "", f"unknown column '{label}'{hint}"))
        columns.append(column if column is not None else str(label))
    rows: list[dict[str, Any]] = []
    row_numbers: list[int] = []
    for number, values in enumerate(rows_iter, start=2):
        for index, value in enumerate(values):
            formula = formulas.get((number, index + 1))
            if formula is not None and value is None:
                where = Location(display, number, name, get_column_letter(index + 1))
                message = (
                    f"the formula {formula} has no saved value; open and save the workbook in "
                    "Excel or LibreOffice so that it is computed, or type the value"
                )
                problems.append(Problem(where, "", message))
        row = {
            column: _cell_value(value)
            for column, value in zip(columns, values, strict=False)
            if column is not None and _cell_value(value) is not None
        }
        if row:
            rows.append(row)
            row_numbers.append(number)
    letters = {column: get_column_letter(i + 1) for i, column in enumerate(columns) if column}

    def locate(index: int, column: str | None) -> Location:
        letter = letters.get(column) if column is not None else None
        return Location(display, row_numbers[index], name, letter)

    written = [column for column in columns if column is not None]
    return FlatTable(name, rows, locate, Location(display, None, name), None, written), problems


def write_workbook(scenario: Scenario, path: str | os.PathLike[str]) -> Path:
    """Write a scenario to an Excel workbook, one sheet per table (written atomically).

    Every text is a text cell, never a formula: a site named ``=HYPERLINK(...)`` is shown as
    that text and read back as it (formula injection)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor="1F4E79")
    tables = scenario_tables(scenario)
    for name in FLAT_TABLES:
        sheet = book.create_sheet(name)
        columns = table_columns(name)
        for col, column in enumerate(columns, start=1):
            title, description = (
                (column.capitalize(), "")
                if columns == list(KEY_VALUE_COLUMNS)
                else column_info(name, column)
            )
            cell = sheet.cell(row=1, column=col, value=title)
            cell.font, cell.fill = bold, fill
            if description:
                cell.comment = Comment(f"{column}: {description}", "dronefab")
            sheet.column_dimensions[get_column_letter(col)].width = max(12, len(title) + 4)
        for r, row in enumerate(tables[name], start=2):
            for col, column in enumerate(columns, start=1):
                value = row.get(column)
                cell = sheet.cell(row=r, column=col, value=value)
                if isinstance(value, str):
                    # openpyxl makes text starting with "=" a formula; the user's text is data.
                    cell.data_type = "s"
                elif isinstance(value, date):
                    cell.number_format = "yyyy-mm-dd"
        sheet.freeze_panes = "A2"
    target = Path(path)
    with atomic_path(target) as temporary:
        book.save(temporary)
    return target
