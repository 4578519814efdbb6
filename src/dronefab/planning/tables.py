"""From a solved model to the plan tables of SCENARIO.md, as pandas DataFrames.

Periods in the tables are the scenario's 1-based periods. Quantities below ``EPSILON`` are
solver noise and are left out (SCENARIO.md allows zero rows to be omitted).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dronefab.planning.lp import Float, Int
from dronefab.planning.model import PlanningModel
from dronefab.planning.network import Lanes, Network

EPSILON = 1e-6


def _clean(values: Float) -> Float:
    """Zero out solver noise (tiny positives and negatives)."""
    out = np.where(np.abs(values) < EPSILON, 0.0, values)
    return np.asarray(out, dtype=np.float64)


def _names(names: list[str], index: Int) -> np.ndarray:
    return np.asarray(names, dtype=object)[index]


def block_values(m: PlanningModel, values: Float, name: str) -> Float:
    """Solution values of one variable block (empty if the model has no such block)."""
    block = m.lp.variables.get(name)
    if block is None:
        return np.zeros(0)
    return _clean(values[block.start : block.stop])


def _site_item_table(m: PlanningModel, values: Float, name: str, column: str) -> pd.DataFrame:
    """Non-zero values of a (site, item, period) block: site, item, period, ``column``."""
    net, block = m.network, m.lp.variables[name]
    q = block_values(m, values, name)
    keep = q > 0
    return pd.DataFrame(
        {
            "site": _names(net.sites, block.keys["site"][keep]),
            "item": _names(net.items, block.keys["item"][keep]),
            "period": block.keys["period"][keep] + 1,
            column: q[keep],
        }
    )


def production_table(m: PlanningModel, values: Float) -> pd.DataFrame:
    """production.csv: site, item, period, quantity (units started)."""
    return _site_item_table(m, values, "Production", "quantity")


def purchases_table(m: PlanningModel, values: Float) -> pd.DataFrame:
    """purchases.csv: planned orders plus the orders already placed (status ``on_order``)."""
    net = m.network
    columns = [
        "supplier",
        "item",
        "site",
        "order_period",
        "arrival_period",
        "quantity",
        "unit_cost",
        "status",
    ]
    frames = []
    block = m.lp.variables.get("Purchase")
    if block is not None:
        q = block_values(m, values, "Purchase")
        keep = q > 0
        offer = block.keys["offer"][keep]
        order = block.keys["period"][keep]
        frames.append(
            pd.DataFrame(
                {
                    "supplier": _names(net.suppliers, net.supplies.supplier[offer]),
                    "item": _names(net.items, net.supplies.item[offer]),
                    "site": _names(net.sites, block.keys["site"][keep]),
                    "order_period": order + 1,
                    "arrival_period": order + net.supplies.periods[offer] + 1,
                    "quantity": q[keep],
                    "unit_cost": net.supplies.cost[offer],
                    "status": "planned",
                }
            )
        )
    sc = net.scenario
    if sc.on_order:
        frames.append(
            pd.DataFrame(
                {
                    "supplier": [o.supplier for o in sc.on_order],
                    "item": [o.item for o in sc.on_order],
                    "site": [o.site for o in sc.on_order],
                    "order_period": 0,
                    "arrival_period": [sc.period_of(o.arrival) for o in sc.on_order],
                    "quantity": [o.quantity for o in sc.on_order],
                    "unit_cost": [_unit_cost(net, o.supplier, o.item) for o in sc.on_order],
                    "status": "on_order",
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def _unit_cost(net: Network, supplier: str, item: str) -> float:
    for supply in net.scenario.supplier_by_id[supplier].supplies:
        if supply.item == item:
            return supply.unit_cost
    return float("nan")


def _lane_table(
    m: PlanningModel,
    values: Float,
    name: str,
    lanes: Lanes,
    columns: tuple[str, str],
    targets: list[str],
) -> pd.DataFrame:
    """Flows on lanes: origin, target, item, ship_period, arrival_period, quantity."""
    net = m.network
    origin_column, target_column = columns
    block = m.lp.variables.get(name)
    if block is None:
        return pd.DataFrame(
            columns=[
                origin_column,
                target_column,
                "item",
                "ship_period",
                "arrival_period",
                "quantity",
            ]
        )
    q = block_values(m, values, name)
    keep = q > 0
    lane = block.keys["lane"][keep]
    ship = block.keys["period"][keep]
    return pd.DataFrame(
        {
            origin_column: _names(net.sites, lanes.origin[lane]),
            target_column: _names(targets, lanes.target[lane]),
            "item": _names(net.items, block.keys["item"][keep]),
            "ship_period": ship + 1,
            "arrival_period": ship + lanes.periods[lane] + 1,
            "quantity": q[keep],
        }
    )


def shipments_table(m: PlanningModel, values: Float) -> pd.DataFrame:
    """shipments.csv: site, customer, item, ship_period, arrival_period, quantity."""
    net = m.network
    return _lane_table(
        m, values, "Shipment", net.customer_lanes, ("site", "customer"), net.customers
    )


def transfers_table(m: PlanningModel, values: Float) -> pd.DataFrame:
    """transfers.csv: from_site, to_site, item, ship_period, arrival_period, quantity."""
    net = m.network
    return _lane_table(m, values, "Transfer", net.site_lanes, ("from_site", "to_site"), net.sites)


def inventory_table(m: PlanningModel, values: Float) -> pd.DataFrame:
    """inventory.csv: site, item, period, on_hand (end of period)."""
    return _site_item_table(m, values, "Inventory", "on_hand")


def backlog_table(m: PlanningModel, values: Float) -> pd.DataFrame:
    """backlog.csv: customer, item, period, demand, delivered, backlog — every period kept."""
    net, block = m.network, m.lp.variables["Backorder"]
    b = block_values(m, values, "Backorder")
    customer, item, t = block.keys["customer"], block.keys["item"], block.keys["period"]
    demand = net.demand[customer, item, t]
    previous = np.concatenate([[0.0], b[:-1]])
    previous[t == 0] = 0.0
    delivered = _clean(previous + demand - b)
    return pd.DataFrame(
        {
            "customer": _names(net.customers, customer),
            "item": _names(net.items, item),
            "period": t + 1,
            "demand": demand,
            "delivered": delivered,
            "backlog": b,
        }
    )


def capacity_table(m: PlanningModel, values: Float, row_dual: Float | None) -> pd.DataFrame:
    """capacity.csv: every work center in every period, with hours used and the shadow price.

    ``shadow_price`` is what one more hour in that period would save (objective units per hour):
    minus HiGHS's row dual, so it is zero or positive; empty for a MIP or when capacity is not
    modelled (unconstrained planning), where ``overload_hours`` shows the excess instead.
    """
    net, T = m.network, m.network.T
    site, wc = np.nonzero(m.capacity_id >= 0)
    order = np.argsort(m.capacity_id[site, wc])
    site, wc = site[order], wc[order]
    used = np.zeros((len(net.sites), len(net.work_centers), T))
    x = m.lp.variables["Production"]
    q = block_values(m, values, "Production")
    xs, xi, xt = x.keys["site"], x.keys["item"], x.keys["period"]
    for w in range(len(net.work_centers)):
        hours = q * net.minutes[xi, w] / 60.0
        np.add.at(used[:, w, :], (xs, xt), hours)
    s_rep, w_rep = np.repeat(site, T), np.repeat(wc, T)
    t_rep = np.tile(np.arange(T), len(site))
    available = net.available_hours[s_rep, w_rep, t_rep]
    used_hours = _clean(used[s_rep, w_rep, t_rep])
    frame = pd.DataFrame(
        {
            "site": _names(net.sites, s_rep),
            "work_center": _names(net.work_centers, w_rep),
            "period": t_rep + 1,
            "available_hours": available,
            "used_hours": used_hours,
        }
    )
    block = m.lp.constraints.get("Capacity")
    if block is not None and row_dual is not None:
        frame["shadow_price"] = _clean(-row_dual[block.start : block.stop])
    else:
        frame["shadow_price"] = np.nan
    frame["utilisation"] = np.divide(
        used_hours, available, out=np.zeros_like(used_hours), where=available > 0
    )
    frame["overload_hours"] = _clean(np.maximum(used_hours - available, 0.0))
    return frame


def on_time_by_due_period(demand: Float, delivered: Float) -> tuple[Float, Float]:
    """On-time and never-delivered units per due period, matching deliveries oldest-first.

    Unit ``n`` of cumulative demand is delivered in the first period whose cumulative
    deliveries reach ``n``, so the units due in ``t`` that arrive by ``t`` number
    ``clip(C(t) - D(t-1), 0, d(t))``; those never delivered ``clip(D(t) - C(T), 0, d(t))``.

    Parameters
    ----------
    demand, delivered
        Arrays over periods (last axis) for one or many (customer, product) series.
    """
    cum_demand = np.cumsum(demand, axis=-1)
    cum_delivered = np.cumsum(delivered, axis=-1)
    before = cum_demand - demand
    on_time = np.clip(cum_delivered - before, 0.0, demand)
    never = np.clip(cum_demand - cum_delivered[..., -1:], 0.0, demand)
    return on_time, never


def fill_rates(backlog: pd.DataFrame, customers: list[str]) -> dict[str, dict[str, float]]:
    """Per customer: demand, on-time, late and never-delivered units and the on-time fill rate."""
    out: dict[str, dict[str, float]] = {}
    for customer in customers:
        rows = backlog[backlog["customer"] == customer]
        demand_total = on_time_total = never_total = 0.0
        for _, series in rows.groupby("item", sort=False):
            series = series.sort_values("period")
            demand = series["demand"].to_numpy(dtype=float)
            on_time, never = on_time_by_due_period(
                demand, series["delivered"].to_numpy(dtype=float)
            )
            demand_total += demand.sum()
            on_time_total += on_time.sum()
            never_total += never.sum()
        out[customer] = {
            "demand": demand_total,
            "on_time": on_time_total,
            "late": demand_total - on_time_total - never_total,
            "never": never_total,
            "fill_rate": on_time_total / demand_total if demand_total > 0 else 1.0,
        }
    return out


def cost_breakdown(m: PlanningModel, values: Float) -> dict[str, float]:
    """The objective split by kind: purchase, labour, lane, holding, backlog, unmet."""
    net, lp, T = m.network, m.lp, m.network.T
    cost = lp.column_vector(lp.cost)

    def spend(name: str) -> float:
        block = lp.variables.get(name)
        if block is None:
            return 0.0
        columns = slice(block.start, block.stop)
        return float(np.dot(cost[columns], values[columns]))

    backorder = lp.variables["Backorder"]
    b = values[backorder.start : backorder.stop]
    k = backorder.keys["customer"]
    last = backorder.keys["period"] == T - 1
    return {
        "purchase": spend("Purchase"),
        "labour": spend("Production"),
        "lane": spend("Shipment") + spend("Transfer"),
        "holding": spend("Inventory"),
        "backlog": float(np.dot(net.backlog_penalty[k], b)),
        "unmet": float(np.dot(net.unmet_penalty[k][last], b[last])),
    }
