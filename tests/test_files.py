"""Atomic writes: all or nothing, with ordinary permissions."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dronefab.errors import FolderError, UsageError
from dronefab.files import atomic_path, read_json, write_text


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
