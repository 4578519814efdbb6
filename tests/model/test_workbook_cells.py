"""Workbook cells as a user sees them (issue 15, defects 11 and 13): a blank required cell is
reported at its column, and every header of an exported workbook is a title."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from dronefab.errors import ScenarioError
from dronefab.model.loader import load_scenario
from dronefab.model.xlsx import write_workbook

MINIMAL = Path(__file__).parent / "scenarios" / "minimal.yaml"


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return write_workbook(load_scenario(MINIMAL), tmp_path / "minimal.xlsx")


def test_a_blank_required_cell_is_reported_at_its_column(workbook: Path) -> None:
    book = openpyxl.load_workbook(workbook)
    sheet = book["customers"]
    header = [cell.value for cell in sheet[1]]
    column = header.index("Backlog penalty (per unit-period)") + 1
    letter = openpyxl.utils.get_column_letter(column)
    sheet.cell(row=2, column=column).value = None
    book.save(workbook)
    with pytest.raises(ScenarioError) as raised:
        load_scenario(workbook)
    (problem,) = raised.value.errors
    assert problem.path == "customers[0].backlog_penalty"
    assert str(problem.location).endswith(f"minimal.xlsx (sheet customers, row 2, column {letter})")


def test_every_exported_header_is_a_title(workbook: Path) -> None:
    book = openpyxl.load_workbook(workbook)
    lowercase = {
        sheet.title: cell.value
        for sheet in book.worksheets
        for cell in sheet[1]
        if isinstance(cell.value, str) and not cell.value[:1].isupper()
    }
    assert lowercase == {}
    assert book["lanes"]["A1"].value == "From"
    assert load_scenario(workbook) == load_scenario(MINIMAL)
