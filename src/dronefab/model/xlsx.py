"""Excel workbooks: one sheet per flat table, with readable headers.

Headers are written as readable titles (``Lead time (days)``) with the column's description as a
cell comment; on import a header may be either that title or the column id (``lead_time_days``),
in any case. Problems in a workbook name the sheet, the row and the column letter.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

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
    """Read a workbook written by :func:`write_workbook` (or by hand in the same shape)."""
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        message = f"cannot open the workbook: {exc}"
        return SourceDocument({}, LocationIndex(), [Problem(Location(display), "", message)])
    tables: dict[str, FlatTable] = {}
    problems: list[Problem] = []
    try:
        for sheet in book.worksheets:
            table, found = _read_sheet(sheet, display)
            tables[table.name] = table
            problems += found
    finally:
        book.close()
    doc = document_from_tables(tables)
    doc.problems[:0] = problems
    return doc


def _read_sheet(sheet: Any, display: str) -> tuple[FlatTable, list[Problem]]:
    name = sheet.title
    rows_iter = sheet.iter_rows(values_only=True)
    header = next(rows_iter, None) or ()
    known = _header_map(name)
    problems: list[Problem] = []
    columns: list[str | None] = []
    for index, label in enumerate(header):
        letter = get_column_letter(index + 1)
        if label is None or str(label).strip() == "":
            columns.append(None)
            continue
        column = known.get(_normalise(str(label)))
        if column is None and name in FLAT_TABLES:
            expected = table_columns(name)
            hint = did_you_mean(str(label), expected) or f"; expected one of: {', '.join(expected)}"
            where = Location(display, 1, name, letter)
            problems.append(Problem(where, "", f"unknown column '{label}'{hint}"))
        columns.append(column if column is not None else str(label))
    rows: list[dict[str, Any]] = []
    row_numbers: list[int] = []
    for number, values in enumerate(rows_iter, start=2):
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

    return FlatTable(name, rows, locate, Location(display, None, name)), problems


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
