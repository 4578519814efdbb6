"""Table references stay inside the scenario's folder, name regular files of a bounded size, and
no message echoes a file that is not a table (issue 19, finding 9)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from dronefab.cli.main import app
from dronefab.errors import UsageError
from dronefab.model.flat import scenario_tables
from dronefab.model.loader import load_scenario, validate_scenario

MINIMAL = Path(__file__).parent / "scenarios" / "minimal.yaml"
DEMAND = "customer,item,due,quantity\narmy,quad,2026-02-02,50\n"
SECRET = "s3cr3t-t0ken-value"


def scenario_with_demand(folder: Path, reference: str) -> Path:
    data = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    data["demand"] = reference
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "scenario.yaml"
    target.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return target


def errors(path: Path) -> list[str]:
    return [str(problem) for problem in validate_scenario(path).errors]


def test_the_environment_of_the_process_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRONEFAB_TEST_TOKEN", SECRET)
    target = scenario_with_demand(tmp_path, "/proc/self/environ")
    result = CliRunner().invoke(app, ["validate", str(target), "--format", "json"])
    assert result.exit_code == 1
    assert SECRET not in result.output
    assert "'/proc/self/environ' is outside the scenario's folder" in result.output


def test_a_file_outside_the_folder_is_refused_unless_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "elsewhere.csv").write_text(DEMAND, encoding="utf-8")
    target = scenario_with_demand(tmp_path / "scenario", "../elsewhere.csv")
    line = target.read_text(encoding="utf-8").splitlines().index("demand: ../elsewhere.csv") + 1
    assert errors(target) == [
        f"{target}:{line} demand: '../elsewhere.csv' is outside the scenario's folder; a table "
        "must be a file in it (set DRONEFAB_ALLOW_OUTSIDE_TABLES=1 to allow others)"
    ]
    monkeypatch.setenv("DRONEFAB_ALLOW_OUTSIDE_TABLES", "1")
    assert load_scenario(target).demand[0].quantity == 50


def test_a_link_out_of_the_folder_is_refused_in_both_forms(tmp_path: Path) -> None:
    (tmp_path / "elsewhere.csv").write_text(DEMAND, encoding="utf-8")
    target = scenario_with_demand(tmp_path / "yaml", "demand.csv")
    (tmp_path / "yaml" / "demand.csv").symlink_to(tmp_path / "elsewhere.csv")
    assert any("'demand.csv' is outside the scenario's folder" in line for line in errors(target))

    folder = tmp_path / "flat"
    folder.mkdir()
    for name, rows in scenario_tables(load_scenario(MINIMAL)).items():
        if rows and name != "demand":
            columns = list(rows[0])
            lines = [",".join(columns)]
            lines += [",".join("" if r[c] is None else str(r[c]) for c in columns) for r in rows]
            (folder / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "demand.csv").symlink_to(tmp_path / "elsewhere.csv")
    found = errors(folder)
    assert (
        f"{folder}/demand.csv: 'demand.csv' is outside the scenario's folder; a table must be a "
        "file in it (set DRONEFAB_ALLOW_OUTSIDE_TABLES=1 to allow others)" in found
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX feature")
def test_a_pipe_or_a_folder_is_not_read(tmp_path: Path) -> None:
    target = scenario_with_demand(tmp_path, "demand.csv")
    os.mkfifo(tmp_path / "demand.csv")  # opening it to read would wait for a writer forever
    assert errors(target) == [
        f"{tmp_path}/demand.csv: is not a regular file (a folder, pipe or device); name a file"
    ]
    (tmp_path / "demand.csv").unlink()
    (tmp_path / "demand.csv").mkdir()
    assert errors(target) == [
        f"{tmp_path}/demand.csv: is not a regular file (a folder, pipe or device); name a file"
    ]


def test_a_file_over_the_size_limit_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = scenario_with_demand(tmp_path, "demand.csv")
    with (tmp_path / "demand.csv").open("wb") as handle:
        handle.truncate(40 * 10**9)  # sparse: 40 GB that take no room
    assert errors(target) == [
        f"{tmp_path}/demand.csv: is larger than 200 MB, the most dronefab reads from one file; "
        "set DRONEFAB_MAX_FILE_MB to allow more"
    ]
    padded = "army,quad,2026-02-23,60" + " " * 60_000 + "\n"  # 1.2 MB in 21 rows
    (tmp_path / "demand.csv").write_text(DEMAND + padded * 20)
    assert validate_scenario(target).scenario is not None
    monkeypatch.setenv("DRONEFAB_MAX_FILE_MB", "1")
    assert errors(target) == [
        f"{tmp_path}/demand.csv: is larger than 1 MB, the most dronefab reads from one file; "
        "set DRONEFAB_MAX_FILE_MB to allow more"
    ]


def test_the_scenario_file_itself_has_the_size_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "big.yaml"
    target.write_text(MINIMAL.read_text(encoding="utf-8") + "#" * 1_500_000 + "\n")
    monkeypatch.setenv("DRONEFAB_MAX_FILE_MB", "1")
    assert errors(target) == [
        f"{target}: is larger than 1 MB, the most dronefab reads from one file; "
        "set DRONEFAB_MAX_FILE_MB to allow more"
    ]


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (f"A=1\x00DRONEFAB_TEST_TOKEN={SECRET}\x00".encode(), "it holds NUL characters"),
        (f"PATH=/usr/bin:/bin TOKEN={SECRET}\n".encode(), "its first row should name the columns"),
        (f"{'x' * 70}{SECRET},item\n".encode(), "its first row should name the columns"),
        (
            b"customer;item;due;quantity\narmy;quad;2026-02-02;5\n",
            "its columns are separated by ';'",
        ),
        (b"customer\titem\tdue\tquantity\n", "its columns are separated by tabs"),
    ],
    ids=["nul", "not-names", "too-long", "semicolons", "tabs"],
)
def test_a_file_that_is_not_a_table_is_named_not_echoed(
    content: bytes, why: str, tmp_path: Path
) -> None:
    target = scenario_with_demand(tmp_path, "demand.csv")
    (tmp_path / "demand.csv").write_bytes(content)
    found = errors(target)
    assert len(found) == 1, found
    assert found[0].startswith(f"{tmp_path}/demand.csv:1: does not look like a CSV table: {why}")
    assert SECRET not in found[0] and "PATH" not in found[0]


def test_proc_files_are_read_up_to_the_limit_when_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRONEFAB_ALLOW_OUTSIDE_TABLES", "1")
    monkeypatch.setenv("DRONEFAB_TEST_TOKEN", SECRET)
    target = scenario_with_demand(tmp_path, "/proc/self/environ")
    found = errors(target)
    assert found == [
        "/proc/self/environ:1: does not look like a CSV table: it holds NUL characters, as "
        "binary files do"
    ]


@pytest.mark.parametrize(
    ("name", "value"),
    [("DRONEFAB_ALLOW_OUTSIDE_TABLES", "yes"), ("DRONEFAB_MAX_FILE_MB", "1e3")],
)
def test_a_wrong_setting_is_a_usage_error(
    name: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(UsageError, match=name):
        validate_scenario(MINIMAL)
