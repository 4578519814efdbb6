"""A plan and its scenario turned into the arrays the engine reads.

Everything here is run-independent and built once per simulation. Plan periods are indexed
from 0 on every ``period`` axis (plan period ``t`` is index ``t - 1``).

A site's activities follow its open days (docs/design/simulation.md, "Open days"): within period
``t`` plan day ``j`` carries weight ``w_j`` (1 if the site is open that day, else 0; every day 1
in a period with no open day) and a quantity ``q`` of the period proceeds at ``q w_j / W_t`` on
that plan day, ``W_t`` the period's total weight. Every cumulative quantity of the plan is so
piecewise linear in plan time with a piece per plan day: arrays over the ``pday`` axis hold plan
days ``0 .. T P - 1`` and one extra, last entry ``T P`` for plan time beyond the horizon, where
every rate is zero; a ``*_cum`` array holds the quantity before each plan day (index ``T P``:
all).

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
``pday``
    Plan days ``0 .. T P`` (see above).
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
from dronefab.planning.plan import Plan, ensure_plan_fits
from dronefab.planning.promises import promised_by_period, promises_table
from dronefab.simulation.flows import (
    Flows,
    by_period,
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
    plan_days
        ``T P``: plan days with planned work (the last index of every ``pday`` axis).
    day_share
        ``(site, pday)`` the share of its period's quantities a site's plan does on each plan day,
        ``w_j / W_t`` (0 beyond the horizon).
    wc_capacity
        ``(site, wc)`` ``stations * efficiency``.
    wc_hours
        ``(site, wc)`` ``hours_per_day``.
    wc_rate
        ``(site, pday, wc)`` planned used hours per plan day, ``used_hours w_j / W_t``.
    day_factor
        ``(day, site)`` ``ramp(t(d)) * open(d) * days_per_week / 7``.
    flow_site, flow_lead_days
        ``(flow,)`` origin site; ``L * P`` days of the lane.
    flow_rate
        ``(flow, pday)`` planned quantity per plan day, ``q w_j / W_t`` (weights of the origin).
    flow_cum
        ``(flow, pday)`` planned quantity sent before each plan day (index ``T P``: all).
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
    slot_site
        ``(slot,)`` site index.
    slot_opening
        ``(slot,)`` opening stock.
    slot_use
        ``(slot, pday)`` planned use per plan day (BOM consumption and flows out).
    slot_cum
        ``(slot, pday)`` planned use before each plan day (index ``T P``: all).
    slot_need
        ``(day, slot)`` planned use up to plan time ``d + 1``.
    made_site
        ``(made,)`` site index.
    made_level, made_change
        ``(made, pday)`` planned inventory at the start of each plan day (index 0 the opening
        stock, index ``T P`` the end of the horizon) and its change per plan day: between period
        ends it moves as the site's activities do, with the site's open-day weights.
    line_slot, line_supplier
        ``(line,)`` slot and supplier index.
    arrival_day, arrival_line, arrival_quantity
        Scheduled purchase arrivals, sorted by day: due day ``e`` (the first day of the arrival
        period, for planned purchases and orders already placed alike), line and quantity.
    demand, planned
        ``(pair, out_periods)`` demand by due period and the plan's deliveries.
    promised
        ``(pair, out_periods)`` units promised by promised period (the plan's promises.csv, or
        :func:`~dronefab.planning.promises.promises_table` of its deliveries), those never
        promised left out.
    """

    sites: tuple[str, ...]
    suppliers: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...]
    period_days: int
    periods: int
    days: int
    out_periods: int
    plan_days: int
    day_share: FloatArray
    wc_capacity: FloatArray
    wc_hours: FloatArray
    wc_rate: FloatArray
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
    slot_opening: FloatArray
    slot_use: FloatArray
    slot_cum: FloatArray
    slot_need: FloatArray
    made_site: IntArray
    made_level: FloatArray
    made_change: FloatArray
    line_slot: IntArray
    line_supplier: IntArray
    arrival_day: IntArray
    arrival_line: IntArray
    arrival_quantity: FloatArray
    demand: FloatArray
    planned: FloatArray
    promised: FloatArray


