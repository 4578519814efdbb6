"""The SimPy reference model against what is known without it.

Expectations are computed independently of the model: the plan's own deliveries (zero risk),
the closed form ``1 / (1 + r D)`` of a fully loaded site under strikes, and hand-made draws
whose effect is known (an outage that holds back a purchase, a strike that destroys stock).
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

import dronefab
from dronefab.model.demo import load_demo
from dronefab.model.generate import GeneratorOptions, generate_scenario
from dronefab.model.scenario import Scenario
from dronefab.model.schema import Risks, SiteRisk, SupplierRisk
from dronefab.planning.plan import Plan, PlanOptions, plan
from dronefab.planning.tables import on_time_by_due_period
from dronefab.simulation.disruptions import (
    lognormal_params,
    risk_profile,
    sample_supplier_outages,
)

from .reference_simpy import (
    PlanCalendar,
    ReferenceRun,
    draws_for_run,
    lane_flows,
    on_time_units,
    piecewise,
    plan_time_reached,
    prepare,
    quiet_draws,
    run_reference,
    run_reference_own_draws,
)

SCENARIOS = Path(__file__).parents[1] / "model" / "scenarios"


def _without_risk(scenario: Scenario) -> Scenario:
    """No strikes, outages or lane delays; every site's alert hours equal its planned downtime."""
    sites = {
        s.id: SiteRisk(strikes_per_year=0.0, alert_hours_per_day_mean=s.downtime_hours_per_day)
        for s in scenario.sites
    }
    return scenario.model_copy(update={"risks": Risks(sites=sites)})


def _planned(scenario: Scenario) -> tuple[Scenario, Plan]:
    return scenario, plan(scenario, PlanOptions(explain=False))


def _plan_deliveries(the_plan: Plan) -> dict[tuple[str, str, int], float]:
    return {
        (r.customer, r.item, int(r.period)): float(r.delivered)
        for r in the_plan.backlog.itertuples()
    }


def _cumulative_by_series(
    delivered: dict[tuple[str, str, int], float], periods: int
) -> dict[tuple[str, str], list[float]]:
    out: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0] * periods)
    for (customer, item, period), quantity in delivered.items():
        out[customer, item][min(period, periods) - 1] += quantity
    return {key: list(np.cumsum(values)) for key, values in out.items()}


# -- helpers of the model ------------------------------------------------------------------------
def test_piecewise_and_its_inverse() -> None:
    values = [0.0, 7.0, 7.0, 21.0]  # 7 in period 1, nothing in 2, 14 in 3 (P = 7)
    always = PlanCalendar.open_days(7, 3)
    assert piecewise(values, 3.5, always) == pytest.approx(3.5)
    assert piecewise(values, 10.0, always) == pytest.approx(7.0)
    assert piecewise(values, 17.5, always) == pytest.approx(14.0)
    assert piecewise(values, 100.0, always) == 21.0
    assert plan_time_reached(values, 3.5, always) == pytest.approx(3.5)
    assert plan_time_reached(values, 7.0, always) == pytest.approx(14.0)  # flat period covered
    assert plan_time_reached(values, 14.0, always) == pytest.approx(17.5)
    assert plan_time_reached(values, 21.0, always) == math.inf


def test_open_days_weigh_activities_within_a_period() -> None:
    # Opens on day 3 and closes on day 18 (P = 7): period 1 is open on days 3-6 (4 days),
    # period 2 every day, period 3 on days 14-17 (4 days); period 4 has no open day.
    calendar = PlanCalendar.open_days(7, 4, opens=3, closes=18)
    assert calendar.weights[0] == [0, 0, 0, 1, 1, 1, 1]
    assert calendar.weights[2] == [1, 1, 1, 1, 0, 0, 0]
    assert calendar.weights[3] == [1] * 7
    values = [0.0, 8.0, 15.0, 23.0, 30.0]
    assert piecewise(values, 3.0, calendar) == 0.0  # nothing before the opening
    assert piecewise(values, 4.5, calendar) == pytest.approx(3.0)  # 1.5 of 4 open days
    assert piecewise(values, 10.5, calendar) == pytest.approx(11.5)  # a fully open period
    assert piecewise(values, 16.0, calendar) == pytest.approx(19.0)  # 2 of 4 open days
    assert piecewise(values, 18.0, calendar) == pytest.approx(23.0)  # closed: all done
    assert piecewise(values, 24.5, calendar) == pytest.approx(26.5)  # no open day: even
    assert plan_time_reached(values, 0.0, calendar) == pytest.approx(3.0)  # closed days pass
    assert plan_time_reached(values, 3.0, calendar) == pytest.approx(4.5)
    assert plan_time_reached(values, 19.0, calendar) == pytest.approx(16.0)
    assert plan_time_reached(values, 23.0, calendar) == pytest.approx(21.0)  # to period 4
    # Work-center rates: the period's hours over its open days, nothing on a closed day.
    hours = [8.0, 14.0, 8.0, 7.0]
    assert [calendar.rate(hours, d) for d in (0, 2, 3, 6, 7, 15, 17, 18, 21, 28)] == [
        0.0, 0.0, 2.0, 2.0, 2.0, 2.0, 2.0, 0.0, 1.0, 0.0
    ]  # fmt: skip


