"""The vectorised engine against the design note: zero risk, a closed form, seeding, disruptions.

Expectations are recomputed independently of the engine: the plan's own backlog.csv deliveries,
the closed form ``1 / (1 + r D)`` of a site at 100 % utilisation, the geometric loss of an unused
stock at each strike, and comparisons between a disrupted and an undisrupted execution.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path

import numba
import numpy as np
import pandas as pd
import pytest

import dronefab
from dronefab.model.demo import load_demo
from dronefab.model.generate import GeneratorOptions, generate_scenario
from dronefab.model.scenario import Scenario
from dronefab.model.schema import Risks, SiteRisk, SupplierRisk
from dronefab.planning.plan import Plan, PlanOptions, plan, read_plan
from dronefab.simulation import engine
from dronefab.simulation.arrays import block_draws, lane_offsets
from dronefab.simulation.disruptions import (
    risk_profile,
    sample_lane_delays,
    sample_supplier_outages,
)
from dronefab.simulation.engine import _Block, simulate_block
from dronefab.simulation.inputs import build_inputs
from dronefab.simulation.lateness import CURVE_PERIODS, Lateness
from dronefab.simulation.results import SimulationResult, simulate

from . import reference_simpy as reference

SCENARIOS = Path(__file__).parents[1] / "model" / "scenarios"
OPTIONS = PlanOptions(explain=False)


def zero_risk(scenario: Scenario) -> Scenario:
    """No strikes, outages or delays; every site's alerts equal to its planned downtime."""
    sites = {
        site.id: SiteRisk(
            strikes_per_year=0.0, alert_hours_per_day_mean=site.downtime_hours_per_day
        )
        for site in scenario.sites
    }
    return scenario.model_copy(update={"risks": Risks(sites=sites)})


def plan_deliveries(
    result_plan: Plan, pairs: tuple[tuple[str, str], ...], periods: int
) -> np.ndarray:
    """``(pair, period)`` the plan's deliveries, read from its backlog table."""
    backlog = result_plan.backlog
    out = np.zeros((len(pairs), periods))
    for n, (customer, item) in enumerate(pairs):
        rows = backlog[(backlog["customer"] == customer) & (backlog["item"] == item)]
        out[n, rows["period"].to_numpy() - 1] = rows["delivered"].to_numpy()
    return out


def assert_reproduces_plan(scenario: Scenario, result_plan: Plan) -> None:
    result = simulate(scenario, result_plan, runs=3, seed=11, chunk=2)
    expected = plan_deliveries(result_plan, result.inputs.pairs, result.inputs.out_periods)
    assert expected.sum() > 0
    for run in range(3):
        np.testing.assert_allclose(result.delivered[run], expected, rtol=1e-9, atol=1e-6)
    assert (result.strikes == 0).all()
    assert (result.stock_destroyed == 0).all()


# -- 1. zero risk reproduces the plan --------------------------------------------------------------
def test_zero_risk_minimal_without_risks_block_from_plan_folder(tmp_path: Path) -> None:
    scenario = dronefab.load_scenario(SCENARIOS / "minimal.yaml")
    assert scenario.risks == Risks()  # no risks block: nothing can go wrong
    folder = plan(scenario, OPTIONS).write(tmp_path / "plan")
    assert_reproduces_plan(scenario, read_plan(folder))


def test_zero_risk_generated_network() -> None:
    # Seed 9: the site opening late opens on a period's first day.
    scenario = zero_risk(generate_scenario(GeneratorOptions(sites=3, periods=8, seed=9)))
    assert_reproduces_plan(scenario, plan(scenario, OPTIONS))


def test_zero_risk_demo() -> None:
    scenario = zero_risk(load_demo())
    assert_reproduces_plan(scenario, plan(scenario, OPTIONS))


def mid_period(scenario: Scenario) -> tuple[bool, bool]:
    """Whether a site opens, and whether an order already placed arrives, mid-period."""
    start, length = scenario.horizon.start, scenario.horizon.period_days
    opens = any(s.opens is not None and (s.opens - start).days % length for s in scenario.sites)
    orders = any((o.arrival - start).days % length for o in scenario.on_order)
    return opens, orders


