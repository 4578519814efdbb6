"""The plan checker accepts a correct plan and catches each kind of violation.

A correct plan folder is written from the reference model's solution of a small two-site network
(purchases against a supplier capacity, an order already placed, a transfer lane, two customers);
each test then corrupts one number or row and expects the checker to name the problem.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dronefab.model import Scenario, load_scenario

from .checker import check_plan, reference_objective
from .reference_model import ReferenceResult, nonzero, solve_reference, write_plan

NETWORK = """\
format: dronefab/1
name: checker-network
horizon: {start: 2026-01-05, periods: 6, period_days: 7}
organizations:
  - {id: auto, name: Automaker, role: manufacturer}
  - {id: forces, name: Armed forces, role: customer}
items:
  - {id: quad, name: Quad, kind: product, holding_cost: 2}
  - {id: frame-asm, name: Frame assembly, kind: assembly, holding_cost: 0.5}
  - {id: motor, name: Motor, kind: purchased, holding_cost: 0.1}
  - {id: frame, name: Frame, kind: purchased, holding_cost: 0.1}
bom:
  - {parent: quad, component: frame-asm, quantity: 1}
  - {parent: quad, component: motor, quantity: 4}
  - {parent: frame-asm, component: frame, quantity: 1}
routings:
  - {item: quad, step: 10, work_center: assembly, minutes: 90}
  - {item: frame-asm, step: 10, work_center: assembly, minutes: 30}
sites:
  - id: west
    name: West
    operator: auto
    distance_to_front_km: 600
    labour_cost_per_hour: 20
    makes: [quad, frame-asm]
    work_centers:
      - {id: assembly, stations: 1, hours_per_day: 8}
    initial_inventory: {motor: 40}
  - id: east
    name: East
    operator: auto
    distance_to_front_km: 300
    opens: 2026-01-14
    ramp_periods: 2
    ramp_start_efficiency: 0.5
    labour_cost_per_hour: 10
    makes: [frame-asm]
    work_centers:
      - {id: assembly, stations: 1, hours_per_day: 8}
suppliers:
  - id: motors-a
    name: Motor supplier
    supplies:
      - {item: motor, lead_time_days: 14, unit_cost: 60, capacity_per_period: 100}
      - {item: frame, lead_time_days: 7, unit_cost: 35}
on_order:
  - {supplier: motors-a, item: motor, site: west, arrival: 2026-01-13, quantity: 80}
customers:
  - {id: army, name: Army, backlog_penalty: 500, unmet_penalty: 5000}
  - {id: navy, name: Navy, backlog_penalty: 50, unmet_penalty: 100}
lanes:
  - {from: west, to: army, transit_days: 2, cost_per_unit: 5}
  - {from: west, to: navy, transit_days: 0, cost_per_unit: 3}
  - {from: east, to: west, transit_days: 3, cost_per_unit: 1}
demand:
  - {customer: navy, item: quad, due: 2026-01-12, quantity: 10}
  - {customer: army, item: quad, due: 2026-01-19, quantity: 20}
  - {customer: army, item: quad, due: 2026-02-02, quantity: 40}
  - {customer: army, item: quad, due: 2026-02-09, quantity: 30}
