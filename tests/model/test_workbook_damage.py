"""Damaged and hostile workbooks (issue 19, finding 5): refused with the sheet, never read as
empty cells that defaults then fill."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from dronefab.cli.main import app
from dronefab.errors import ScenarioError
from dronefab.model.loader import load_scenario
from dronefab.model.xlsx import write_workbook

MINIMAL = Path(__file__).parent / "scenarios" / "minimal.yaml"


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return write_workbook(load_scenario(MINIMAL), tmp_path / "minimal.xlsx")


def _sheet_part(path: Path, title: str) -> str:
    """The zip member holding the sheet ``title``."""
    book = openpyxl.load_workbook(path)
    index = book.sheetnames.index(title) + 1
    return f"xl/worksheets/sheet{index}.xml"


def _replace_part(path: Path, member: str, data: bytes) -> None:
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    parts[member] = data
    with zipfile.ZipFile(path, "w") as target:
        for name, content in parts.items():
            target.writestr(name, content)


def _refused(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return [str(p) for p in caught.value.errors]


def test_truncated_sheet_xml_is_refused_naming_the_sheet(workbook: Path) -> None:
    member = _sheet_part(workbook, "work_centers")
    with zipfile.ZipFile(workbook) as package:
        data = package.read(member)
    _replace_part(workbook, member, data[: len(data) // 2])
    said = _refused(workbook)
    assert any("sheet work_centers" in s and "damaged" in s for s in said), said
    result = CliRunner().invoke(app, ["validate", str(workbook)])
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_an_entity_expanding_sheet_is_refused_before_it_is_parsed(workbook: Path) -> None:
    member = _sheet_part(workbook, "items")
    with zipfile.ZipFile(workbook) as package:
        data = package.read(member)
    entities = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10 if i else "lol"}">' for i in range(10))
    bomb = f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]>'.encode()
    body = data[data.index(b"<worksheet") :].replace(
        b"<sheetData>",
        b'<sheetData><row r="50"><c r="A50" t="inlineStr"><is><t>&e9;</t></is></c></row>',
    )
    _replace_part(workbook, member, bomb + body)
    said = _refused(workbook)
    assert said == [f"{workbook}: refused: its part {member} declares a DTD (entities), which "
                    "spreadsheet files never do; save it again from Excel or LibreOffice"]  # fmt: skip


def test_a_formula_without_a_saved_value_is_refused_naming_the_cell(workbook: Path) -> None:
    book = openpyxl.load_workbook(workbook)
    sheet = book["work_centers"]
    header = [cell.value for cell in sheet[1]]
    column = next(i for i, title in enumerate(header, start=1) if "tation" in str(title))
    sheet.cell(row=2, column=column, value="=2*2")  # openpyxl, like scripts, saves no value
    book.save(workbook)
    said = _refused(workbook)
    letter = openpyxl.utils.get_column_letter(column)
    expected = f"{workbook} (sheet work_centers, row 2, column {letter}): the formula =2*2 has"
    assert any(s.startswith(expected) for s in said), said


def test_merged_cells_are_refused_naming_the_range(workbook: Path) -> None:
    book = openpyxl.load_workbook(workbook)
    sheet = book["demand"]
    sheet.merge_cells("A2:A3")  # the second row's customer would read as empty
    book.save(workbook)
    said = _refused(workbook)
    expected = (
        f"{workbook} (sheet demand, row 2, column A): cells A2:A3 are merged; unmerge them and "
        "give each cell its value"
    )
    assert expected in said, said


def test_a_file_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"PK\x03\x04 not really a zip")
    said = _refused(fake)
    assert len(said) == 1 and "not a valid .xlsx file" in said[0]


def test_a_written_workbook_still_reads_back(workbook: Path) -> None:
    assert load_scenario(workbook) == load_scenario(MINIMAL)


@pytest.mark.parametrize("deleted", [["demand"], ["demand", "risk_sites"]])
def test_a_deleted_sheet_is_refused_not_read_as_an_empty_table(
    workbook: Path, deleted: list[str]
) -> None:
    """Fuzz cases 250, 403 and 556 of seed 19: without its demand sheet a workbook was valid,
    and planned nothing."""
    book = openpyxl.load_workbook(workbook)
    for title in deleted:
        del book[title]
    book.save(workbook)
    names = ", ".join(repr(title) for title in deleted)
    assert _refused(workbook) == [
        f"{workbook}: has no sheet {names}; every table has a sheet, an empty table its header row (dronefab export-xlsx writes them all)"
    ]
