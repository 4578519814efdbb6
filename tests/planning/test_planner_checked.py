"""Our planner's written plans pass the independent checker, on the demo and generated networks.

The checker (checker.py) recomputes every constraint, the objective, its parts and the fill
rates from the CSV files and summary.json alone; the reference model (reference_model.py), a
separate plain-loop formulation, gives the optimum to compare with.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dronefab import Scenario
from dronefab.model.demo import load_demo
from dronefab.model.generate import GeneratorOptions, generate_scenario
from dronefab.planning import PlanOptions, plan

from .checker import check_plan
from .reference_model import solve_reference


def _generated(sites: int, periods: int, seed: int) -> Scenario:
    return generate_scenario(GeneratorOptions(sites=sites, periods=periods, seed=seed))


@pytest.mark.parametrize(
    ("sites", "periods", "seed"),
    [
        (2, 6, 11),
        (5, 12, 7),
        (8, 26, 3),
        pytest.param(15, 52, 5, marks=pytest.mark.slow),
    ],
)
def test_generated_plan_passes_the_checker_and_is_optimal(
    sites: int, periods: int, seed: int, tmp_path: Path
) -> None:
    scenario = _generated(sites, periods, seed)
    result = plan(scenario, PlanOptions(exact_station_values=1))
    result.write(tmp_path / "plan")
    assert check_plan(scenario, tmp_path / "plan") == []
    assert result.objective == pytest.approx(solve_reference(scenario).objective, rel=1e-6)
    late = sum(u["late"] + u["never"] for u in result.summary["units"].values())
    assert result.explanations["quantity"].sum() == pytest.approx(late, rel=1e-6, abs=1e-6)


def test_demo_plan_passes_the_checker(tmp_path: Path) -> None:
    scenario = load_demo()
    result = plan(scenario, PlanOptions(exact_station_values=1))
    result.write(tmp_path / "plan")
    assert check_plan(scenario, tmp_path / "plan") == []
    assert result.objective == pytest.approx(solve_reference(scenario).objective, rel=1e-6)


def test_unconstrained_and_integer_plans_pass_the_checker(tmp_path: Path) -> None:
    scenario = _generated(3, 8, 2)
    unconstrained = plan(scenario, PlanOptions(unconstrained=True))
    unconstrained.write(tmp_path / "u")
    assert unconstrained.summary["overloads"]["periods"] > 0, "this network must overload"
    assert check_plan(scenario, tmp_path / "u", unconstrained=True) == []
    assert check_plan(scenario, tmp_path / "u") != [], "overloads break the constrained checks"
    capacity = pd.read_csv(tmp_path / "u" / "capacity.csv")
    capacity.loc[capacity["overload_hours"].idxmax(), "overload_hours"] += 5
    capacity.to_csv(tmp_path / "u" / "capacity.csv", index=False)
    assert any(
        "overload_hours" in p for p in check_plan(scenario, tmp_path / "u", unconstrained=True)
    )

    whole = plan(scenario, PlanOptions(integer=True, time_limit=20, explain=False))
    whole.write(tmp_path / "i")
    assert check_plan(scenario, tmp_path / "i") == []
