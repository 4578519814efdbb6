"""The planning LP, one ``define_*`` function per kind of variable or constraint.

Rows and columns (0-based periods ``t``; ``LT`` the lead time in periods):

- ``Balance[s,i,t]`` (=): ``inv[t] - inv[t-1] - yield_i x[s,i,t] - buy arrivals - transfers in
  + sum_j bom(j,i) x[s,j,t] + shipments + transfers out = on_order[s,i,t] + initial[s,i] [t=0]``
- ``Backlog[k,p,t]`` (=): ``b[t] - b[t-1] + deliveries arriving in t = demand[k,p,t]``
- ``Capacity[s,w,t]`` (<=): ``sum_i minutes(i,w)/60 x[s,i,t] <= available_hours[s,w,t]``
- ``Supplier[u,i,o]`` (<=): ``sum_s buy[u,i,s,o] <= capacity(u,i)``

Objective: purchase + labour + lane + holding + backlog + unmet costs, as SCENARIO.md states.
With pruning, variables that can never carry flow are left out (see :mod:`network`); the
unpruned model has every pair and lane and gives the same optimum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dronefab.planning.lp import Block, Int, LinearProgram
from dronefab.planning.network import Lanes, Network


@dataclass(frozen=True)
class ModelSettings:
    """What to include in the model.

    Parameters
    ----------
    prune
        Leave out variables that can never carry flow.
    work_center_capacity, supplier_capacity
        Include the capacity rows (False: unconstrained planning, or a relaxation).
    integer
        Whole units for production, purchases, shipments and transfers.
    """

    prune: bool = True
    work_center_capacity: bool = True
    supplier_capacity: bool = True
    integer: bool = False


@dataclass
class PlanningModel:
    """The LP and the maps from scenario indices to its rows."""

    network: Network
    settings: ModelSettings
    lp: LinearProgram
    pair_id: Int  # (site, item) -> balance pair number, -1 where left out
    backlog_id: Int  # (customer, item) -> backlog pair number, -1 where nothing is demanded
    capacity_id: Int  # (site, work_center) -> capacity pair number, -1 where the site lacks it

    def balance_row(self, site: Int, item: Int, t: Int) -> Int:
        """Row numbers of ``Balance[site, item, t]``."""
        block = self.lp.constraints["Balance"]
        return block.start + self.pair_id[site, item] * self.network.T + t

    def backlog_row(self, customer: Int, item: Int, t: Int) -> Int:
        """Row numbers of ``Backlog[customer, item, t]``."""
        block = self.lp.constraints["Backlog"]
        return block.start + self.backlog_id[customer, item] * self.network.T + t


def _pairs(mask: np.ndarray) -> tuple[Int, Int, Int]:
    """Numbering of the True entries of a 2-D mask: (first index, second index, id array)."""
    first, second = np.nonzero(mask)
    ids = np.full(mask.shape, -1, dtype=np.int64)
    ids[first, second] = np.arange(len(first))
    return first.astype(np.int64), second.astype(np.int64), ids


def _over_periods(periods: int, **keys: Int) -> dict[str, Int]:
    """Repeat every key entry once per period and add a ``period`` key (0-based)."""
    size = len(next(iter(keys.values())))
    out = {name: np.repeat(values, periods) for name, values in keys.items()}
    out["period"] = np.tile(np.arange(periods, dtype=np.int64), size)
    return out


def _expand(owner: Int, starts: Int, counts: Int) -> tuple[Int, Int]:
    """For each entry ``n`` with ``counts[n]`` children at ``starts[n]...``: (entry, child) pairs."""
    total = int(counts.sum())
    entry = np.repeat(np.arange(len(owner), dtype=np.int64), counts)
    offset = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    return entry, starts[entry] + offset


def define_balance(m: PlanningModel) -> None:
    """``Balance[s,i,t]`` rows and the inventory columns ``inv[s,i,t] >= 0``."""
    net, T = m.network, m.network.T
    site, item = np.nonzero(m.pair_id >= 0)
    order = np.argsort(m.pair_id[site, item])
    site, item = site[order].astype(np.int64), item[order].astype(np.int64)
    keys = _over_periods(T, site=site, item=item)
    rhs = net.on_order[keys["site"], keys["item"], keys["period"]].copy()
    rhs[keys["period"] == 0] += net.initial[site, item]
    rows = m.lp.add_constraints("Balance", keys, rhs, rhs)
    inv = m.lp.add_variables("Inventory", keys, cost=net.holding_cost[keys["item"]], integer=False)
    m.lp.add_terms(rows.index(), inv.index(), 1.0)
    later = keys["period"] < T - 1
    m.lp.add_terms(rows.index()[later] + 1, inv.index()[later], -1.0)


def define_backlog(m: PlanningModel) -> None:
    """``Backlog[k,p,t]`` rows and the backlog columns ``b[k,p,t] >= 0``."""
    net, T = m.network, m.network.T
    customer, item = np.nonzero(m.backlog_id >= 0)
    order = np.argsort(m.backlog_id[customer, item])
    customer, item = customer[order].astype(np.int64), item[order].astype(np.int64)
    keys = _over_periods(T, customer=customer, item=item)
    demand = net.demand[keys["customer"], keys["item"], keys["period"]]
    rows = m.lp.add_constraints("Backlog", keys, demand, demand)
    cost = net.backlog_penalty[keys["customer"]] + np.where(
        keys["period"] == T - 1, net.unmet_penalty[keys["customer"]], 0.0
    )
    b = m.lp.add_variables("Backorder", keys, cost=cost)
    m.lp.add_terms(rows.index(), b.index(), 1.0)
    later = keys["period"] < T - 1
    m.lp.add_terms(rows.index()[later] + 1, b.index()[later], -1.0)


def _production_keys(m: PlanningModel) -> dict[str, Int]:
    net, T, s = m.network, m.network.T, m.settings
    if s.prune:
        candidates = net.producible & net.reachable & net.useful & (m.pair_id >= 0)
    else:
        candidates = net.makes.copy()
    site, item, _ = _pairs(candidates)
    keys = _over_periods(T, site=site, item=item)
    if s.prune or not s.work_center_capacity:
        # Only periods in which every work center the item needs has hours (the site is open).
        needs = net.minutes[keys["item"]] > 0  # (entry, wc)
        hours = net.available_hours[keys["site"], :, keys["period"]] > 0  # (entry, wc)
        open_ = ~(needs & ~hours).any(axis=1)
        keys = {name: values[open_] for name, values in keys.items()}
    return keys


def define_production(m: PlanningModel) -> Block:
    """Production columns ``x[s,i,t]``: yield into the item's balance, BOM use of components."""
    net = m.network
    keys = _production_keys(m)
    site, item, t = keys["site"], keys["item"], keys["period"]
    x = m.lp.add_variables(
        "Production",
        keys,
        cost=net.labour_cost[site] * net.hours_per_unit[item],
        integer=m.settings.integer,
    )
    m.lp.add_terms(m.balance_row(site, item, t), x.index(), -net.yield_rate[item])
    order = np.argsort(net.bom_parent, kind="stable")
    counts = np.bincount(net.bom_parent, minlength=len(net.items)).astype(np.int64)
    starts = np.cumsum(counts) - counts
    entry, line = _expand(item, starts[item], counts[item])
    line = order[line]
    component = net.bom_component[line]
    if (m.pair_id[site[entry], component] < 0).any():
        message = "internal error: a component of a produced item has no balance row"
        raise AssertionError(message)
    m.lp.add_terms(
        m.balance_row(site[entry], component, t[entry]), x.start + entry, net.bom_quantity[line]
    )
    return x