# Seeds 0, 8, 10: a site opens mid-period and orders already placed arrive mid-period (8 and 10
# lagged while those orders were due on their arrival date; 1 and 7 while transfers arrived L P
# days after leaving instead of on the first day of their arrival period).
@pytest.mark.parametrize("seed", [0, 1, 7, 8, 10])
def test_zero_risk_site_opening_mid_period(seed: int) -> None:
    scenario = zero_risk(generate_scenario(GeneratorOptions(sites=3, periods=8, seed=seed)))
    assert mid_period(scenario) == (True, True)
    assert_reproduces_plan(scenario, plan(scenario, OPTIONS))


def test_orders_already_placed_due_at_their_period_start() -> None:
    scenario = zero_risk(generate_scenario(GeneratorOptions(sites=3, periods=8, seed=8)))
    inputs = build_inputs(scenario, plan(scenario, OPTIONS))
    length = scenario.horizon.period_days
    placed = sorted(
        (scenario.period_of(o.arrival) - 1) * length for o in scenario.on_order if o.quantity > 0
    )
    assert mid_period(scenario)[1]
    assert inputs.arrival_day.size >= len(placed)
    assert (inputs.arrival_day % length == 0).all()  # planned purchases and orders placed
    for day in placed:
        assert day in inputs.arrival_day


SAME_DAY_YAML = """\
format: dronefab/1
name: same-day
horizon: {start: 2026-01-05, periods: 8, period_days: 7}
organizations:
  - {id: auto, name: Automaker, role: manufacturer}
  - {id: army, name: Armed forces, role: customer}
items:
  - {id: quad, name: Small multirotor, kind: product}
  - {id: frame-asm, name: Frame assembly, kind: assembly}
  - {id: motor, name: Motor, kind: purchased}
  - {id: frame, name: Frame, kind: purchased}
bom:
  - {parent: quad, component: frame-asm, quantity: 1}
  - {parent: quad, component: motor, quantity: 4}
  - {parent: frame-asm, component: frame, quantity: 1}
routings:
  - {item: quad, step: 10, work_center: assembly, minutes: 90}
  - {item: frame-asm, step: 10, work_center: assembly, minutes: 30}
sites:
  - id: final
    name: Final assembly
    operator: auto
    distance_to_front_km: 80
    makes: [quad]
    work_centers:
      - {id: assembly, stations: 1, hours_per_day: 8}
    initial_inventory: {motor: 2000}
  - id: parts
    name: Frame shop
    operator: auto
    distance_to_front_km: 300
    makes: [frame-asm]
    work_centers:
      - {id: assembly, stations: 1, hours_per_day: 8}
    initial_inventory: {frame: 500}
customers:
  - {id: army, name: Armed forces, backlog_penalty: 500, unmet_penalty: 5000, organization: army}
lanes:
  - {from: parts, to: final, transit_days: 0}
  - {from: final, to: army, transit_days: 2}
demand:
  - {customer: army, item: quad, due: 2026-01-12, quantity: 40}
  - {customer: army, item: quad, due: 2026-02-02, quantity: 120}
  - {customer: army, item: quad, due: 2026-02-23, quantity: 160}
risks:
  strike_rate_by_distance: [{max_km: 100, per_year: 8.0}, {max_km: 1000, per_year: 4.0}]
  strike: {repair_days_median: 4, repair_days_p90: 9, inventory_loss_fraction: 0.3}
  alerts: {hours_per_day_mean: 1.0, hours_per_day_sd: 1.0}
  lanes: {delay_probability: 0.3, delay_days_mean: 2}
"""


OPENS = "2026-01-17"  # day 12 from the start: the last two days of period 2 (days 7 .. 13)


def same_day_scenario(tmp_path: Path, opening: tuple[str, ...] = ()) -> Scenario:
    """Two sites joined by a transfer lane of 0 days: frames made at 'parts' are used by 'final'
    on the day they leave, so 'final' must take its step after 'parts'. The sites named in
    ``opening`` open on day 12 (:data:`OPENS`), mid-period."""
    text = SAME_DAY_YAML
    for site in opening:
        text = text.replace(f"  - id: {site}\n", f"  - id: {site}\n    opens: {OPENS}\n")
    path = tmp_path / f"same-day-{'-'.join(opening)}.yaml"
    path.write_text(text, encoding="utf-8")
    return dronefab.load_scenario(path)


