"""The plan report names the candidate sites the plan assumes open, marked "candidate", with
what each makes, and sets the network design's choice beside them (issue 15, the story)."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from dronefab.model import load_scenario
from dronefab.planning.plan import PlanOptions, plan
from dronefab.report import write_plan_report
from dronefab.report.bundle import write_linked_reports
from dronefab.risk.design import DesignOptions, design

from .test_front_page_stress import two_products
from .test_simulation_report import write_scenario


@pytest.fixture(scope="module")
def candidates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The two-product scenario with two candidate sites: a cheap one beside the committed
    site and a dear one the design leaves closed."""
    root = tmp_path_factory.mktemp("candidates")
    document = yaml.safe_load(two_products(root).read_text(encoding="utf-8"))
    committed = document["sites"][0]
    for site_id, fixed in (("cand-near", 10.0), ("cand-dear", 1e7)):
        document["sites"].append(
            {
                **committed,
                "id": site_id,
                "name": site_id,
                "candidate": True,
                "fixed_cost_per_period": fixed,
                "initial_inventory": {},
            }
        )
        document["lanes"] += [
            {**lane, "from": site_id} for lane in document["lanes"] if lane["from"] == "west-1"
        ]
    scenario = load_scenario(write_scenario(document, root / "cand.yaml"))
    plan_dir = plan(scenario, PlanOptions(explain=False)).write(root / "plan")
    design(scenario, DesignOptions(scenarios=4, curve=False)).write(root / "design")
    write_linked_reports(plan_dir, root / "pages" / "report.html", [root / "design"])
    return {
        "root": root,
        "plan": plan_dir,
        "design": root / "design",
        "scenario": root / "cand.yaml",
    }


def _scenario_candidates(path: Path) -> list[str]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [s["id"] for s in document["sites"] if s.get("candidate")]


def test_the_plan_records_and_the_page_names_every_candidate_assumed_open(
    candidates: dict[str, Path],
) -> None:
    expected = _scenario_candidates(candidates["scenario"])
    assert expected == ["cand-near", "cand-dear"]
    summary = json.loads((candidates["plan"] / "summary.json").read_text(encoding="utf-8"))
    assert summary["candidate_sites"] == expected
    text = html.unescape((candidates["root"] / "pages" / "report.html").read_text("utf-8"))
    assert "assumes candidate sites cand-near, cand-dear open" in text  # the banner
    assert 'data-candidates="cand-near cand-dear"' in text


def test_each_candidate_says_what_it_makes_and_what_the_design_chose(
    candidates: dict[str, Path],
) -> None:
    text = html.unescape((candidates["root"] / "pages" / "report.html").read_text("utf-8"))
    made = pd.read_csv(candidates["plan"] / "production.csv")
    products = set(pd.read_csv(candidates["plan"] / "backlog.csv")["item"])
    opened = json.loads((candidates["design"] / "design.json").read_text("utf-8"))["open_sites"]
    assert "cand-dear" not in opened  # its fixed cost dwarfs the plan
    for site in ("cand-near", "cand-dear"):
        mine = made[(made["site"] == site) & made["item"].isin(products)]
        totals = mine.groupby("item")["quantity"].sum()
        what = ", ".join(f"{q:,.0f} {item}" for item, q in totals.items() if q > 0.5)
        choice = "the design opens it" if site in opened else "the design leaves it closed"
        row = re.search(rf"<li><b>{site} \(candidate\)</b>: ([^<]+)</li>", text)
        assert row is not None, site
        assert row[1] == f"makes {what or 'nothing'}; {choice}"
    # the production table marks them too
    production = text[text.index('<section id="production">') :]
    production = production[: production.index("</section>")]
    for site in set(made["site"]):
        word = f"{site} (candidate)" if site.startswith("cand-") else site
        if made[(made["site"] == site) & made["item"].isin(products)]["quantity"].sum() > 0.5:
            assert f"<td>{word}</td>" in production


def test_a_plan_folder_that_does_not_record_candidates_says_so(
    candidates: dict[str, Path], tmp_path: Path
) -> None:

    old = tmp_path / "plan"
    shutil.copytree(candidates["plan"], old)
    summary = json.loads((old / "summary.json").read_text(encoding="utf-8"))
    del summary["candidate_sites"]
    (old / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    text = write_plan_report(old, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "candidate sites not recorded in this plan folder" in text
    assert "does not say which sites are candidates" in html.unescape(text)
