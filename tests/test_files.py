"""Atomic writes: all or nothing, with ordinary permissions."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from dronefab.cli.main import app
from dronefab.errors import FolderError, UsageError
from dronefab.files import (
    atomic_path,
    inert_cell,
    json_text,
    read_frame,
    read_json,
    restore_cell,
    write_frame,
    write_text,
)
from dronefab.model.sources import read_csv
from dronefab.model.writers import csv_text


def test_a_failed_write_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "plan.csv"
    write_text(target, "old\n")
    with pytest.raises(RuntimeError), atomic_path(target) as temporary:
        temporary.write_text("half of the new", encoding="utf-8")
        raise RuntimeError("interrupted")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert list(tmp_path.iterdir()) == [target], "no temporary file may be left behind"


def test_new_files_get_the_umask_mode_and_old_files_keep_theirs(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        write_text(tmp_path / "new.csv", "x\n")
        assert stat.S_IMODE((tmp_path / "new.csv").stat().st_mode) == 0o644
        (tmp_path / "kept.csv").write_text("x\n")
        (tmp_path / "kept.csv").chmod(0o640)
        write_text(tmp_path / "kept.csv", "y\n")
        assert stat.S_IMODE((tmp_path / "kept.csv").stat().st_mode) == 0o640
    finally:
        os.umask(previous)


def test_a_folder_in_the_way_is_reported_under_the_name_asked_for(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.mkdir()
    with pytest.raises(IsADirectoryError) as caught:
        write_text(target, "x")
    assert caught.value.filename == str(target)
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind


def test_read_json_names_the_file_and_the_command(tmp_path: Path) -> None:
    broken = tmp_path / "summary.json"
    broken.write_text("{\n  oops", encoding="utf-8")
    with pytest.raises(
        FolderError, match=r"'dronefab plan'(.|\n)*summary\.json: not valid JSON \(line 2"
    ):
        read_json(broken, "dronefab plan")
    with pytest.raises(UsageError, match="not found; run 'dronefab plan'"):
        read_json(tmp_path / "missing.json", "dronefab plan")
    broken.write_text('{"a": [1, 2]}', encoding="utf-8")
    assert read_json(broken, "dronefab plan") == {"a": [1, 2]}


# -- formula injection --------------------------------------------------------------------------
LEADING = ["=1+1", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "\nx", "'=x", "''+y", "'plain", "ok"]


def test_text_that_starts_a_formula_is_neutralised_and_restored_exactly() -> None:
    for value in LEADING:
        assert restore_cell(inert_cell(value)) == value
    assert [inert_cell(v) for v in ("=1+1", "\tx", "'=x", "'plain", "ok")] == [
        "'=1+1",
        "'\tx",
        "''=x",
        "'plain",
        "ok",
    ]
    assert inert_cell(-2.5) == -2.5 and inert_cell(-3) == -3


def test_a_table_written_and_read_back_keeps_its_text_and_numbers(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"site": LEADING, "units": [-float(n) for n in range(len(LEADING))], "n": -1}
    )
    write_frame(tmp_path / "t.csv", frame)
    lines = (tmp_path / "t.csv").read_text(encoding="utf-8").splitlines()
    assert lines[1] == "'=1+1,-0,-1" and lines[2] == "'+1,-1,-1"
    back = read_frame(tmp_path / "t.csv", dtype={"site": str})
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)


def test_a_scenario_table_written_and_read_back_keeps_its_text(tmp_path: Path) -> None:
    rows = [{"id": value, "quantity": -n} for n, value in enumerate(LEADING)]
    (tmp_path / "t.csv").write_text(csv_text(["id", "quantity"], rows), encoding="utf-8")
    table = read_csv(tmp_path / "t.csv", "t.csv")
    assert table.problems == []
    assert [row["id"] for row in table.rows] == LEADING
    assert table.rows[1]["quantity"] == "-1"


def _containers(children: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.lists(children) | st.dictionaries(st.text(), children)


@given(st.recursive(st.text() | st.floats(allow_nan=False) | st.integers(), _containers))
def test_json_written_has_no_tag_characters_and_reads_back_equal(data: object) -> None:
    text = json_text(data)
    assert not set("<>&") & set(text)
    assert json.loads(text) == data


def test_a_plan_whose_customer_id_is_a_tag_writes_it_inert(tmp_path: Path) -> None:
    """A tag typed as an id stays data in summary.json (fuzz case 389 of seed 19)."""
    tag = "<img src=x onerror=alert(1)>"
    data = yaml.safe_load(
        (Path(__file__).parent / "model" / "scenarios" / "minimal.yaml").read_text()
    )
    data["customers"][0]["id"] = tag
    data["lanes"][0]["to"] = tag
    for row in data["demand"]:
        row["customer"] = tag
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(app, ["plan", str(scenario), "--out", str(tmp_path / "plan")])
    assert result.exit_code == 0, result.output
    written = (tmp_path / "plan" / "summary.json").read_text(encoding="utf-8")
    assert tag not in written and "<" not in written
    assert tag in json.loads(written)["units"]
