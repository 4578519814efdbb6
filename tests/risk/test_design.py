"""Network design: hand-computed designs, exhaustive enumeration, seeds, buckets and the CLI."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from dronefab.cli.main import app
from dronefab.errors import UsageError
from dronefab.model import Scenario, load_scenario
from dronefab.model.generate import GeneratorOptions, generate_scenario
from dronefab.model.timeline import open_day_mask
from dronefab.planning import PlanOptions, plan
from dronefab.planning.network import Network
from dronefab.risk.design import DesignOptions, design
from dronefab.risk.design_model import bucketed, build_design_model, sample_availability
from dronefab.risk.design_solve import ScenarioSolver
from dronefab.simulation.disruptions import risk_profile, sample_strikes

MINIMAL = Path(__file__).parent.parent / "model" / "scenarios" / "minimal.yaml"

# The two-candidate network: one product, 100 units due in the single week.
FRONT_FIXED, WEST_FIXED = 1000.0, 2500.0  # fixed cost of the week
FRONT_LANE, WEST_LANE = 1.0, 2.0  # per unit delivered
PENALTY = 50.0  # per unit not delivered by the end of the week
DEMAND = 100.0  # each site can make exactly this in a week with no strike


def two_candidates(tmp_path: Path, strikes: bool) -> Scenario:
    """A risky cheap site near the front and a safe dearer one far from it.

    Each has one station of 10 h a day, 7 days a week, and a unit takes 42 minutes: 70 h make
    exactly the 100 units demanded. With strikes, only the front site (20 km) is struck.
    """

    def site(site_id: str, km: float, fixed: float) -> dict[str, Any]:
        return {
            "id": site_id,
            "name": site_id.title(),
            "operator": "op",
            "distance_to_front_km": km,
            "days_per_week": 7,
            "candidate": True,
            "fixed_cost_per_period": fixed,
            "makes": ["quad"],
            "work_centers": [{"id": "line", "stations": 1, "hours_per_day": 10}],
        }

    document: dict[str, Any] = {
        "format": "dronefab/1",
        "name": "two-candidates",
        "horizon": {"start": "2026-01-05", "periods": 1, "period_days": 7},
        "organizations": [{"id": "op", "name": "Operator", "role": "manufacturer"}],
        "items": [{"id": "quad", "name": "Quad", "kind": "product"}],
        "routings": [{"item": "quad", "step": 1, "work_center": "line", "minutes": 42}],
        "sites": [site("front", 20, FRONT_FIXED), site("west", 900, WEST_FIXED)],
        "customers": [{"id": "army", "name": "Army", "backlog_penalty": PENALTY}],
        "lanes": [
            {"from": "front", "to": "army", "transit_days": 0, "cost_per_unit": FRONT_LANE},
            {"from": "west", "to": "army", "transit_days": 0, "cost_per_unit": WEST_LANE},
        ],
        "demand": [{"customer": "army", "item": "quad", "due": "2026-01-05", "quantity": DEMAND}],
    }
    if strikes:
        document["risks"] = {
            "seed": 5,
            "strike_rate_by_distance": [{"max_km": 100, "per_year": 150.0}],
            "strike": {"repair_days_median": 3, "repair_days_p90": 6},
        }
    path = tmp_path / f"two-{strikes}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return load_scenario(path)


def hand_costs(up: np.ndarray, weight: np.ndarray) -> dict[tuple[str, ...], float]:
    """Expected cost of each design, given the front site's share of days up per scenario.

    Open sites make what their hours allow (front: ``100 a``, west: 100) and the cheapest lane
    serves first; what no open site can make pays the penalty.
    """
    front_made = DEMAND * up
    return {
        (): PENALTY * DEMAND,
        ("front",): FRONT_FIXED
        + float(weight @ (FRONT_LANE * front_made + PENALTY * (DEMAND - front_made))),
        ("west",): WEST_FIXED + WEST_LANE * DEMAND,
        ("front", "west"): FRONT_FIXED
        + WEST_FIXED
        + float(weight @ (FRONT_LANE * front_made + WEST_LANE * (DEMAND - front_made))),
    }


@pytest.mark.parametrize("method", ["extensive", "benders"])
def test_without_strikes_the_cheap_site_is_opened(tmp_path: Path, method: str) -> None:
    scenario = two_candidates(tmp_path, strikes=False)
    result = design(scenario, DesignOptions(scenarios=100, method=method, curve=False))
    costs = hand_costs(np.ones(1), np.ones(1))
    assert result.open_sites == ["front"]
    assert result.solution.evaluation.objective == pytest.approx(costs[("front",)], abs=1e-6)
    assert result.summary()["strike_risk"] is False


@pytest.mark.parametrize("method", ["extensive", "benders"])
def test_with_strikes_the_safe_site_is_opened(tmp_path: Path, method: str) -> None:
    scenario = two_candidates(tmp_path, strikes=True)
    result = design(scenario, DesignOptions(scenarios=100, method=method, curve=False))
    table = result.scenarios_table()
    counts = table["count"].to_numpy()
    up = 1.0 - table["days_down"].to_numpy() / 7.0  # only the front site is ever struck
    costs = hand_costs(up, counts / counts.sum())
    assert float(counts @ up) / counts.sum() < 0.6, "strikes must take a good share of the week"
    best = min(costs, key=lambda key: costs[key])
    assert best == ("west",)
    assert result.open_sites == ["west"]
    assert result.solution.evaluation.objective == pytest.approx(costs[best], rel=1e-9)
    assert result.solution.lower_bound == pytest.approx(costs[best], rel=1e-7)


def small_network() -> Scenario:
    """A generated network with 3 candidates whose fixed costs are low enough to matter."""
    scenario = generate_scenario(GeneratorOptions(sites=2, candidates=3, periods=6, seed=3))
    sites = [
        site.model_copy(update={"fixed_cost_per_period": site.fixed_cost_per_period / 50})
        for site in scenario.sites
    ]
    return scenario.model_copy(update={"sites": sites})


@pytest.mark.parametrize("method", ["extensive", "benders"])
def test_design_is_the_best_of_every_design_enumerated(method: str) -> None:
    scenario = small_network()
    result = design(scenario, DesignOptions(scenarios=12, seed=4, method=method, curve=False))
    model, strikes = result.model, result.strikes
    solver = ScenarioSolver(model)
    totals = {}
    for flags in itertools.product((0.0, 1.0), repeat=len(model.candidates)):
        open_ = np.array(flags)
        costs = [solver.solve(a, open_)[0] for a in strikes.availability]
        totals[flags] = float(model.fixed_cost @ open_ + strikes.weight @ np.array(costs))
    best = min(totals.values())
    found = tuple(result.solution.evaluation.open.tolist())
    assert totals[found] == pytest.approx(best, rel=1e-9)
    summary = result.summary()
    assert summary["objective"] == pytest.approx(best, rel=1e-9)
    assert summary["lower_bound"] <= best * (1 + 1e-9)
    assert summary["gap"] == pytest.approx(
        (summary["objective"] - summary["lower_bound"]) / summary["objective"], abs=1e-12
    )
    assert summary["status"] == "optimal"


def test_a_time_limited_benders_run_reports_its_gap() -> None:
    scenario = small_network()
    options = DesignOptions(scenarios=12, seed=4, method="benders", curve=False, time_limit=1e-3)
    summary = design(scenario, options).summary()
    assert summary["lower_bound"] <= summary["objective"]
    assert summary["gap"] == pytest.approx(
        (summary["objective"] - summary["lower_bound"]) / summary["objective"], abs=1e-12
    )
    if summary["gap"] > 0:
        assert summary["status"].startswith("time limit")


def test_every_site_open_without_strikes_costs_what_the_planner_finds() -> None:
    scenario = small_network()
    model = build_design_model(scenario, scenario)
    strikes = sample_availability(scenario, scenario, 0, 0)
    cost, _, _ = ScenarioSolver(model).solve(
        strikes.availability[0], np.ones(len(model.candidates))
    )
    assert cost == pytest.approx(plan(scenario, PlanOptions(explain=False)).objective, rel=1e-9)


def test_the_same_seed_gives_the_same_design_and_another_seed_other_draws() -> None:
    scenario = small_network()
    runs = [design(scenario, DesignOptions(scenarios=12, seed=seed)) for seed in (4, 4, 5)]
    first, again = (run.summary() for run in runs[:2])
    for key in ("open_sites", "objective", "lower_bound", "on_time_fill_rate"):
        assert first[key] == again[key], key
    pd.testing.assert_frame_equal(runs[0].curve_table(), runs[1].curve_table())
    assert not np.array_equal(runs[0].strikes.availability, runs[2].strikes.availability)


def test_curve_has_one_point_per_number_of_sites_and_costs_rise_with_the_limit() -> None:
    scenario = small_network()
    result = design(scenario, DesignOptions(scenarios=6, seed=1))
    curve = result.curve_table()
    assert curve["open_count"].tolist() == [0, 1, 2, 3]
    # the unconstrained design is the cheapest point of the curve
    assert result.solution.evaluation.objective == pytest.approx(curve["objective"].min())
    budgets = design(scenario, DesignOptions(scenarios=6, seed=1, budgets=(0.0, 1e12)))
    by_budget = budgets.curve_table()
    assert by_budget["limit"].tolist() == ["budget", "budget"]
    assert by_budget["fixed_cost"].iloc[0] == 0
    assert by_budget["objective"].iloc[1] <= by_budget["objective"].iloc[0]


def test_strike_draws_only_take_days_from_sites_at_risk(tmp_path: Path) -> None:
    scenario = two_candidates(tmp_path, strikes=True)
    strikes = sample_availability(scenario, scenario, 40, 9)
    assert strikes.counts.sum() == 40
    front, west = 0, 1
    assert np.all(strikes.availability[:, west] == 1.0)
    assert np.all((strikes.availability[:, front] >= 0) & (strikes.availability[:, front] <= 1))
    assert strikes.availability[:, front].min() < 1.0


def test_availability_is_the_share_of_open_days_the_simulation_has_up(tmp_path: Path) -> None:
    document = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    document["risks"] = {
        "strike_rate_by_distance": [{"max_km": 100000, "per_year": 25.0}],
        "strike": {"repair_days_median": 4, "repair_days_p90": 9},
    }
    path = tmp_path / "risky.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    scenario = load_scenario(path)
    runs, seed = 30, 11
    strikes = sample_availability(scenario, scenario, runs, seed)
    horizon = scenario.horizon
    days = horizon.periods * horizon.period_days
    down = sample_strikes(risk_profile(scenario), range(runs), days, seed).down
    expected = np.ones((runs, len(scenario.sites), horizon.periods))
    for run in range(runs):
        for n, site in enumerate(scenario.sites):
            opened = open_day_mask(site, horizon.start, days)
            for t in range(horizon.periods):
                week = slice(t * horizon.period_days, (t + 1) * horizon.period_days)
                if opened[week].sum():
                    up = opened[week] & ~down[run, week, n]
                    expected[run, n, t] = up.sum() / opened[week].sum()
    distinct, counts = np.unique(expected.reshape(runs, -1), axis=0, return_counts=True)
    assert strikes.availability.reshape(len(strikes), -1) == pytest.approx(distinct)
    assert strikes.counts.tolist() == counts.tolist()
    assert (expected < 1).any(), "25 strikes a year must take some days"


def test_buckets_keep_the_hours_of_the_horizon() -> None:
    scenario = load_scenario(MINIMAL)
    assert bucketed(scenario, None) is scenario
    period_days = scenario.horizon.period_days
    coarse = bucketed(scenario, 4 * period_days)
    assert coarse.horizon.period_days == 4 * period_days
    hours = Network(scenario).available_hours.sum(axis=2)
    assert Network(coarse).available_hours.sum(axis=2) == pytest.approx(hours)
    with pytest.raises(UsageError, match="multiple"):
        bucketed(scenario, period_days + 1)


def test_cli_writes_the_design_folder_and_its_report(tmp_path: Path) -> None:
    scenario = tmp_path / "two.yaml"
    two_candidates(tmp_path, strikes=True)
    (tmp_path / "two-True.yaml").rename(scenario)
    out = tmp_path / "design"
    runner = CliRunner()
    result = runner.invoke(
        app, ["design", str(scenario), "--scenarios", "30", "--seed", "2", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "design.json").read_text(encoding="utf-8"))
    for key in ("open_sites", "objective", "fixed_cost", "expected_planning_cost", "gap"):
        assert key in summary, key
    assert summary["scenarios"] == 30 and summary["seed"] == 2
    assert summary["objective"] == pytest.approx(
        summary["fixed_cost"] + summary["expected_planning_cost"]
    )
    curve = pd.read_csv(out / "curve.csv")
    assert {"open_count", "objective", "on_time_p10"} <= set(curve.columns)
    assert (out / "curve.html").is_file()
    report = tmp_path / "design.html"
    result = runner.invoke(app, ["report", str(out), "--out", str(report)])
    assert result.exit_code == 0, result.output
    html = report.read_text(encoding="utf-8")
    assert "Network design: two-candidates" in html
    assert f'data-open-sites="{" ".join(summary["open_sites"])}"' in html


def test_cli_refuses_a_scenario_without_candidate_sites(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["design", str(MINIMAL), "--out", str(tmp_path / "d")])
    assert result.exit_code == 2
    assert "no candidate site" in result.output
    assert not (tmp_path / "d" / "design.json").exists()