def test_zero_risk_same_day_transfers(tmp_path: Path) -> None:
    scenario = zero_risk(same_day_scenario(tmp_path))
    result_plan = plan(scenario, OPTIONS)
    transfers = result_plan.transfers
    assert (transfers["arrival_period"] == transfers["ship_period"]).all()
    assert transfers["quantity"].sum() > 0
    assert_reproduces_plan(scenario, result_plan)


def test_activities_follow_open_days(tmp_path: Path) -> None:
    scenario = zero_risk(same_day_scenario(tmp_path, ("final", "parts")))
    result_plan = plan(scenario, OPTIONS)
    inputs = build_inputs(scenario, result_plan)
    length = scenario.horizon.period_days
    # Period 1 has no open day (every day weighs 1), period 2 two (days 12, 13), the rest all.
    expected = np.full(inputs.plan_days + 1, 1.0 / length)
    expected[7:12], expected[12:14], expected[-1] = 0.0, 0.5, 0.0
    for s in range(len(inputs.sites)):
        np.testing.assert_allclose(inputs.day_share[s], expected)
    used = result_plan.capacity.groupby(["site", "period"])["used_hours"].sum()
    assert used["final", 2] > 0
    for s, site in enumerate(inputs.sites):
        assert (inputs.wc_rate[s, 7:12] == 0).all()  # closed days need no hours
        by_period = inputs.wc_rate[s, :-1].sum(axis=1).reshape(-1, length).sum(axis=1)
        planned = [used.get((site, t), 0.0) for t in range(1, inputs.periods + 1)]
        np.testing.assert_allclose(by_period, planned, atol=1e-9)
    assert (inputs.flow_rate[:, 7:12] == 0).all()
    sent = np.diff(inputs.flow_cum[:, ::length], axis=1).sum(axis=0)  # by period, all flows
    flows = pd.concat([result_plan.shipments, result_plan.transfers])
    by_ship = flows.groupby("ship_period")["quantity"].sum()
    planned_flows = [by_ship.get(t, 0.0) for t in range(1, inputs.periods + 1)]
    np.testing.assert_allclose(sent, planned_flows, atol=1e-9)
    # The clock passes the closed days of period 2 with no hours: at day 12's start it is there.
    profile = risk_profile(scenario)
    block = _Block(inputs, block_draws(inputs, profile, [0], seed=1), 0.0)
    for day in range(12):
        block.step(day)
    np.testing.assert_allclose(block.tau, 12.0)
    assert_reproduces_plan(scenario, result_plan)


# -- the SimPy reference, fed the same draws --------------------------------------------------------
def boosted(scenario: Scenario, per_year: float) -> Scenario:
    """The scenario with every strike band at ``per_year``."""
    bands = [
        b.model_copy(update={"per_year": per_year}) for b in scenario.risks.strike_rate_by_distance
    ]
    risks = scenario.risks.model_copy(update={"strike_rate_by_distance": bands})
    return scenario.model_copy(update={"risks": risks})


def assert_same_as_reference(
    scenario: Scenario, result_plan: Plan, seed: int, days: int | None = None
) -> SimulationResult:
    """The engine's runs 0, 1 and 5 against the SimPy reference fed the same draws."""
    runs = [0, 1, 5]
    result = simulate(scenario, result_plan, runs=runs, days=days, seed=seed, chunk=2)
    network_plan = reference.prepare(scenario, result_plan)
    flows = len(reference.lane_flows(result_plan))
    profile = risk_profile(scenario)
    days = result.inputs.days
    for i, run in enumerate(runs):
        draws = reference.draws_for_run(profile, run, days, seed, flows=flows)
        expected = reference.run_reference(scenario, result_plan, days, draws, network=network_plan)
        for n, (customer, item) in enumerate(result.inputs.pairs):
            series = [
                expected.delivered.get((customer, item, t + 1), 0.0)
                for t in range(result.inputs.out_periods)
            ]
            np.testing.assert_allclose(result.delivered[i, n], series, rtol=1e-9, atol=1e-6)
        assert_same_lateness(result, i, expected.delivered)
        for s, site in enumerate(result.inputs.sites):
            outcome = expected.sites[site]
            assert result.strikes[i, s] == outcome.strikes
            assert result.days_down[i, s] == outcome.days_down
            assert result.stock_destroyed[i, s] == pytest.approx(outcome.stock_destroyed, abs=1e-6)
    return result


