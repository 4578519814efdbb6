"""The plan report's front page tells the stressed story: what arrives and how late, per
customer and per product, each figure recomputed here from the simulation folder's tables (or
taken from the keys its summary.json gives when the stress test measured them)."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from dronefab.model import load_scenario
from dronefab.planning.plan import PlanOptions, plan
from dronefab.report import write_plan_report
from dronefab.report.bundle import write_linked_reports
from dronefab.simulation.output import StressTest, run_stress_test

from .test_plan_report import on_time_fill_rates
from .test_simulation_report import risky, write_scenario

WITHIN_KEYS = {1: "within_1_period_share", 2: "within_2_periods_share", 4: "within_4_periods_share"}


def two_products(folder: Path) -> Path:
    """The risky scenario with a fixed-wing beside the quad and a second customer, so that
    a page adding products up would show it."""
    document = yaml.safe_load(risky(folder).read_text(encoding="utf-8"))
    document["items"].append({"id": "fw", "name": "Fixed-wing", "kind": "product"})
    document["bom"] += [
        {"parent": "fw", "component": "frame-asm", "quantity": 2},
        {"parent": "fw", "component": "motor", "quantity": 1},
    ]
    document["routings"].append(
        {"item": "fw", "step": 10, "work_center": "assembly", "minutes": 120}
    )
    document["sites"][0]["makes"].append("fw")
    document["sites"][0]["work_centers"][0].update(stations=1, hours_per_day=9)  # units late
    document["organizations"].append({"id": "navy", "name": "Navy", "role": "customer"})
    document["customers"].append(
        {
            "id": "navy",
            "name": "Navy",
            "backlog_penalty": 400,
            "unmet_penalty": 4000,
            "organization": "navy",
        }
    )
    document["lanes"].append(
        {"from": "west-1", "to": "navy", "transit_days": 3, "cost_per_unit": 6}
    )
    document["demand"] += [
        {"customer": "army", "item": "fw", "due": "2026-02-09", "quantity": 20},
        {"customer": "navy", "item": "quad", "due": "2026-02-16", "quantity": 30},
    ]
    return write_scenario(document, folder / "two.yaml")


@pytest.fixture(scope="module")
def stressed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A plan folder, its stress test and the linked report."""
    root = tmp_path_factory.mktemp("stress")
    scenario = load_scenario(two_products(root))
    made = plan(scenario, PlanOptions(explain=False))
    plan_dir = made.write(root / "plan")
    run_stress_test(scenario, made, root / "sim", StressTest(runs=40, seed=5, days=70))
    write_linked_reports(plan_dir, root / "pages" / "report.html", [root / "sim"])
    return {
        "root": root,
        "plan": plan_dir,
        "sim": root / "sim",
        "page": root / "pages" / "report.html",
    }


def _items(text: str) -> dict[str, tuple[float, float, str]]:
    """label -> (arrived, on time, sentence) of the front page's stressed list."""
    found = re.findall(
        r'<li data-stressed="([^"]+)" data-arrived="([^"]+)" data-on-time="([^"]+)">(.*?)</li>',
        text,
    )
    return {html.unescape(k): (float(a), float(o), html.unescape(s)) for k, a, o, s in found}


def _recomputed(sim: Path) -> dict[str, tuple[float, float]]:
    """(mean share of planned units that arrive, mean on-time fill rate) per customer and per
    (customer, product), from runs.csv and periods.csv."""
    runs = pd.read_csv(sim / "runs.csv")
    demand = pd.read_csv(sim / "periods.csv").groupby(["customer", "item"])["demand"].sum()
    out: dict[str, tuple[float, float]] = {}
    for customer, rows in runs.groupby("customer"):
        per_run = rows.groupby("run")[["planned", "delivered", "on_time"]].sum()
        whole = demand.loc[customer].sum()
        out[f"{customer} · all products"] = (
            float((per_run["delivered"] / per_run["planned"]).mean()),
            float((per_run["on_time"] / whole).mean()),
        )
        for item, one in rows.groupby("item"):
            out[f"{customer} · {item}"] = (
                float((one["delivered"] / one["planned"]).mean()),
                float((one["on_time"] / demand.loc[(customer, item)]).mean()),
            )
    return out


def test_front_page_shares_match_the_runs_per_customer_and_product(
    stressed: dict[str, Path],
) -> None:
    text = stressed["page"].read_text(encoding="utf-8")
    shown = _items(text)
    expected = _recomputed(stressed["sim"])
    assert set(shown) == set(expected)
    assert {"army · quad", "army · fw", "navy · quad"} <= set(shown)
    for label, (arrived, on_time) in expected.items():
        assert shown[label][0] == pytest.approx(arrived, abs=1e-6), label
        assert shown[label][1] == pytest.approx(on_time, abs=1e-6), label
        words = shown[label][2]
        assert f"Under the stress test, {arrived:.1%} of planned units arrive" in words
        assert f"On time: {on_time:.1%}" in words


def test_front_page_sets_each_product_beside_its_on_time_rate_in_the_plan(
    stressed: dict[str, Path],
) -> None:
    text = stressed["page"].read_text(encoding="utf-8")
    backlog = pd.read_csv(stressed["plan"] / "backlog.csv")
    shown = _items(text)
    titles = [json.loads(f'"{t}"') for t in re.findall(r'"text":"([^"]*? on time)"', text)]
    rates = []
    for (customer, item), rows in backlog.groupby(["customer", "item"]):
        rate = on_time_fill_rates(rows)[customer]
        assert f"(the plan: {rate:.1%})" in shown[f"{customer} · {item}"][2]
        # the deliveries chart has a panel of its own for each product
        assert f"{customer} · {item}: {rate:.1%} on time" in titles
        rates.append(rate)
    assert len(titles) == len(rates) == 3
    assert min(rates) < 0.9  # a plan with late units: the figures are not all 100%


