"""Time to recover after a strike: the rule on hand-built shortfalls, lead times from a plan's
flows, and recovery.csv recomputed from a simulation without the struck site's strikes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dronefab.model.generate import GeneratorOptions, generate_scenario
from dronefab.model.scenario import Scenario
from dronefab.model.schema import SiteRisk
from dronefab.planning.plan import Plan, PlanOptions, plan
from dronefab.simulation.attribution import simulate_without_each
from dronefab.simulation.disruptions import RiskProfile, risk_profile, sample_strikes
from dronefab.simulation.recovery import (
    COLUMNS,
    TOLERANCE,
    lead_days,
    recovery_table,
    strike_recoveries,
)
from dronefab.simulation.results import SimulationResult, simulate

P = 7  # days per period in the hand-built cases
ENDS = np.arange(1, 9) * P  # eight whole periods


def one(shortfall: list[float], strike_day: int, ready_day: int, window_end: int = 8) -> dict:
    """strike_recoveries of a single strike, as plain numbers."""
    found = strike_recoveries(
        np.array([shortfall], dtype=float),
        np.array([strike_day]),
        np.array([ready_day]),
        np.array([window_end]),
        ENDS,
    )
    return {
        "recovered": bool(found.recovered[0]),
        "days": float(found.days_to_recover[0]),
        "before": float(found.before[0]),
        "peak": float(found.peak[0]),
        "left": float(found.left[0]),
    }


def test_a_strike_recovers_when_the_shortfall_is_back_and_stays_back() -> None:
    # Strike on day 10 (period 1), site up and goods through by day 20 (end of period 2 is 21).
    found = one([0, 0, 5, 3, 0.2, 0, 0, 0], strike_day=10, ready_day=20)
    assert found["recovered"]
    assert found["days"] == 5 * P - 10  # the end of period 4 (0-based), the first back at 0
    assert found["before"] == 0
    assert found["peak"] == 5
    assert found["left"] == 0


def test_no_recovery_is_declared_before_the_site_is_repaired_and_its_goods_arrive() -> None:
    # The shortfall never moves (the strike cost nothing), but the site is down until day 30.
    found = one([0] * 8, strike_day=3, ready_day=30)
    assert found["recovered"]
    assert found["days"] == 35 - 3  # period 4 ends on day 35, the first end at or after 30


def test_units_lost_for_good_mean_no_recovery_and_say_how_many() -> None:
    found = one([0, 2, 9, 9, 9, 9, 9, 9], strike_day=8, ready_day=9)
    assert not found["recovered"]
    assert math.isnan(found["days"])
    assert found["left"] == 9
    assert found["peak"] == 9


def test_a_network_already_behind_recovers_to_its_level_before_the_strike() -> None:
    # Behind by 7 at the end of period 2, struck in period 3, back to 7.3 (within tolerance).
    found = one([3, 5, 7, 12, 7.3, 7.3, 7.0, 7.0], strike_day=23, ready_day=24)
    assert TOLERANCE > 0.3
    assert found["before"] == 7
    assert found["recovered"]
    assert found["days"] == 5 * P - 23
    assert found["peak"] == pytest.approx(5)


def test_a_dip_that_does_not_last_is_not_a_recovery() -> None:
    # Back to 0 at period 3, but short again at period 5 (a destroyed material ran out later).
    found = one([0, 4, 0, 0, 0, 6, 0, 0], strike_day=7, ready_day=8)
    assert found["recovered"]
    assert found["days"] == 7 * P - 7  # only from period 6 on does it stay back


def test_the_next_strike_on_the_site_closes_the_window() -> None:
    # Next strike in period 4: the shortfall must be back by the end of period 3.
    found = one([0, 4, 4, 4, 0, 0, 0, 0], strike_day=7, ready_day=8, window_end=4)
    assert not found["recovered"]
    assert found["left"] == 4
    empty = one([0, 4, 4, 4, 0, 0, 0, 0], strike_day=7, ready_day=8, window_end=1)
    assert not empty["recovered"]
    assert math.isnan(empty["peak"]) and math.isnan(empty["left"])


def test_a_strike_too_late_to_be_repaired_in_time_is_censored() -> None:
    found = one([0] * 8, strike_day=50, ready_day=60)
    assert not found["recovered"]
    assert math.isnan(found["days"])


def reference_recovery(
    shortfall: np.ndarray, strike_day: int, ready_day: int, window_end: int, ends: np.ndarray
) -> tuple[bool, float]:
    """The module's rule, one strike at a time and period by period."""
    period = next(t for t, end in enumerate(ends) if strike_day < end)
    before = shortfall[period - 1] if period > 0 else 0.0
    for e in range(period, min(window_end, len(ends))):
        if ends[e] < ready_day:
            continue
        if all(shortfall[k] <= before + TOLERANCE for k in range(e, min(window_end, len(ends)))):
            return True, float(ends[e] - strike_day)
    return False, math.nan


