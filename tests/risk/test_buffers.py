"""Buffers for chokepoint parts: sizing by hand, against a brute force, and in the simulator.

The hand-computed network: one site makes 70 drones a week (10 a day, every day) from one part
each, bought with no lead time from one supplier, so every week's parts arrive on its first day
and are used up by its last. A cut-off of ``W`` days starting on a week's first day holds that
delivery (and any other due in it) until day ``W``; the site keeps to its plan only with ``10 W``
parts in reserve.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats
from typer.testing import CliRunner

from dronefab.cli.main import app
from dronefab.errors import UsageError
from dronefab.model import load_scenario
from dronefab.model.demo import load_demo
from dronefab.model.scenario import Scenario
from dronefab.planning.plan import Plan, PlanOptions, plan
from dronefab.risk.buffers import (
    DISRUPTION,
    LONG_LEAD,
    BufferOptions,
    Buffers,
    PartAtSite,
    at_risk_suppliers,
    cutoff_quantile,
    parts_at_sites,
    required_stock,
    size_buffers,
)
from dronefab.risk.buffers_check import (
    check_buffers,
    longest_outages,
    no_long_outage_probability,
    outages_only,
    with_stock,
)
from dronefab.simulation.disruptions import sample_supplier_outages
from dronefab.simulation.results import simulate

USE_PER_DAY = 10.0
UNIT_COST = 20.0
HOLDING = 0.5
WEEKS = 8

TINY: dict[str, Any] = {
    "format": "dronefab/1",
    "name": "tiny-buffers",
    "horizon": {"start": "2026-01-05", "periods": WEEKS, "period_days": 7},
    "organizations": [
        {"id": "maker", "name": "Maker", "role": "manufacturer"},
        {"id": "forces", "name": "Armed forces", "role": "customer"},
    ],
    "items": [
        {"id": "drone", "name": "Drone", "kind": "product", "holding_cost": 5},
        {"id": "part", "name": "Part", "kind": "purchased", "holding_cost": HOLDING},
    ],
    "bom": [{"parent": "drone", "component": "part", "quantity": 1}],
    "routings": [{"item": "drone", "step": 10, "work_center": "line", "minutes": 60}],
    "sites": [
        {
            "id": "plant",
            "name": "Plant",
            "operator": "maker",
            "distance_to_front_km": 500,
            "days_per_week": 7,
            "makes": ["drone"],
            "work_centers": [{"id": "line", "stations": 1, "hours_per_day": 12}],
        }
    ],
    "suppliers": [
        {
            "id": "parts-a",
            "name": "Part supplier A",
            "supplies": [{"item": "part", "lead_time_days": 0, "unit_cost": UNIT_COST}],
        }
    ],
    "customers": [{"id": "army", "name": "Army", "backlog_penalty": 100, "unmet_penalty": 1000}],
    "lanes": [{"from": "plant", "to": "army", "transit_days": 0}],
    "demand": [
        {"customer": "army", "item": "drone", "due": f"2026-{month}", "quantity": 70}
        for month in ("01-11", "01-18", "01-25", "02-01", "02-08", "02-15", "02-22", "03-01")
    ],
    "risks": {
        "seed": 5,
        "suppliers": {
            "parts-a": {
                "disruptions_per_year": 8,
                "duration_days_median": 5,
                "duration_days_p90": 10,
            }
        },
    },
}


def load(document: dict[str, Any], folder: Path, name: str = "tiny") -> Scenario:
    """Load a document through the real loader (validated)."""
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return load_scenario(path)


def two_suppliers() -> dict[str, Any]:
    """The tiny network with a capped at-risk supplier (40 a week) and a dearer safe one."""
    document = copy.deepcopy(TINY)
    document["suppliers"][0]["supplies"][0]["capacity_per_period"] = 40
    document["suppliers"].append(
        {
            "id": "parts-b",
            "name": "Part supplier B",
            "supplies": [{"item": "part", "lead_time_days": 0, "unit_cost": 25}],
        }
    )
    return document


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scenario, Plan]:
    scenario = load(TINY, tmp_path_factory.mktemp("tiny"))
    return scenario, plan(scenario, PlanOptions(explain=False))


@pytest.fixture(scope="module")
def demo() -> tuple[Scenario, Plan]:
    scenario = load_demo()
    return scenario, plan(scenario, PlanOptions(explain=False))


def only_row(buffers: Buffers) -> dict[str, Any]:
    assert len(buffers.table) == 1, buffers.table
    row: dict[str, Any] = buffers.table.iloc[0].to_dict()
    return row


# -- cut-off lengths -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("median", "p90", "probability"),
    [(5, 10, 0.9), (5, 10, 0.95), (30, 90, 0.5), (60, 180, 0.99), (14, 45, 0.2), (7, 7, 0.8)],
)
def test_cutoff_is_the_lognormal_quantile(median: float, p90: float, probability: float) -> None:
    sigma = math.log(p90 / median) / stats.norm.ppf(0.9)
    if sigma == 0:
        expected = float(median)
    else:
        expected = float(stats.lognorm(s=sigma, scale=median).ppf(probability))
    assert cutoff_quantile(median, p90, probability) == pytest.approx(expected, rel=1e-12)


def test_the_cutoff_of_a_supplier_and_the_share_of_outages_it_covers(
    tiny: tuple[Scenario, Plan],
) -> None:
    scenario, _ = tiny
    (cutoff,) = at_risk_suppliers(scenario, BufferOptions(probability=0.95))
    sigma = math.log(2) / stats.norm.ppf(0.9)
    length = float(stats.lognorm(s=sigma, scale=5).ppf(0.95))  # 12.17 days
    assert cutoff.reason == DISRUPTION
    assert cutoff.length_days == pytest.approx(length)
    assert cutoff.window_days == math.ceil(length) == 13
    assert cutoff.probability == pytest.approx(stats.lognorm(s=sigma, scale=5).cdf(13))


# -- sizing by hand ------------------------------------------------------------------------------
@pytest.mark.parametrize("days", [3, 7, 10, 20])
def test_constant_use_needs_use_per_day_times_the_cutoff(
    tiny: tuple[Scenario, Plan], days: int
) -> None:
    scenario, made = tiny
    row = only_row(size_buffers(scenario, made, BufferOptions(cutoff_days=days)))
    units = USE_PER_DAY * days
    assert (row["item"], row["supplier"], row["site"]) == ("part", "parts-a", "plant")
    assert row["cutoff_days"] == days
    assert row["buffer_units"] == units
    assert row["purchase_value"] == units * UNIT_COST
    assert row["holding_cost_per_period"] == units * HOLDING


def test_the_default_cutoff_is_the_quantile_in_whole_days(tiny: tuple[Scenario, Plan]) -> None:
    scenario, made = tiny
    for probability in (0.9, 0.95, 0.5):
        sigma = math.log(2) / stats.norm.ppf(0.9)
        days = math.ceil(round(float(stats.lognorm(s=sigma, scale=5).ppf(probability)), 9))
        buffers = size_buffers(scenario, made, BufferOptions(probability=probability))
        row = only_row(buffers)
        assert row["buffer_units"] == USE_PER_DAY * days
        assert row["probability"] == pytest.approx(stats.lognorm(s=sigma, scale=5).cdf(days))
        totals = buffers.totals()
        assert totals["holding_cost_horizon"] == pytest.approx(USE_PER_DAY * days * HOLDING * 8)


@pytest.mark.parametrize(("days", "units"), [(3, 0), (7, 40), (10, 40), (14, 80)])
def test_a_part_with_a_second_safe_supplier(tmp_path: Path, days: int, units: float) -> None:
    """Supplier A (at risk, capped) delivers 40 on each week's first day, B (safe) 30; use is
    10 a day, so the week's stock is gone by its last day.

    - 3 days cut from a week's first day: B's 30 cover the 3 days' use, A's 40 come on day 3.
    - 7 days: B's 30 of the week's 70: 40 short.
    - 10 days from day 7: A's 40 of days 7 and 14 held, B's 30 arrive on both; by day 16 the
      site needs 100 and has 60: 40 short (less than A's share of 10 days' use, 57).
    - 14 days: two of A's deliveries, 80.
    """
    scenario = load(two_suppliers(), tmp_path)
    made = plan(scenario, PlanOptions(explain=False))
    bought = made.purchases.groupby("supplier")["quantity"].sum()
    assert bought["parts-a"] == pytest.approx(40 * WEEKS)  # the plan is the one assumed
    assert bought["parts-b"] == pytest.approx(30 * WEEKS)
    row = only_row(size_buffers(scenario, made, BufferOptions(cutoff_days=days)))
    assert row["supplier"] == "parts-a"  # B has no profile and a short lead time: not at risk
    assert row["buffer_units"] == units


# -- the rule against a brute force --------------------------------------------------------------
def random_part(seed: int, days: int = 30) -> tuple[PartAtSite, dict[str, int]]:
    """A part with lumpy deliveries from two at-risk suppliers and a safe one, and a plan that
    never uses more than it has (its spare stock is never negative)."""
    rng = np.random.default_rng(seed)
    deliveries = {}
    for supplier in ("a", "b", "safe"):
        due = np.zeros(days)
        when = rng.choice(days, size=rng.integers(1, 6), replace=False)
        due[when] = rng.integers(1, 50, size=when.size)
        deliveries[supplier] = due
    opening = float(rng.integers(0, 30))
    receipts = np.cumsum(sum(deliveries.values()))
    wanted = np.cumsum(rng.integers(0, 15, size=days)).astype(float)
    use = np.minimum.accumulate((opening + receipts)[::-1])[::-1]  # the most usable by each day
    part = PartAtSite("s", "i", opening, np.minimum(wanted, use), receipts, deliveries)
    return part, {"a": int(rng.integers(1, 9)), "b": int(rng.integers(1, 9))}


def short_somewhere(part: PartAtSite, windows: dict[str, int], extra: float) -> bool:
    """Whether some cut-off of each supplier (any start, any length up to its window, or none)
    leaves the site short of its planned use on some day, with ``extra`` stock.

    Day by day as the simulator does it: a delivery due in a cut-off arrives when it ends.
    """
    days = part.use.size
    day = np.arange(days)
    starts = {u: [*range(days), days] for u in windows}  # start ``days``: no cut-off
    for a in starts["a"]:
        for b in starts["b"]:
            held = np.zeros(days)
            for supplier, start in (("a", a), ("b", b)):
                end = start + windows[supplier]  # the longest cut-off from there holds most
                due = part.deliveries[supplier]
                cut = (day >= start) & (day < end)
                # by day d the deliveries due in [start, d] are held while d < end
                held += np.where(day < end, np.cumsum(np.where(cut, due, 0.0)), 0.0)
            available = part.opening + extra + part.receipts - held
            if np.any(part.use > available + 1e-9):
                return True
    return False


@pytest.mark.parametrize("seed", range(8))
def test_the_buffer_is_the_least_stock_that_rides_out_every_cutoff(seed: int) -> None:
    part, windows = random_part(seed)
    need = required_stock(part, windows)
    assert not short_somewhere(part, windows, need.units)
    if need.units > 0:
        assert short_somewhere(part, windows, need.units - 0.01)
        assert sum(need.by_supplier.values()) == pytest.approx(need.units)


def test_the_plan_position_rebuilds_its_inventory(demo: tuple[Scenario, Plan]) -> None:
    """At every period's end the day-by-day spare stock is the plan's inventory.csv."""
    scenario, made = demo
    items = {c.item for c in at_risk_suppliers(scenario, BufferOptions())}
    parts = parts_at_sites(scenario, made, items)
    assert len(parts) > 20
    inventory = made.inventory.set_index(["site", "item", "period"])["on_hand"]
    periods = scenario.horizon.periods
    for (site, item), part in parts.items():
        ends = part.spare[scenario.horizon.period_days - 1 :: scenario.horizon.period_days]
        expected = [inventory.get((site, item, t), 0.0) for t in range(1, periods + 1)]
        np.testing.assert_allclose(ends, expected, atol=1e-5, err_msg=f"{site} {item}")


# -- chokepoints and options ---------------------------------------------------------------------
def test_a_long_lead_part_without_a_profile_is_cut_off_for_its_lead_time(tmp_path: Path) -> None:
    """No disruption profile; a lead time of one week (the threshold lowered to it)."""
    document = copy.deepcopy(TINY)
    document["risks"] = {}
    document["suppliers"][0]["supplies"][0]["lead_time_days"] = 7
    document["sites"][0]["initial_inventory"] = {"part": 70}
    scenario = load(document, tmp_path)
    assert at_risk_suppliers(scenario, BufferOptions()) == []  # 7 days is not long by default
    long_lead = BufferOptions(long_lead_days=7)
    (cutoff,) = at_risk_suppliers(scenario, long_lead)
    assert (cutoff.reason, cutoff.window_days, cutoff.probability) == (LONG_LEAD, 7, None)
    (overridden,) = at_risk_suppliers(scenario, BufferOptions(long_lead_days=7, cutoff_days=12.5))
    assert overridden.window_days == 13
    made = plan(scenario, PlanOptions(explain=False))
    row = only_row(size_buffers(scenario, made, long_lead))
    assert row["buffer_units"] == 7 * USE_PER_DAY
    assert math.isnan(row["probability"])


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"probability": 1.5}, "probability"),
        ({"probability": 0.0}, "probability"),
        ({"cutoff_days": -3.0}, "cutoff_days"),
        ({"long_lead_days": -1.0}, "long_lead_days"),
    ],
)
def test_bad_options_are_refused(options: dict[str, float], words: str) -> None:
    with pytest.raises(UsageError, match=words):
        BufferOptions(**options)


# -- the simulator check -------------------------------------------------------------------------
def test_stock_added_to_a_scenario_reaches_the_simulator(tiny: tuple[Scenario, Plan]) -> None:
    scenario, made = tiny
    _ = scenario.site_by_id  # cached before the copy
    buffered = with_stock(scenario, {("plant", "part"): 100.0})
    assert buffered.site_by_id["plant"].initial_inventory == {"part": 100.0}
    assert scenario.site_by_id["plant"].initial_inventory == {}
    # The plan still fits (initial stock is not part of the fit), and the extra stock keeps
    # a run with outages on plan where the plain scenario falls behind.
    profile = outages_only(scenario)
    runs = range(40)
    plain = simulate(scenario, made, runs, seed=5, profile=profile).on_time.sum(axis=1)
    more = simulate(buffered, made, runs, seed=5, profile=profile).on_time.sum(axis=1)
    assert np.all(more >= plain - 1e-9) and np.any(more > plain + 1)


def test_the_longest_outages_are_the_longest_stretches_of_disrupted_days(
    tiny: tuple[Scenario, Plan],
) -> None:
    scenario, _ = tiny
    profile = outages_only(scenario)
    longest = longest_outages(profile, 50, 56, seed=3, chunk=16)
    disrupted = sample_supplier_outages(profile, range(50), 56, seed=3).disrupted
    for run in range(50):
        stretch = best = 0
        for flag in disrupted[run, :, 0]:
            stretch = stretch + 1 if flag else 0
            best = max(best, stretch)
        assert longest[run, 0] == best
    assert longest.max() > 0


def test_the_closed_form_chance_bounds_the_sampled_outages(tiny: tuple[Scenario, Plan]) -> None:
    scenario, _ = tiny
    profile = outages_only(scenario)
    days, runs = 56, 4000
    longest = longest_outages(profile, runs, days, seed=11, chunk=1000)
    sigma = math.log(2) / stats.norm.ppf(0.9)
    for window in (4, 7, 10):
        chance = no_long_outage_probability(profile, {"parts-a": window}, days)
        tail = 1 - stats.lognorm(s=sigma, scale=5).cdf(window)
        assert chance == pytest.approx(math.exp(-8 / 365 * days * tail))
        # A lower bound: outages during another are ignored, the last ones cut short.
        sampled = float((longest[:, 0] <= window).mean())
        assert sampled >= chance - 3 * math.sqrt(chance * (1 - chance) / runs)


def test_the_check_passes_with_the_buffers_and_fails_without(tiny: tuple[Scenario, Plan]) -> None:
    scenario, made = tiny
    buffers = size_buffers(scenario, made)
    check = check_buffers(scenario, made, buffers, runs=120, seed=5)
    assert check.suppliers == {"parts-a": 10}
    assert check.baseline_fill_rate == pytest.approx(check.plan_fill_rate) == pytest.approx(1.0)
    assert check.with_buffers.covered_runs > 80
    assert check.with_buffers.covered_runs_with_loss == 0
    assert check.with_buffers.share_no_loss >= check.target_share_no_loss
    assert check.passed
    without = check.without_buffers
    assert without.covered_runs == check.with_buffers.covered_runs  # the same outages
    assert without.covered_runs_with_loss > 0 and not without.passed
    assert without.on_time_fill_rate["mean"] < check.with_buffers.on_time_fill_rate["mean"]


def test_the_check_fails_buffers_sized_for_a_shorter_cutoff(tiny: tuple[Scenario, Plan]) -> None:
    """Buffers for 5-day cut-offs, checked as if they covered 10 days: covered runs lose units."""
    scenario, made = tiny
    right = size_buffers(scenario, made)
    short = size_buffers(scenario, made, BufferOptions(cutoff_days=5))
    too_small = Buffers(short.table, right.cutoffs, right.options, right.periods)
    check = check_buffers(scenario, made, too_small, runs=120, seed=5)
    assert check.with_buffers.covered_runs_with_loss > 0
    assert not check.passed


def test_the_check_on_the_demo(demo: tuple[Scenario, Plan]) -> None:
    scenario, made = demo
    buffers = size_buffers(scenario, made)
    check = check_buffers(scenario, made, buffers, runs=30, seed=2027)
    assert check.with_buffers.covered_runs > 10
    assert check.with_buffers.covered_runs_with_loss == 0
    assert check.without_buffers.covered_runs_with_loss > 0


# -- command line and report ---------------------------------------------------------------------
def test_the_command_writes_the_files_and_the_report(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(TINY, sort_keys=False), encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(app, ["plan", str(path), "--out", str(tmp_path / "plan")]).exit_code == 0
    out = tmp_path / "buffers"
    arguments = ["buffers", str(path), "--plan", str(tmp_path / "plan"), "--out", str(out)]
    result = runner.invoke(app, [*arguments, "--check-runs", "60"])
    assert result.exit_code == 0, result.output
    assert "passed" in result.output and "part" in result.output
    rows = pd.read_csv(out / "buffers.csv")
    assert list(rows.columns) == [
        "item",
        "supplier",
        "site",
        "cutoff_days",
        "probability",
        "buffer_units",
        "purchase_value",
        "holding_cost_per_period",
    ]
    assert rows["buffer_units"].tolist() == [100.0]
    summary = json.loads((out / "buffers.json").read_text())
    assert summary["totals"]["purchase_value"] == 100 * UNIT_COST
    assert summary["check"]["passed"] is True and summary["check"]["runs"] == 60
    assert summary["check"]["seed"] == 5  # risks.seed
    assert summary["cutoffs"][0]["window_days"] == 10

    page = tmp_path / "buffers.html"
    result = runner.invoke(app, ["report", str(out), "--out", str(page)])
    assert result.exit_code == 0, result.output
    text = page.read_text(encoding="utf-8")
    assert "Buffer stock: tiny-buffers" in text and "passed" in text
    assert "parts-a" in text and ">100<" in text  # the row's units

    result = runner.invoke(app, [*arguments, "--check-runs", "0", "--cutoff-days", "7"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "buffers.json").read_text())
    assert summary["check"] is None and summary["totals"]["buffer_units"] == 70
    assert runner.invoke(app, ["report", str(out), "--out", str(page)]).exit_code == 0
    assert "not run" in page.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("option", "words"),
    [
        (["--probability", "1.5"], "probability must lie strictly between 0 and 1, got 1.5"),
        (["--cutoff-days", "0"], "cutoff_days must be a positive number"),
        (["--check-runs", "-1"], "--check-runs"),
    ],
)
def test_the_command_refuses_bad_input(tmp_path: Path, option: list[str], words: str) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(TINY, sort_keys=False), encoding="utf-8")
    result = CliRunner().invoke(app, ["buffers", str(path), "--out", str(tmp_path / "b"), *option])
    assert result.exit_code == 2
    assert words in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not (tmp_path / "b").exists()
