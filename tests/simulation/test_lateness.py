"""The stress test's lateness figures: worked out by hand on two runs, then summary.json's per
customer and per product figures on a stress-tested network."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from dronefab.model.generate import GeneratorOptions, generate_scenario
from dronefab.planning.plan import PlanOptions, plan
from dronefab.planning.tables import on_time_by_due_period
from dronefab.readback import SimulationSummary, read_summary
from dronefab.report.html import percent
from dronefab.report.lateness_section import NOT_MEASURED, lateness_section, period_words
from dronefab.report.simulation_page import read_simulation, render_simulation_report
from dronefab.simulation.lateness import LATENESS_KEYS, Lateness, fifo_counts
from dronefab.simulation.output import StressTest, run_stress_test

# One product, five weekly periods. Demand: 10 due in period 1, 10 in period 3. The plan
# delivers 10 in period 2 and 5 in period 4, so the rows are promised periods 2 and 4 (5 of the
# second never promised): promised = planned.
DEMAND = np.array([[10.0, 0.0, 10.0, 0.0, 0.0]])
PLANNED = np.array([[0.0, 10.0, 0.0, 5.0, 0.0]])
# Run 0 goes as planned. Run 1 delivers 6 in period 3 and 7 in period 5: oldest first, 6 of the
# units due in 1 arrive 2 periods late, 4 of them 4 late, 3 of those due in 3 arrive 2 late.
DELIVERED = np.array([PLANNED[0], [0.0, 0.0, 6.0, 0.0, 7.0]])[:, None, :]
BY_HAND = {
    # run 0: every promise kept; run 1: its first delivery (period 3) is after the promise of
    # period 2 for the units it serves, its second (period 5) after both promises.
    "kept_promise_share": [1.0, 0.0],
    "arrived_share": [1.0, 13 / 15],
    # run 0: all 15 one period late; run 1: none within 1, 6 + 3 within 2, 13 within 4.
    "within_1_period_share": [15 / 20, 0.0],
    "within_2_periods_share": [15 / 20, 9 / 20],
    "within_4_periods_share": [15 / 20, 13 / 20],
    # run 0: 15 units a period (7 days) late each; run 1: (6 x 2 + 4 x 4 + 3 x 2) / 13 periods.
    "mean_days_late": [7.0, (6 * 2 + 4 * 4 + 3 * 2) / 13 * 7],
}


def test_lateness_by_hand() -> None:
    lateness = Lateness(DEMAND, PLANNED, PLANNED, DELIVERED, 7)
    figures = lateness.figures(np.array([True]))
    assert set(figures) == {*LATENESS_KEYS, "within_periods"}
    for key, runs in BY_HAND.items():
        assert figures[key]["mean"] == pytest.approx(np.mean(runs)), key
        assert figures[key]["p10"] == pytest.approx(np.quantile(runs, 0.1)), key
        assert figures[key]["p90"] == pytest.approx(np.quantile(runs, 0.9)), key
    curve = figures["within_periods"]
    assert curve["k"] == list(range(9))
    # k = 0: nothing on time in either run; from k = 4 on, all that arrived.
    assert curve["mean"][0] == 0.0
    assert curve["mean"][8] == pytest.approx((15 / 20 + 13 / 20) / 2)
    assert all(low <= high for low, high in zip(curve["p10"], curve["p90"], strict=True))
    assert curve["mean"] == sorted(curve["mean"])  # more periods allowed, never fewer units


def test_a_run_delivering_nothing_is_never_within_and_zero_days_late() -> None:
    lateness = Lateness(DEMAND, PLANNED, PLANNED, np.zeros((1, 1, 5)), 7)
    figures = lateness.figures(np.array([True]))
    assert figures["kept_promise_share"]["mean"] == 0.0
    assert figures["within_4_periods_share"]["mean"] == 0.0
    assert figures["mean_days_late"]["mean"] == 0.0


@pytest.fixture(scope="module")
def stressed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A stress-tested generated network of two products: its folder and summary."""
    folder = tmp_path_factory.mktemp("lateness") / "sim"
    scenario = generate_scenario(GeneratorOptions(sites=3, periods=8, seed=9, products=2))
    the_plan = plan(scenario, PlanOptions(explain=False))
    options = StressTest(runs=16, seed=3, attribution_runs=0)
    return folder, run_stress_test(scenario, the_plan, folder, options)


