"""A straightforward reference formulation of the SCENARIO.md planning model.

Written independently of :mod:`dronefab.planning`, in plain Python loops with one HiGHS column per
variable and one HiGHS row per constraint, so that it is easy to read against SCENARIO.md. The
tests use it to check the fast planner's optimum, and the performance benchmark uses it as the
"straightforward formulation" baseline: it is deliberately not vectorised.

Notation
--------
``T`` periods ``t = 1..T``; sites ``s``; items ``i`` with yield ``y_i`` and holding cost ``h_i``;
``bom(j, i)`` units of ``i`` per unit of ``j`` started; ``m(i, w)`` minutes of work center ``w``
per unit of ``i`` started (summed over routing steps); ``LT(d) = ceil(d / period_days)``.

Variables (all ``>= 0``; integer for production, purchases, shipments and transfers when
``integer=True``)

- ``x[s, i, t]`` units of ``i`` started at ``s`` in ``t``, for ``i`` in ``makes(s)`` (when ``s``
  has every work center of the routing of ``i``);
- ``q[u, i, s, o]`` units of ``i`` ordered from supplier ``u`` for site ``s`` in order period
  ``o``, arriving in ``o + LT(lead_time_days)``; only orders arriving by ``T`` (a later arrival
  costs and never helps);
- ``z[s, r, i, t]`` units of any item ``i`` transferred on the lane ``s -> r`` (``r`` a site),
  leaving in ``t`` and arriving in ``t + LT(transit_days) <= T``;
- ``y[s, k, p, t]`` units of any product ``p`` shipped on the lane ``s -> k`` (``k`` a customer),
  leaving in ``t`` and arriving in ``t + LT(transit_days) <= T``;
- ``inv[s, i, t]`` end-of-period stock of every item at every site;
- ``b[k, p, t]`` backlog of every customer and product.

Constraints

- Balance, every ``s, i, t`` (``inv[s, i, 0]`` the initial inventory, ``R[s, i, t]`` the
  scheduled receipts of ``on_order`` arriving in ``t``)::

      inv[s,i,t] = inv[s,i,t-1] + y_i * x[s,i,t] + sum_{u,o: o+LT=t} q[u,i,s,o] + R[s,i,t]
                   + sum_{r: r->s, t'+LT=t} z[r,s,i,t'] - sum_j bom(j,i) * x[s,j,t]
                   - sum_k y[s,k,i,t] - sum_r z[s,r,i,t]

- Work-center capacity, every ``s``, work center ``w`` used by an item ``s`` makes, ``t``::

      sum_i m(i,w) / 60 * x[s,i,t] <= H[s,w,t]

  with ``H[s,w,t] = stations * max(0, hours_per_day - downtime_hours_per_day) * open_days(s,t)
  * days_per_week / 7 * efficiency * ramp(s,t)`` computed here from the formula.
- Supplier capacity, every supplier ``u``, item ``i`` with a capacity, order period ``o``::

      sum_s q[u,i,s,o] <= capacity_per_period(u,i)

- Backlog, every customer ``k``, product ``p``, ``t`` (``b[k,p,0] = 0``, ``d`` the demand)::

      b[k,p,t] = b[k,p,t-1] + d[k,p,t] - sum_{s: s->k, t'+LT=t} y[s,k,p,t']

Objective (minimised)::

    sum unit_cost * q + sum_{s,i,t} labour_cost_per_hour(s) * sum_w m(i,w)/60 * x[s,i,t]
    + sum lane cost * (y + z) + sum h_i * inv[s,i,t] + sum backlog_penalty(k) * b[k,p,t]
    + sum unmet_penalty(k) * b[k,p,T]

Scheduled receipts are sunk: they enter the balance as constants and cost nothing.
``unconstrained=True`` drops the work-center and supplier capacity rows.
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import highspy
import numpy as np

from dronefab.model import Scenario
from dronefab.model.schema import Horizon, Site, WorkCenter
from dronefab.planning.solve import new_highs

COST_KINDS = ("purchase", "labour", "lane", "holding", "backlog", "unmet")


# -- the calendar, from SCENARIO.md (independent of dronefab.model.timeline) ----------------------
def lead_time(days: float, period_days: int) -> int:
    """``LT(days) = ceil(days / period_days)``; 0 days give 0 periods.

    A hair of slack absorbs floating-point noise (14.0000000001 days is 2 weeks, not 3).
    """
    if days <= 0:
        return 0
    return math.ceil(days / period_days - 1e-9)


def period_of(horizon: Horizon, day: date) -> int:
    """The 1-based period containing ``day``: ``floor((day - start) / period_days) + 1``."""
    return (day - horizon.start).days // horizon.period_days + 1


def open_days(site: Site, horizon: Horizon, period: int) -> int:
    """Days of ``period`` inside the site's ``[opens, closes)`` window."""
    first = horizon.start + timedelta(days=(period - 1) * horizon.period_days)
    last = first + timedelta(days=horizon.period_days)  # exclusive
    if site.opens is not None:
        first = max(first, site.opens)
    if site.closes is not None:
        last = min(last, site.closes)
    return max(0, (last - first).days)


