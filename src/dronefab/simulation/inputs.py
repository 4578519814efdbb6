"""A plan and its scenario turned into the arrays the vectorised engine reads.

Everything here is run-independent and built once per simulation. Plan periods are indexed
from 0 on every ``period`` axis (plan period ``t`` is index ``t - 1``); arrays over plan periods
carry one extra, last entry ``T`` for plan time beyond the horizon, where every rate is zero.

Axes and their order
--------------------
``site``
    ``scenario.sites`` (the order of :class:`~dronefab.simulation.disruptions.RiskProfile`).
``wc``
    A site's work centers in its listed order, padded to the largest count with empty ones
    (0 stations, no planned hours).
``flow``
    Planned lane flows: shipments per (site, customer, product) first, then transfers per
    (from site, to site, item), each sorted by (origin, destination, item) ids.
``slot``
    Outside materials per (site, item), sorted by site (scenario order) then item id: items the
    site does not make (no planned production there) and holds at the start (a positive
    quantity), receives on order, buys or receives by transfer.
``made``
    Made items per (site, item): positive planned production there, same sort.
``line``
    Purchase lines per (slot, supplier), sorted: where planned purchases and orders already placed
    arrive, gated by the site's and the supplier's state.
``pair``
    (customer, product) pairs with demand or planned deliveries, sorted by ids.
``day``
    Days ``0 .. days - 1`` from the horizon start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from dronefab.errors import UsageError
from dronefab.model import timeline
from dronefab.model.scenario import Scenario
from dronefab.model.timeline import FloatArray
from dronefab.planning.plan import Plan
from dronefab.simulation.flows import (
    Flows,
    by_period,
    cumulative_before,
    lane_flows,
    plan_frame,
    site_levels,
)

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class SimulationInputs:
    """The run-independent arrays of a simulation (see the module docstring for the axes).

    Attributes
    ----------
    sites, suppliers, pairs
        Ids of the ``site`` and ``supplier`` axes; ``(customer, product)`` of the ``pair`` axis.
    period_days, periods, days, out_periods
        ``P``, the plan's ``T``, the days simulated ``D`` and ``ceil(D / P)`` (at least ``T``):
        the periods deliveries are counted in.
    wc_capacity
        ``(site, wc)`` ``stations * efficiency``.
    wc_hours
        ``(site, wc)`` ``hours_per_day``.
    wc_rate
        ``(site, period + 1, wc)`` planned used hours per plan day, ``used_hours / P``.
    wc_cum
        ``(site, period + 1, wc)`` planned hours before each period (index ``T``: all).
    day_factor
        ``(day, site)`` ``ramp(t(d)) * open(d) * days_per_week / 7``.
    flow_site, flow_lead_days
        ``(flow,)`` origin site; ``L * P`` days of the lane.
    flow_rate
        ``(flow, period + 1)`` planned quantity per plan day, ``q / P``.
    flow_cum
        ``(flow, period + 1)`` planned quantity sent before each period (index ``T``: all).
    flow_pair
        ``(flow,)`` the pair a shipment delivers to, -1 for a transfer.
    flow_slot
        ``(flow,)`` the outside material a transfer feeds at its receiving site, -1 for a
        shipment or a transfer of an item the receiver makes (then it is not tracked).
    flow_made
        ``(flow,)`` the made item (of the origin site) a flow carries, -1 for an outside material.
    shipments
        Number of shipment flows (the first flows).
    site_level
        ``(site,)`` the order in which sites take their step within a day, so that a transfer
        leaving on the day it is due (lead time 0, no delay) is usable by its receiver that day:
        level 0 first. Sites are ordered senders first (:func:`senders_first`); a site's level
        is one more than that of its same-day senders placed before it.
    slot_site, slot_item
        ``(slot,)`` site index and item id.
    slot_opening
        ``(slot,)`` opening stock.
    slot_use
        ``(slot, period + 1)`` planned use per plan day (BOM consumption and flows out).
    slot_cum
        ``(slot, period + 1)`` planned use up to the start of each period (index ``T``: all).
    slot_need
        ``(day, slot)`` planned use up to plan time ``d + 1``.
    made_site, made_item
        ``(made,)`` site index and item id.
    made_inventory
        ``(made, period + 1)`` planned inventory at the end of each period, index 0 the opening
        stock: plan time ``t P`` has inventory ``made_inventory[:, t]``.
    line_slot, line_supplier
        ``(line,)`` slot and supplier index.
    arrival_day, arrival_line, arrival_quantity
        Scheduled purchase arrivals, sorted by day: due day ``e``, line and quantity.
    demand, planned
        ``(pair, out_periods)`` demand by due period and the plan's deliveries.
    """

    sites: tuple[str, ...]
    suppliers: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...]
    period_days: int
    periods: int
    days: int
    out_periods: int
    wc_capacity: FloatArray
    wc_hours: FloatArray
    wc_rate: FloatArray
    wc_cum: FloatArray
    day_factor: FloatArray
    flow_site: IntArray
    flow_lead_days: IntArray
    flow_rate: FloatArray
    flow_cum: FloatArray
    flow_pair: IntArray
    flow_slot: IntArray
    flow_made: IntArray
    shipments: int
    site_level: IntArray
    slot_site: IntArray
    slot_item: tuple[str, ...]
    slot_opening: FloatArray
    slot_use: FloatArray
    slot_cum: FloatArray
    slot_need: FloatArray
    made_site: IntArray
    made_item: tuple[str, ...]
    made_inventory: FloatArray
    line_slot: IntArray
    line_supplier: IntArray
    arrival_day: IntArray
    arrival_line: IntArray
    arrival_quantity: FloatArray
    demand: FloatArray
    planned: FloatArray


# -- calendar ------------------------------------------------------------------------------------
def _day_factor(scenario: Scenario, days: int, out_periods: int) -> FloatArray:
    """``(day, site)`` ``ramp(t(d)) * open(d) * days_per_week / 7``."""
    horizon = scenario.horizon.model_copy(update={"periods": out_periods})
    day = np.arange(days)
    factor = np.zeros((days, len(scenario.sites)))
    for s, site in enumerate(scenario.sites):
        ramp = timeline.ramp_factor(site, horizon)[day // horizon.period_days]
        opened = np.ones(days, dtype=bool)
        if site.opens is not None:
            opened &= day >= (site.opens - horizon.start).days
        if site.closes is not None:
            opened &= day < (site.closes - horizon.start).days
        factor[:, s] = ramp * opened * site.days_per_week / 7.0
    return factor


# -- work centers --------------------------------------------------------------------------------
def _work_centers(scenario: Scenario, plan: Plan) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``wc_capacity``, ``wc_hours`` and ``wc_rate`` (see :class:`SimulationInputs`)."""
    sites, nper, plen = scenario.sites, scenario.horizon.periods, scenario.horizon.period_days
    width = max((len(site.work_centers) for site in sites), default=0)
    capacity = np.zeros((len(sites), width))
    hours = np.zeros((len(sites), width))
    rate = np.zeros((len(sites), nper + 1, width))
    column = {}
    for s, site in enumerate(sites):
        for w, wc in enumerate(site.work_centers):
            capacity[s, w] = wc.stations * wc.efficiency
            hours[s, w] = wc.hours_per_day
            column[site.id, wc.id] = (s, w)
    used = plan_frame(plan, "capacity", ["site", "work_center", "period", "used_hours"])
    for row in used.itertuples(index=False):
        s, w = column[str(row.site), str(row.work_center)]
        rate[s, int(row.period) - 1, w] += float(row.used_hours) / plen
    return capacity, hours, rate