def assert_same_lateness(
    result: SimulationResult, i: int, delivered: dict[tuple[str, str, int], float]
) -> None:
    """Run ``i``'s lateness counts (summary.json's kept promises, units within k periods of
    due, days late) against the reference's deliveries matched to demand by hand."""
    inputs = result.inputs
    lateness = Lateness(
        inputs.demand, inputs.planned, inputs.promised, result.delivered, inputs.period_days
    )
    for n, (customer, item) in enumerate(inputs.pairs):
        mine = {t: q for (c, p, t), q in delivered.items() if (c, p) == (customer, item) and q > 0}
        want = reference.lateness_units(
            list(inputs.demand[n]), list(inputs.promised[n]), mine, CURVE_PERIODS
        )
        np.testing.assert_allclose(lateness.within[:, i, n], want["within"], atol=1e-6)
        assert lateness.kept[i, n] == pytest.approx(want["kept"], abs=1e-6)
        assert lateness.matched[i, n] == pytest.approx(want["matched"], abs=1e-6)
        assert lateness.late[i, n] == pytest.approx(want["late"], abs=1e-5)


# (network, generator options or None, strikes per year, simulation seed, extra days)
REFERENCE_CASES = [
    ("generated", GeneratorOptions(sites=5, periods=12, seed=2), 6.0, 17, 0),
    # Sites opening mid-period send transfers with lead times >= 1; runs go on past the horizon.
    ("generated", GeneratorOptions(sites=3, periods=8, seed=7), 6.0, 3, 21),
    ("generated", GeneratorOptions(sites=6, periods=10, seed=4), 4.0, 29, 0),
    ("same-day", None, None, 17, 0),
    ("demo", None, None, 17, 0),
]


@pytest.mark.parametrize(("network", "options", "per_year", "seed", "extra"), REFERENCE_CASES)
def test_same_results_as_the_reference_model(
    network: str,
    options: GeneratorOptions | None,
    per_year: float | None,
    seed: int,
    extra: int,
    tmp_path: Path,
) -> None:
    if options is not None and per_year is not None:
        scenario = boosted(generate_scenario(options), per_year)
    elif network == "same-day":
        scenario = same_day_scenario(tmp_path)
    else:
        scenario = load_demo()
    result_plan = plan(scenario, OPTIONS)
    horizon = scenario.horizon.periods * scenario.horizon.period_days
    result = assert_same_as_reference(scenario, result_plan, seed, horizon + extra)
    assert result.strikes.sum() > 0
    assert result.delivered.sum() > 0


def test_same_day_receiver_waits_for_a_sender_opening_later(tmp_path: Path) -> None:
    # Design note, "Arrivals": a same-day transfer arrives the day it leaves. The plan lets
    # 'final' use in period 2 the frames 'parts' makes on its two open days; 'final', spreading
    # its work over all seven days, waits for them, and has no spare hours to catch up before
    # the horizon ends. Zero risk then lags the plan, and catches up after the horizon.
    scenario = zero_risk(same_day_scenario(tmp_path, ("parts",)))  # final opens before
    result_plan = plan(scenario, OPTIONS)
    assert (result_plan.transfers["arrival_period"] == result_plan.transfers["ship_period"]).all()
    horizon = scenario.horizon.periods * scenario.horizon.period_days
    result = assert_same_as_reference(scenario, result_plan, seed=1, days=horizon + 14)
    planned = plan_deliveries(result_plan, result.inputs.pairs, result.inputs.out_periods)
    ahead = result.delivered.sum(axis=1).cumsum(axis=1) - planned.sum(axis=0).cumsum()
    assert (ahead <= 1e-6).all()  # never ahead of the plan
    periods = scenario.horizon.periods
    assert ahead[:, periods - 1].max() < -1.0  # behind it at the horizon's end
    np.testing.assert_allclose(ahead[:, -1], 0.0, atol=1e-6)  # all delivered after it


# -- 2. closed form ----------------------------------------------------------------------------------
RATE = 0.05  # strikes per day
REPAIR = 5.0  # days, fixed (p90 == median)
LOSS = 0.25
SPARE = 100.0  # units of an unused part held at the site