def ramp(site: Site, horizon: Horizon, period: int) -> float:
    """``r0 + (1 - r0) * min(1, k / ramp_periods)`` with ``k = t - p0``; 1 without a ramp.

    Periods before the opening period (``k < 0``) have no open days, so their value never
    matters; it is clipped at ``r0``.
    """
    if site.ramp_periods == 0 or site.opens is None:
        return 1.0
    r0 = site.ramp_start_efficiency
    k = period - period_of(horizon, site.opens)
    return r0 + (1.0 - r0) * min(1.0, max(0, k) / site.ramp_periods)


def available_hours(site: Site, work_center: WorkCenter, horizon: Horizon, period: int) -> float:
    """``stations * max(0, hours_per_day - downtime) * open_days * days_per_week/7 * eff * ramp``."""
    hours = max(0.0, work_center.hours_per_day - site.downtime_hours_per_day)
    return (
        work_center.stations
        * hours
        * open_days(site, horizon, period)
        * site.days_per_week
        / 7.0
        * work_center.efficiency
        * ramp(site, horizon, period)
    )


def demand_per_period(scenario: Scenario) -> dict[tuple[str, str, int], float]:
    """Demand keyed by ``(customer, product, period)``."""
    out: dict[tuple[str, str, int], float] = defaultdict(float)
    for row in scenario.demand:
        out[row.customer, row.item, period_of(scenario.horizon, row.due)] += row.quantity
    return dict(out)


def scheduled_receipts(scenario: Scenario) -> dict[tuple[str, str, str, int], float]:
    """Orders already placed, keyed by ``(supplier, item, site, arrival period)``."""
    out: dict[tuple[str, str, str, int], float] = defaultdict(float)
    for row in scenario.on_order:
        out[row.supplier, row.item, row.site, period_of(scenario.horizon, row.arrival)] += (
            row.quantity
        )
    return dict(out)


def routing_minutes(scenario: Scenario) -> dict[str, dict[str, float]]:
    """``item -> work center -> minutes per unit started``, summed over the routing steps."""
    out: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for step in scenario.routings:
        out[step.item][step.work_center] += step.minutes
    return {item: dict(centers) for item, centers in out.items()}


def made_items(scenario: Scenario, site: Site) -> list[str]:
    """Items ``site`` may make: in its ``makes`` and with every routing work center present."""
    minutes = routing_minutes(scenario)
    centers = {wc.id for wc in site.work_centers}
    return [item for item in site.makes if set(minutes.get(item, {})) <= centers]


# -- the result -----------------------------------------------------------------------------------
@dataclass
class ReferenceResult:
    """The reference model's solution, keyed by readable tuples.

    Only variables that exist are keys; a missing key means the variable does not exist (or,
    for ``available_hours``/``used_hours``, the work center is used by nothing the site makes).
    """

    status: str
    objective: float
    build_seconds: float
    solve_seconds: float
    num_variables: int
    num_constraints: int
    production: dict[tuple[str, str, int], float] = field(default_factory=dict)
    """``(site, item, period) -> units started``."""
    purchases: dict[tuple[str, str, str, int], float] = field(default_factory=dict)
    """``(supplier, item, site, order_period) -> units`` (planned orders only)."""
    shipments: dict[tuple[str, str, str, int], float] = field(default_factory=dict)
    """``(site, customer, product, ship_period) -> units``."""
    transfers: dict[tuple[str, str, str, int], float] = field(default_factory=dict)
    """``(from_site, to_site, item, ship_period) -> units``."""
    inventory: dict[tuple[str, str, int], float] = field(default_factory=dict)
    """``(site, item, period) -> end-of-period stock``."""
    backlog: dict[tuple[str, str, int], float] = field(default_factory=dict)
    """``(customer, product, period) -> units owed at the end of the period``."""
    available_hours: dict[tuple[str, str, int], float] = field(default_factory=dict)
    """``(site, work_center, period) -> hours``, every work center of every site."""
    used_hours: dict[tuple[str, str, int], float] = field(default_factory=dict)
    """``(site, work_center, period) -> hours used``, every work center of every site."""
    shadow_price: dict[tuple[str, str, int], float] = field(default_factory=dict)
    """``(site, work_center, period) -> objective decrease per extra hour`` (0 without a row)."""
    costs: dict[str, float] = field(default_factory=dict)
    """Objective by kind: purchase, labour, lane, holding, backlog, unmet."""

    @property
    def optimal(self) -> bool:
        """True when HiGHS proved optimality."""
        return self.status == "Optimal"