# -- materials -----------------------------------------------------------------------------------
def _use(scenario: Scenario, plan: Plan, flows: Flows) -> dict[tuple[str, str], FloatArray]:
    """Planned use per (site, item) and period: BOM consumption and flows out, ``(T + 1,)``."""
    nper, plen = scenario.horizon.periods, scenario.horizon.period_days
    production = plan_frame(plan, "production", ["site", "item", "period", "quantity"])
    bom = pd.DataFrame(
        [(b.parent, b.component, b.quantity) for b in scenario.bom],
        columns=["item", "component", "per_unit"],
    )
    consumed = production.merge(bom, on="item")
    consumed["used"] = consumed["quantity"] * consumed["per_unit"]
    use = by_period(consumed, ["site", "component"], "period", "used", nper)
    out: dict[tuple[str, str], FloatArray] = {(str(k[0]), str(k[1])): v for k, v in use.items()}
    for (origin, _, item), rate in zip(flows.keys, flows.rate, strict=True):
        key = (origin, item)
        out[key] = out.get(key, np.zeros(nper + 1)) + rate * plen
    return out


def _made_keys(plan: Plan) -> set[tuple[str, str]]:
    """(site, item) with positive planned production: the site's made items."""
    production = plan_frame(plan, "production", ["site", "item", "quantity"])
    made = production[production["quantity"] > 0]
    return set(zip(made["site"].astype(str), made["item"].astype(str), strict=True))


def _outside_keys(scenario: Scenario, plan: Plan, flows: Flows) -> set[tuple[str, str]]:
    """(site, item) of every outside material: not made there (no planned production), and
    held at the start (a positive quantity), on order, bought or transferred in."""
    keys = {(s.id, i) for s in scenario.sites for i, q in s.initial_inventory.items() if q > 0}
    keys |= {(o.site, o.item) for o in scenario.on_order}
    purchases = plan_frame(plan, "purchases", ["site", "item"])
    keys |= set(zip(purchases["site"].astype(str), purchases["item"].astype(str), strict=True))
    keys |= {(target, item) for _, target, item in flows.keys[flows.shipments :]}
    return keys - _made_keys(plan)


