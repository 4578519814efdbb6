"""Atomic writes: all or nothing, with ordinary permissions."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dronefab.files import atomic_path, write_text


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