def nonzero(values: dict[Any, float], tol: float = 1e-7) -> dict[Any, float]:
    """The entries of ``values`` whose magnitude exceeds ``tol``."""
    return {key: value for key, value in values.items() if abs(value) > tol}


# -- building ---------------------------------------------------------------------------------------
class _Model:
    """A HiGHS model grown one column and one row at a time."""

    def __init__(self, integer: bool) -> None:
        # The reference builds its own model; only the instance comes from dronefab, so that it
        # too keeps the process-wide HiGHS rules (silent, no per-instance threads).
        self.highs = new_highs()
        self.integer = integer

    def variable(self, name: str, cost: float, discrete: bool = False) -> int:
        """Add a non-negative column; integer when ``discrete`` and the model is integer."""
        kind = highspy.HighsVarType.kInteger if discrete and self.integer else None
        if kind is None:
            var = self.highs.addVariable(lb=0.0, obj=cost, name=name)
        else:
            var = self.highs.addVariable(lb=0.0, obj=cost, type=kind, name=name)
        return int(var.index)

    def row(self, name: str, terms: dict[int, float], lower: float, upper: float) -> int:
        """Add ``lower <= sum(coef * column) <= upper``; return its index."""
        columns = [column for column, coef in terms.items() if coef != 0.0]
        index = int(self.highs.getNumRow())
        self.highs.addRow(
            lower,
            upper,
            len(columns),
            np.array(columns, dtype=np.int32),
            np.array([terms[column] for column in columns], dtype=np.float64),
        )
        self.highs.passRowName(index, name)
        return index


