"""docs/record.md, run as a new user would: every command of its ```bash blocks, in order, in a
fresh folder, with its ```jsonl block as events.jsonl; and what the page says the record holds."""

from __future__ import annotations

import csv
import json
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dronefab.cli.main import app

DOC = Path(__file__).parent.parent / "docs" / "record.md"


def test_the_record_walkthrough_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = DOC.read_text(encoding="utf-8")
    (events,) = re.findall(r"```jsonl\n(.+?)```", text, flags=re.S)
    monkeypatch.chdir(tmp_path)
    Path("events.jsonl").write_text(events)
    runner = CliRunner()
    outputs = {}
    for block in re.findall(r"```bash\n(.+?)```", text, flags=re.S):
        for line in block.strip().splitlines():
            words = shlex.split(line)
            if words[0] == "export":
                name, value = words[1].split("=", 1)
                monkeypatch.setenv(name, value)
                continue
            assert words[0] == "dronefab", line
            result = runner.invoke(app, words[1:])
            assert result.exit_code == 0, f"{line}\n{result.output}"
            outputs[line] = result.output
    trace = json.loads(outputs["dronefab trace Q-N1-0001 --json"])
    assert trace["now"]["status"] == "shipped"
    pack = next(p for p in trace["components"] if p["item"] == "pack-6s2p")
    (cell,) = pack["components"]
    assert (cell["lot"], cell["receipts"][0]["origin"]) == ("CELL-2701-01", "KR")
    with Path("recall.csv").open() as handle:
        assert [r["serial"] for r in csv.DictReader(handle)] == ["Q-N1-0001", "Q-N1-0002"]
    with Path("exceptions.csv").open() as handle:
        found = [(r["kind"], r["events"]) for r in csv.DictReader(handle)]
    assert found == [("untested_shipment", "n1-s1")]
    assert Path("replan/plan/summary.json").is_file()