def define_capacity(m: PlanningModel) -> None:
    """``Capacity[s,w,t]``: hours used by production within the available hours."""
    if not m.settings.work_center_capacity:
        return
    net, T = m.network, m.network.T
    site, wc = np.nonzero(m.capacity_id >= 0)
    order = np.argsort(m.capacity_id[site, wc])
    site, wc = site[order].astype(np.int64), wc[order].astype(np.int64)
    keys = _over_periods(T, site=site, work_center=wc)
    available = net.available_hours[keys["site"], keys["work_center"], keys["period"]]
    rows = m.lp.add_constraints("Capacity", keys, -np.inf, available)
    x = m.lp.variables["Production"]
    xs, xi, xt = x.keys["site"], x.keys["item"], x.keys["period"]
    entry, w = np.nonzero(net.minutes[xi] > 0)
    row = rows.start + m.capacity_id[xs[entry], w] * T + xt[entry]
    m.lp.add_terms(row, x.start + entry, net.minutes[xi[entry], w] / 60.0)


def define_purchases(m: PlanningModel) -> None:
    """Purchase columns ``buy[u,i,s,o]`` arriving in ``o + LT``, and ``Supplier`` rows."""
    net, T, s = m.network, m.network.T, m.settings
    offers = net.supplies
    if len(offers) == 0:
        return
    wanted = (net.buy_useful & (m.pair_id >= 0)) if s.prune else (m.pair_id >= 0)
    offer, site = np.nonzero(wanted[:, offers.item].T)  # (offer, site) pairs
    offer, site = offer.astype(np.int64), site.astype(np.int64)
    if s.prune:
        beaten = net.offer_dominated if s.supplier_capacity else net.offer_dominated_uncapacitated
        keep = (offers.capacity[offer] > 0) & ~beaten[offer]
        offer, site = offer[keep], site[keep]
    keys = _over_periods(T, offer=offer, site=site)
    arrival = keys["period"] + offers.periods[keys["offer"]]
    inside = arrival < T
    if s.prune:
        keys = {name: values[inside] for name, values in keys.items()}
        arrival, inside = arrival[inside], inside[inside]
    upper = np.where(inside, np.inf, 0.0)
    buy = m.lp.add_variables(
        "Purchase", keys, cost=offers.cost[keys["offer"]], upper=upper, integer=s.integer
    )
    item = offers.item[keys["offer"]]
    m.lp.add_terms(
        m.balance_row(keys["site"][inside], item[inside], arrival[inside]),
        buy.index()[inside],
        -1.0,
    )
    if not s.supplier_capacity:
        return
    limited = np.flatnonzero(np.isfinite(offers.capacity)).astype(np.int64)
    if len(limited) == 0:
        return
    limited_id = np.full(len(offers), -1, dtype=np.int64)
    limited_id[limited] = np.arange(len(limited))
    row_keys = _over_periods(T, offer=limited)
    capacity = offers.capacity[row_keys["offer"]]
    rows = m.lp.add_constraints("Supplier", row_keys, -np.inf, capacity)
    bounded = limited_id[keys["offer"]] >= 0
    row = rows.start + limited_id[keys["offer"][bounded]] * T + keys["period"][bounded]
    m.lp.add_terms(row, buy.index()[bounded], 1.0)


