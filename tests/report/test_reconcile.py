"""One summary reconciles the analyses on the front page: each ranking's top nodes in the same
names and units (recomputed here from explanations.csv, attribution.csv, risk.csv and
buffers.csv), what each assumes, and why two rankings differ (issue 15, the story)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from dronefab.model import load_scenario
from dronefab.planning.plan import PlanOptions, plan
from dronefab.report.bundle import write_linked_reports
from dronefab.report.html import units
from dronefab.risk import assess_risk, write_risk
from dronefab.simulation.output import StressTest, run_stress_test

from .test_front_page_stress import two_products
from .test_simulation_report import write_scenario

TOP = 5


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The two-product scenario whose frames come from a second supplier with no disruption
    profile: the risk ranking stops it (a default time to recover), the stress test never."""
    root = tmp_path_factory.mktemp("reconcile")
    document = yaml.safe_load(two_products(root).read_text(encoding="utf-8"))
    motors = document["suppliers"][0]
    frame = next(s for s in motors["supplies"] if s["item"] == "frame")
    motors["supplies"] = [s for s in motors["supplies"] if s["item"] != "frame"]
    document["suppliers"].append(
        {"id": "frames-b", "name": "Frames B", "country": "PL", "supplies": [frame]}
    )
    scenario = load_scenario(write_scenario(document, root / "rec.yaml"))
    made = plan(scenario, PlanOptions())
    plan_dir = made.write(root / "plan")
    options = StressTest(runs=30, seed=5, days=56, attribution_runs=20)
    run_stress_test(scenario, made, root / "sim", options)
    write_risk(assess_risk(scenario), root / "risk")
    page = root / "pages" / "report.html"
    write_linked_reports(plan_dir, page, [root / "sim", root / "risk"])
    return {"plan": plan_dir, "sim": root / "sim", "risk": root / "risk", "page": page}


def _table(text: str) -> dict[str, list[str]]:
    block = text[text.index('id="reconcile-table"') :]
    block = block[: block.index("</table>")]
    rows = [
        [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", block)
    ]
    return {row[0]: row for row in rows if row}


def test_each_ranking_s_top_nodes_are_in_the_summary_in_units(
    analysed: dict[str, Path],
) -> None:
    text = analysed["page"].read_text(encoding="utf-8")
    shown = _table(text)
    explanations = pd.read_csv(analysed["plan"] / "explanations.csv")
    at_node = explanations[explanations["constraint"].astype(str).str.contains("/")]
    late = at_node.groupby(at_node["constraint"].str.split("/").str[0])["quantity"].sum()
    attribution = pd.read_csv(analysed["sim"] / "attribution.csv")
    disrupted = attribution[attribution["events_per_year"] > 0].set_index("node")
    risk = pd.read_csv(analysed["risk"] / "risk.csv")
    risk = risk[risk["kind"].isin(["site", "supplier"])].set_index("node")
    expected = set(late.sort_values(ascending=False).index[:TOP])
    expected |= set(disrupted["units_lost_mean"].sort_values(ascending=False).index[:TOP])
    expected |= set(risk.index[:TOP])
    assert set(shown) == expected
    for node, row in shown.items():
        assert row[1] == units(late.get(node, 0.0))
        if node in disrupted.index:
            lost = disrupted.loc[node, "units_lost_mean"]
            assert row[2].startswith(f"{units(lost)} (")
        else:
            assert row[2] == "never disrupted"
        assert row[3].startswith(f"{units(risk.loc[node, 'lost_units'])} in ")


def test_a_node_risk_stops_but_the_stress_test_never_disrupts_is_explained(
    analysed: dict[str, Path],
) -> None:
    text = html.unescape(analysed["page"].read_text(encoding="utf-8"))
    risk = pd.read_csv(analysed["risk"] / "risk.csv").set_index("node")
    summary = json.loads((analysed["risk"] / "summary.json").read_text(encoding="utf-8"))
    lost = risk.loc["frames-b", "lost_units"]
    assert lost > 0.5  # without its frames nothing is made
    source = summary["ttr"]["frames-b"]["source"]
    assert source.startswith("default")
    assert (
        f"frames-b: the risk ranking loses {lost:,.0f} units stopping it for "
        f"{risk.loc['frames-b', 'ttr_days']:.0f} days ({source}), but the stress test never "
        "disrupts it: the scenario gives it no outage rate."
    ) in text
    # what each analysis assumes, the default time to recover named
    assumed = text[text.index('<ul class="assumptions">') :]
    assumed = assumed[: assumed.index("</ul>")]
    assert "<b>Stress test</b>" in assumed and "<b>Risk ranking</b>" in assumed
    assert "default times to recover (no data in the scenario): " in assumed
    assert "frames-b" in assumed