def solve_reference(
    scenario: Scenario,
    *,
    integer: bool = False,
    unconstrained: bool = False,
    time_limit: float | None = None,
    mip_rel_gap: float = 0.0,
    solver: str | None = None,
) -> ReferenceResult:
    """Build and solve the reference model (see the module docstring for the formulation).

    Parameters
    ----------
    scenario
        The network.
    integer
        Integer production, purchases, shipments and transfers.
    unconstrained
        Drop the work-center and supplier capacity rows.
    time_limit
        Seconds HiGHS may spend; None for no limit.
    mip_rel_gap
        Relative MIP gap (0: prove optimality exactly, as a reference should).
    solver
        HiGHS's ``solver`` option ("simplex", "ipm", ...); None for HiGHS's choice. The
        benchmark passes the planner's choice so both are solved alike.

    Returns
    -------
    ReferenceResult
        Status, objective, timings and every variable's value.
    """
    started = time.perf_counter()
    horizon = scenario.horizon
    periods = range(1, horizon.periods + 1)
    last = horizon.periods
    inf = highspy.kHighsInf
    model = _Model(integer)
    items = {item.id: item for item in scenario.items}
    products = [item.id for item in scenario.items if item.kind == "product"]
    sites = {site.id: site for site in scenario.sites}
    customers = {customer.id: customer for customer in scenario.customers}
    minutes = routing_minutes(scenario)
    components: dict[str, list[tuple[str, float]]] = defaultdict(list)  # parent -> (comp, qty)
    for line in scenario.bom:
        components[line.parent].append((line.component, line.quantity))

    # Terms of each balance row (site, item, period) and backlog row (customer, product, period),
    # written as "stock change = inflow - outflow", i.e. inv[t] - inv[t-1] - inflow + outflow.
    balance: dict[tuple[str, str, int], dict[int, float]] = defaultdict(lambda: defaultdict(float))
    owed: dict[tuple[str, str, int], dict[int, float]] = defaultdict(lambda: defaultdict(float))

    # x[s, i, t]: production of made items, with their labour cost.
    x: dict[tuple[str, str, int], int] = {}
    for site in scenario.sites:
        for item in made_items(scenario, site):
            hours_per_unit = sum(minutes[item].values()) / 60.0
            for t in periods:
                column = model.variable(
                    f"x[{site.id},{item},{t}]",
                    site.labour_cost_per_hour * hours_per_unit,
                    discrete=True,
                )
                x[site.id, item, t] = column
                balance[site.id, item, t][column] -= items[item].yield_rate
                for component, qty in components[item]:
                    balance[site.id, component, t][column] += qty

    # q[u, i, s, o]: purchases arriving by the last period.
    q: dict[tuple[str, str, str, int], int] = {}
    for supplier in scenario.suppliers:
        for supply in supplier.supplies:
            lt = lead_time(supply.lead_time_days, horizon.period_days)
            for site in scenario.sites:
                for o in periods:
                    if o + lt > last:
                        continue
                    column = model.variable(
                        f"q[{supplier.id},{supply.item},{site.id},{o}]",
                        supply.unit_cost,
                        discrete=True,
                    )
                    q[supplier.id, supply.item, site.id, o] = column
                    balance[site.id, supply.item, o + lt][column] -= 1.0

    # z[s, r, i, t] and y[s, k, p, t]: transfers and shipments on lanes, arriving by T.
    z: dict[tuple[str, str, str, int], int] = {}
    y: dict[tuple[str, str, str, int], int] = {}
    for lane in scenario.lanes:
        lt = lead_time(lane.transit_days, horizon.period_days)
        if lane.to in sites:
            for item in items:
                for t in periods:
                    if t + lt > last:
                        continue
                    column = model.variable(
                        f"z[{lane.from_},{lane.to},{item},{t}]", lane.cost_per_unit, discrete=True
                    )
                    z[lane.from_, lane.to, item, t] = column
                    balance[lane.from_, item, t][column] += 1.0
                    balance[lane.to, item, t + lt][column] -= 1.0
        elif lane.to in customers:
            for product in products:
                for t in periods:
                    if t + lt > last:
                        continue
                    column = model.variable(
                        f"y[{lane.from_},{lane.to},{product},{t}]",
                        lane.cost_per_unit,
                        discrete=True,
                    )
                    y[lane.from_, lane.to, product, t] = column
                    balance[lane.from_, product, t][column] += 1.0
                    owed[lane.to, product, t + lt][column] += 1.0

    # inv[s, i, t] and the balance rows.
    inv: dict[tuple[str, str, int], int] = {}
    for site in scenario.sites:
        for item in items:
            for t in periods:
                inv[site.id, item, t] = model.variable(
                    f"inv[{site.id},{item},{t}]", items[item].holding_cost
                )
    receipts: dict[tuple[str, str, int], float] = defaultdict(float)
    for (_, item, site_id, t), qty in scheduled_receipts(scenario).items():
        receipts[site_id, item, t] += qty
    for site in scenario.sites:
        for item in items:
            for t in periods:
                terms = balance[site.id, item, t]
                terms[inv[site.id, item, t]] += 1.0
                rhs = receipts[site.id, item, t]
                if t == 1:
                    rhs += site.initial_inventory.get(item, 0.0)
                else:
                    terms[inv[site.id, item, t - 1]] -= 1.0
                model.row(f"balance[{site.id},{item},{t}]", terms, rhs, rhs)

    # b[k, p, t] and the backlog rows.
    demand = demand_per_period(scenario)
    b: dict[tuple[str, str, int], int] = {}
    for customer in scenario.customers:
        for product in products:
            for t in periods:
                cost = customer.backlog_penalty + (customer.unmet_penalty if t == last else 0.0)
                b[customer.id, product, t] = model.variable(f"b[{customer.id},{product},{t}]", cost)
            for t in periods:
                terms = owed[customer.id, product, t]
                terms[b[customer.id, product, t]] += 1.0
                if t > 1:
                    terms[b[customer.id, product, t - 1]] -= 1.0
                rhs = demand.get((customer.id, product, t), 0.0)
                model.row(f"backlog[{customer.id},{product},{t}]", terms, rhs, rhs)

    # Work-center capacity rows.
    capacity_rows: dict[tuple[str, str, int], int] = {}
    available: dict[tuple[str, str, int], float] = {}
    for site in scenario.sites:
        makes = made_items(scenario, site)
        for work_center in site.work_centers:
            users = [item for item in makes if minutes[item].get(work_center.id, 0.0) > 0]
            for t in periods:
                hours = available_hours(site, work_center, horizon, t)
                available[site.id, work_center.id, t] = hours
                if unconstrained or not users:
                    continue
                terms = {
                    x[site.id, item, t]: minutes[item][work_center.id] / 60.0 for item in users
                }
                capacity_rows[site.id, work_center.id, t] = model.row(
                    f"capacity[{site.id},{work_center.id},{t}]", terms, -inf, hours
                )

    # Supplier capacity rows.
    if not unconstrained:
        for supplier in scenario.suppliers:
            for supply in supplier.supplies:
                if supply.capacity_per_period is None:
                    continue
                for o in periods:
                    terms = {
                        q[supplier.id, supply.item, site.id, o]: 1.0
                        for site in scenario.sites
                        if (supplier.id, supply.item, site.id, o) in q
                    }
                    if terms:
                        model.row(
                            f"supplier[{supplier.id},{supply.item},{o}]",
                            terms,
                            -inf,
                            supply.capacity_per_period,
                        )

    highs = model.highs
    if time_limit is not None:
        highs.setOptionValue("time_limit", float(time_limit))
    if integer:
        highs.setOptionValue("mip_rel_gap", mip_rel_gap)
    build_seconds = time.perf_counter() - started

    started = time.perf_counter()
    if solver is not None:
        highs.setOptionValue("solver", solver)
    highs.run()
    solve_seconds = time.perf_counter() - started

    status = highs.modelStatusToString(highs.getModelStatus())
    solution = highs.getSolution()
    values = list(solution.col_value)
    has_values = len(values) == highs.getNumCol() and highs.getInfo().primal_solution_status > 0
    if not has_values:
        values = [math.nan] * highs.getNumCol()
    duals = list(solution.row_dual) if solution.dual_valid else []

    def read(columns: dict[Any, int]) -> dict[Any, float]:
        return {key: values[column] for key, column in columns.items()}

    result = ReferenceResult(
        status=status,
        objective=highs.getInfo().objective_function_value if has_values else math.nan,
        build_seconds=build_seconds,
        solve_seconds=solve_seconds,
        num_variables=int(highs.getNumCol()),
        num_constraints=int(highs.getNumRow()),
        production=read(x),
        purchases=read(q),
        shipments=read(y),
        transfers=read(z),
        inventory=read(inv),
        backlog=read(b),
        available_hours=available,
    )
    for site in scenario.sites:
        for work_center in site.work_centers:
            for t in periods:
                key = (site.id, work_center.id, t)
                result.used_hours[key] = sum(
                    minutes[item].get(work_center.id, 0.0)
                    / 60.0
                    * result.production[site.id, item, t]
                    for item in made_items(scenario, site)
                )
                row = capacity_rows.get(key)
                result.shadow_price[key] = -duals[row] if row is not None and duals else 0.0
    result.costs = reference_costs(scenario, result)
    return result