def _lane_flows(
    m: PlanningModel,
    name: str,
    lanes: Lanes,
    allowed: np.ndarray,
    periods: np.ndarray | None = None,
) -> tuple[Block, Int, Int, Int, np.ndarray]:
    """Columns for the (lane, item) pairs in ``allowed``, one per period they may leave in.

    ``periods`` (lane, item, period), when given and pruning, restricts the leaving periods.
    Returns the block, each column's origin site, lane target, arrival period and whether that
    arrival lies inside the horizon (always, when pruned; otherwise the column is fixed at 0).
    """
    T, s = m.network.T, m.settings
    lane, item = np.nonzero(allowed)
    keys = _over_periods(T, lane=lane.astype(np.int64), item=item.astype(np.int64))
    arrival = keys["period"] + lanes.periods[keys["lane"]]
    inside = arrival < T
    if s.prune and periods is not None:
        inside &= periods[keys["lane"], keys["item"], keys["period"]]
    if s.prune:
        keys = {key: values[inside] for key, values in keys.items()}
        arrival, inside = arrival[inside], inside[inside]
    block = m.lp.add_variables(
        name,
        keys,
        cost=lanes.cost[keys["lane"]],
        upper=np.where(inside, np.inf, 0.0),
        integer=s.integer,
    )
    origin, target = lanes.origin[keys["lane"]], lanes.target[keys["lane"]]
    m.lp.add_terms(m.balance_row(origin, keys["item"], keys["period"]), block.index(), 1.0)
    return block, origin, target, arrival, inside


