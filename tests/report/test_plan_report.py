"""The plan report: one offline HTML file whose headline numbers match the plan's tables.

Plans are made here from small scenarios: ``minimal`` (every unit on time), ``tight`` (the same
with one assembly station working 3 hours a day, so units are late or never delivered, and a
supplier with a disruption profile, so its parts are chokepoints), the same tight scenario
planned without capacity (overloads) and planned without explanations, and the demo (slow).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from plotly.offline import get_plotlyjs

from dronefab.errors import UsageError
from dronefab.model import load_scenario
from dronefab.model.demo import load_demo
from dronefab.planning.plan import PlanOptions, plan
from dronefab.report import write_plan_report
from dronefab.report.plan_report import ON_TIME_SENTENCE, SECTIONS

SCENARIOS = Path(__file__).parent.parent / "model" / "scenarios"
PLANS = [
    "minimal",
    "tight",
    "unconstrained",
    "unexplained",
    pytest.param("demo", marks=pytest.mark.slow),
]


def tight_scenario(folder: Path) -> Path:
    """``minimal.yaml`` with too little assembly capacity and a supplier at risk."""
    document = yaml.safe_load((SCENARIOS / "minimal.yaml").read_text(encoding="utf-8"))
    document["name"] = "tight"
    document["sites"][0]["work_centers"][0].update(stations=1, hours_per_day=3)
    document["risks"] = {
        "suppliers": {
            "motors-a": {
                "disruptions_per_year": 0.5,
                "duration_days_median": 30,
                "duration_days_p90": 90,
            }
        }
    }
    path = folder / "tight.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def make_report(name: str, folder: Path) -> tuple[Path, Path]:
    """Plan scenario ``name``, write the plan into ``folder/plan`` and its report; both paths."""
    options = PlanOptions(unconstrained=name == "unconstrained", explain=name != "unexplained")
    if name == "demo":
        scenario = load_demo()
    else:
        path = SCENARIOS / "minimal.yaml" if name == "minimal" else tight_scenario(folder)
        scenario = load_scenario(path)
    plan_dir = plan(scenario, options).write(folder / "plan")
    return plan_dir, write_plan_report(plan_dir, folder / "report.html")


@pytest.fixture(scope="module")
def report_of(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], tuple[Path, str]]:
    """Plan folder and report text of a named plan, made once per module."""
    made: dict[str, tuple[Path, str]] = {}

    def get(name: str) -> tuple[Path, str]:
        if name not in made:
            plan_dir, report = make_report(name, tmp_path_factory.mktemp(name))
            made[name] = (plan_dir, report.read_text(encoding="utf-8"))
        return made[name]

    return get


def on_time_fill_rates(backlog: pd.DataFrame) -> dict[str, float]:
    """Fill rates recomputed from backlog.csv, deliveries matched to the oldest demand first.

    On-time units due in ``t``: ``clip(C(t) - D(t-1), 0, d(t))`` with ``C`` cumulative
    deliveries and ``D`` cumulative demand of one (customer, product).
    """
    demand: dict[str, float] = {}
    on_time: dict[str, float] = {}
    for (customer, _), series in backlog.groupby(["customer", "item"]):
        series = series.sort_values("period")
        d = series["demand"].to_numpy(dtype=float)
        c = np.cumsum(series["delivered"].to_numpy(dtype=float))
        before = np.cumsum(d) - d
        on_time[customer] = on_time.get(customer, 0.0) + float(np.clip(c - before, 0.0, d).sum())
        demand[customer] = demand.get(customer, 0.0) + float(d.sum())
    return {k: on_time[k] / demand[k] if demand[k] > 0 else 1.0 for k in demand}


@pytest.mark.parametrize("name", PLANS)
def test_report_is_one_offline_file_with_plotly_once(
    report_of: Callable[[str], tuple[Path, str]], name: str
) -> None:
    plan_dir, text = report_of(name)
    assert text.startswith("<!DOCTYPE html>")
    sources = re.findall(r"<script\b[^>]*\bsrc\s*=\s*[\"']?([^\"' >]+)", text, flags=re.I)
    links = re.findall(r"<link\b[^>]*\bhref\s*=\s*[\"']?([^\"' >]+)", text, flags=re.I)
    assert not [s for s in sources + links if re.match(r"(https?:)?//", s, flags=re.I)]
    assert not re.search(r"url\(\s*[\"']?(https?:)?//", text.split("<script", 1)[0], flags=re.I)
    # plotly once, beside the page, not inlined (issue 15, defect 14)
    assert sources == ["plotly.min.js"]
    assert not re.findall(r"\* plotly\.js v\d", text)
    assert (plan_dir.parent / "plotly.min.js").read_text(encoding="utf-8") == get_plotlyjs()
    leftovers = [p.name for p in plan_dir.parent.iterdir() if p.name.endswith(".part")]
    assert leftovers == []


@pytest.mark.parametrize("name", PLANS)
def test_every_section_has_its_heading(
    report_of: Callable[[str], tuple[Path, str]], name: str
) -> None:
    _, text = report_of(name)
    for anchor, title in SECTIONS:
        assert f'<section id="{anchor}">' in text
        assert f"<h2>{html.escape(title)}</h2>" in text
        assert f'href="#{anchor}"' in text


@pytest.mark.parametrize("name", PLANS)
def test_headline_fill_rates_match_the_backlog(
    report_of: Callable[[str], tuple[Path, str]], name: str
) -> None:
    plan_dir, text = report_of(name)
    expected = on_time_fill_rates(pd.read_csv(plan_dir / "backlog.csv"))
    cards = re.findall(
        r'data-customer="([^"]+)" data-fill-rate="([^"]+)">.*?<div class="big \w+">([^<]+)</div>',
        text,
    )
    shown = {html.unescape(k): (float(rate), big) for k, rate, big in cards}
    assert set(shown) == set(expected)
    for customer, rate in expected.items():
        assert shown[customer][0] == pytest.approx(rate, abs=1e-6)
        assert shown[customer][1] == f"{rate:.1%}"


@pytest.mark.parametrize("name", PLANS)
def test_late_table_total_equals_the_explanations(
    report_of: Callable[[str], tuple[Path, str]], name: str
) -> None:
    plan_dir, text = report_of(name)
    explanations = pd.read_csv(plan_dir / "explanations.csv")
    total = float(explanations["quantity"].sum()) if not explanations.empty else 0.0
    found = re.search(r'data-late-total="([^"]+)"', text)
    if total <= 1e-6:
        assert found is None
        return
    assert found is not None
    assert float(found.group(1)) == pytest.approx(total, rel=1e-9)
    footer = re.search(r"<tfoot><tr><td[^>]*>([^<]+)</td>", text[found.start() :])
    assert footer is not None
    assert footer.group(1) == f"{total:,.0f}"
    assert ON_TIME_SENTENCE not in text


def test_a_plan_with_every_unit_on_time_says_so(
    report_of: Callable[[str], tuple[Path, str]],
) -> None:
    plan_dir, text = report_of("minimal")
    assert pd.read_csv(plan_dir / "explanations.csv").empty
    assert ON_TIME_SENTENCE in text
    assert "data-late-total" not in text


def test_a_tight_plan_shows_late_units_chokepoints_and_station_values(
    report_of: Callable[[str], tuple[Path, str]],
) -> None:
    _, text = report_of("tight")
    assert "never delivered" in text
    assert "Work centers at full capacity" in text
    assert "an extra hour is worth" in text  # shadow prices in the heatmap's hover text
    assert "motor: " in text and "frame: " in text  # one chokepoint panel per part
    assert "re-solved" in text


def test_an_unconstrained_plan_shows_overloads_instead_of_shadow_prices(
    report_of: Callable[[str], tuple[Path, str]],
) -> None:
    _, text = report_of("unconstrained")
    assert "capacity ignored (classic MRP)" in text
    assert "Overloaded work centers" in text
    assert "overload " in text
    assert "an extra hour is worth" not in text
    assert "This plan ignores capacity, so an extra station changes nothing" in text


def test_a_plan_without_explanations_does_not_claim_every_unit_is_on_time(
    report_of: Callable[[str], tuple[Path, str]],
) -> None:
    plan_dir, text = report_of("unexplained")
    assert pd.read_csv(plan_dir / "explanations.csv").empty
    assert ON_TIME_SENTENCE not in text
    assert (
        "79 units are late or never delivered, but this plan was made without explanations" in text
    )


def test_a_folder_that_is_not_a_plan_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a plan folder"):
        write_plan_report(tmp_path, tmp_path / "report.html")
    assert not (tmp_path / "report.html").exists()