def test_on_time_units_match_oldest_demand_first() -> None:
    demand = [10.0, 0.0, 5.0, 8.0]
    delivered = {1: 4.0, 2: 9.0, 4: 6.0, 6: 4.0}  # period 6 is after the horizon: never on time
    expected, _ = on_time_by_due_period(np.array(demand), np.array([4.0, 9.0, 0.0, 6.0]))
    assert on_time_units(demand, delivered) == pytest.approx(expected.sum())
    assert on_time_units(demand, delivered) == pytest.approx(4 + 0 + 3 + 4)


# -- zero risk reproduces the plan ---------------------------------------------------------------
def _assert_reproduces_plan(scenario: Scenario) -> None:
    scenario, the_plan = _planned(_without_risk(scenario))
    run = run_reference(scenario, the_plan, None, None)
    expected = _plan_deliveries(the_plan)
    scale = max(1.0, max(expected.values(), default=1.0))
    for key, quantity in expected.items():
        assert run.delivered.get(key, 0.0) == pytest.approx(quantity, abs=1e-6 * scale), key
    assert set(run.delivered) <= set(expected)
    for key in run.backlog_end:
        planned_end = the_plan.backlog[
            (the_plan.backlog["customer"] == key[0]) & (the_plan.backlog["item"] == key[1])
        ]["backlog"].iloc[-1]
        assert run.backlog_end[key] == pytest.approx(planned_end, abs=1e-6 * scale)
    assert all(r.days_down == 0 and r.stock_destroyed == 0 for r in run.sites.values())


def test_zero_risk_reproduces_minimal() -> None:
    _assert_reproduces_plan(dronefab.load_scenario(SCENARIOS / "minimal.yaml"))


def test_zero_risk_reproduces_generated_network() -> None:
    _assert_reproduces_plan(generate_scenario(GeneratorOptions(sites=3, periods=8, seed=0)))


def test_zero_risk_reproduces_demo() -> None:
    _assert_reproduces_plan(load_demo())


@pytest.mark.parametrize("seed", [1, 2, 3, 5, 7, 11, 13])
def test_zero_risk_with_mid_period_opening_or_receipt(seed: int) -> None:
    # Every seed has a site opening mid-period and orders already placed arriving mid-period:
    # activities follow the open days, such orders count from the period's first day, and so do
    # transfers in their arrival period (design note, "Open days", "Orders already placed" and
    # "Arrivals"). Seeds 1, 5 and 7 lagged while transfers arrived L P days after leaving.
    _assert_reproduces_plan(generate_scenario(GeneratorOptions(sites=3, periods=8, seed=seed)))


# -- the closed form -----------------------------------------------------------------------------
RATE = 0.04  # strikes per day
REPAIR = 5.0  # days, fixed
CLOSED_FORM_YAML = f"""\
format: dronefab/1
name: one-line
horizon: {{start: 2026-01-05, periods: 52, period_days: 7}}
organizations:
  - {{id: maker, name: Maker, role: manufacturer}}
  - {{id: army, name: Army, role: customer}}
items:
  - {{id: quad, name: Quad, kind: product, holding_cost: 1}}
routings:
  - {{item: quad, step: 10, work_center: line, minutes: 60}}
sites:
  - id: plant
    name: Plant
    operator: maker
    distance_to_front_km: 30
    days_per_week: 7
    makes: [quad]
    work_centers:
      - {{id: line, stations: 1, hours_per_day: 8}}
customers:
  - {{id: army, name: Army, backlog_penalty: 100, organization: army}}
lanes:
  - {{from: plant, to: army, transit_days: 0}}
demand:
{"".join(f"  - {{customer: army, item: quad, due: 2026-{1 + w // 4:02d}-{5 + 7 * (w % 4):02d}, quantity: 1000}}" + chr(10) for w in range(40))}risks:
  strike_rate_by_distance: [{{max_km: 100, per_year: {RATE * 365}}}]
  strike: {{repair_days_median: {REPAIR}, repair_days_p90: {REPAIR}, inventory_loss_fraction: 0.3}}
"""