def closed_form_scenario(tmp_path: Path, periods: int = 104) -> Scenario:
    """One site, one product without parts, demand far above capacity (so the plan uses every
    hour and no catch-up is possible), deliveries in transit 0 days, and an unused spare part."""
    start = date(2026, 1, 5)
    demand = "\n".join(
        f"  - {{customer: army, item: quad, due: {start + timedelta(days=7 * p)}, quantity: 500}}"
        for p in range(periods)
    )
    text = f"""\
format: dronefab/1
name: closed-form
horizon: {{start: {start}, periods: {periods}, period_days: 7}}
organizations:
  - {{id: auto, name: Automaker, role: manufacturer}}
  - {{id: army, name: Armed forces, role: customer}}
items:
  - {{id: quad, name: Quad, kind: product}}
  - {{id: spare, name: Spare part, kind: purchased}}
routings:
  - {{item: quad, step: 10, work_center: assembly, minutes: 60}}
sites:
  - id: line
    name: Line
    operator: auto
    distance_to_front_km: 30
    days_per_week: 7
    makes: [quad]
    work_centers:
      - {{id: assembly, stations: 1, hours_per_day: 10}}
    initial_inventory: {{spare: {SPARE}}}
customers:
  - {{id: army, name: Armed forces, backlog_penalty: 100, unmet_penalty: 1000, organization: army}}
lanes:
  - {{from: line, to: army, transit_days: 0}}
demand:
{demand}
risks:
  strike_rate_by_distance: [{{max_km: 100000, per_year: {RATE * 365}}}]
  strike: {{repair_days_median: {REPAIR}, repair_days_p90: {REPAIR}, inventory_loss_fraction: {LOSS}}}
"""
    path = tmp_path / "closed-form.yaml"
    path.write_text(text, encoding="utf-8")
    return dronefab.load_scenario(path)


def test_closed_form_full_utilisation(tmp_path: Path) -> None:
    scenario = closed_form_scenario(tmp_path)
    result_plan = plan(scenario, OPTIONS)
    used = result_plan.capacity
    np.testing.assert_allclose(used["used_hours"], used["available_hours"], rtol=1e-9)
    runs = 800
    result = simulate(scenario, result_plan, runs=runs, seed=2026)
    days = result.inputs.days
    share = result.delivered.sum(axis=(1, 2)) / result_plan.backlog["delivered"].sum()
    # Per run, exactly: output is lost on down days and never caught up.
    np.testing.assert_allclose(share, 1.0 - result.days_down[:, 0] / days, atol=1e-9)
    # Over runs: 1 / (1 + r D), within 4 standard errors plus one day's worth for the start-up
    # transient (every run starts up; about 0.4 days over the horizon, measured on the draws).
    expected = 1.0 / (1.0 + RATE * REPAIR)
    standard_error = share.std(ddof=1) / math.sqrt(runs)
    assert abs(share.mean() - expected) <= 4 * standard_error + 1.0 / days
    # The unused spare loses LOSS of what is left at each effective strike.
    destroyed = SPARE * (1.0 - (1.0 - LOSS) ** result.strikes[:, 0])
    np.testing.assert_allclose(result.stock_destroyed[:, 0], destroyed, rtol=1e-9, atol=1e-9)
    assert (result.strikes > 0).mean() > 0.99


# -- 3. determinism and chunks ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def risky() -> tuple[Scenario, Plan]:
    scenario = generate_scenario(GeneratorOptions(sites=3, periods=8, seed=9))
    risks = scenario.risks.model_copy(
        update={
            "strike_rate_by_distance": [
                band.model_copy(update={"per_year": 12.0})
                for band in scenario.risks.strike_rate_by_distance
            ]
        }
    )
    scenario = scenario.model_copy(update={"risks": risks})
    return scenario, plan(scenario, OPTIONS)


def tables(result: dronefab.simulation.results.SimulationResult) -> list[pd.DataFrame]:
    return [result.runs_table(), result.sites_table(), result.periods_table()]