def test_summary_per_customer_and_product(stressed: tuple[Path, dict[str, Any]]) -> None:
    """Each product's figures on their own; the customer's shares of demand are their
    demand-weighted means; summary.json reads back."""
    folder, summary = stressed
    read_summary(folder / "summary.json", SimulationSummary, "dronefab simulate")
    written = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert written["customers"] == summary["customers"]
    several = 0
    for figures in summary["customers"].values():
        products = figures["products"]
        several += len(products) > 1
        assert set(figures) >= LATENESS_KEYS
        assert sum(p["demand"] for p in products.values()) == pytest.approx(figures["demand"])
        for key in ("within_1_period_share", "within_2_periods_share", "within_4_periods_share"):
            weighted = sum(p["demand"] * p[key]["mean"] for p in products.values())
            assert weighted / figures["demand"] == pytest.approx(figures[key]["mean"])
        for product in products.values():
            assert {"demand", "planned", "delivered", "on_time_fill_rate"} <= set(product)
            assert set(product) >= LATENESS_KEYS
            share = product["within_1_period_share"]["mean"]
            assert product["on_time_fill_rate"]["mean"] <= share + 1e-12
    assert several  # the network has customers of more than one product


def test_page_tells_each_customer_and_product_in_words(
    stressed: tuple[Path, dict[str, Any]],
) -> None:
    folder, summary = stressed
    page = render_simulation_report(read_simulation(folder))
    assert '<section id="lateness">' in page
    assert summary["period_days"] == 7
    for customer, figures in summary["customers"].items():
        arrived = percent(figures["arrived_share"]["mean"])
        kept = percent(figures["kept_promise_share"]["mean"])
        assert f"Under the stress test {arrived} of the planned units arrive" in page
        assert f"is kept for {kept} of the promised units" in page
        assert f'data-customer="{customer}"' in page
        for item, product in figures["products"].items():
            within = percent(product["within_2_periods_share"]["mean"])
            assert f"{within} within 2 weeks" in page
            assert f'data-product="{item}"' in page
    assert page.count('id="figure-lateness-') == len(summary["customers"])


def test_periods_named_in_weeks_or_in_days() -> None:
    assert period_words(7, 1) == "1 week"
    assert period_words(7, 2) == "2 weeks"
    assert period_words(10, 2) == "2 periods of 10 days"
    assert period_words(10, 1) == "1 period of 10 days"


def test_a_folder_without_the_figures_says_so() -> None:
    old = {"period_days": 7, "customers": {"army": {"demand": 1.0, "planned": 1.0}}}
    assert NOT_MEASURED in lateness_section(old)


def test_compiled_matching_equals_the_closed_form() -> None:
    """Units due in t delivered by t + k: clip(C(t + k) - D(t - 1), 0, d(t)), summed, for
    random demand and deliveries (early ones among them, and more than the demand)."""
    rng = np.random.default_rng(4)
    demand = rng.integers(0, 30, (3, 12)).astype(float) * (rng.random((3, 12)) < 0.6)
    delivered = rng.random((5, 3, 12)) * 25
    counts = fifo_counts(demand, delivered, 8)
    cumulative = np.cumsum(delivered, axis=-1)
    before = np.cumsum(demand, axis=-1) - demand
    for k in range(9):
        reached = cumulative[..., np.minimum(np.arange(12) + k, 11)]
        closed = np.clip(reached - before, 0.0, demand).sum(axis=-1)
        np.testing.assert_allclose(counts[: k + 1].sum(axis=0), closed, atol=1e-9)
    on_time, _ = on_time_by_due_period(np.broadcast_to(demand, delivered.shape), delivered)
    np.testing.assert_allclose(counts[0], on_time.sum(axis=-1), atol=1e-9)
    matched = np.minimum(delivered.sum(axis=-1), demand.sum(axis=-1))
    np.testing.assert_allclose(counts[9], matched, atol=1e-9)
