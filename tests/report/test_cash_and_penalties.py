"""Cash apart from penalties on every page: the plan's cost cards, the risk page's outages in
units (their penalty weight never written as money), the design's cost named for what it adds
up; and the plan's fill rate per customer and product (issue 15, the story)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from dronefab.model import load_scenario
from dronefab.planning.plan import PlanOptions, plan
from dronefab.report.bundle import write_report
from dronefab.risk import assess_risk, write_risk

from .test_plan_report import on_time_fill_rates, tight_scenario

CASH = ("purchase", "labour", "lane", "holding")
PENALTIES = ("backlog", "unmet")


@pytest.fixture(scope="module")
def tight(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A plan with late units (so penalties), its risk folder, and their pages."""
    root = tmp_path_factory.mktemp("cash")
    scenario = load_scenario(tight_scenario(root))
    plan_dir = plan(scenario, PlanOptions(explain=False)).write(root / "plan")
    write_risk(assess_risk(scenario), root / "risk")
    return {
        "plan": plan_dir,
        "risk": root / "risk",
        "plan_page": write_report(plan_dir, root / "report.html"),
        "risk_page": write_report(root / "risk", root / "risk.html"),
    }


def test_plan_cash_and_penalties_are_two_cards_adding_up_to_the_objective(
    tight: dict[str, Path],
) -> None:
    summary = json.loads((tight["plan"] / "summary.json").read_text(encoding="utf-8"))
    text = tight["plan_page"].read_text(encoding="utf-8")
    cash = float(re.search(r'data-cash="([^"]+)"', text)[1])  # type: ignore[index]
    found = re.search(r'data-penalties="([^"]+)" data-objective="([^"]+)">([^<]+)<', text)
    assert found is not None
    penalties, objective = float(found[1]), float(found[2])
    assert cash == pytest.approx(sum(summary["costs"][k] or 0.0 for k in CASH))
    assert penalties == pytest.approx(sum(summary["costs"][k] or 0.0 for k in PENALTIES))
    assert penalties > 0  # the tight plan has late units
    assert cash + penalties == pytest.approx(summary["objective"]) == pytest.approx(objective)
    assert found[3] == f"{penalties:,.0f}"  # a weight, not written as money ("22.1 M")
    assert "Total cost" not in text
    assert "not money" in text


def test_plan_fill_rate_per_customer_and_product_matches_the_backlog(
    tight: dict[str, Path],
) -> None:
    text = tight["plan_page"].read_text(encoding="utf-8")
    block = text[text.index('id="product-table"') :]
    block = block[: block.index("</table>")]
    cells = [
        [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", block)
    ]
    backlog = pd.read_csv(tight["plan"] / "backlog.csv")
    expected = {
        (customer, item): on_time_fill_rates(rows)[customer]
        for (customer, item), rows in backlog.groupby(["customer", "item"])
    }
    shown = {(row[0], row[1]): row[-1] for row in cells if row}
    assert shown == {key: f"{rate:.1%}" for key, rate in expected.items()}


def test_risk_page_gives_outages_in_units_and_their_weight_not_as_money(
    tight: dict[str, Path],
) -> None:
    text = tight["risk_page"].read_text(encoding="utf-8")
    table = pd.read_csv(tight["risk"] / "risk.csv")
    summary = json.loads((tight["risk"] / "summary.json").read_text(encoding="utf-8"))
    worst = table.iloc[0]
    assert worst["impact"] > 0
    found = re.search(r'data-lost-units="([^"]+)">([^<]+)</div><div class="sub">([^<]+)<', text)
    assert found is not None
    assert float(found[1]) == pytest.approx(worst["lost_units"])
    assert found[2] == f"{worst['lost_units']:,.0f} units"
    sub = html.unescape(found[3])
    assert summary["ttr"][worst["node"]]["source"] in sub
    assert f"penalty weight {worst['impact']:,.0f}, a priority, not money paid" in sub
    block = text[text.index('id="risk-table"') :]
    block = block[: block.index("</table>")]
    assert "penalty weight (not cash)</th>" in block
    rows = [
        [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", block)
    ]
    rows = [row for row in rows if row]
    assert len(rows) == len(table)
    for row, node in zip(rows, table.itertuples(), strict=True):
        assert row[1] == node.node
        assert row[6] == f"{node.impact:,.0f}"  # never "320.1 M"
        assert row[-1] == summary["ttr"][node.node]["source"]