@pytest.fixture(scope="module")
def one_line(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scenario, Plan]:
    """One site, one product, no materials, demand far above capacity: 100 % planned use."""
    path = tmp_path_factory.mktemp("closed-form") / "one-line.yaml"
    path.write_text(CLOSED_FORM_YAML, encoding="utf-8")
    return _planned(dronefab.load_scenario(path))


def test_closed_form_site_is_fully_loaded(one_line: tuple[Scenario, Plan]) -> None:
    _, the_plan = one_line
    capacity = the_plan.capacity
    assert np.allclose(capacity["used_hours"], capacity["available_hours"], rtol=1e-9)
    assert the_plan.purchases.empty


def test_closed_form_delivered_share(one_line: tuple[Scenario, Plan]) -> None:
    scenario, the_plan = one_line
    network = prepare(scenario, the_plan)
    planned = sum(_plan_deliveries(the_plan).values())
    days = scenario.horizon.periods * scenario.horizon.period_days
    rng = np.random.default_rng(20260105)
    shares, up_shares = [], []
    for _ in range(1500):
        run = run_reference_own_draws(scenario, the_plan, None, rng, network=network)
        shares.append(sum(run.delivered.values()) / planned)
        up_shares.append(1 - run.sites["plant"].days_down / days)
    # No catch-up at 100 % use: every up day carries out exactly one plan day.
    assert shares == pytest.approx(up_shares, abs=1e-9)
    mean, se = float(np.mean(shares)), float(np.std(shares, ddof=1) / math.sqrt(len(shares)))
    up = 1 / (1 + RATE * REPAIR)
    # The closed form is the long-run share. A run starts up rather than in the stationary state
    # (where it would be down with probability 1 - up, with D / 2 of repair left on average),
    # which adds ``up (1 - up) D / (2 H)`` over ``H`` days: 0.1 %, a third of the interval.
    start_up = up * (1 - up) * REPAIR / (2 * days)
    assert abs(mean - (up + start_up)) < 4 * se, (mean, se, up, start_up)


# -- disruptions with a known effect -------------------------------------------------------------
@pytest.fixture(scope="module")
def minimal() -> tuple[Scenario, Plan]:
    return _planned(_without_risk(dronefab.load_scenario(SCENARIOS / "minimal.yaml")))


def _total(run: ReferenceRun) -> float:
    return sum(run.delivered.values())


def test_supplier_outage_delays_arrivals_and_deliveries(
    minimal: tuple[Scenario, Plan],
) -> None:
    scenario, the_plan = minimal
    network = prepare(scenario, the_plan)
    days = 56
    draws = quiet_draws(network, days)
    outage = range(7, 28)
    draws.disrupted[list(outage), network.suppliers.index("motors-a")] = True
    base = run_reference(scenario, the_plan, days, None, network=network)
    hit = run_reference(scenario, the_plan, days, draws, network=network)

    held_back = [r for r in hit.receipts if r.supplier == "motors-a" and r.due in outage]
    assert held_back, "the plan has purchases due during the outage"
    assert all(r.received == outage.stop for r in held_back)
    assert all(
        r.received == r.due for r in hit.receipts if r.supplier is None or r.due not in outage
    )
    cumulative_hit = _cumulative_by_series(hit.delivered, scenario.horizon.periods)
    cumulative_base = _cumulative_by_series(base.delivered, scenario.horizon.periods)
    for key, values in cumulative_hit.items():
        assert all(h <= b + 1e-9 for h, b in zip(values, cumulative_base[key], strict=True))
        assert sum(b - h for h, b in zip(values, cumulative_base[key], strict=True)) > 1.0
    assert sum(hit.on_time.values()) < sum(base.on_time.values()) - 1.0
    # A longer outage leaves units undelivered at the end of the horizon.
    draws.disrupted[28:50, network.suppliers.index("motors-a")] = True
    longer = run_reference(scenario, the_plan, days, draws, network=network)
    assert _total(longer) < _total(base) - 1.0
    assert sum(longer.backlog_end.values()) > sum(base.backlog_end.values()) + 1.0


def test_strike_destroys_stock_and_lowers_output(minimal: tuple[Scenario, Plan]) -> None:
    scenario, the_plan = minimal
    network = prepare(scenario, the_plan)
    days = 56
    draws = quiet_draws(network, days)
    draws.strike_day[10, 0] = True
    draws.down[10:20, 0] = True
    draws.strikes[0] = 1
    base = run_reference(scenario, the_plan, days, None, network=network)
    hit = run_reference(scenario, the_plan, days, draws, network=network)

    site = hit.sites["west-1"]
    assert (site.strikes, site.days_down) == (1, 10)
    assert site.stock_destroyed > 0
    assert hit.clock["west-1"][19] == hit.clock["west-1"][9]  # the clock stands still while down
    assert _total(hit) < _total(base) - 1.0
    assert sum(hit.on_time.values()) < sum(base.on_time.values())