def reference_costs(scenario: Scenario, result: ReferenceResult) -> dict[str, float]:
    """The objective by kind, recomputed from the solution values."""
    last = scenario.horizon.periods
    unit_cost = {(s.id, row.item): row.unit_cost for s in scenario.suppliers for row in s.supplies}
    lane_cost = {(lane.from_, lane.to): lane.cost_per_unit for lane in scenario.lanes}
    rate = {site.id: site.labour_cost_per_hour for site in scenario.sites}
    holding = {item.id: item.holding_cost for item in scenario.items}
    customers = {customer.id: customer for customer in scenario.customers}
    return {
        "purchase": sum(unit_cost[u, i] * v for (u, i, _, _), v in result.purchases.items()),
        "labour": sum(rate[s] * v for (s, _, _), v in result.used_hours.items()),
        "lane": sum(lane_cost[s, k] * v for (s, k, _, _), v in result.shipments.items())
        + sum(lane_cost[s, r] * v for (s, r, _, _), v in result.transfers.items()),
        "holding": sum(holding[i] * v for (_, i, _), v in result.inventory.items()),
        "backlog": sum(customers[k].backlog_penalty * v for (k, _, _), v in result.backlog.items()),
        "unmet": sum(
            customers[k].unmet_penalty * v for (k, _, t), v in result.backlog.items() if t == last
        ),
    }


