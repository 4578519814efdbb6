"""``dronefab validate``: exit codes, every problem printed at once, JSON output, no tracebacks.

Exit codes: 0 valid (warnings allowed), 1 invalid, 2 the command was used wrongly. Checked in
process through typer's runner on ``app``, and as a user meets them, in a subprocess running
``python -m dronefab``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from dronefab.cli.main import app
from dronefab.model.loader import load_scenario
from dronefab.model.xlsx import write_workbook

CORPUS = Path(__file__).parents[1] / "model" / "corpus"
MANY_ERRORS = CORPUS / "61-many-errors-at-once"
WARNINGS = CORPUS / "44-valid-with-warnings"
FOLDER = CORPUS / "62-csv-folder-errors"
MINIMAL = Path(__file__).parents[1] / "model" / "scenarios" / "minimal.yaml"

runner = CliRunner()


def expected(case: Path) -> list[str]:
    """The problems of a corpus case, as ``dronefab validate`` prints them."""
    return (case / "expected.txt").read_text(encoding="utf-8").splitlines()


# -- in process ---------------------------------------------------------------------------


def test_valid_scenario_exits_0_with_a_summary() -> None:
    result = runner.invoke(app, ["validate", str(MINIMAL)])
    assert result.exit_code == 0, result.output
    assert f"{MINIMAL}: valid" in result.stdout
    assert "Scenario minimal" in result.stdout
    assert result.stderr == ""


def test_warnings_alone_leave_a_scenario_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(WARNINGS)
    result = runner.invoke(app, ["validate", "scenario.yaml"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == expected(WARNINGS)
    assert "scenario.yaml: valid (3 warnings)" in result.stdout


@pytest.mark.parametrize(("case", "target"), [(MANY_ERRORS, "scenario.yaml"), (FOLDER, "scenario")])
def test_invalid_scenario_exits_1_listing_every_problem(
    case: Path, target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(case)
    result = runner.invoke(app, ["validate", target])
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert lines[:-1] == expected(case)
    assert lines[-1] == f"{target}: invalid ({len(expected(case))} errors)"
    assert result.stdout == ""


def test_quiet_prints_problems_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(WARNINGS)
    result = runner.invoke(app, ["validate", "scenario.yaml", "--quiet"])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr.splitlines() == expected(WARNINGS)


def test_json_lists_file_line_path_and_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(MANY_ERRORS)
    result = runner.invoke(app, ["validate", "scenario.yaml", "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False
    rebuilt = [f"{p['file']}:{p['line']} {p['path']}: {p['message']}" for p in report["problems"]]
    assert rebuilt == expected(MANY_ERRORS)
    assert {p["severity"] for p in report["problems"]} == {"error"}


def test_json_of_a_workbook_names_sheet_and_column(tmp_path: Path) -> None:
    workbook = tmp_path / "network.xlsx"
    write_workbook(load_scenario(MINIMAL), workbook)
    book = openpyxl.load_workbook(workbook)
    book["work_centers"]["C2"] = -3
    book.save(workbook)
    result = runner.invoke(app, ["validate", str(workbook), "--format", "json"])
    assert result.exit_code == 1
    [problem] = json.loads(result.stdout)["problems"]
    assert problem == {
        "severity": "error",
        "file": str(workbook),
        "line": 2,
        "sheet": "work_centers",
        "column": "C",
        "path": "work_centers[0].stations",
        "message": "must be a number above 0 and at most 10,000, got -3",
    }


def test_json_of_a_valid_scenario_with_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(WARNINGS)
    result = runner.invoke(app, ["validate", "scenario.yaml", "--format", "json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["valid"] is True
    assert [p["severity"] for p in report["problems"]] == ["warning"] * 3


@pytest.mark.parametrize(
    "args",
    [["validate"], ["validate", str(MINIMAL), "--bogus"], ["validate", str(MINIMAL), "extra"]],
    ids=["missing-argument", "unknown-option", "extra-argument"],
)
def test_command_line_mistakes_exit_2(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["validate", "no-such-scenario.yaml"], "scenario not found: no-such-scenario.yaml"),
        (["validate", str(MINIMAL), "--format", "xml"], "--format must be text or json, got 'xml'"),
        (["validate", "notes.txt"], "cannot read notes.txt"),
    ],
    ids=["missing-file", "bad-format", "unknown-kind"],
)
def test_usage_errors_exit_2_with_a_message(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("not a scenario\n", encoding="utf-8")
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.output


# -- as a user runs it --------------------------------------------------------------------


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "dronefab", "validate", *args]
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(
    ("case", "args", "code"),
    [
        (MINIMAL.parent, ["minimal.yaml"], 0),
        (WARNINGS, ["scenario.yaml"], 0),
        (MANY_ERRORS, ["scenario.yaml"], 1),
        (CORPUS / "01-yaml-unclosed-brace", ["scenario.yaml"], 1),
        (CORPUS / "09-not-utf8", ["scenario.yaml"], 1),
        (FOLDER, ["scenario"], 1),
        (MANY_ERRORS, ["missing.yaml"], 2),
        (MANY_ERRORS, ["scenario.yaml", "--bogus"], 2),
        (MANY_ERRORS, ["scenario.yaml", "--format", "xml"], 2),
    ],
    ids=[
        "valid",
        "warnings",
        "invalid",
        "yaml-syntax",
        "not-utf8",
        "csv-folder",
        "missing-file",
        "unknown-option",
        "bad-format",
    ],
)
def test_exit_codes_and_no_traceback(case: Path, args: list[str], code: int) -> None:
    done = run_cli(*args, cwd=case)
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    if code == 1:
        *problems, summary = done.stderr.splitlines()
        assert problems == expected(case)
        assert summary.startswith(f"{args[0]}: invalid (")
    if code == 2:
        assert done.stderr.strip(), "a usage error says what is wrong"


def test_json_from_the_command_line() -> None:
    done = run_cli("scenario.yaml", "--format", "json", cwd=MANY_ERRORS)
    assert done.returncode == 1
    report = json.loads(done.stdout)
    rebuilt = [f"{p['file']}:{p['line']} {p['path']}: {p['message']}" for p in report["problems"]]
    assert rebuilt == expected(MANY_ERRORS)


def test_a_path_that_cannot_be_written_is_a_usage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    result = CliRunner().invoke(app, ["demo-scenario", str(blocker / "demo")])
    assert result.exit_code == 2
    assert "Not a directory" in result.output and str(blocker / "demo") in result.output
    assert "Traceback" not in result.output
