"""promises.csv: each demand row's promised period, worked out by hand on a tiny network and
recomputed unit by unit from the plan's shipments."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from dronefab.model import Scenario
from dronefab.planning.plan import PlanOptions, plan, read_plan
from dronefab.planning.promises import COLUMNS, promised_by_period, promises_table

# Calendar: weeks from Mon 2026-01-05 (period 1 = Jan 5-11, 2 = Jan 12-18, 3 = Jan 19-25).
# Line: 1 station x 4 h/day x 7 days x 5/7 days per week = 20 h at 60 min: 20 drones a week.
# Demand (listed out of due order on purpose): 30 due Jan 19, 15 due Jan 5, 10 due Jan 8,
# 20 due Jan 12: cumulative 25, 45, 75 against a capacity of 20, 40, 60. Every period's output
# is late already, so the unique optimum makes and delivers 20 a week: C = 20, 40, 60.
# Rows in due order end at E = 15, 25, 45, 75:
#   Jan 5  (15): C(1) = 20 >= 15                       -> period 1
#   Jan 8  (10): C(1) = 20 < 25, C(2) = 40 >= 25        -> period 2
#   Jan 12 (20): C(2) = 40 < 45, C(3) = 60 >= 45        -> period 3
#   Jan 19 (30): C(3) = 60 < 75: 60 - 45 = 15 delivered -> 15 in period 3, 15 never promised.
TINY: dict[str, Any] = {
    "format": "dronefab/1",
    "name": "tiny-promises",
    "horizon": {"start": "2026-01-05", "periods": 3, "period_days": 7},
    "organizations": [
        {"id": "maker", "name": "Maker", "role": "manufacturer"},
        {"id": "forces", "name": "Armed forces", "role": "customer"},
    ],
    "items": [{"id": "drone", "name": "Drone", "kind": "product", "holding_cost": 1}],
    "routings": [{"item": "drone", "step": 10, "work_center": "line", "minutes": 60}],
    "sites": [
        {
            "id": "plant",
            "name": "Plant",
            "operator": "maker",
            "distance_to_front_km": 500,
            "days_per_week": 5,
            "makes": ["drone"],
            "work_centers": [{"id": "line", "stations": 1, "hours_per_day": 4}],
        }
    ],
    "customers": [{"id": "army", "name": "Army", "backlog_penalty": 10, "unmet_penalty": 20}],
    "lanes": [{"from": "plant", "to": "army", "transit_days": 0}],
    "demand": [
        {"customer": "army", "item": "drone", "due": "2026-01-19", "quantity": 30},
        {"customer": "army", "item": "drone", "due": "2026-01-05", "quantity": 15},
        {"customer": "army", "item": "drone", "due": "2026-01-08", "quantity": 10},
        {"customer": "army", "item": "drone", "due": "2026-01-12", "quantity": 20},
    ],
}
BY_HAND = [
    ("army", "drone", "2026-01-05", 15.0, 1),
    ("army", "drone", "2026-01-08", 10.0, 2),
    ("army", "drone", "2026-01-12", 20.0, 3),
    ("army", "drone", "2026-01-19", 15.0, 3),
    ("army", "drone", "2026-01-19", 15.0, None),
]


def _by_units(scenario: Scenario, shipments: pd.DataFrame) -> list[tuple[Any, ...]]:
    """Promises recomputed one unit at a time: the units delivered (shipments.csv, by arrival
    period) handed to the demanded units in due order; a row is promised the arrival period of
    its last delivered unit. Needs whole units."""
    arrivals: dict[tuple[str, str], list[int]] = {}
    for row in shipments.sort_values("arrival_period").itertuples(index=False):
        units = arrivals.setdefault((row.customer, row.item), [])
        units.extend([int(row.arrival_period)] * round(row.quantity))
    lines: list[tuple[Any, ...]] = []
    used: dict[tuple[str, str], int] = {}
    keys = list(dict.fromkeys((d.customer, d.item) for d in scenario.demand))
    for key in keys:
        for demand in sorted(
            (d for d in scenario.demand if (d.customer, d.item) == key), key=lambda d: d.due
        ):
            start = used.get(key, 0)
            mine = arrivals.get(key, [])[start : start + round(demand.quantity)]
            used[key] = start + len(mine)
            due = demand.due.isoformat()
            if mine:
                lines.append((*key, due, float(len(mine)), max(mine)))
            if len(mine) < demand.quantity:
                lines.append((*key, due, demand.quantity - len(mine), None))
    return lines


def _lines(table: pd.DataFrame) -> list[tuple[Any, ...]]:
    return [
        (
            r.customer,
            r.item,
            r.due,
            float(r.quantity),
            None if pd.isna(r.promised_period) else int(r.promised_period),
        )
        for r in table.itertuples(index=False)
    ]


@pytest.fixture
def tiny(scenario_from: Callable[[dict[str, Any]], Scenario]) -> Scenario:
    return scenario_from(TINY)


def test_tiny_network_promises_by_hand(tiny: Scenario, tmp_path: Path) -> None:
    planned = plan(tiny, PlanOptions(explain=False))
    delivered = planned.backlog.sort_values("period")["delivered"].round(9).tolist()
    assert delivered == [20.0, 20.0, 20.0]  # the derivation's C
    assert planned.promises is not None
    assert list(planned.promises.columns) == list(COLUMNS)
    assert _lines(planned.promises) == BY_HAND
    assert _lines(planned.promises) == _by_units(tiny, planned.shipments)
    promises = planned.summary["promises"]
    assert promises["unpromised_units"] == pytest.approx(15.0)
    assert promises["promised_units"] == pytest.approx(60.0)
    assert promises["customers"]["army"]["unpromised_rows"] == 1
    read = read_plan(planned.write(tmp_path / "plan"))
    text = (tmp_path / "plan" / "promises.csv").read_text(encoding="utf-8").splitlines()
    assert text[0] == "customer,item,due,quantity,promised_period"
    assert text[-1] == "army,drone,2026-01-19,15,"  # never promised: an empty cell
    assert read.promises is not None
    assert _lines(read.promises) == BY_HAND


def test_promises_follow_transit_and_spare_capacity(
    scenario_from: Callable[[dict[str, Any]], Scenario],
) -> None:
    """Two days in transit, capacity to spare: every row complete, by the periods shipments
    arrive in (recomputed unit by unit), never before the row's due period."""
    document = copy.deepcopy(TINY)
    document["horizon"]["periods"] = 6
    document["lanes"][0]["transit_days"] = 9
    document["sites"][0]["work_centers"][0]["stations"] = 2
    scenario = scenario_from(document)
    planned = plan(scenario, PlanOptions(explain=False))
    assert planned.promises is not None
    lines = _lines(planned.promises)
    assert lines == _by_units(scenario, planned.shipments)
    assert all(promise is not None for *_, promise in lines)
    for _, _, due, _, promise in lines:
        assert promise >= scenario.period_of(pd.Timestamp(due).date())
    assert planned.summary["promises"]["unpromised_units"] == 0.0


def test_promised_schedule_by_period() -> None:
    """What a stress test holds deliveries to: promised units by period, unpromised left out,
    unknown pairs ignored."""
    table = pd.DataFrame(BY_HAND, columns=list(COLUMNS))
    table["promised_period"] = table["promised_period"].astype("Int64")
    schedule = promised_by_period(table, [("army", "drone"), ("navy", "drone")], 4)
    assert schedule.tolist() == [[15.0, 10.0, 35.0, 0.0], [0.0, 0.0, 0.0, 0.0]]


def test_a_backlog_with_nothing_delivered_promises_nothing(tiny: Scenario) -> None:
    backlog = pd.DataFrame(
        {"customer": "army", "item": "drone", "period": [1, 2, 3], "delivered": 0.0}
    )
    table = promises_table(tiny, backlog)
    assert table["promised_period"].isna().all()
    assert table["quantity"].sum() == pytest.approx(75.0)