def test_strike_late_in_the_day_destroys_stock_but_the_day_still_counts(
    minimal: tuple[Scenario, Plan],
) -> None:
    scenario, the_plan = minimal
    network = prepare(scenario, the_plan)
    draws = quiet_draws(network, 56)
    draws.strike_day[10, 0] = True  # x in [10.5, 11): down from day 11
    draws.down[11:20, 0] = True
    hit = run_reference(scenario, the_plan, 56, draws, network=network)
    assert hit.sites["west-1"].stock_destroyed > 0
    assert hit.clock["west-1"][10] == pytest.approx(11.0)


# -- the draws of dronefab.simulation.disruptions ------------------------------------------------
def test_draws_for_run_feed_the_model() -> None:
    scenario, the_plan = _planned(generate_scenario(GeneratorOptions(sites=3, periods=8, seed=0)))
    network = prepare(scenario, the_plan)
    profile = risk_profile(scenario)
    flows = len(lane_flows(the_plan))
    days = 80  # past the horizon: catching up
    for run_index in range(3):
        draws = draws_for_run(profile, run_index, days, 11, flows=flows)
        assert draws.lane_delays.shape == (days, flows)
        run = run_reference(scenario, the_plan, days, draws, network=network)
        again = run_reference(scenario, the_plan, days, draws, network=network)
        assert run.delivered == again.delivered
        for s, site in enumerate(network.site_order):
            assert run.sites[site].days_down == int(draws.down[:, s].sum())
            assert run.sites[site].strikes == int(draws.strikes[s])
        planned = _cumulative_by_series(_plan_deliveries(the_plan), scenario.horizon.periods)
        got = _cumulative_by_series(run.delivered, scenario.horizon.periods)
        for key, values in got.items():
            assert values[-1] <= planned[key][-1] + 1e-6
        for key, backlog in run.backlog_end.items():
            assert backlog >= -1e-6
            assert run.on_time[key] <= sum(network.demand[key]) + 1e-6


def test_own_draws_are_reproducible_and_sample_disruptions() -> None:
    scenario, the_plan = _planned(load_demo())
    network = prepare(scenario, the_plan)
    first = run_reference_own_draws(
        scenario, the_plan, 120, np.random.default_rng(3), network=network
    )
    second = run_reference_own_draws(
        scenario, the_plan, 120, np.random.default_rng(3), network=network
    )
    assert first.delivered == second.delivered
    assert first.sites == second.sites
    planned = sum(q for (_, _, t), q in _plan_deliveries(the_plan).items() if t <= 120 // 7 + 1)
    assert 0 < sum(first.delivered.values()) <= planned + 1e-6


def test_own_outages_match_the_sampler_in_distribution() -> None:
    """Continuous-time outages (SimPy) and the vectorised sampler: same mean days disrupted."""
    scenario = _without_risk(dronefab.load_scenario(SCENARIOS / "minimal.yaml"))
    risky = scenario.risks.model_copy(
        update={
            "suppliers": {
                "motors-a": SupplierRisk(
                    disruptions_per_year=6.0, duration_days_median=20, duration_days_p90=45
                )
            }
        }
    )
    scenario, the_plan = _planned(scenario.model_copy(update={"risks": risky}))
    network = prepare(scenario, the_plan)
    days, runs = 364, 400
    rng = np.random.default_rng(5)
    own = [
        run_reference_own_draws(scenario, the_plan, days, rng, network=network).days_disrupted[
            "motors-a"
        ]
        for _ in range(runs)
    ]
    sampled = sample_supplier_outages(risk_profile(scenario), range(runs), days, 5)
    drawn = sampled.disrupted[:, :, 0].sum(axis=1)
    se = math.sqrt(np.var(own, ddof=1) / runs + np.var(drawn, ddof=1) / runs)
    assert abs(np.mean(own) - np.mean(drawn)) < 4 * se, (np.mean(own), np.mean(drawn), se)
    # Both near the long-run share r E[L] / (1 + r E[L]) (a run starts undisrupted: a bit less).
    mu, sigma = lognormal_params(20, 45)
    r_mean_length = 6.0 / 365 * math.exp(mu + sigma**2 / 2)
    assert np.mean(own) / days == pytest.approx(r_mean_length / (1 + r_mean_length), rel=0.08)
