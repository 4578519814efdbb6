"""The planner's model: pruning keeps the optimum, duals are prices, modes do what they say."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from dronefab import Scenario
from dronefab.cli.main import app
from dronefab.model.generate import GeneratorOptions, generate_scenario
from dronefab.planning import PlanningError, PlanOptions, plan, read_plan
from dronefab.planning.lp import LinearProgram
from dronefab.planning.model import ModelSettings, build_model
from dronefab.planning.network import Network
from dronefab.planning.solve import solve

from .documents import minimal_document

Load = Callable[[dict[str, Any]], Scenario]


def tight_document() -> dict[str, Any]:
    """minimal.yaml with a quarter of a station: 48 h a week, 2 h a drone, demand 50 then 60."""
    document = minimal_document()
    document["sites"][0]["work_centers"][0]["stations"] = 0.25
    return document


def objective(scenario: Scenario, **settings: Any) -> float:
    model = build_model(Network(scenario), ModelSettings(**settings))
    return solve(model.lp).objective


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_pruned_model_has_the_unpruned_optimum_on_generated_networks(seed: int) -> None:
    scenario = generate_scenario(GeneratorOptions(sites=4, periods=10, seed=seed))
    pruned = build_model(Network(scenario), ModelSettings(prune=True))
    full = build_model(Network(scenario), ModelSettings(prune=False))
    assert pruned.lp.num_cols < full.lp.num_cols
    assert solve(pruned.lp).objective == pytest.approx(solve(full.lp).objective, rel=1e-7)


def test_stock_at_a_site_that_makes_nothing_still_moves(scenario_from: Load) -> None:
    """A hub that makes nothing keeps its balance and transfer columns for the stock it holds.

    Frames cost nothing to hold and the lane costs 1, so buying frames at the hub to move them
    is dominated (and pruned); moving the hub's 30 free frames is not.
    """
    document = minimal_document()
    document["sites"].append(
        {
            "id": "hub",
            "name": "Parts hub",
            "operator": "auto",
            "distance_to_front_km": 700,
            "initial_inventory": {"frame": 30},
        }
    )
    document["lanes"].append({"from": "hub", "to": "west-1", "transit_days": 3, "cost_per_unit": 1})
    scenario = scenario_from(document)
    network = Network(scenario)
    pruned = build_model(network, ModelSettings(prune=True))
    hub, frame = network.site_index["hub"], network.item_index["frame"]
    assert pruned.pair_id[hub, frame] >= 0
    assert pruned.pair_id[hub, network.item_index["quad"]] < 0, "the hub cannot use quads"
    moves = pruned.lp.variables["Transfer"]
    assert (moves.keys["item"] == frame).any()
    assert not (pruned.lp.variables["Purchase"].keys["site"] == hub).any()
    result = plan(scenario)
    moved = result.transfers.query("from_site == 'hub' and item == 'frame'")["quantity"].sum()
    assert moved == pytest.approx(30)
    assert result.objective == pytest.approx(objective(scenario, prune=False))


def test_buying_only_to_pass_on_is_kept_when_it_is_strictly_better(scenario_from: Load) -> None:
    """Transit is free storage: with frames dear to hold, a lane costing nothing and a supplier
    cap forcing early orders, buying at a hub and moving the frames beats buying at the line.

    30 frames are needed in week 4 (demand of 30 quads due in week 5, one-week lane), at most 10
    can be ordered a week with a one-week lead time. Bought for the line they wait 2, 1 and 0
    weeks (30 frame-weeks); through the hub one of those weeks is spent on the lane for free.
    """
    document = minimal_document()
    document["items"][3]["holding_cost"] = 5  # frame
    supplies = document["suppliers"][0]["supplies"]
    supplies[1] = {"item": "frame", "lead_time_days": 7, "unit_cost": 35, "capacity_per_period": 10}
    document["sites"][0]["initial_inventory"] = {"motor": 400}
    document["demand"] = [{"customer": "army", "item": "quad", "due": "2026-02-02", "quantity": 30}]
    document["sites"].append(
        {"id": "hub", "name": "Hub", "operator": "auto", "distance_to_front_km": 700}
    )
    document["lanes"].append({"from": "hub", "to": "west-1", "transit_days": 7})
    scenario = scenario_from(document)
    result = plan(scenario, PlanOptions(explain=False))
    bought_at_hub = result.purchases.query("site == 'hub'")["quantity"].sum()
    assert bought_at_hub > 0, "the hub must buy frames only to pass them on"
    assert result.objective == pytest.approx(objective(scenario, prune=False))
    assert result.objective < objective(scenario, prune=False) + 1e-9


def test_shadow_price_is_the_saving_of_one_more_hour(scenario_from: Load) -> None:
    scenario = scenario_from(tight_document())
    result = plan(scenario, PlanOptions(explain=False))
    capacity = result.capacity
    binding = capacity[capacity["shadow_price"] > 1e-6]
    assert not binding.empty
    row = binding.iloc[0]
    # Re-solve with one more hour in that week: the objective falls by the shadow price.
    network = Network(scenario)
    model = build_model(network)
    block = model.lp.constraints["Capacity"]
    t = int(row["period"]) - 1
    position = np.flatnonzero(block.keys["period"] == t)[0]
    upper = model.lp.row_upper[list(model.lp.constraints).index("Capacity")].copy()
    upper[position] += 1.0
    model.lp.row_upper[list(model.lp.constraints).index("Capacity")] = upper
    assert solve(model.lp).objective == pytest.approx(
        result.objective - row["shadow_price"], rel=1e-6
    )


def test_unconstrained_plan_ignores_capacity_and_flags_overloads(scenario_from: Load) -> None:
    scenario = scenario_from(tight_document())
    result = plan(scenario, PlanOptions(unconstrained=True))
    assert result.summary["fill_rate"]["army"] == pytest.approx(1.0)
    over = result.capacity[result.capacity["overload_hours"] > 0]
    assert not over.empty
    # 50 drones in one week need 50 x 2 h = 100 h against 48 h available: 52 h over.
    np.testing.assert_allclose(over["used_hours"] - over["available_hours"], over["overload_hours"])
    assert result.summary["overloads"]["hours"] == pytest.approx(over["overload_hours"].sum())
    assert result.capacity["shadow_price"].isna().all()


def test_integer_plan_is_whole_and_no_better_than_the_lp(scenario_from: Load) -> None:
    document = tight_document()
    document["sites"][0]["work_centers"][0]["stations"] = 0.23  # 44.16 h: 22.08 drones a week
    scenario = scenario_from(document)
    relaxed = plan(scenario, PlanOptions(explain=False))
    whole = plan(scenario, PlanOptions(integer=True, explain=False, time_limit=30))
    for frame in (whole.production, whole.purchases, whole.shipments):
        np.testing.assert_allclose(frame["quantity"], np.round(frame["quantity"]), atol=1e-6)
    assert whole.objective >= relaxed.objective - 1e-6
    assert whole.summary["mip_gap"] is not None and whole.summary["mip_gap"] <= 1e-4
    assert whole.summary["mode"] == "integer"


def test_solver_failure_is_said_in_words() -> None:
    lp = LinearProgram()
    x = lp.add_variables("x", {"n": np.arange(1)}, cost=1.0)
    row = lp.add_constraints("impossible", {"n": np.arange(1)}, lower=5.0, upper=5.0)
    lp.add_terms(row.index(), x.index(), 0.0 + 1.0)
    lp.col_upper[0] = np.array([1.0])
    with pytest.raises(PlanningError, match="no plan: the solver found no plan that satisfies"):
        solve(lp)


def test_plan_folder_round_trip_and_summary(scenario_from: Load, tmp_path: Path) -> None:
    result = plan(scenario_from(tight_document()))
    result.write(tmp_path / "plan")
    back = read_plan(tmp_path / "plan")
    pd.testing.assert_frame_equal(back.production, result.production, check_dtype=False)
    summary = json.loads((tmp_path / "plan" / "summary.json").read_text())
    assert summary["objective"] == pytest.approx(sum(summary["costs"].values()))
    for key in ("build_seconds", "solve_seconds", "status", "fill_rate"):
        assert key in summary
    assert summary["model"]["iterations"] > 0, "the interior-point iterations must be counted"


def test_plan_and_explain_commands(
    tmp_path: Path, write_scenario: Callable[[Scenario], Path], scenario_from: Load
) -> None:
    path = write_scenario(scenario_from(tight_document()))
    runner = CliRunner()
    result = runner.invoke(app, ["plan", str(path), "--out", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
    assert "on-time fill rate" in result.output
    for name in (
        "production",
        "purchases",
        "shipments",
        "transfers",
        "inventory",
        "backlog",
        "capacity",
    ):
        assert (tmp_path / "p" / f"{name}.csv").is_file()
    result = runner.invoke(app, ["explain", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
    assert "work-center capacity" in result.output
    result = runner.invoke(app, ["explain", str(tmp_path / "nothing")])
    assert result.exit_code == 2
    assert "not a plan folder" in result.output


def test_integer_plan_stopped_by_the_time_limit_reports_its_gap() -> None:
    scenario = generate_scenario(GeneratorOptions(sites=3, periods=8, seed=0))
    result = plan(scenario, PlanOptions(integer=True, time_limit=2, explain=False))
    status, gap = result.summary["status"], result.summary["mip_gap"]
    assert status in ("optimal", "time limit (best plan found)")
    assert gap is not None and gap >= 0
    if status != "optimal":
        assert gap > 0
    assert result.summary["time_limit"] == 2
    relaxed = plan(scenario, PlanOptions(explain=False))
    assert result.objective >= relaxed.objective - 1e-6


def renamed(document: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """``document`` with every id ``old`` written ``new`` (keys and values, recursively)."""

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {walk(k): walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return new if value == old else value

    result: dict[str, Any] = walk(document)
    return result


def test_ids_that_look_like_numbers_come_back_as_written(
    scenario_from: Load, tmp_path: Path
) -> None:
    document = renamed(renamed(tight_document(), "motor", "007"), "frame", "0010")
    result = plan(scenario_from(document))
    back = read_plan(result.write(tmp_path / "plan"))
    assert {"007", "0010"} <= set(back.purchases["item"])
    pd.testing.assert_frame_equal(back.purchases, result.purchases, check_dtype=False)


def test_a_damaged_summary_is_invalid_input_naming_the_file(
    scenario_from: Load, tmp_path: Path
) -> None:
    folder = plan(scenario_from(tight_document()), PlanOptions(explain=False)).write(tmp_path / "p")
    (folder / "summary.json").write_text('{"objective": ', encoding="utf-8")
    result = CliRunner().invoke(app, ["explain", str(folder)])
    assert result.exit_code == 1, result.output
    said = " ".join(result.output.split())  # rich wraps long lines
    assert "summary.json: not valid JSON (line 1" in said and "'dronefab plan'" in said
    assert "Traceback" not in result.output


def test_a_plan_without_explanations_says_so_instead_of_claiming_all_on_time(
    tmp_path: Path, write_scenario: Callable[[Scenario], Path], scenario_from: Load
) -> None:
    path = write_scenario(scenario_from(tight_document()))
    runner = CliRunner()
    result = runner.invoke(app, ["plan", str(path), "--no-explain", "--out", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
    assert "dronefab explain" not in result.output  # no hint to a command that cannot answer
    explained = read_plan(tmp_path / "p")
    full = plan(scenario_from(tight_document()))
    assert list(explained.explanations.columns) == list(full.explanations.columns)
    assert list(explained.station_value.columns) == list(full.station_value.columns)
    result = runner.invoke(app, ["explain", str(tmp_path / "p")])
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "planned with --no-explain" in said and "every unit is delivered" not in said
