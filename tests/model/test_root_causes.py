"""Root causes first, and what follows from them folded (issue 15, defect 5).

Renaming one header of the demo workbook's supplies sheet gave 45 errors, 43 of them "supplier
... has no supplies row for ..." for each order placed, and the unknown column last.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from dronefab.errors import ScenarioError
from dronefab.model.demo import load_demo
from dronefab.model.loader import load_scenario, validate_scenario
from dronefab.model.xlsx import write_workbook

MINIMAL = Path(__file__).parent / "scenarios" / "minimal.yaml"


@pytest.fixture(scope="module")
def demo_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_workbook(load_demo(), tmp_path_factory.mktemp("demo") / "demo.xlsx")


def _renamed(workbook: Path, sheet: str, old: str, new: str, target: Path) -> Path:
    book = openpyxl.load_workbook(workbook)
    cells = [cell for cell in book[sheet][1] if cell.value == old]
    assert cells, [cell.value for cell in book[sheet][1]]
    cells[0].value = new
    book.save(target)
    return target


def _errors(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return [str(problem) for problem in caught.value.errors]


def test_a_renamed_lead_time_header_is_one_error_naming_the_column(
    demo_workbook: Path, tmp_path: Path
) -> None:
    bad = _renamed(demo_workbook, "supplies", "Lead time (days)", "Lead time", tmp_path / "b.xlsx")
    errors = _errors(bad)
    assert len(errors) == 1, errors
    assert "unknown column 'Lead time' (did you mean 'lead_time_days'?)" in errors[0]


def test_references_into_a_table_without_a_column_are_one_line_after_the_cause(
    demo_workbook: Path, tmp_path: Path
) -> None:
    bad = _renamed(demo_workbook, "supplies", "Item", "Part", tmp_path / "b.xlsx")
    errors = _errors(bad)
    assert not any("has no supplies row" in error for error in errors), errors
    folded = [error for error in errors if "could not be checked" in error]
    assert len(folded) == 1, errors
    assert "supplies: 43 references into this table" in folded[0]
    assert "on_order[0].item 'motor-q'" in folded[0]
    causes = [i for i, error in enumerate(errors) if "column" in error and "Part" in error]
    assert causes and causes[0] < errors.index(folded[0]), errors


def test_cell_errors_come_before_the_references_they_may_explain(tmp_path: Path) -> None:
    text = MINIMAL.read_text(encoding="utf-8")
    # an unknown item early in the file (line 15), a negative quantity late in it (line 42)
    edited = text.replace("component: motor,", "component: rotor,", 1).replace(
        "quantity: 60}", "quantity: -60}", 1
    )
    assert "component: rotor," in edited and "quantity: -60}" in edited, "minimal.yaml changed"
    path = tmp_path / "s.yaml"
    path.write_text(edited, encoding="utf-8")
    lines = [str(p) for p in validate_scenario(path).errors]
    cell = next(i for i, line in enumerate(lines) if "demand[1].quantity" in line)
    reference = next(i for i, line in enumerate(lines) if "unknown item 'rotor'" in line)
    assert cell < reference, lines