def test_vectorised_rule_matches_a_loop_on_random_shortfalls() -> None:
    rng = np.random.default_rng(5)
    strikes, periods = 400, 12
    ends = np.minimum(np.arange(1, periods + 1) * P, 80)  # the last period is cut at day 80
    steps = rng.choice([-3.0, -1.0, 0.0, 0.0, 0.0, 0.2, 2.0, 5.0], size=(strikes, periods))
    shortfall = np.cumsum(steps, axis=1)
    strike_day = rng.integers(0, 80, strikes)
    ready_day = strike_day + rng.integers(0, 40, strikes)
    window_end = np.minimum(strike_day // P + rng.integers(0, 8, strikes), periods)
    found = strike_recoveries(shortfall, strike_day, ready_day, window_end, ends)
    for n in range(strikes):
        recovered, days = reference_recovery(
            shortfall[n], int(strike_day[n]), int(ready_day[n]), int(window_end[n]), ends
        )
        assert found.recovered[n] == recovered, n
        if recovered:
            assert found.days_to_recover[n] == days, n
    assert 0 < found.recovered.sum() < strikes  # both outcomes were exercised


def flows_plan(shipments: list[tuple], transfers: list[tuple]) -> Plan:
    """A plan holding only shipments and transfers (what lead_days reads)."""
    empty = pd.DataFrame()
    return Plan(
        production=empty,
        purchases=empty,
        shipments=pd.DataFrame(
            shipments,
            columns=["site", "customer", "item", "ship_period", "arrival_period", "quantity"],
        ),
        transfers=pd.DataFrame(
            transfers,
            columns=["from_site", "to_site", "item", "ship_period", "arrival_period", "quantity"],
        ),
        inventory=empty,
        backlog=empty,
        capacity=empty,
        explanations=empty,
        station_value=empty,
    )


def test_lead_days_stop_on_a_cycle_of_transfers() -> None:
    result = flows_plan(
        shipments=[
            ("c", "army", "quad", 1, 3, 10.0),  # 2 periods to the customer
            ("b", "army", "quad", 1, 1, 10.0),  # same period
            ("e", "army", "quad", 1, 4, 1e-12),  # dust: not a flow
        ],
        transfers=[
            ("a", "b", "kit", 1, 2, 5.0),  # a -> b: 1 period, then b ships at once
            ("a", "c", "kit", 2, 3, 5.0),  # a -> c: 1 period, then 2 more
            ("b", "d", "kit", 1, 2, 5.0),  # d feeds no customer
            ("c", "a", "kit", 1, 1, 5.0),  # a cycle a -> c -> a
        ],
    )
    sites = ["a", "b", "c", "d", "e"]
    leads = dict(zip(sites, lead_days(result, sites, P).tolist(), strict=True))
    assert leads["b"] == 0 and leads["d"] == 0 and leads["e"] == 0  # outside the cycle: exact
    assert leads["a"] >= 3 * P and leads["c"] >= 2 * P  # on it: at least the longest simple path
    assert max(leads.values()) <= len(sites) * 3 * P  # bounded: the relaxation stopped


def test_lead_days_of_a_plan_without_cycles_are_exact() -> None:
    result = flows_plan(
        shipments=[("c", "army", "quad", 1, 3, 10.0), ("b", "army", "quad", 1, 1, 10.0)],
        transfers=[("a", "b", "kit", 1, 2, 5.0), ("a", "c", "kit", 2, 3, 5.0)],
    )
    sites = ["a", "b", "c"]
    assert lead_days(result, sites, P).tolist() == [3 * P, 0, 2 * P]


# -- recovery.csv on a simulated network ----------------------------------------------------------
def struck_network() -> tuple[Scenario, Plan]:
    """A small generated network whose sites are struck often (so runs hold many strikes)."""
    scenario = generate_scenario(GeneratorOptions(sites=3, periods=10, seed=3))
    sites = {s.id: SiteRisk(strikes_per_year=8.0) for s in scenario.sites}
    risks = scenario.risks.model_copy(update={"sites": sites})
    scenario = scenario.model_copy(update={"risks": risks})
    return scenario, plan(scenario, PlanOptions(explain=False))


@pytest.fixture(scope="module")
def struck() -> tuple[Scenario, Plan, SimulationResult, RiskProfile, pd.DataFrame]:
    scenario, made = struck_network()
    profile = risk_profile(scenario)
    seed = 4
    result = simulate(scenario, made, 24, seed=seed, chunk=10)

    def rerun(modified: RiskProfile, runs: list[int]) -> SimulationResult:
        return simulate(scenario, made, runs, seed=seed, chunk=10, profile=modified)

    counterfactuals = simulate_without_each(result, profile, rerun, runs=24)
    return scenario, made, result, profile, recovery_table(counterfactuals, made, profile, seed)


def test_recovery_has_a_row_per_effective_strike(struck: tuple) -> None:
    _, _, result, profile, table = struck
    assert tuple(table.columns) == COLUMNS
    per_site = table.groupby("site").size().reindex(list(profile.sites), fill_value=0)
    assert per_site.to_numpy().tolist() == result.strikes.sum(axis=0).tolist()
    draws = sample_strikes(profile, list(range(24)), result.inputs.days, 4)
    run, site, k = np.nonzero(draws.effective)
    assert sorted(zip(table["run"], table["site"], table["strike_day"], strict=True)) == sorted(
        zip(
            run.tolist(),
            [profile.sites[s] for s in site],
            np.floor(draws.times[run, site, k]).astype(int).tolist(),
            strict=True,
        )
    )
    assert table["recovered"].any() and not table["recovered"].all()


def test_recovery_recomputed_from_a_scenario_without_the_sites_strikes(struck: tuple) -> None:
    """The yardstick rebuilt independently: the scenario itself with one site never struck."""
    scenario, made, result, profile, table = struck
    period_days, days = result.inputs.period_days, result.inputs.days
    ends = np.minimum(np.arange(1, result.inputs.out_periods + 1) * period_days, days)
    leads = dict(zip(profile.sites, lead_days(made, profile.sites, period_days), strict=True))
    delivered = result.delivered.sum(axis=1)
    checked = 0
    for site_id in profile.sites:
        sites = dict(scenario.risks.sites)
        sites[site_id] = SiteRisk(strikes_per_year=0.0)
        calm = scenario.model_copy(
            update={"risks": scenario.risks.model_copy(update={"sites": sites})}
        )
        without = simulate(calm, made, 24, seed=4).delivered.sum(axis=1)
        shortfall = np.cumsum(without - delivered, axis=1)
        rows = table[table["site"] == site_id].sort_values(["run", "strike_day"])
        for run, strikes in rows.groupby("run"):
            days_struck = strikes["strike_day"].tolist()
            for n, row in enumerate(strikes.itertuples()):
                next_period = (
                    days_struck[n + 1] // period_days if n + 1 < len(days_struck) else len(ends)
                )
                repaired = _repair_end(profile, run, site_id, row.strike_day, days)
                up = int(np.floor(repaired + 0.5))
                recovered, days_to = reference_recovery(
                    shortfall[run], row.strike_day, up + int(leads[site_id]), next_period, ends
                )
                assert row.recovered == recovered, (site_id, run, row.strike_day)
                if recovered:
                    assert row.days_to_recover == days_to
                checked += 1
    assert checked == len(table)


def _repair_end(profile: RiskProfile, run: int, site: str, strike_day: int, days: int) -> float:
    """The end of the repair, ``x + R``, of the effective strike of ``site`` on ``strike_day``."""
    draws = sample_strikes(profile, [run], days, 4)
    s = profile.sites.index(site)
    for k in np.flatnonzero(draws.effective[0, s]):
        if math.floor(draws.times[0, s, k]) == strike_day:
            return float(draws.times[0, s, k] + draws.repairs[0, s, k])
    message = f"no strike of {site} on day {strike_day} in run {run}"
    raise AssertionError(message)
