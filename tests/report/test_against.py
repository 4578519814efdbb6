"""``dronefab report A --against B``: one plan against another, side by side; the example of
docs/report.md is run as written and its figures recomputed from the two plan folders."""

from __future__ import annotations

import html
import json
import re
import shlex
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from dronefab.cli.main import app

from .test_plan_report import on_time_fill_rates

DOC = Path(__file__).parents[2] / "docs" / "report.md"
CASH = ("purchase", "labour", "lane", "holding")


def doc_example() -> list[list[str]]:
    """The commands of the docs' "One plan against another" example, as argument lists."""
    text = DOC.read_text(encoding="utf-8").split("## One plan against another", 1)[1]
    block = re.search(r"```bash\n(.+?)\n```", text, flags=re.S)
    assert block is not None
    lines = [shlex.split(line) for line in block[1].splitlines() if line.strip()]
    assert all(line[0] == "dronefab" for line in lines)
    return [line[1:] for line in lines]


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder the docs' example ran in."""
    root = tmp_path_factory.mktemp("against")
    mp = pytest.MonkeyPatch()
    mp.chdir(root)
    try:
        for arguments in doc_example():
            result = CliRunner().invoke(app, arguments)
            assert result.exit_code == 0, (arguments, result.output)
    finally:
        mp.undo()
    return root


def _rows(text: str, anchor: str) -> list[list[str]]:
    block = text[text.index(f'id="{anchor}"') :]
    block = block[: block.index("</table>")]
    return [
        [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", block)
        if "<td" in row
    ]


def test_the_docs_example_sets_fill_rates_per_customer_and_product_side_by_side(
    example: Path,
) -> None:
    text = (example / "plan" / "against.html").read_text(encoding="utf-8")
    rates = {}
    for name in ("plan", "mrp"):
        backlog = pd.read_csv(example / name / "backlog.csv")
        rates[name] = {
            f"{k} · {i}": on_time_fill_rates(rows)[k]
            for (k, i), rows in backlog.groupby(["customer", "item"])
        }
    rows = {row[0]: row for row in _rows(text, "units-table")}
    assert set(rows) == set(rates["plan"])
    for key, row in rows.items():
        assert row[6] == f"{rates['plan'][key]:.1%}"
        assert row[7] == f"{rates['mrp'][key]:.1%}"
    assert rates["mrp"] != rates["plan"]  # capacity changes what is on time


def test_cash_and_penalties_of_both_plans_and_their_difference(example: Path) -> None:
    text = (example / "plan" / "against.html").read_text(encoding="utf-8")
    costs = {
        n: json.loads((example / n / "summary.json").read_text(encoding="utf-8"))["costs"]
        for n in ("plan", "mrp")
    }
    rows = {row[0]: row for row in _rows(text, "costs-table")}
    cash = {n: sum(costs[n][k] or 0.0 for k in CASH) for n in costs}
    assert rows["cash paid"][2:4] == [f"{cash['plan']:,.0f}", f"{cash['mrp']:,.0f}"]
    assert rows["backlog"][1] == "penalty (not cash)"
    for kind in (*CASH, "backlog", "unmet"):
        a, b = costs["plan"][kind] or 0.0, costs["mrp"][kind] or 0.0
        assert rows[kind][2:4] == [f"{a:,.0f}", f"{b:,.0f}"]
        assert rows[kind][4] == ("0" if round(a - b) == 0 else f"{round(a - b):+,.0f}")


def test_against_refuses_an_analysis_folder(example: Path, tmp_path: Path) -> None:
    (tmp_path / "risk.csv").write_text("node\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["report", str(example / "plan"), "--against", str(tmp_path)])
    assert result.exit_code == 2
    assert "--against sets a plan folder against another plan folder" in result.output
