"""The result tables printed by explain and risk tell the whole story (issue 15, defects 9 and
10): no name cut, no row left out unsaid, figures that add up, estimates marked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dronefab.cli.main import EXIT_OK, app
from dronefab.model.demo import load_demo
from dronefab.planning import plan

runner = CliRunner()
LONG = "motors-a-supplier-with-a-name-long-enough-to-be-cut"


def figure(text: str) -> float:
    return float(text.replace(",", "").replace("≤", "").strip())


@pytest.fixture(scope="module")
def demo_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("explain") / "plan"
    plan(load_demo()).write(folder)
    return folder


def rows_of(output: str, title: str) -> list[list[str]]:
    """The body rows of the table printed under ``title``, as stripped cells."""
    lines = output.split(title, 1)[1].splitlines()
    body = lines[lines.index(next(line for line in lines if line.startswith("┡"))) + 1 :]
    rows = []
    for line in body:
        if not line.startswith("│"):
            break
        rows.append([cell.strip() for cell in line.strip("│").split("│")])
    return rows


def test_explain_lists_a_remainder_and_orders_stations_by_the_saving_shown(
    demo_plan: Path,
) -> None:
    result = runner.invoke(app, ["explain", str(demo_plan), "--top", "8"])
    assert result.exit_code == EXIT_OK, result.output
    title = re.search(r"Why ([\d,]+) units are late", result.output)
    assert title is not None
    reasons = [row for row in rows_of(result.output, "Why") if row[0]]
    assert len(reasons) == 9 and "more reason" in reasons[-1][1]
    assert reasons[-1][2] == f"--top {int(reasons[-1][1].split()[0]) + 8} lists them all"
    assert sum(figure(row[0]) for row in reasons) == figure(title.group(1))
    stations = [row for row in rows_of(result.output, "What one more station is worth") if row[0]]
    savings = [figure(row[3]) for row in stations]
    assert savings == sorted(savings, reverse=True)
    estimated = [row for row in stations if row[3].startswith("≤")]
    assert estimated and all(row[4] == "–" for row in estimated)
    assert all(row[4] != "" for row in stations)
    assert "≤ an estimate from shadow prices" in result.output


def test_risk_prints_whole_names_and_says_which_rows_it_left_out(
    minimal_path: Path, tmp_path: Path
) -> None:
    text = minimal_path.read_text(encoding="utf-8").replace("motors-a", LONG)
    scenario = tmp_path / "long.yaml"
    scenario.write_text(text, encoding="utf-8")
    result = runner.invoke(
        app, ["risk", str(scenario), "--top", "3", "--ttr", "0", "--out", str(tmp_path / "risk")]
    )
    assert result.exit_code == EXIT_OK, result.output
    assert LONG in result.output
    assert "…" not in result.output
    shown = re.search(r"(\d+) of (\d+) nodes shown", result.output)
    assert shown is not None, result.output
    assert int(shown.group(1)) < int(shown.group(2))
    assert f"--top {shown.group(2)}" in result.output