def test_same_seed_same_tables_whatever_the_chunk(risky: tuple[Scenario, Plan]) -> None:
    scenario, result_plan = risky
    small = simulate(scenario, result_plan, runs=20, seed=5, chunk=7)
    large = simulate(scenario, result_plan, runs=20, seed=5, chunk=64)
    again = simulate(scenario, result_plan, runs=20, seed=5, chunk=64)
    for a, b, c in zip(tables(small), tables(large), tables(again), strict=True):
        pd.testing.assert_frame_equal(a, b)
        pd.testing.assert_frame_equal(b, c)
    assert small.strikes.sum() > 0
    other = simulate(scenario, result_plan, runs=20, seed=6, chunk=64)
    assert not np.array_equal(other.delivered, large.delivered)


def test_pool_size_is_one_more_thread_than_cores_unless_one() -> None:
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        assert engine.pool_size() == 1
        if threads >= 2:
            numba.set_num_threads(2)
            assert engine.pool_size() == 3
    finally:
        numba.set_num_threads(threads)


def test_results_do_not_depend_on_parts_or_threads(
    risky: tuple[Scenario, Plan], monkeypatch: pytest.MonkeyPatch
) -> None:
    # simulate_block splits its runs into parts of engine.PART runs over engine.pool_size()
    # threads (3 on 2 cores, 1 with one numba thread).
    scenario, result_plan = risky
    inputs = build_inputs(scenario, result_plan)
    profile = risk_profile(scenario)
    runs = list(range(3, 40))
    whole = simulate_block(inputs, profile, runs, inputs.days, seed=5)
    monkeypatch.setattr(engine, "PART", 3)
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        parted = simulate_block(inputs, profile, runs, inputs.days, seed=5)
    finally:
        numba.set_num_threads(threads)
    for name in ("delivered", "strikes", "days_down", "stock_destroyed"):
        np.testing.assert_array_equal(getattr(parted, name), getattr(whole, name), err_msg=name)
    np.testing.assert_array_equal(parted.runs, runs)
    assert whole.strikes.sum() > 0


def test_lane_offsets_are_the_sampled_lane_delays(risky: tuple[Scenario, Plan]) -> None:
    # The engine adds the lane delays to its offsets from the sampler's draws itself (faster);
    # they must be sample_lane_delays' delays, rounded up to days and capped at days + 1.
    scenario, result_plan = risky
    inputs = build_inputs(scenario, result_plan)
    profile = risk_profile(scenario)
    assert profile.lane_delay_probability > 0
    runs = [0, 4, 9]
    days, flows = inputs.days, inputs.flow_site.size
    delays = sample_lane_delays(profile, runs, days * flows, seed=2).reshape(-1, days, flows)
    expected = np.minimum(np.ceil(delays), days + 1) + inputs.flow_lead_days
    offsets = lane_offsets(inputs, profile, runs, seed=2)
    np.testing.assert_array_equal(offsets, expected)
    assert (offsets > inputs.flow_lead_days).mean() > 0.5 * profile.lane_delay_probability


def test_runs_are_keyed_by_index(risky: tuple[Scenario, Plan]) -> None:
    scenario, result_plan = risky
    whole = simulate(scenario, result_plan, runs=12, seed=3, chunk=5)
    part = simulate(scenario, result_plan, runs=[7, 8, 9], seed=3)
    np.testing.assert_array_equal(part.delivered, whole.delivered[7:10])
    np.testing.assert_array_equal(part.stock_destroyed, whole.stock_destroyed[7:10])


def test_never_ahead_of_the_plan(risky: tuple[Scenario, Plan]) -> None:
    # Clocks never pass d + 1 and delays only delay: cumulative deliveries stay on or below the
    # plan's, and strikes, down days and destroyed stock go together.
    scenario, result_plan = risky
    result = simulate(scenario, result_plan, runs=30, seed=12)
    expected = plan_deliveries(result_plan, result.inputs.pairs, result.inputs.out_periods)
    assert (result.delivered.cumsum(axis=2) <= expected.cumsum(axis=1)[None] + 1e-6).all()
    assert (result.delivered >= 0).all()
    assert ((result.strikes > 0) == (result.days_down > 0)).mean() > 0.9
    assert (result.stock_destroyed[result.strikes == 0] == 0).all()


