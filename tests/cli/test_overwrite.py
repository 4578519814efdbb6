"""Commands do not replace a user's files silently (issue 15, defects 7 and 8): writing over an
existing scenario or workbook needs --force, and reports of two folders land in two files."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dronefab.cli.main import EXIT_OK, EXIT_USAGE, app

runner = CliRunner()


def invoke(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, [str(arg) for arg in args])
    return result.exit_code, result.output


def test_demo_scenario_keeps_an_edited_file_without_force(tmp_path: Path) -> None:
    folder = tmp_path / "my-network"
    assert invoke("demo-scenario", folder)[0] == EXIT_OK
    edited = folder / "demo.yaml"
    edited.write_text("# my edits\n", encoding="utf-8")
    code, output = invoke("demo-scenario", folder)
    assert code == EXIT_USAGE
    assert "demo.yaml" in output and "--force" in output
    assert edited.read_text(encoding="utf-8") == "# my edits\n"
    assert invoke("demo-scenario", folder, "--force")[0] == EXIT_OK
    assert edited.read_text(encoding="utf-8") != "# my edits\n"


def test_export_and_import_refuse_an_existing_file_without_force(
    minimal_path: Path, tmp_path: Path
) -> None:
    book, back = tmp_path / "book.xlsx", tmp_path / "back.yaml"
    for path in (book, back):
        path.write_text("mine\n", encoding="utf-8")
    code, output = invoke("export-xlsx", minimal_path, book)
    assert code == EXIT_USAGE and "book.xlsx already exists; pass --force" in output
    assert book.read_text(encoding="utf-8") == "mine\n"
    assert invoke("export-xlsx", minimal_path, book, "--force")[0] == EXIT_OK
    code, output = invoke("import-xlsx", book, back)
    assert code == EXIT_USAGE and "back.yaml already exists; pass --force" in output
    assert back.read_text(encoding="utf-8") == "mine\n"
    assert invoke("import-xlsx", book, back, "--force")[0] == EXIT_OK
    assert back.read_text(encoding="utf-8") != "mine\n"


def test_report_writes_into_the_folder_it_reports(
    minimal_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("first", "second"):
        assert invoke("plan", minimal_path, "--out", name, "--no-explain")[0] == EXIT_OK
        code, output = invoke("report", name)
        assert code == EXIT_OK, output
        assert f"report written to {Path(name) / 'report.html'}" in output
    assert (tmp_path / "first" / "report.html").is_file()
    assert (tmp_path / "second" / "report.html").is_file()
    assert not (tmp_path / "report.html").exists()
    assert invoke("report", "first", "--out", "elsewhere.html")[0] == EXIT_OK
    assert (tmp_path / "elsewhere.html").is_file()