def define_shipments(m: PlanningModel) -> None:
    """Shipment columns ``ship[lane,p,t]``: out of the site's stock, into the customer's backlog."""
    lanes = m.network.customer_lanes
    if len(lanes) == 0:
        return
    # every (lane, product) whose customer has demand for the product
    allowed = m.backlog_id[lanes.target] >= 0  # (lane, item)
    if m.settings.prune:
        allowed &= m.pair_id[lanes.origin] >= 0
    ship, _, customer, arrival, inside = _lane_flows(m, "Shipment", lanes, allowed)
    item = ship.keys["item"]
    rows = m.backlog_row(customer[inside], item[inside], arrival[inside])
    m.lp.add_terms(rows, ship.index()[inside], 1.0)


def define_transfers(m: PlanningModel) -> None:
    """Transfer columns ``move[lane,i,t]``: out of one site's stock, into another's later."""
    net = m.network
    lanes = net.site_lanes
    if len(lanes) == 0:
        return
    allowed = (m.pair_id[lanes.origin] >= 0) & (m.pair_id[lanes.target] >= 0)  # (lane, item)
    if m.settings.prune:
        allowed &= net.reachable[lanes.origin] & net.useful[lanes.target] & net.lane_allowed
    periods = net.stock_move_periods if m.settings.prune else None
    move, _, target, arrival, inside = _lane_flows(m, "Transfer", lanes, allowed, periods)
    item = move.keys["item"]
    rows = m.balance_row(target[inside], item[inside], arrival[inside])
    m.lp.add_terms(rows, move.index()[inside], -1.0)


def do_nothing_solution(m: PlanningModel) -> np.ndarray:
    """A feasible plan that makes, buys and moves nothing: stock only grows by orders already
    placed, and all demand stays in backlog. Integer-feasible, so a MIP always has a plan."""
    net, lp = m.network, m.lp
    values = np.zeros(lp.num_cols)
    inv = lp.variables["Inventory"]
    s, i, t = inv.keys["site"], inv.keys["item"], inv.keys["period"]
    stock = net.initial[:, :, None] + np.cumsum(net.on_order, axis=2)
    values[inv.start : inv.stop] = stock[s, i, t]
    backorder = lp.variables["Backorder"]
    k, p, t = backorder.keys["customer"], backorder.keys["item"], backorder.keys["period"]
    values[backorder.start : backorder.stop] = np.cumsum(net.demand, axis=2)[k, p, t]
    return values


def build_model(network: Network, settings: ModelSettings | None = None) -> PlanningModel:
    """Build the planning LP for a network.

    Parameters
    ----------
    network
        The scenario in array form.
    settings
        What to include; defaults to the full, pruned, continuous model.
    """
    settings = settings or ModelSettings()
    _, _, pair_id = _pairs(network.keep(settings.prune))
    _, _, backlog_id = _pairs(network.demand.sum(axis=2) > 0)
    _, _, capacity_id = _pairs(network.has_wc)
    m = PlanningModel(network, settings, LinearProgram(), pair_id, backlog_id, capacity_id)
    define_balance(m)
    define_backlog(m)
    define_production(m)
    define_capacity(m)
    define_purchases(m)
    define_shipments(m)
    define_transfers(m)
    return m
