"""The corpus of broken scenarios: every problem, worded and located exactly as a planner sees it.

Each folder under ``corpus/`` is one case: the scenario (``scenario.yaml`` with any CSV files it
names, a ``scenario/`` folder of CSV tables, or a ``workbook.yaml`` listing the cells to change in
the workbook written from ``scenarios/minimal.yaml``) and ``expected.txt``, the lines of
``str(problem)`` for every problem, in the order :func:`validate_scenario` returns them.

After a deliberate change of wording, ``DRONEFAB_UPDATE_CORPUS=1 pytest tests/model/test_corpus.py``
rewrites the ``expected.txt`` files; read the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml

from dronefab.errors import ScenarioError
from dronefab.model.loader import load_scenario, validate_scenario
from dronefab.model.xlsx import write_workbook

CORPUS = Path(__file__).parent / "corpus"
MINIMAL = Path(__file__).parent / "scenarios" / "minimal.yaml"
CASES = sorted(path for path in CORPUS.iterdir() if path.is_dir())
UPDATE = os.environ.get("DRONEFAB_UPDATE_CORPUS") == "1"


def build_workbook(edits: dict[str, Any], target: Path) -> None:
    """Write minimal.yaml as a workbook, then change the cells ``edits`` lists."""
    write_workbook(load_scenario(MINIMAL), target)
    book = openpyxl.load_workbook(target)
    for sheet in edits.get("delete", []):
        del book[sheet]
    for sheet, cells in edits.get("cells", {}).items():
        page = book[sheet] if sheet in book.sheetnames else book.create_sheet(sheet)
        for cell, value in cells.items():
            page[cell] = value
    book.save(target)


def case_target(case: Path, work: Path) -> tuple[Path, str]:
    """The folder to run in and the scenario to validate, as a path relative to it."""
    edits = case / "workbook.yaml"
    if edits.is_file():
        build_workbook(yaml.safe_load(edits.read_text(encoding="utf-8")), work / "scenario.xlsx")
        return work, "scenario.xlsx"
    if (case / "scenario").is_dir():
        return case, "scenario"
    return case, "scenario.yaml"


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=lambda path: path.name)
def test_case(case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder, target = case_target(case, tmp_path)
    monkeypatch.chdir(folder)
    result = validate_scenario(target)
    lines = [str(problem) for problem in result.problems]
    expected_file = case / "expected.txt"
    if UPDATE:
        expected_file.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    assert lines == expected_file.read_text(encoding="utf-8").splitlines()
    assert lines, "a corpus case must have at least one problem"
    assert all(problem.location is not None for problem in result.problems)
    if result.errors:
        assert result.scenario is None
        with pytest.raises(ScenarioError) as raised:
            load_scenario(target)
        assert raised.value.problems == result.problems
    else:
        assert result.scenario is not None
        assert load_scenario(target) == result.scenario