"""


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scenario, ReferenceResult]:
    path = tmp_path_factory.mktemp("network") / "scenario.yaml"
    path.write_text(NETWORK, encoding="utf-8")
    scenario = load_scenario(path)
    result = solve_reference(scenario)
    assert result.optimal
    return scenario, result


@pytest.fixture
def scenario(solved: tuple[Scenario, ReferenceResult]) -> Scenario:
    return solved[0]


@pytest.fixture
def plan(solved: tuple[Scenario, ReferenceResult], tmp_path: Path) -> Path:
    """A fresh, correct plan folder for each test to corrupt."""
    scenario, result = solved
    return write_plan(scenario, result, tmp_path / "plan")


# -- helpers to corrupt a plan folder ------------------------------------------------------------
def _rows(plan: Path, name: str) -> list[dict[str, str]]:
    with (plan / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _write(plan: Path, name: str, rows: list[dict[str, str]]) -> None:
    with (plan / name).open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    with (plan / name).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def _edit(plan: Path, name: str, pick: Callable[[dict[str, str]], bool], **changes: Any) -> None:
    """Change the columns of the first row that ``pick`` selects."""
    rows = _rows(plan, name)
    row = next(row for row in rows if pick(row))
    for column, change in changes.items():
        row[column] = str(change(row[column]) if callable(change) else change)
    _write(plan, name, rows)


def _append(plan: Path, name: str, **row: Any) -> None:
    rows = _rows(plan, name)
    rows.append({column: str(value) for column, value in row.items()})
    _write(plan, name, rows)


def _summary(plan: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = plan / "summary.json"
    summary = json.loads(path.read_text(encoding="utf-8"))
    change(summary)
    path.write_text(json.dumps(summary), encoding="utf-8")


def _mentions(problems: list[str], *words: str) -> bool:
    return any(all(word in problem for word in words) for problem in problems)


# -- the network exercises what the corruptions need ---------------------------------------------
def test_the_network_uses_every_mechanism(solved: tuple[Scenario, ReferenceResult]) -> None:
    _, result = solved
    assert nonzero(result.transfers), "no transfer east -> west"
    purchases = nonzero(result.purchases)
    motors = [v for (u, i, _, _), v in purchases.items() if i == "motor"]
    assert max(motors) == pytest.approx(100), "the motor supplier capacity should bind"
    assert any(v > 1e-6 for (_, i, _), v in result.inventory.items() if i != "motor")
    assert nonzero(result.shipments)


def test_accepts_the_reference_plan(scenario: Scenario, plan: Path) -> None:
    assert check_plan(scenario, plan) == []


def test_reference_objective(scenario: Scenario, plan: Path) -> None:
    summary = json.loads((plan / "summary.json").read_text(encoding="utf-8"))
    assert reference_objective(scenario) == pytest.approx(summary["objective"])


# -- one corruption at a time ----------------------------------------------------------------------
def test_exceeding_capacity(scenario: Scenario, plan: Path) -> None:
    _edit(plan, "production.csv", lambda r: r["site"] == "west", quantity=lambda q: 1e4)
    problems = check_plan(scenario, plan)
    assert _mentions(problems, "capacity west/assembly", "exceeds available")


def test_breaking_the_balance(scenario: Scenario, plan: Path) -> None:
    _edit(plan, "inventory.csv", lambda r: float(r["on_hand"]) > 1, on_hand=lambda v: float(v) + 1)
    assert _mentions(check_plan(scenario, plan), "balance")


def test_negative_inventory(scenario: Scenario, plan: Path) -> None:
    # Ship one unit more than there is: the stock goes negative in the same period.
    rows = _rows(plan, "shipments.csv")
    row = rows[0]
    inventory = _rows(plan, "inventory.csv")
    stock = next(
        r
        for r in inventory
        if (r["site"], r["item"], r["period"]) == (row["site"], row["item"], row["ship_period"])
    )
    row["quantity"] = str(float(row["quantity"]) + float(stock["on_hand"]) + 1)
    _write(plan, "shipments.csv", rows)
    stock["on_hand"] = "-1"
    _write(plan, "inventory.csv", inventory)
    assert _mentions(check_plan(scenario, plan), "negative on_hand")


def test_shipping_without_a_lane(scenario: Scenario, plan: Path) -> None:
    _append(
        plan,
        "shipments.csv",
        site="east",
        customer="army",
        item="quad",
        ship_period=2,
        arrival_period=3,
        quantity=1,
    )
    assert _mentions(check_plan(scenario, plan), "no lane", "east", "army")


def test_transferring_without_a_lane(scenario: Scenario, plan: Path) -> None:
    _append(
        plan,
        "transfers.csv",
        from_site="west",
        to_site="east",
        item="motor",
        ship_period=1,
        arrival_period=1,
        quantity=1,
    )
    assert _mentions(check_plan(scenario, plan), "no lane", "west", "east")


def test_arriving_after_the_horizon(scenario: Scenario, plan: Path) -> None:
    _edit(plan, "shipments.csv", lambda r: r["customer"] == "army", ship_period=6, arrival_period=7)
    assert _mentions(check_plan(scenario, plan), "arrives after the last period")


def test_wrong_arrival_period(scenario: Scenario, plan: Path) -> None:
    _edit(
        plan,
        "purchases.csv",
        lambda r: r["status"] == "planned",
        arrival_period=lambda a: int(a) - 1,
    )
    assert _mentions(check_plan(scenario, plan), "arrival_period", "should be")


def test_exceeding_supplier_capacity(scenario: Scenario, plan: Path) -> None:
    _edit(
        plan,
        "purchases.csv",
        lambda r: r["item"] == "motor" and r["status"] == "planned",
        quantity=lambda q: float(q) + 50,
    )
    assert _mentions(check_plan(scenario, plan), "exceeds supplier capacity")


def test_missing_scheduled_receipt(scenario: Scenario, plan: Path) -> None:
    rows = [r for r in _rows(plan, "purchases.csv") if r["status"] != "on_order"]
    _write(plan, "purchases.csv", rows)
    assert _mentions(check_plan(scenario, plan), "on_order", "scenario has 80")


def test_producing_outside_makes(scenario: Scenario, plan: Path) -> None:
    _append(plan, "production.csv", site="east", item="quad", period=3, quantity=0)
    assert _mentions(check_plan(scenario, plan), "not in its makes")


def test_delivering_ahead_of_demand(scenario: Scenario, plan: Path) -> None:
    # An extra delivery to the navy in period 1, before anything is due.
    _append(
        plan,
        "shipments.csv",
        site="west",
        customer="navy",
        item="quad",
        ship_period=1,
        arrival_period=1,
        quantity=1,
    )
    assert _mentions(check_plan(scenario, plan), "delivered ahead of demand")


def test_wrong_backlog_table(scenario: Scenario, plan: Path) -> None:
    _edit(plan, "backlog.csv", lambda r: r["customer"] == "army", backlog=lambda b: float(b) + 3)
    assert _mentions(check_plan(scenario, plan), "backlog.csv backlog")


def test_wrong_used_hours(scenario: Scenario, plan: Path) -> None:
    _edit(
        plan,
        "capacity.csv",
        lambda r: float(r["used_hours"]) > 0,
        used_hours=lambda h: float(h) / 2,
    )
    assert _mentions(check_plan(scenario, plan), "used_hours")


def test_wrong_available_hours(scenario: Scenario, plan: Path) -> None:
    # East opens on Jan 14 with a ramp: period 2 has 5 open days at efficiency 0.5.
    _edit(
        plan,
        "capacity.csv",
        lambda r: r["site"] == "east" and r["period"] == "2",
        available_hours=48,
    )
    problems = check_plan(scenario, plan)
    assert _mentions(problems, "available_hours 48", "the formula gives 17.1428571")


def test_wrong_objective(scenario: Scenario, plan: Path) -> None:
    _summary(plan, lambda s: s.update(objective=s["objective"] + 1))
    assert _mentions(check_plan(scenario, plan), "objective")


def test_wrong_cost_split(scenario: Scenario, plan: Path) -> None:
    def shift(summary: dict[str, Any]) -> None:
        summary["costs"]["lane"] -= 10
        summary["costs"]["holding"] += 10

    _summary(plan, shift)
    problems = check_plan(scenario, plan)
    assert _mentions(problems, "costs.lane")
    assert _mentions(problems, "costs.holding")
    assert not _mentions(problems, "objective")


def test_wrong_fill_rate(scenario: Scenario, plan: Path) -> None:
    _summary(plan, lambda s: s["fill_rate"].update(army=s["fill_rate"]["army"] - 0.1))
    assert _mentions(check_plan(scenario, plan), "fill_rate", "army")


def test_missing_file(scenario: Scenario, plan: Path) -> None:
    (plan / "transfers.csv").unlink()
    assert _mentions(check_plan(scenario, plan), "transfers.csv: missing")


def test_fifo_fill_rate_by_hand(scenario: Scenario, plan: Path) -> None:
    """Navy: 10 due in period 2. Deliver 4 in period 2 and 6 in period 3: fill rate 0.4."""
    ships = [r for r in _rows(plan, "shipments.csv") if r["customer"] != "navy"]
    ships.append(
        {
            "site": "west",
            "customer": "navy",
            "item": "quad",
            "ship_period": "2",
            "arrival_period": "2",
            "quantity": "4",
        }
    )
    ships.append(
        {
            "site": "west",
            "customer": "navy",
            "item": "quad",
            "ship_period": "3",
            "arrival_period": "3",
            "quantity": "6",
        }
    )
    _write(plan, "shipments.csv", ships)
    _summary(plan, lambda s: s["fill_rate"].update(navy=0.4))
    problems = check_plan(scenario, plan)
    assert not _mentions(problems, "fill_rate")
    _summary(plan, lambda s: s["fill_rate"].update(navy=0.5))
    assert _mentions(check_plan(scenario, plan), "fill_rate of 'navy' 0.5, FIFO gives 0.4")
