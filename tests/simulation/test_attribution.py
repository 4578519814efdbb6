"""Attribution by common random numbers: switching one node off leaves every other draw as it
was, a node without risk costs nothing, and the units lost match a scenario with that node's
risk removed at the source."""

from __future__ import annotations

import numpy as np
import pytest

from dronefab.model.generate import GeneratorOptions, generate_scenario
from dronefab.model.scenario import Scenario
from dronefab.model.schema import SiteRisk, SupplierRisk
from dronefab.planning.plan import Plan, PlanOptions, plan
from dronefab.simulation.attribution import (
    COLUMNS,
    RiskNode,
    attribution_table,
    risk_nodes,
    simulate_without_each,
    without,
)
from dronefab.simulation.disruptions import (
    RiskProfile,
    risk_profile,
    sample_alerts,
    sample_strikes,
    sample_supplier_outages,
)
from dronefab.simulation.results import SimulationResult, simulate

SEED = 9
RUNS = 16


def risky_network() -> tuple[Scenario, Plan]:
    """A small generated network with strikes on every site and outages at two suppliers."""
    scenario = generate_scenario(GeneratorOptions(sites=3, periods=10, seed=3))
    sites = {
        s.id: SiteRisk(strikes_per_year=rate)
        for s, rate in zip(scenario.sites, (6, 3, 0), strict=True)
    }
    outage = SupplierRisk(disruptions_per_year=4, duration_days_median=20, duration_days_p90=40)
    suppliers = {u.id: outage for u in scenario.suppliers[:2]}
    risks = scenario.risks.model_copy(update={"sites": sites, "suppliers": suppliers})
    scenario = scenario.model_copy(update={"risks": risks})
    return scenario, plan(scenario, PlanOptions(explain=False))


@pytest.fixture(scope="module")
def network() -> tuple[Scenario, Plan, RiskProfile]:
    scenario, made = risky_network()
    return scenario, made, risk_profile(scenario)


def rerun_of(scenario: Scenario, made: Plan):  # type: ignore[no-untyped-def]
    def rerun(profile: RiskProfile, runs: list[int]) -> SimulationResult:
        return simulate(scenario, made, runs, seed=SEED, chunk=7, profile=profile)

    return rerun


def node(profile: RiskProfile, kind: str, index: int) -> RiskNode:
    return next(n for n in risk_nodes(profile) if n.kind == kind and n.index == index)


def test_switching_a_site_off_leaves_every_other_draw_as_it_was(network: tuple) -> None:
    _, _, profile = network
    runs, days = list(range(40)), 400
    before = sample_strikes(profile, runs, days, SEED)
    after = sample_strikes(without(profile, node(profile, "site", 0)), runs, days, SEED)
    assert before.counts[:, 0].sum() > 0 and after.counts[:, 0].sum() == 0
    assert not after.down[:, :, 0].any()
    for site in range(1, len(profile.sites)):
        np.testing.assert_array_equal(after.down[:, :, site], before.down[:, :, site])
        np.testing.assert_array_equal(after.counts[:, site], before.counts[:, site])
        for run in runs:
            count = before.counts[run, site]
            np.testing.assert_array_equal(
                after.times[run, site, :count], before.times[run, site, :count]
            )
            np.testing.assert_array_equal(
                after.repairs[run, site, :count], before.repairs[run, site, :count]
            )
    alerts = sample_alerts(without(profile, node(profile, "site", 0)), runs, days, SEED)
    np.testing.assert_array_equal(alerts, sample_alerts(profile, runs, days, SEED))
    outages = sample_supplier_outages(without(profile, node(profile, "site", 0)), runs, days, SEED)
    np.testing.assert_array_equal(
        outages.disrupted, sample_supplier_outages(profile, runs, days, SEED).disrupted
    )


def test_switching_a_supplier_off_leaves_the_other_suppliers_as_they_were(network: tuple) -> None:
    _, _, profile = network
    runs, days = list(range(40)), 400
    before = sample_supplier_outages(profile, runs, days, SEED)
    after = sample_supplier_outages(
        without(profile, node(profile, "supplier", 0)), runs, days, SEED
    )
    assert before.disrupted[:, :, 0].any() and not after.disrupted[:, :, 0].any()
    np.testing.assert_array_equal(after.disrupted[:, :, 1:], before.disrupted[:, :, 1:])
    np.testing.assert_array_equal(
        sample_strikes(without(profile, node(profile, "supplier", 0)), runs, days, SEED).down,
        sample_strikes(profile, runs, days, SEED).down,
    )


