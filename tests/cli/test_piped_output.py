"""Output to a pipe is never hard-wrapped (issue 15, defect 2, fixed before this test: the
consoles soft-wrap when not on a terminal); a real pipe, since CliRunner has no terminal either."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SOURCE = Path(__file__).parent.parent.parent / "src"


def test_a_message_longer_than_80_columns_stays_on_one_line(tmp_path: Path) -> None:
    missing = tmp_path / ("a-folder-with-a-long-name-" * 4) / "nonexist"
    environment = {**os.environ, "PYTHONPATH": str(SOURCE), "COLUMNS": "80"}
    result = subprocess.run(
        [sys.executable, "-m", "dronefab", "explain", str(missing)],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    assert result.returncode == 2
    (line,) = [line for line in result.stderr.splitlines() if line]
    assert len(line) > 80
    assert (
        line
        == f"error: {missing} is not a plan folder (no summary.json); run 'dronefab plan' first"
    )
