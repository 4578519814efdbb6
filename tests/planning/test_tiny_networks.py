"""Tiny networks, one per planning mechanism, whose optimum is computed by hand.

Each YAML file in ``tiny/`` derives its optimum in a comment at its top; the numbers below are
those derivations. The reference model must reproduce them now; the planner
(:mod:`dronefab.planning`) must reproduce them too, objective and key quantities read from its
tables, and its written plan must pass the checker.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dronefab.model import Scenario, load_scenario

from .checker import check_plan
from .reference_model import nonzero, solve_reference, write_plan

TINY = Path(__file__).parent / "tiny"
TOL = 1e-6


@dataclass(frozen=True)
class Case:
    """A tiny network's hand-computed optimum.

    Every flow dict lists ALL the nonzero entries of the unique optimal plan (keys as in
    :class:`~tests.planning.reference_model.ReferenceResult`); ``backlog`` lists the nonzero
    end-of-period backlogs (units late).
    """

    name: str
    objective: float
    costs: dict[str, float]
    production: dict[tuple[str, str, int], float]
    backlog: dict[tuple[str, str, int], float] = field(default_factory=dict)
    purchases: dict[tuple[str, str, str, int], float] = field(default_factory=dict)
    shipments: dict[tuple[str, str, str, int], float] | None = None
    transfers: dict[tuple[str, str, str, int], float] = field(default_factory=dict)
    fill_rate: dict[str, float] | None = None


CASES = [
    Case(
        "lead_time",
        objective=1050,
        costs={"purchase": 50, "backlog": 1000},
        production={("plant", "drone", 3): 10},
        backlog={("army", "drone", 2): 10},
        purchases={("motors", "motor", "plant", 1): 10},
        shipments={("plant", "army", "drone", 3): 10},
        fill_rate={"army": 0.0},
    ),
    Case(
        "capacity",
        objective=190,
        costs={"labour": 180, "holding": 10},
        production={("plant", "drone", 1): 10, ("plant", "drone", 2): 20},
        shipments={("plant", "army", "drone", 2): 30},
        fill_rate={"army": 1.0},
    ),
    Case(
        "yield",
        objective=600,
        costs={"labour": 500, "purchase": 100},
        production={("plant", "drone", 1): 50},
        purchases={("frames", "frame", "plant", 1): 50},
        shipments={("plant", "army", "drone", 1): 40},
    ),
    Case(
        "ramp",
        objective=87.5,
        costs={"holding": 87.5},
        production={
            ("plant", "drone", 2): 17.5,
            ("plant", "drone", 3): 52.5,
            ("plant", "drone", 4): 70,
        },
        shipments={("plant", "army", "drone", 4): 140},
    ),
    Case(
        "transfer",
        objective=30,
        costs={"lane": 30},
        production={("factory", "drone", 2): 10},
        transfers={("factory", "depot", "drone", 2): 10},
        shipments={("depot", "army", "drone", 3): 10},
    ),
    Case(
        "priority",
        objective=100,
        costs={"backlog": 100},
        production={("plant", "drone", 1): 20, ("plant", "drone", 2): 20},
        backlog={("low", "drone", 1): 20},
        shipments={("plant", "high", "drone", 1): 20, ("plant", "low", "drone", 2): 20},
        fill_rate={"high": 1.0, "low": 0.0},
    ),
    Case(
        "scheduled_receipt",
        objective=100,
        costs={"purchase": 100},
        production={("plant", "drone", 2): 30, ("plant", "drone", 4): 10},
        purchases={("motors", "motor", "plant", 1): 10},
        shipments={("plant", "army", "drone", 2): 30, ("plant", "army", "drone", 4): 10},
    ),
    Case(
        "supplier_capacity",
        objective=535,
        costs={"purchase": 25, "holding": 10, "backlog": 500},
        production={("plant", "drone", 2): 20, ("plant", "drone", 3): 5},
        backlog={("army", "drone", 2): 5},
        purchases={
            ("motors", "motor", "plant", 1): 10,
            ("motors", "motor", "plant", 2): 10,
            ("motors", "motor", "plant", 3): 5,
        },
        fill_rate={"army": 0.8},
    ),
    Case(
        "holding",
        objective=160,
        costs={"holding": 60, "backlog": 100},
        production={
            ("plant", "drone", 2): 20,
            ("plant", "drone", 3): 20,
            ("plant", "drone", 4): 20,
        },
        backlog={("army", "drone", 3): 20},
        shipments={("plant", "army", "drone", 3): 40, ("plant", "army", "drone", 4): 20},
        fill_rate={"army": 40 / 60},
    ),
    Case(
        "unmet",
        objective=240,
        costs={"backlog": 200, "unmet": 40},
        production={("plant", "drone", 1): 20},
        backlog={("alpha", "drone", 1): 20},
        shipments={("plant", "bravo", "drone", 1): 20},
        fill_rate={"alpha": 0.0, "bravo": 1.0},
    ),
    Case(
        "closing",
        objective=656,
        costs={"holding": 56, "backlog": 200, "unmet": 400},
        production={("plant", "drone", 1): 56, ("plant", "drone", 2): 24},
        backlog={("army", "drone", 3): 20},
        shipments={("plant", "army", "drone", 2): 80},
        fill_rate={"army": 0.8},
    ),
]

# Options that change the optimum: (network, integer, unconstrained, hand-computed objective).
VARIANTS = [
    # ramp, integer: 18 / 52 / 70 in periods 2 / 3 / 4, holding 18 + 70 = 88.
    ("ramp", True, False, 88.0),
    # capacity, integer: the continuous optimum is already integral.
    ("capacity", True, False, 190.0),
    # capacity, no capacity rows: all 30 made in period 2, labour 30 x 2 h x 3 = 180.
    ("capacity", False, True, 180.0),
    # supplier_capacity, no capacity rows: order and make 25 in period 2, purchase 25.
    ("supplier_capacity", False, True, 25.0),
    # ramp, no capacity rows: all 140 made in period 4, nothing held.
    ("ramp", False, True, 0.0),
]


def _load(name: str) -> Scenario:
    return load_scenario(TINY / f"{name}.yaml")


def _assert_flows(what: str, got: dict[Any, float], expected: dict[Any, float]) -> None:
    got = nonzero(got, 1e-6)
    assert set(got) == set(expected), f"{what}: got {got}, expected {expected}"
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=TOL), f"{what} {key}"


def _assert_costs(got: dict[str, float], expected: dict[str, float]) -> None:
    for kind in ("purchase", "labour", "lane", "holding", "backlog", "unmet"):
        assert got[kind] == pytest.approx(expected.get(kind, 0.0), abs=TOL), kind


def test_every_tiny_network_has_a_case() -> None:
    assert {path.stem for path in TINY.glob("*.yaml")} == {case.name for case in CASES}


# -- (i) the reference model ---------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_reference_reproduces_hand_optimum(case: Case, tmp_path: Path) -> None:
    scenario = _load(case.name)
    result = solve_reference(scenario)
    assert result.optimal
    assert result.objective == pytest.approx(case.objective, abs=TOL)
    _assert_costs(result.costs, case.costs)
    _assert_flows("production", result.production, case.production)
    _assert_flows("backlog", result.backlog, case.backlog)
    _assert_flows("purchases", result.purchases, case.purchases)
    _assert_flows("transfers", result.transfers, case.transfers)
    if case.shipments is not None:
        _assert_flows("shipments", result.shipments, case.shipments)
    folder = write_plan(scenario, result, tmp_path / "plan")
    assert check_plan(scenario, folder) == []
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    for customer, rate in (case.fill_rate or {}).items():
        assert summary["fill_rate"][customer] == pytest.approx(rate, abs=TOL), customer


@pytest.mark.parametrize(
    ("name", "integer", "unconstrained", "objective"),
    VARIANTS,
    ids=lambda v: str(v),
)
def test_reference_options(name: str, integer: bool, unconstrained: bool, objective: float) -> None:
    result = solve_reference(_load(name), integer=integer, unconstrained=unconstrained)
    assert result.optimal
    assert result.objective == pytest.approx(objective, abs=TOL)


def test_reference_integer_ramp_plan() -> None:
    result = solve_reference(_load("ramp"), integer=True)
    expected = {("plant", "drone", 2): 18, ("plant", "drone", 3): 52, ("plant", "drone", 4): 70}
    _assert_flows("production", result.production, expected)


# -- (ii) the planner ----------------------------------------------------------------------------
def _planning() -> Any:
    import dronefab.planning

    return dronefab.planning


def _frame_dict(frame: Any, keys: list[str], value: str, where: Any = None) -> dict[Any, float]:
    """Sum a planner table's ``value`` column by ``keys`` (rows selected by ``where``)."""
    if where is not None:
        frame = frame[where(frame)]
    out: dict[Any, float] = {}
    for row in frame.itertuples(index=False):
        record = row._asdict()
        key = tuple(int(record[k]) if k.endswith("period") else str(record[k]) for k in keys)
        out[key] = out.get(key, 0.0) + float(record[value])
    return out