# -- writing a plan folder ------------------------------------------------------------------------
def _fifo_fill_rates(
    scenario: Scenario, delivered: dict[tuple[str, str, int], float]
) -> dict[str, float]:
    """On-time fill rate per customer, matching deliveries to the oldest open demand (a queue)."""
    demand = demand_per_period(scenario)
    on_time: dict[str, float] = defaultdict(float)
    total: dict[str, float] = defaultdict(float)
    pairs = {(k, p) for k, p, _ in demand} | {(k, p) for k, p, _ in delivered}
    for customer, product in sorted(pairs):
        queue: list[list[float]] = []  # [due period, units still open]
        for t in range(1, scenario.horizon.periods + 1):
            due = demand.get((customer, product, t), 0.0)
            total[customer] += due
            if due > 0:
                queue.append([t, due])
            left = delivered.get((customer, product, t), 0.0)
            while left > 1e-12 and queue:
                take = min(left, queue[0][1])
                if t <= queue[0][0]:
                    on_time[customer] += take
                queue[0][1] -= take
                left -= take
                if queue[0][1] <= 1e-12:
                    queue.pop(0)
    return {
        customer.id: (on_time[customer.id] / total[customer.id] if total[customer.id] else 1.0)
        for customer in scenario.customers
    }


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_plan(
    scenario: Scenario, result: ReferenceResult, folder: str | os.PathLike[str], tol: float = 1e-9
) -> Path:
    """Write the reference solution as a SCENARIO.md plan folder.

    Flows with magnitude at most ``tol`` are left out; stocks, backlogs and capacities are
    written in full. Scheduled receipts appear in ``purchases.csv`` with ``order_period`` 0 and
    ``status`` ``on_order``.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    horizon = scenario.horizon
    pd = horizon.period_days
    supply_lt = {
        (s.id, row.item): lead_time(row.lead_time_days, pd)
        for s in scenario.suppliers
        for row in s.supplies
    }
    lane_lt = {(lane.from_, lane.to): lead_time(lane.transit_days, pd) for lane in scenario.lanes}

    _write_csv(
        out / "production.csv",
        ("site", "item", "period", "quantity"),
        ((s, i, t, v) for (s, i, t), v in result.production.items() if abs(v) > tol),
    )
    purchases = [
        (u, i, s, o, o + supply_lt[u, i], v, "planned")
        for (u, i, s, o), v in result.purchases.items()
        if abs(v) > tol
    ]
    purchases += [
        (u, i, s, 0, t, v, "on_order") for (u, i, s, t), v in scheduled_receipts(scenario).items()
    ]
    _write_csv(
        out / "purchases.csv",
        ("supplier", "item", "site", "order_period", "arrival_period", "quantity", "status"),
        purchases,
    )
    _write_csv(
        out / "shipments.csv",
        ("site", "customer", "item", "ship_period", "arrival_period", "quantity"),
        (
            (s, k, p, t, t + lane_lt[s, k], v)
            for (s, k, p, t), v in result.shipments.items()
            if abs(v) > tol
        ),
    )
    _write_csv(
        out / "transfers.csv",
        ("from_site", "to_site", "item", "ship_period", "arrival_period", "quantity"),
        (
            (s, r, i, t, t + lane_lt[s, r], v)
            for (s, r, i, t), v in result.transfers.items()
            if abs(v) > tol
        ),
    )
    _write_csv(
        out / "inventory.csv",
        ("site", "item", "period", "on_hand"),
        ((s, i, t, v) for (s, i, t), v in result.inventory.items()),
    )
    demand = demand_per_period(scenario)
    delivered: dict[tuple[str, str, int], float] = defaultdict(float)
    for (s, k, p, t), v in result.shipments.items():
        delivered[k, p, t + lane_lt[s, k]] += v
    pairs = {(k, p) for k, p, _ in demand} | {(k, p) for (k, p, _), v in delivered.items() if v}
    _write_csv(
        out / "backlog.csv",
        ("customer", "item", "period", "demand", "delivered", "backlog"),
        (
            (
                k,
                p,
                t,
                demand.get((k, p, t), 0.0),
                delivered.get((k, p, t), 0.0),
                result.backlog[k, p, t],
            )
            for k, p in sorted(pairs)
            for t in range(1, horizon.periods + 1)
        ),
    )
    _write_csv(
        out / "capacity.csv",
        ("site", "work_center", "period", "available_hours", "used_hours", "shadow_price"),
        (
            (s, w, t, hours, result.used_hours[s, w, t], result.shadow_price[s, w, t])
            for (s, w, t), hours in result.available_hours.items()
        ),
    )
    summary = {
        "objective": result.objective,
        "costs": result.costs,
        "fill_rate": _fifo_fill_rates(scenario, delivered),
        "status": result.status,
        "build_seconds": result.build_seconds,
        "solve_seconds": result.solve_seconds,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return out
