"""Writing a scenario out and reading it back gives an equal scenario, in every form."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import openpyxl
import pytest
import yaml
from typer.testing import CliRunner

from dronefab import Scenario, load_scenario
from dronefab.cli.main import app
from dronefab.model.flat import FLAT_TABLES
from dronefab.model.jsonschema import scenario_json_schema
from dronefab.model.writers import write_csv_folder, write_yaml
from dronefab.model.xlsx import write_workbook

SCENARIOS = Path(__file__).parent / "scenarios"


def valid_scenarios() -> list[Path]:
    return sorted(SCENARIOS.glob("*.yaml"))


@pytest.fixture(params=valid_scenarios(), ids=lambda p: p.stem)
def scenario(request: pytest.FixtureRequest) -> Scenario:
    return load_scenario(request.param)


def test_yaml_round_trip(scenario: Scenario, tmp_path: Path) -> None:
    write_yaml(scenario, tmp_path / "out.yaml")
    assert load_scenario(tmp_path / "out.yaml") == scenario


def test_yaml_with_demand_in_csv_round_trip(scenario: Scenario, tmp_path: Path) -> None:
    written = write_yaml(scenario, tmp_path / "out.yaml", csv_tables=["demand", "lanes"])
    assert {p.name for p in written} == {"out.yaml", "demand.csv", "lanes.csv"}
    document = yaml.safe_load((tmp_path / "out.yaml").read_text())
    assert document["demand"] == "demand.csv"
    assert load_scenario(tmp_path / "out.yaml") == scenario


def test_csv_folder_round_trip(scenario: Scenario, tmp_path: Path) -> None:
    write_csv_folder(scenario, tmp_path / "flat")
    assert sorted(p.stem for p in (tmp_path / "flat").glob("*.csv")) == sorted(FLAT_TABLES)
    assert load_scenario(tmp_path / "flat") == scenario


def test_excel_round_trip_through_the_cli(scenario: Scenario, tmp_path: Path) -> None:
    source = tmp_path / "source.yaml"
    write_yaml(scenario, source)
    runner = CliRunner()
    book = tmp_path / "book.xlsx"
    result = runner.invoke(app, ["export-xlsx", str(source), str(book)])
    assert result.exit_code == 0, result.output
    back = tmp_path / "back.yaml"
    result = runner.invoke(app, ["import-xlsx", str(book), str(back)])
    assert result.exit_code == 0, result.output
    assert load_scenario(back) == scenario


def test_workbook_has_one_sheet_per_table_with_readable_headers(
    minimal_path: Path, tmp_path: Path
) -> None:
    write_workbook(load_scenario(minimal_path), tmp_path / "book.xlsx")
    book = openpyxl.load_workbook(tmp_path / "book.xlsx")
    assert book.sheetnames == list(FLAT_TABLES)
    supplies = [cell.value for cell in book["supplies"][1]]
    assert supplies[:5] == [
        "Supplier",
        "Item",
        "Lead time (days)",
        "Unit cost",
        "Capacity per period",
    ]
    assert book["supplies"]["C1"].comment is not None  # the description travels with the header
    assert book["supplies"]["C2"].value == 14  # motors-a, motor: 14 days
    assert book["sites"].freeze_panes == "A2"


def test_workbook_accepts_column_ids_as_headers(minimal_path: Path, tmp_path: Path) -> None:
    """A planner may type ``lead_time_days`` instead of the readable title."""
    scenario = load_scenario(minimal_path)
    write_workbook(scenario, tmp_path / "book.xlsx")
    book = openpyxl.load_workbook(tmp_path / "book.xlsx")
    book["supplies"]["C1"] = "lead_time_days"
    book["items"]["D1"] = "HOLDING COST"
    book.save(tmp_path / "book.xlsx")
    assert load_scenario(tmp_path / "book.xlsx") == scenario


def test_excel_errors_name_sheet_row_and_column(minimal_path: Path, tmp_path: Path) -> None:
    write_workbook(load_scenario(minimal_path), tmp_path / "book.xlsx")
    book = openpyxl.load_workbook(tmp_path / "book.xlsx")
    book["work_centers"]["C2"] = -3  # stations of the first work center
    book["supplies"]["Z1"] = "lead tim"
    book.save(tmp_path / "book.xlsx")
    result = CliRunner().invoke(app, ["validate", str(tmp_path / "book.xlsx")])
    assert result.exit_code == 1
    assert (
        f"{tmp_path / 'book.xlsx'} (sheet work_centers, row 2, column C) work_centers[0].stations: "
        "must be a number above 0 and at most 10,000, got -3"
    ) in result.output
    assert "(sheet supplies, row 1, column Z): unknown column 'lead tim'" in result.output


def test_json_schema_accepts_valid_scenarios_and_rejects_typos(minimal_path: Path) -> None:
    schema = scenario_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    document = json.loads(json.dumps(yaml.safe_load(minimal_path.read_text()), default=str))
    jsonschema.validate(document, schema)
    document["sites"][0]["work_centers"][0]["stattions"] = 3
    with pytest.raises(jsonschema.ValidationError, match="stattions"):
        jsonschema.validate(document, schema)


def test_json_schema_allows_a_table_as_a_csv_path(minimal_path: Path) -> None:
    document = json.loads(json.dumps(yaml.safe_load(minimal_path.read_text()), default=str))
    document["demand"] = "demand.csv"
    jsonschema.validate(document, scenario_json_schema())


def test_schema_command_prints_the_schema(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["properties"]["format"]["const"] == "dronefab/1"
    assert "work_centers" in schema["properties"]
    result = CliRunner().invoke(app, ["schema", "--out", str(tmp_path / "s.json")])
    assert result.exit_code == 0
    assert json.loads((tmp_path / "s.json").read_text()) == schema