def test_table_columns(risky: tuple[Scenario, Plan]) -> None:
    scenario, result_plan = risky
    result = simulate(scenario, result_plan, runs=4, seed=1)
    runs, sites, periods = tables(result)
    assert list(runs.columns) == [
        "run", "customer", "item", "planned", "delivered", "on_time", "backlog_end"
    ]  # fmt: skip
    assert list(sites.columns) == ["run", "site", "strikes", "days_down", "stock_destroyed"]
    stats = [f"{v}_{s}" for v in ("delivered", "backlog") for s in ("mean", "p10", "p50", "p90")]
    assert list(periods.columns) == ["customer", "item", "period", "planned", *stats]
    assert len(runs) == 4 * len(result.inputs.pairs)
    assert len(sites) == 4 * len(scenario.sites)
    # Backlog at the end: all demand minus all deliveries; on time never above delivered.
    demand = sum(d.quantity for d in scenario.demand)
    per_run = runs.groupby("run")[["delivered", "backlog_end", "on_time"]].sum()
    np.testing.assert_allclose(per_run["delivered"] + per_run["backlog_end"], demand)
    assert (runs["on_time"] <= runs["delivered"] + 1e-9).all()


# -- 4. disruptions lower output -------------------------------------------------------------------
def test_supplier_outage_delays_arrivals_and_deliveries() -> None:
    base = zero_risk(dronefab.load_scenario(SCENARIOS / "minimal.yaml"))
    outage = SupplierRisk(disruptions_per_year=6.0, duration_days_median=20, duration_days_p90=20)
    risks = base.risks.model_copy(update={"suppliers": {"motors-a": outage}})
    scenario = base.model_copy(update={"risks": risks})
    result_plan = plan(base, OPTIONS)
    inputs = build_inputs(scenario, result_plan)
    profile = risk_profile(scenario)
    runs = list(range(40))
    outages = sample_supplier_outages(profile, runs, inputs.days, seed=4)
    quiet = _Block(inputs, block_draws(inputs, risk_profile(base), runs, 4), 0.0)
    hit = _Block(inputs, block_draws(inputs, profile, runs, 4), 0.0)
    delayed = False
    for day in range(inputs.days):
        quiet.step(day)
        hit.step(day)
        # Never more received than without the outage; nothing received while disrupted.
        assert (hit.available <= quiet.available + 1e-9).all()
        cut = outages.disrupted[:, day, 0]
        delayed |= bool((hit.waiting[cut] > 0).any())
    assert delayed
    assert (hit.waiting[:, :] >= 0).all()
    # Deliveries come later: cumulative deliveries never ahead, and behind in some runs.
    clean = simulate(base, result_plan, runs=runs, seed=4).delivered.cumsum(axis=2)
    cut_off = simulate(scenario, result_plan, runs=runs, seed=4).delivered.cumsum(axis=2)
    assert (cut_off <= clean + 1e-9).all()
    assert cut_off.sum() < clean.sum() - 1.0


def test_strikes_lower_output_and_destroy_stock() -> None:
    base = zero_risk(dronefab.load_scenario(SCENARIOS / "minimal.yaml"))
    risks = base.risks.model_copy(update={"sites": {"west-1": SiteRisk(strikes_per_year=15.0)}})
    scenario = base.model_copy(update={"risks": risks})
    result_plan = plan(base, OPTIONS)
    clean = simulate(base, result_plan, runs=60, seed=8)
    struck = simulate(scenario, result_plan, runs=60, seed=8)
    delivered = struck.delivered.sum(axis=(1, 2))
    hit = struck.strikes[:, 0] > 0
    assert hit.any() and (~hit).any()
    assert (delivered <= clean.delivered.sum(axis=(1, 2)) + 1e-9).all()
    assert delivered[hit].mean() < clean.delivered.sum(axis=(1, 2))[hit].mean()
    # Runs without a strike run exactly as planned; stock is destroyed only by strikes.
    np.testing.assert_allclose(struck.delivered[~hit], clean.delivered[~hit], atol=1e-9)
    assert (struck.stock_destroyed[~hit] == 0).all()
    assert (struck.stock_destroyed[hit] > 0).mean() > 0.5
    assert (struck.days_down[hit] > 0).any()


def test_block_checks_profile_and_days() -> None:
    scenario = dronefab.load_scenario(SCENARIOS / "minimal.yaml")
    inputs = build_inputs(scenario, plan(scenario, OPTIONS))
    profile = risk_profile(scenario)
    with pytest.raises(dronefab.errors.UsageError, match="days"):
        simulate_block(inputs, profile, [0], inputs.days + 1, seed=0)