@dataclass(frozen=True)
class _Slots:
    keys: list[tuple[str, str]]
    site: IntArray
    opening: FloatArray
    use: FloatArray
    cum: FloatArray


def _slots(scenario: Scenario, plan: Plan, flows: Flows) -> _Slots:
    """The outside materials, their opening stock and planned use."""
    nper, plen = scenario.horizon.periods, scenario.horizon.period_days
    order = {s.id: n for n, s in enumerate(scenario.sites)}
    keys = sorted(_outside_keys(scenario, plan, flows), key=lambda k: (order[k[0]], k[1]))
    use_by_key = _use(scenario, plan, flows)
    use = np.array([use_by_key.get(k, np.zeros(nper + 1)) for k in keys]).reshape(
        len(keys), nper + 1
    )
    cum = np.concatenate([np.zeros((len(keys), 1)), np.cumsum(use[:, :nper], axis=1)], axis=1)
    opening = [scenario.site_by_id[s].initial_inventory.get(i, 0.0) for s, i in keys]
    return _Slots(
        keys=keys,
        site=np.array([order[s] for s, _ in keys], dtype=np.int64),
        opening=np.array(opening, dtype=np.float64),
        use=use / plen,
        cum=cum,
    )


def _need(slots: _Slots, days: int, period_days: int, periods: int) -> FloatArray:
    """``(day, slot)`` planned use up to plan time ``d + 1``."""
    tau = np.arange(1, days + 1, dtype=np.float64)
    k = np.minimum(np.floor(tau / period_days).astype(np.int64), periods)
    into = tau - k * period_days
    return np.asarray((slots.cum[:, k] + slots.use[:, k] * into).T, dtype=np.float64)


@dataclass(frozen=True)
class _Made:
    keys: list[tuple[str, str]]
    site: IntArray
    inventory: FloatArray


def _made(scenario: Scenario, plan: Plan) -> _Made:
    """Made items (positive planned production) and their planned inventory at period ends."""
    nper = scenario.horizon.periods
    order = {s.id: n for n, s in enumerate(scenario.sites)}
    inventory = plan_frame(plan, "inventory", ["site", "item", "period", "on_hand"])
    on_hand = by_period(inventory, ["site", "item"], "period", "on_hand", nper)
    made = sorted(_made_keys(plan), key=lambda k: (order[k[0]], k[1]))
    rows = []
    for site, item in made:
        ends = on_hand.get((site, item), np.zeros(nper + 1))[:nper]
        opening = scenario.site_by_id[site].initial_inventory.get(item, 0.0)
        rows.append(np.concatenate([[opening], ends]))
    return _Made(
        keys=made,
        site=np.array([order[s] for s, _ in made], dtype=np.int64),
        inventory=np.array(rows).reshape(len(made), nper + 1),
    )


# -- purchases -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Arrivals:
    line_slot: IntArray
    line_supplier: IntArray
    day: IntArray
    line: IntArray
    quantity: FloatArray


def _arrivals(scenario: Scenario, plan: Plan, slot_index: dict[tuple[str, str], int]) -> _Arrivals:
    """Planned purchases (due on the first day of their arrival period) and orders placed."""
    plen = scenario.horizon.period_days
    supplier_index = {u.id: n for n, u in enumerate(scenario.suppliers)}
    columns = ["supplier", "item", "site", "arrival_period", "quantity", "status"]
    purchases = plan_frame(plan, "purchases", columns)
    if "status" in purchases.columns:
        purchases = purchases[purchases["status"].astype(str) != "on_order"]
    rows = [
        (str(r.site), str(r.item), str(r.supplier), (int(r.arrival_period) - 1) * plen, r.quantity)
        for r in purchases.itertuples(index=False)
    ]
    rows += [
        (o.site, o.item, o.supplier, (o.arrival - scenario.horizon.start).days, o.quantity)
        for o in scenario.on_order
    ]
    rows = [r for r in rows if (r[0], r[1]) in slot_index and float(r[4]) > 0]
    lines = sorted({(slot_index[r[0], r[1]], supplier_index[r[2]]) for r in rows})
    line_index = {key: n for n, key in enumerate(lines)}
    rows.sort(key=lambda r: r[3])
    return _Arrivals(
        line_slot=np.array([k[0] for k in lines], dtype=np.int64),
        line_supplier=np.array([k[1] for k in lines], dtype=np.int64),
        day=np.array([r[3] for r in rows], dtype=np.int64),
        line=np.array(
            [line_index[slot_index[r[0], r[1]], supplier_index[r[2]]] for r in rows],
            dtype=np.int64,
        ),
        quantity=np.array([float(r[4]) for r in rows], dtype=np.float64),
    )