def test_the_engine_sees_the_other_sites_struck_exactly_as_before(network: tuple) -> None:
    scenario, made, profile = network
    base = simulate(scenario, made, RUNS, seed=SEED, chunk=7)
    off = simulate(
        scenario, made, RUNS, seed=SEED, chunk=7, profile=without(profile, node(profile, "site", 0))
    )
    assert base.strikes[:, 0].sum() > 0 and off.strikes[:, 0].sum() == 0
    np.testing.assert_array_equal(off.strikes[:, 1:], base.strikes[:, 1:])
    np.testing.assert_array_equal(off.days_down[:, 1:], base.days_down[:, 1:])


def test_a_node_without_risk_costs_nothing_when_simulated_again(network: tuple) -> None:
    scenario, made, profile = network
    base = simulate(scenario, made, RUNS, seed=SEED, chunk=7)
    calm = [n for n in risk_nodes(profile) if n.per_year == 0]
    assert {n.kind for n in calm} == {"site", "supplier"}
    again = simulate_without_each(base, profile, rerun_of(scenario, made), RUNS, nodes=calm)
    for each in calm:
        units, on_time = again.units_gained(each)
        np.testing.assert_array_equal(units, np.zeros(RUNS))
        np.testing.assert_array_equal(on_time, np.zeros(RUNS))


def test_units_lost_match_a_scenario_without_that_sites_strikes(network: tuple) -> None:
    """Removing the risk in the scenario (not in the profile) gives the same runs."""
    scenario, made, profile = network
    base = simulate(scenario, made, RUNS, seed=SEED, chunk=7)
    steps: list[tuple[int, int, str]] = []
    counterfactuals = simulate_without_each(
        base,
        profile,
        rerun_of(scenario, made),
        RUNS,
        progress=lambda done, total, n: steps.append((done, total, n.id)),
    )
    table = attribution_table(counterfactuals)
    assert tuple(table.columns) == COLUMNS
    at_risk = [n for n in risk_nodes(profile) if n.per_year > 0]
    assert [s[:2] for s in steps] == [(n, len(at_risk)) for n in range(len(at_risk))]
    assert len(table) == len(profile.sites) + len(profile.suppliers)
    assert table["units_lost_mean"].is_monotonic_decreasing

    first = scenario.sites[0].id
    sites = dict(scenario.risks.sites)
    sites[first] = SiteRisk(strikes_per_year=0.0)
    calm = scenario.model_copy(update={"risks": scenario.risks.model_copy(update={"sites": sites})})
    lost = simulate(calm, made, RUNS, seed=SEED).delivered.sum(axis=(1, 2)) - base.delivered.sum(
        axis=(1, 2)
    )
    row = table[(table["node"] == first) & (table["kind"] == "site")].iloc[0]
    assert row["units_lost_mean"] == pytest.approx(lost.mean(), rel=1e-12, abs=1e-9)
    half = 1.959963984540054 * lost.std(ddof=1) / np.sqrt(RUNS)
    assert row["ci_low"] == pytest.approx(lost.mean() - half, rel=1e-9, abs=1e-9)
    assert row["ci_high"] == pytest.approx(lost.mean() + half, rel=1e-9, abs=1e-9)
    assert row["units_lost_mean"] > 0, "six strikes a year must cost units"
    quiet = table[table["events_per_year"] == 0]
    assert (quiet[["units_lost_mean", "on_time_lost_mean", "ci_low", "ci_high"]] == 0).all().all()


def test_attribution_uses_the_first_runs_only(network: tuple) -> None:
    scenario, made, profile = network
    base = simulate(scenario, made, RUNS, seed=SEED, chunk=7)
    asked: list[list[int]] = []

    def rerun(modified: RiskProfile, runs: list[int]) -> SimulationResult:
        asked.append(list(runs))
        return rerun_of(scenario, made)(modified, runs)

    counterfactuals = simulate_without_each(base, profile, rerun, runs=5)
    assert asked and all(runs == [0, 1, 2, 3, 4] for runs in asked)
    assert counterfactuals.base.runs.tolist() == [0, 1, 2, 3, 4]
    assert (attribution_table(counterfactuals)["runs"] == 5).all()