PROMISE_KEYS = (
    "arrived_share", "kept_promise_share", "mean_days_late", "within_periods",
    "products", *WITHIN_KEYS.values(),
)  # fmt: skip


def _without_promises(sim: Path, target: Path) -> None:
    """A copy of the folder as a stress test before the promise figures wrote it."""
    shutil.copytree(sim, target)
    summary = json.loads((target / "summary.json").read_text(encoding="utf-8"))
    for figures in summary["customers"].values():
        for key in PROMISE_KEYS:
            figures.pop(key, None)
    (target / "summary.json").write_text(json.dumps(summary), encoding="utf-8")


def test_the_stress_tests_own_promise_figures_are_told(stressed: dict[str, Path]) -> None:
    summary = json.loads((stressed["sim"] / "summary.json").read_text(encoding="utf-8"))
    text = stressed["page"].read_text(encoding="utf-8")
    assert "not measured" not in text
    for customer, figures in summary["customers"].items():
        arrived, _, words = _items(text)[f"{customer} · all products"]
        assert arrived == pytest.approx(figures["arrived_share"]["mean"])
        assert f"Promises kept: {figures['kept_promise_share']['mean']:.1%}" in words


def test_without_promise_figures_the_page_says_they_were_not_measured(
    stressed: dict[str, Path],
) -> None:
    sim = stressed["root"] / "sim-before-promises"
    _without_promises(stressed["sim"], sim)
    page = stressed["root"] / "before-promises" / "report.html"
    write_linked_reports(stressed["plan"], page, [sim])
    text = page.read_text(encoding="utf-8")
    assert "Units within one, two and four weeks of due and the mean lateness: not measured" in text
    assert "within 1 week</th>" not in text
    assert "weeks late" not in text


def _promise(share: float) -> dict[str, float]:
    return {"mean": share, "p10": share * 0.5, "p50": share * 0.9, "p90": min(share * 1.2, 1.0)}


def _with_promises(sim: Path, target: Path) -> dict[str, Any]:
    """A copy of the folder whose summary has the promise keys (made-up, distinct values)."""
    shutil.copytree(sim, target)
    summary = json.loads((target / "summary.json").read_text(encoding="utf-8"))
    runs = pd.read_csv(target / "runs.csv")
    for n, (customer, figures) in enumerate(summary["customers"].items()):
        base = 0.3 + 0.1 * n
        figures.update(
            arrived_share=_promise(base + 0.4),
            kept_promise_share=_promise(base - 0.2),
            mean_days_late=_promise(10.0 + n),
            **{key: _promise(base + 0.1 * k / 4) for k, key in WITHIN_KEYS.items()},
        )
        figures["products"] = {}
        for m, (item, rows) in enumerate(runs[runs["customer"] == customer].groupby("item")):
            share = base + 0.05 * (m + 1)
            figures["products"][item] = {
                "demand": float(rows["planned"].iloc[0]),
                "planned": float(rows["planned"].iloc[0]),
                "delivered": _promise(float(rows["planned"].iloc[0]) * share),
                "on_time_fill_rate": _promise(share / 10),
                "arrived_share": _promise(share + 0.3),
                "kept_promise_share": _promise(share - 0.1),
                "mean_days_late": _promise(14.0 + m),
                **{key: _promise(share + 0.02 * k) for k, key in WITHIN_KEYS.items()},
            }
    (target / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return summary


def test_promise_figures_of_the_summary_are_told_when_present(
    stressed: dict[str, Path],
) -> None:
    sim = stressed["root"] / "sim-promises"
    summary = _with_promises(stressed["sim"], sim)
    page = stressed["root"] / "promises" / "report.html"
    write_linked_reports(stressed["plan"], page, [sim])
    text = page.read_text(encoding="utf-8")
    shown = _items(text)
    assert "not measured" not in text
    for customer, figures in summary["customers"].items():
        rows = [(f"{customer} · all products", figures)] + [
            (f"{customer} · {item}", given) for item, given in figures["products"].items()
        ]
        for label, given in rows:
            arrived, on_time, words = shown[label]
            assert arrived == pytest.approx(given["arrived_share"]["mean"])
            assert on_time == pytest.approx(given["on_time_fill_rate"]["mean"])
            for k, word in ((1, "one week"), (2, "two weeks"), (4, "four weeks")):
                assert f"{given[WITHIN_KEYS[k]]['mean']:.1%} within {word} of due" in words
            assert f"on average {given['mean_days_late']['mean'] / 7:.1f} weeks late" in words
            assert f"Promises kept: {given['kept_promise_share']['mean']:.1%}" in words
    assert "within 1 week</th>" in text and "mean lateness</th>" in text


def test_a_plan_report_without_a_stress_test_says_how_to_add_one(
    stressed: dict[str, Path],
) -> None:
    text = write_plan_report(stressed["plan"], stressed["root"] / "alone.html").read_text(
        encoding="utf-8"
    )
    assert '<section id="stress">' in text
    assert "No stress test beside this plan" in text
    assert not np.any([s.startswith("<li data-stressed") for s in text.splitlines()])