def _planned(frame: Any) -> Any:
    if "status" in frame.columns:
        return frame["status"] == "planned"
    return frame["order_period"] >= 1


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_planner_reproduces_hand_optimum(case: Case, tmp_path: Path) -> None:
    planning = _planning()
    scenario = _load(case.name)
    result = planning.plan(scenario, planning.PlanOptions())
    assert result.objective == pytest.approx(case.objective, abs=TOL)
    production = _frame_dict(result.production, ["site", "item", "period"], "quantity")
    _assert_flows("production", production, case.production)
    backlog = _frame_dict(result.backlog, ["customer", "item", "period"], "backlog")
    _assert_flows("backlog", backlog, case.backlog)
    purchases = _frame_dict(
        result.purchases, ["supplier", "item", "site", "order_period"], "quantity", _planned
    )
    _assert_flows("purchases", purchases, case.purchases)
    transfers = _frame_dict(
        result.transfers, ["from_site", "to_site", "item", "ship_period"], "quantity"
    )
    _assert_flows("transfers", transfers, case.transfers)
    if case.shipments is not None:
        shipments = _frame_dict(
            result.shipments, ["site", "customer", "item", "ship_period"], "quantity"
        )
        _assert_flows("shipments", shipments, case.shipments)

    folder = tmp_path / "plan"
    result.write(folder)
    assert check_plan(scenario, folder) == []
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["objective"] == pytest.approx(case.objective, abs=TOL)
    _assert_costs(summary["costs"], case.costs)
    for customer, rate in (case.fill_rate or {}).items():
        assert summary["fill_rate"][customer] == pytest.approx(rate, abs=TOL), customer


def test_planner_lists_scheduled_receipts(tmp_path: Path) -> None:
    planning = _planning()
    result = planning.plan(_load("scheduled_receipt"), planning.PlanOptions())
    frame = result.purchases
    on_order = frame[frame["status"] == "on_order"]
    assert len(on_order) == 1
    row = on_order.iloc[0]
    assert (row["supplier"], row["item"], row["site"]) == ("motors", "motor", "plant")
    assert (int(row["order_period"]), int(row["arrival_period"])) == (0, 2)
    assert float(row["quantity"]) == pytest.approx(30)


@pytest.mark.parametrize(
    ("name", "integer", "unconstrained", "objective"),
    VARIANTS,
    ids=lambda v: str(v),
)
def test_planner_options(name: str, integer: bool, unconstrained: bool, objective: float) -> None:
    planning = _planning()
    options = planning.PlanOptions(integer=integer, unconstrained=unconstrained)
    result = planning.plan(_load(name), options)
    assert result.objective == pytest.approx(objective, abs=TOL)