# -- customers -----------------------------------------------------------------------------------
def _pairs(
    scenario: Scenario, plan: Plan, out_periods: int
) -> tuple[list[tuple[str, str]], FloatArray, FloatArray]:
    """(customer, product) pairs with their demand and the plan's deliveries by period."""
    demand = scenario.demand_by_period()
    backlog = plan_frame(plan, "backlog", ["customer", "item", "period", "delivered"])
    delivered = by_period(backlog, ["customer", "item"], "period", "delivered", out_periods)
    keys = sorted(set(demand) | {(str(k[0]), str(k[1])) for k in delivered})
    nper = scenario.horizon.periods
    demand_array = np.zeros((len(keys), out_periods))
    planned = np.zeros((len(keys), out_periods))
    for n, key in enumerate(keys):
        if key in demand:
            demand_array[n, :nper] = demand[key]
        if key in delivered:
            planned[n] = delivered[key][:out_periods]
    return keys, demand_array, planned


# -- the whole -----------------------------------------------------------------------------------
def build_inputs(scenario: Scenario, plan: Plan, days: int | None = None) -> SimulationInputs:
    """The arrays of a simulation of ``plan`` for ``days`` days (default: the horizon).

    Parameters
    ----------
    scenario
        The scenario the plan was made for.
    plan
        The plan (:func:`dronefab.planning.plan.plan` or :func:`~dronefab.planning.plan.read_plan`).
    days
        Days to simulate from the horizon start; past the horizon sites only catch up.

    Raises
    ------
    UsageError
        If ``days`` is not positive, or the plan's lanes are inconsistent.
    """
    nper, plen = scenario.horizon.periods, scenario.horizon.period_days
    days = nper * plen if days is None else days
    if days <= 0:
        message = f"days must be positive, got {days}"
        raise UsageError(message)
    out_periods = max(nper, math.ceil(days / plen))
    flows = lane_flows(scenario, plan)
    slots = _slots(scenario, plan, flows)
    made = _made(scenario, plan)
    slot_index = {key: n for n, key in enumerate(slots.keys)}
    made_index = {key: n for n, key in enumerate(made.keys)}
    arrivals = _arrivals(scenario, plan, slot_index)
    pairs, demand, planned = _pairs(scenario, plan, out_periods)
    pair_index = {key: n for n, key in enumerate(pairs)}
    capacity, hours, rate = _work_centers(scenario, plan)
    site_index = {s.id: n for n, s in enumerate(scenario.sites)}
    ship = flows.shipments
    return SimulationInputs(
        sites=tuple(site_index),
        suppliers=tuple(u.id for u in scenario.suppliers),
        pairs=tuple(pairs),
        period_days=plen,
        periods=nper,
        days=days,
        out_periods=out_periods,
        wc_capacity=capacity,
        wc_hours=hours,
        wc_rate=rate,
        wc_cum=cumulative_before(rate, plen, axis=1),
        day_factor=_day_factor(scenario, days, out_periods),
        flow_site=np.array([site_index[o] for o, _, _ in flows.keys], dtype=np.int64),
        flow_lead_days=flows.lead_days,
        flow_rate=flows.rate,
        flow_cum=cumulative_before(flows.rate, plen, axis=1),
        flow_pair=np.array(
            [pair_index[t, i] if n < ship else -1 for n, (_, t, i) in enumerate(flows.keys)],
            dtype=np.int64,
        ),
        flow_slot=np.array(
            [
                slot_index.get((t, i), -1) if n >= ship else -1
                for n, (_, t, i) in enumerate(flows.keys)
            ],
            dtype=np.int64,
        ),
        flow_made=np.array([made_index.get((o, i), -1) for o, _, i in flows.keys], dtype=np.int64),
        shipments=ship,
        site_level=site_levels(list(site_index), flows),
        slot_site=slots.site,
        slot_item=tuple(i for _, i in slots.keys),
        slot_opening=slots.opening,
        slot_use=slots.use,
        slot_cum=slots.cum,
        slot_need=_need(slots, days, plen, nper),
        made_site=made.site,
        made_item=tuple(i for _, i in made.keys),
        made_inventory=made.inventory,
        line_slot=arrivals.line_slot,
        line_supplier=arrivals.line_supplier,
        arrival_day=arrivals.day,
        arrival_line=arrivals.line,
        arrival_quantity=arrivals.quantity,
        demand=demand,
        planned=planned,
    )


__all__ = ["SimulationInputs", "build_inputs"]