# -- calendar ------------------------------------------------------------------------------------
def _day_factor(scenario: Scenario, days: int, out_periods: int) -> FloatArray:
    """``(day, site)`` ``ramp(t(d)) * open(d) * days_per_week / 7``."""
    horizon = scenario.horizon.model_copy(update={"periods": out_periods})
    day = np.arange(days)
    factor = np.zeros((days, len(scenario.sites)))
    for s, site in enumerate(scenario.sites):
        ramp = timeline.ramp_factor(site, horizon)[day // horizon.period_days]
        opened = timeline.open_day_mask(site, horizon.start, days)
        factor[:, s] = ramp * opened * site.days_per_week / 7.0
    return factor


def _day_share(scenario: Scenario) -> FloatArray:
    """``(site, pday)`` ``w_j / W_t``: each plan day's share of its period (0 beyond the horizon).

    ``w_j`` is 1 on a day the site is open, else 0; a period with no open day weighs every day 1.
    """
    nper, plen = scenario.horizon.periods, scenario.horizon.period_days
    share = np.zeros((len(scenario.sites), nper * plen + 1))
    for s, site in enumerate(scenario.sites):
        weight = timeline.open_day_mask(site, scenario.horizon.start, nper * plen)
        weight = weight.reshape(nper, plen)
        weight = weight.astype(np.float64)
        weight[weight.sum(axis=1) == 0] = 1.0
        share[s, :-1] = (weight / weight.sum(axis=1, keepdims=True)).ravel()
    return share


def _spread(
    quantity: FloatArray, share: FloatArray, period_days: int
) -> tuple[FloatArray, FloatArray]:
    """Rates per plan day and cumulative quantities before each plan day, ``(..., pday)``, of
    quantities per period ``quantity`` ``(..., T)`` done in shares ``share`` ``(..., pday)``."""
    rate = np.repeat(quantity, period_days, axis=-1) * share[..., :-1]
    zero = np.zeros((*rate.shape[:-1], 1))
    cum = np.concatenate([zero, np.cumsum(rate, axis=-1)], axis=-1)
    return np.concatenate([rate, zero], axis=-1), cum


# -- work centers --------------------------------------------------------------------------------
def _work_centers(
    scenario: Scenario, plan: Plan, share: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``wc_capacity``, ``wc_hours`` and ``wc_rate`` (see :class:`SimulationInputs`)."""
    sites, nper, plen = scenario.sites, scenario.horizon.periods, scenario.horizon.period_days
    width = max((len(site.work_centers) for site in sites), default=0)
    capacity = np.zeros((len(sites), width))
    hours = np.zeros((len(sites), width))
    used_hours = np.zeros((len(sites), width, nper))
    column = {}
    for s, site in enumerate(sites):
        for w, wc in enumerate(site.work_centers):
            capacity[s, w] = wc.stations * wc.efficiency
            hours[s, w] = wc.hours_per_day
            column[site.id, wc.id] = (s, w)
    used = plan_frame(plan, "capacity", ["site", "work_center", "period", "used_hours"])
    for row in used.itertuples(index=False):
        s, w = column[str(row.site), str(row.work_center)]
        used_hours[s, w, int(row.period) - 1] += float(row.used_hours)
    rate, _ = _spread(used_hours, share[:, None, :], plen)
    return capacity, hours, rate.transpose(0, 2, 1)


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


def _slots(scenario: Scenario, plan: Plan, flows: Flows, share: FloatArray) -> _Slots:
    """The outside materials, their opening stock and planned use per plan day."""
    nper, plen = scenario.horizon.periods, scenario.horizon.period_days
    order = {s.id: n for n, s in enumerate(scenario.sites)}
    keys = sorted(_outside_keys(scenario, plan, flows), key=lambda k: (order[k[0]], k[1]))
    use_by_key = _use(scenario, plan, flows)
    use = np.array([use_by_key.get(k, np.zeros(nper + 1))[:nper] for k in keys]).reshape(
        len(keys), nper
    )
    site = np.array([order[s] for s, _ in keys], dtype=np.int64)
    rate, cum = _spread(use, share[site], plen)
    opening = [scenario.site_by_id[s].initial_inventory.get(i, 0.0) for s, i in keys]
    return _Slots(
        keys=keys,
        site=site,
        opening=np.array(opening, dtype=np.float64),
        use=rate,
        cum=cum,
    )


def _need(slots: _Slots, days: int) -> FloatArray:
    """``(day, slot)`` planned use up to plan time ``d + 1``."""
    pday = np.minimum(np.arange(1, days + 1), slots.cum.shape[1] - 1)
    return np.asarray(slots.cum[:, pday].T, dtype=np.float64)


@dataclass(frozen=True)
class _Made:
    keys: list[tuple[str, str]]
    site: IntArray
    level: FloatArray
    change: FloatArray


def _made(scenario: Scenario, plan: Plan, share: FloatArray) -> _Made:
    """Made items (positive planned production) and their planned inventory by plan day."""
    nper, plen = scenario.horizon.periods, scenario.horizon.period_days
    order = {s.id: n for n, s in enumerate(scenario.sites)}
    inventory = plan_frame(plan, "inventory", ["site", "item", "period", "on_hand"])
    on_hand = by_period(inventory, ["site", "item"], "period", "on_hand", nper)
    made = sorted(_made_keys(plan), key=lambda k: (order[k[0]], k[1]))
    rows = []
    for site, item in made:
        ends = on_hand.get((site, item), np.zeros(nper + 1))[:nper]
        opening = scenario.site_by_id[site].initial_inventory.get(item, 0.0)
        rows.append(np.concatenate([[opening], ends]))
    ends_and_opening = np.array(rows).reshape(len(made), nper + 1)
    made_site = np.array([order[s] for s, _ in made], dtype=np.int64)
    change, cum = _spread(np.diff(ends_and_opening, axis=1), share[made_site], plen)
    level = ends_and_opening[:, :1] + cum
    return _Made(keys=made, site=made_site, level=level, change=change)


# -- purchases -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Arrivals:
    line_slot: IntArray
    line_supplier: IntArray
    day: IntArray
    line: IntArray
    quantity: FloatArray


def _arrivals(scenario: Scenario, plan: Plan, slot_index: dict[tuple[str, str], int]) -> _Arrivals:
    """Planned purchases and orders already placed, due on the first day of their arrival
    period."""
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
        (o.site, o.item, o.supplier, (scenario.period_of(o.arrival) - 1) * plen, o.quantity)
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


def _promised(
    scenario: Scenario, plan: Plan, pairs: list[tuple[str, str]], out_periods: int
) -> FloatArray:
    """``(pair, out_periods)`` units promised by period: the plan's own promises when it has
    them (read from its folder), else those of its deliveries."""
    table = plan.promises
    if table is None:
        backlog = plan_frame(plan, "backlog", ["customer", "item", "period", "delivered"])
        table = promises_table(scenario, backlog)
    return promised_by_period(table, pairs, out_periods)


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
        If ``days`` is not positive, or the plan was not made for this scenario.
    """
    ensure_plan_fits(scenario, plan)
    nper, plen = scenario.horizon.periods, scenario.horizon.period_days
    days = nper * plen if days is None else days
    if days <= 0:
        message = f"days must be positive, got {days}"
        raise UsageError(message)
    out_periods = max(nper, math.ceil(days / plen))
    flows = lane_flows(scenario, plan)
    share = _day_share(scenario)
    slots = _slots(scenario, plan, flows, share)
    made = _made(scenario, plan, share)
    slot_index = {key: n for n, key in enumerate(slots.keys)}
    made_index = {key: n for n, key in enumerate(made.keys)}
    arrivals = _arrivals(scenario, plan, slot_index)
    pairs, demand, planned = _pairs(scenario, plan, out_periods)
    pair_index = {key: n for n, key in enumerate(pairs)}
    capacity, hours, wc_rate = _work_centers(scenario, plan, share)
    site_index = {s.id: n for n, s in enumerate(scenario.sites)}
    ship = flows.shipments
    flow_site = np.array([site_index[o] for o, _, _ in flows.keys], dtype=np.int64)
    flow_rate, flow_cum = _spread(flows.rate[:, :nper] * plen, share[flow_site], plen)
    return SimulationInputs(
        sites=tuple(site_index),
        suppliers=tuple(u.id for u in scenario.suppliers),
        pairs=tuple(pairs),
        period_days=plen,
        periods=nper,
        days=days,
        out_periods=out_periods,
        plan_days=nper * plen,
        day_share=share,
        wc_capacity=capacity,
        wc_hours=hours,
        wc_rate=wc_rate,
        day_factor=_day_factor(scenario, days, out_periods),
        flow_site=flow_site,
        flow_lead_days=flows.lead_days,
        flow_rate=flow_rate,
        flow_cum=flow_cum,
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
        slot_opening=slots.opening,
        slot_use=slots.use,
        slot_cum=slots.cum,
        slot_need=_need(slots, days),
        made_site=made.site,
        made_level=made.level,
        made_change=made.change,
        line_slot=arrivals.line_slot,
        line_supplier=arrivals.line_supplier,
        arrival_day=arrivals.day,
        arrival_line=arrivals.line,
        arrival_quantity=arrivals.quantity,
        demand=demand,
        planned=planned,
        promised=_promised(scenario, plan, pairs, out_periods),
    )


__all__ = ["SimulationInputs", "build_inputs"]
