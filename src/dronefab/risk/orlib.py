"""OR-Library facility-location instances (``cap*`` files) as dronefab scenarios.

J. E. Beasley's OR-Library ``cap`` files hold ``m`` warehouses (capacity, fixed cost) and ``n``
customers (demand, then the cost of serving *all* of its demand from each warehouse). Ignoring
capacities makes them uncapacitated facility-location instances with published optima, which
check :mod:`dronefab.risk.design` on a problem solved by others.

The scenario: one product, one period; each warehouse a candidate site with
``fixed_cost_per_period`` its fixed cost, unlimited production (a routing step of 0 minutes);
each customer a customer with its demand due in that period; a lane from every site to every
customer at ``cost / demand`` per unit, with no transit time; and a backlog penalty per unit
above anything serving a customer could cost, so an optimal design serves all demand. Its
design objective is then the instance's: fixed costs of the open warehouses plus each
customer's cost from the cheapest open one.

>>> instance = read_cap("cap71.txt")  # doctest: +SKIP
>>> scenario = cap_scenario(instance, name="cap71")  # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from dronefab.errors import UsageError
from dronefab.model.scenario import Scenario
from dronefab.model.schema import (
    Customer,
    Demand,
    Horizon,
    Item,
    Lane,
    Organization,
    RoutingStep,
    Site,
    WorkCenter,
)
from dronefab.planning.lp import Float

START = date(2026, 1, 5)
PRODUCT = "unit"
WORK_CENTER = "serve"
DISTANCE_KM = 1000.0  # far from any front; the instances carry no risk
PENALTY_MARGIN = 2.0


@dataclass(frozen=True, eq=False)
class CapInstance:
    """A facility-location instance.

    Attributes
    ----------
    fixed_cost
        ``(warehouse,)`` fixed cost of opening each warehouse.
    demand
        ``(customer,)`` demand of each customer.
    cost
        ``(customer, warehouse)`` cost of serving all of the customer's demand from the warehouse.
    """

    fixed_cost: Float
    demand: Float
    cost: Float


def _numbers(tokens: list[str], what: str, source: str) -> Float:
    try:
        return np.array([float(token) for token in tokens], dtype=np.float64)
    except ValueError:
        message = f"{source}: expected numbers for {what}, got {' '.join(tokens[:6])}"
        raise UsageError(message) from None


def read_cap(path: str | os.PathLike[str]) -> CapInstance:
    """Read an OR-Library ``cap`` file (capacities are read past and ignored).

    Raises
    ------
    UsageError
        If the file does not hold ``m n``, ``m`` warehouse lines and ``n`` customers.
    """
    source = str(path)
    tokens = Path(path).read_text(encoding="utf-8").split()
    if len(tokens) < 2:
        message = f"{source}: expected the numbers of warehouses and customers first"
        raise UsageError(message)
    m, n = (int(value) for value in _numbers(tokens[:2], "the sizes", source))
    expected = 2 + 2 * m + n * (1 + m)
    if m < 1 or n < 1 or len(tokens) != expected:
        message = (
            f"{source}: {m} warehouses and {n} customers need {expected} numbers in all, "
            f"found {len(tokens)}"
        )
        raise UsageError(message)
    # Warehouse lines are "capacity fixed_cost"; some files write the word 'capacity'.
    fixed = _numbers(tokens[3 : 2 + 2 * m : 2], "fixed costs", source)
    rows = _numbers(tokens[2 + 2 * m :], "customers", source).reshape(n, 1 + m)
    demand, cost = rows[:, 0], rows[:, 1:]
    if (demand <= 0).any():
        customer = int(np.flatnonzero(demand <= 0)[0]) + 1
        message = (
            f"{source}: customer {customer} has no demand; its costs are for all of its demand "
            "and cannot be written per unit"
        )
        raise UsageError(message)
    return CapInstance(fixed_cost=fixed, demand=demand, cost=cost)


def _start() -> date:
    return date.fromordinal(START.toordinal())


def cap_scenario(instance: CapInstance, name: str = "orlib") -> Scenario:
    """The scenario whose network design is the instance's uncapacitated facility location.

    The backlog penalty of customer ``k`` is
    ``2 * (max_w cost[k, w] + max_w fixed[w]) / demand[k]`` per unit, rounded up: leaving the
    customer unserved costs more than serving it from any warehouse, even one opened for it.
    """
    warehouses = [f"w{n + 1:03d}" for n in range(len(instance.fixed_cost))]
    customers = [f"c{n + 1:03d}" for n in range(len(instance.demand))]
    worst = instance.cost.max(axis=1) + instance.fixed_cost.max()
    penalty = [
        float(math.ceil(PENALTY_MARGIN * w / d))
        for w, d in zip(worst, instance.demand, strict=True)
    ]
    sites = [
        Site(
            id=site,
            name=f"Warehouse {n + 1}",
            operator="operator",
            distance_to_front_km=DISTANCE_KM,
            days_per_week=7,
            candidate=True,
            fixed_cost_per_period=float(fixed),
            makes=[PRODUCT],
            work_centers=[WorkCenter(id=WORK_CENTER, stations=1, hours_per_day=24)],
        )
        for n, (site, fixed) in enumerate(zip(warehouses, instance.fixed_cost, strict=True))
    ]
    lanes = [
        Lane(
            from_=site,
            to=customer,
            transit_days=0,
            cost_per_unit=float(instance.cost[k, w] / instance.demand[k]),
        )
        for k, customer in enumerate(customers)
        for w, site in enumerate(warehouses)
    ]
    return Scenario(
        name=name,
        horizon=Horizon(start=_start(), periods=1, period_days=7),
        organizations=[Organization(id="operator", name="Operator", role="manufacturer")],
        items=[Item(id=PRODUCT, name="Unit of demand", kind="product")],
        routings=[RoutingStep(item=PRODUCT, step=1, work_center=WORK_CENTER, minutes=0)],
        sites=sites,
        customers=[
            Customer(id=customer, name=f"Customer {k + 1}", backlog_penalty=penalty[k])
            for k, customer in enumerate(customers)
        ],
        lanes=lanes,
        demand=[
            # a date object of its own per row: YAML would tie shared ones with anchors
            Demand(customer=customer, item=PRODUCT, due=_start(), quantity=float(quantity))
            for customer, quantity in zip(customers, instance.demand, strict=True)
        ],
    )
