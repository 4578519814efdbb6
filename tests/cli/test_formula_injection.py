"""Formula injection: a user's text is data in every CSV and workbook dronefab writes.

A site named ``=HYPERLINK("http://x","y")`` must not become a live formula when a planner opens
a result in Excel: every CSV cell that starts with a formula lead is neutralised with a leading
apostrophe (and read back by dronefab as written), and every workbook text is a text cell.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
import yaml
from typer.testing import CliRunner

from dronefab import load_scenario
from dronefab.cli.main import app
from dronefab.model.writers import write_csv_folder, write_yaml
from dronefab.planning import read_plan
from hostile_scenario import (
    CUSTOMER,
    HOSTILE,
    PART,
    PRODUCT,
    SITE_A,
    SITE_B,
    SUPPLIER,
    hostile_document,
    live_formulas,
    write_hostile,
)


def run(*args: str | Path) -> None:
    result = CliRunner().invoke(app, [str(arg) for arg in args])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every command that writes CSV, run once on the hostile scenario (tiny runs)."""
    root = tmp_path_factory.mktemp("hostile")
    scenario = write_hostile(root)
    run("plan", scenario, "--out", root / "plan")
    run("simulate", scenario, "--runs", "8", "--out", root / "simulate")
    run("simulate", scenario, "--plan", root / "plan", "--runs", "8", "--out", root / "sim-plan")
    run("risk", scenario, "--out", root / "risk")
    run("buffers", scenario, "--plan", root / "plan", "--check-runs", "8", "--out", root / "buf")
    run("design", scenario, "--scenarios", "4", "--out", root / "design")
    more = hostile_document()
    more["sites"][0]["work_centers"][0]["stations"] = 2
    variants = [root / "=one.yaml", root / "@two.yaml"]
    shutil.copy(scenario, variants[0])
    variants[1].write_text(yaml.safe_dump(more, sort_keys=False), encoding="utf-8")
    run("simulate", "--compare", *variants, "--runs", "8", "--out", root / "compare")
    run("export-xlsx", scenario, root / "book.xlsx")
    loaded = load_scenario(scenario)
    write_yaml(
        loaded,
        root / "tables" / "scenario.yaml",
        csv_tables=["demand", "lanes", "customers", "items"],
    )
    write_csv_folder(loaded, root / "flat")
    return root


def test_no_csv_written_holds_a_live_formula(written: Path) -> None:
    files = sorted(written.rglob("*.csv"))
    folders = {file.parent.name for file in files}
    assert {"plan", "simulate", "sim-plan", "risk", "buf", "design", "compare"} <= folders
    assert {"one", "two", "tables", "flat"} <= folders
    assert len(files) >= 44
    live = {str(file.relative_to(written)): live_formulas(file) for file in files}
    assert {name: cells for name, cells in live.items() if cells} == {}
    # and the values are there, neutralised, not dropped
    shipments = (written / "plan" / "shipments.csv").read_text(encoding="utf-8")
    assert "'=army" in shipments and "'+1" in shipments
    assert """"'=HYPERLINK(""http://x"",""y"")\"""" in shipments


def test_dronefab_reads_its_neutralised_cells_back_as_written(written: Path) -> None:
    plan = read_plan(written / "plan")
    assert set(plan.shipments["customer"]) == {CUSTOMER}
    assert set(plan.production["item"]) <= {PRODUCT, PART}
    assert set(plan.production["site"]) <= {SITE_A, SITE_B}
    assert SUPPLIER in set(plan.purchases["supplier"])
    # simulate --plan read that folder: its runs are of the scenario's own ids
    runs = (written / "sim-plan" / "runs.csv").read_text(encoding="utf-8")
    assert "'=army" in runs
    original = load_scenario(written / "hostile.yaml")
    assert load_scenario(written / "tables" / "scenario.yaml") == original
    assert load_scenario(written / "flat") == original


def test_the_workbook_has_text_cells_only_and_reimports_to_the_same_scenario(
    written: Path,
) -> None:
    book = openpyxl.load_workbook(written / "book.xlsx")
    formulas = [
        f"{sheet.title}!{cell.coordinate}"
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    assert formulas == []
    texts = {cell.value for sheet in book.worksheets for row in sheet.iter_rows() for cell in row}
    assert set(HOSTILE) <= texts
    run("import-xlsx", written / "book.xlsx", written / "back.yaml")
    assert load_scenario(written / "back.yaml") == load_scenario(written / "hostile.yaml")
