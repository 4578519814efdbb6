"""Why each late unit is late, in words a planner understands.

Method (a relaxation cascade, then duals to name the constraint):

1. Late units per (customer, product, due period) come from the plan, deliveries matched to the
   oldest open demand first.
2. The same model is solved again without work-center capacity (R1), then also without supplier
   capacity (R2). Units late in the plan but not in R1 are late because of work-center capacity;
   late in R1 but not in R2, because of supplier capacity; still late in R2, because of the
   structure of the network: a lead time too long to order before the due date, a missing lane,
   a part nobody supplies.
3. Capacity-caused units are attributed to the binding rows that can serve the product (its
   own and its components' work centers and suppliers) in periods up to the due period, in
   proportion to their shadow prices (the LP's dual values); structural ones to the item on the
   critical path of the cumulative lead time, or to the missing lane or supplier.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from dronefab.planning.lp import Float
from dronefab.planning.model import ModelSettings, PlanningModel, build_model
from dronefab.planning.network import Network
from dronefab.planning.solve import solve
from dronefab.planning.tables import backlog_table, on_time_by_due_period

WORK_CENTER = "work-center capacity"
SUPPLIER = "supplier capacity"
LEAD_TIME = "lead time"
MISSING_LANE = "missing lane"
MISSING_SUPPLIER = "missing supplier"
COLUMNS = [
    "customer",
    "item",
    "due_period",
    "quantity",
    "never_delivered",
    "reason",
    "detail",
    "constraint",
]
MAX_CONSTRAINTS_PER_BUCKET = 3
Result = TypeVar("Result")


def late_units(m: PlanningModel, values: Float) -> tuple[Float, Float]:
    """Late (or never delivered) and never-delivered units, shape ``(customer, item, period)``."""
    net = m.network
    frame = backlog_table(m, values)
    delivered = np.zeros_like(net.demand)
    k = frame["customer"].map(net.customer_index).to_numpy(dtype=np.int64)
    i = frame["item"].map(net.item_index).to_numpy(dtype=np.int64)
    t = frame["period"].to_numpy(dtype=np.int64) - 1
    delivered[k, i, t] = frame["delivered"].to_numpy(dtype=float)
    on_time, never = on_time_by_due_period(net.demand, delivered)
    late = np.where(net.demand > 0, net.demand - on_time, 0.0)
    return np.clip(late, 0.0, None), never


def closure(net: Network, product: int) -> tuple[set[int], set[int]]:
    """The made and the purchased items in a product's bill of materials (the product included)."""
    made: set[int] = set()
    bought: set[int] = set()
    stack = [product]
    while stack:
        item = stack.pop()
        if item in made or item in bought:
            continue
        (made if net.is_made[item] else bought).add(item)
        stack.extend(int(c) for c in net.bom_component[net.bom_parent == item])
    return made, bought


@dataclass
class Group:
    """A binding constraint group (a work center at a site, or a supplier's item)."""

    reason: str
    key: str
    detail: str
    weight_by_period: Float  # shadow price mass per period


def _periods_text(periods: np.ndarray) -> str:
    if len(periods) == 0:
        return ""
    first, last = int(periods.min()) + 1, int(periods.max()) + 1
    return f"period {first}" if first == last else f"periods {first}-{last}"


def work_center_groups(m: PlanningModel, dual: Float) -> dict[tuple[int, int], Group]:
    """Binding work centers: (site, wc) with positive shadow price in some period."""
    net, T = m.network, m.network.T
    block = m.lp.constraints.get("Capacity")
    if block is None:
        return {}
    price = np.clip(-dual[block.start : block.stop], 0.0, None)
    groups = {}
    site, wc, t = block.keys["site"], block.keys["work_center"], block.keys["period"]
    for pair in np.unique(np.stack([site, wc], axis=1), axis=0) if len(site) else []:
        s, w = int(pair[0]), int(pair[1])
        rows = (site == s) & (wc == w)
        weights = np.zeros(T)
        weights[t[rows]] = price[rows]
        if weights.sum() <= 1e-9:
            continue
        busy = np.flatnonzero(weights > 1e-9)
        detail = (
            f"work center {net.work_centers[w]} at {net.sites[s]} is full in {_periods_text(busy)} "
            f"(an extra hour is worth up to {weights.max():,.0f})"
        )
        groups[(s, w)] = Group(
            WORK_CENTER, f"{net.sites[s]}/{net.work_centers[w]}", detail, weights
        )
    return groups


def supplier_groups(m: PlanningModel, dual: Float) -> dict[int, Group]:
    """Binding supplier offers: those with a positive dual on their capacity in some period."""
    net, T = m.network, m.network.T
    block = m.lp.constraints.get("Supplier")
    if block is None:
        return {}
    price = np.clip(-dual[block.start : block.stop], 0.0, None)
    groups = {}
    offer, t = block.keys["offer"], block.keys["period"]
    for o in np.unique(offer):
        rows = offer == o
        weights = np.zeros(T)
        weights[t[rows]] = price[rows]
        if weights.sum() <= 1e-9:
            continue
        u, i = net.supplies.supplier[o], net.supplies.item[o]
        busy = np.flatnonzero(weights > 1e-9)
        detail = (
            f"supplier {net.suppliers[u]} can deliver only {net.supplies.capacity[o]:,.0f} "
            f"{net.items[i]} per order period, all used in order {_periods_text(busy)}"
        )
        groups[int(o)] = Group(SUPPLIER, f"{net.suppliers[u]}/{net.items[i]}", detail, weights)
    return groups


def cumulative_lead_time(net: Network) -> tuple[Float, np.ndarray]:
    """Earliest period (0-based) each item can first be had anywhere if ordered at once.

    Purchased items: their shortest supplier lead time (inf with no supplier); made items: the
    latest of their components (production may use what arrives in the same period). Also
    returns, per item, the purchased item on its critical path.
    """
    I = len(net.items)
    earliest = np.full(I, np.inf)
    critical = np.arange(I)
    offers = net.supplies
    for o in range(len(offers)):
        if offers.capacity[o] > 0:
            earliest[offers.item[o]] = min(earliest[offers.item[o]], offers.periods[o])
    made = np.flatnonzero(net.is_made)
    earliest[made] = 0.0
    for _ in range(I):  # values only grow and the BOM is acyclic: at most I rounds
        changed = False
        for parent in made:
            components = net.bom_component[net.bom_parent == parent]
            if len(components) == 0:
                continue
            worst = components[np.argmax(earliest[components])]
            if earliest[worst] > earliest[parent]:
                earliest[parent] = earliest[worst]
                critical[parent] = critical[worst]
                changed = True
        if not changed:
            break
    return earliest, critical


def _structural(net: Network, cascade: Cascade, k: int, p: int) -> tuple[str, str, str]:
    """Reason, detail and key for units late even with unlimited capacity."""
    lanes = net.customer_lanes
    into = lanes.origin[lanes.target == k]
    makers = np.flatnonzero(net.makes[:, p])
    stock_sites = np.flatnonzero((net.initial[:, p] > 0) | (net.on_order[:, p].sum(axis=1) > 0))
    if not set(into.tolist()) & (set(makers.tolist()) | set(stock_sites.tolist())):
        where = ", ".join(net.sites[s] for s in makers) or "no site"
        detail = f"no lane to {net.customers[k]} from a site that makes {net.items[p]} ({where})"
        return MISSING_LANE, detail, f"{net.customers[k]}/{net.items[p]}"
    _, bought = cascade.closures[p]
    missing = sorted(i for i in bought if not net.purchasable[i])
    if missing:
        names = ", ".join(net.items[i] for i in missing)
        detail = (
            f"nobody supplies {names}; only stock on hand and orders already placed can be used"
        )
        return MISSING_SUPPLIER, detail, names
    earliest, critical = cascade.earliest, cascade.critical
    transit = lanes.periods[lanes.target == k].min() if (lanes.target == k).any() else 0
    part = int(critical[p])
    first = int(earliest[p] + transit) + 1
    days = _lead_time_days(net, part)
    detail = (
        f"{net.items[part]} takes {days:g} days from order, so with transit a unit ordered now "
        f"reaches {net.customers[k]} in period {first} at the earliest; stock and orders already "
        "placed do not cover what is due before then"
    )
    return LEAD_TIME, detail, net.items[part]


def _lead_time_days(net: Network, item: int) -> float:
    days = [
        s.lead_time_days
        for sup in net.scenario.suppliers
        for s in sup.supplies
        if s.item == net.items[item]
    ]
    return min(days) if days else 0.0


def _attribute(
    groups: list[Group], t: int, units: float, fallback: tuple[str, str, str]
) -> list[tuple[str, str, str, float]]:
    """Split ``units`` over the groups by their shadow-price mass up to period ``t``."""
    weights = np.array([g.weight_by_period[: t + 1].sum() for g in groups])
    if len(groups) == 0 or weights.sum() <= 1e-12:
        reason, detail, key = fallback
        return [(reason, detail, key, units)]
    order = np.argsort(-weights)[:MAX_CONSTRAINTS_PER_BUCKET]
    share = weights[order] / weights[order].sum()
    return [
        (groups[n].reason, groups[n].detail, groups[n].key, units * f)
        for n, f in zip(order, share, strict=True)
    ]


@dataclass
class Cascade:
    """Late units (customer, item, period) in the plan and in the two relaxations, and the
    binding constraint groups that name the capacity causes."""

    late: Float  # in the plan
    never: Float  # never delivered, in the plan
    late1: Float  # without work-center capacity (R1)
    late2: Float  # without work-center or supplier capacity (R2)
    wc_groups: dict[tuple[int, int], Group]  # binding work centers of the plan
    sup_groups: dict[int, Group]  # binding supplier offers of R1
    closures: dict[int, tuple[set[int], set[int]]]  # product -> (made, bought) items of its BOM
    earliest: Float  # cumulative lead time per item (see cumulative_lead_time)
    critical: np.ndarray  # purchased item on each item's critical path


def _late_without_work_centers(
    net: Network, prune: bool, time_limit: float | None
) -> tuple[Float, dict[int, Group]]:
    """R1, the model without work-center capacity: its late units and binding suppliers.

    Its duals name the suppliers that bind once the work centers no longer do (in the full
    model they are often hidden behind them).
    """
    r1 = build_model(net, ModelSettings(prune=prune, work_center_capacity=False))
    solved = solve(r1.lp, time_limit)
    groups = supplier_groups(r1, solved.row_dual) if solved.row_dual is not None else {}
    return late_units(r1, solved.values)[0], groups


def _late_without_capacity(net: Network, prune: bool, time_limit: float | None) -> Float:
    """R2, the model without work-center or supplier capacity: its late units."""
    relaxed = ModelSettings(prune=prune, work_center_capacity=False, supplier_capacity=False)
    r2 = build_model(net, relaxed)
    return late_units(r2, solve(r2.lp, time_limit, need_duals=False).values)[0]


def _done(function: Callable[..., Result], *args: Any) -> Future[Result]:
    """Run ``function`` now; its result as an already finished future."""
    future: Future[Result] = Future()
    future.set_result(function(*args))
    return future


def start_explaining(
    m: PlanningModel,
    values: Float,
    dual: Float | None,
    time_limit: float | None,
    pool: Executor | None = None,
) -> Callable[[], pd.DataFrame]:
    """Start explaining the plan's late units; returns a function that gives the explanations.

    The two relaxations (R1, R2) are independent solves: with a ``pool`` they run on its
    threads (HiGHS releases the GIL) while the caller goes on with other work, and the returned
    function waits for them. Without one they are solved here, before returning. The
    explanations are the same either way.
    """
    net, settings = m.network, m.settings
    late, never = late_units(m, values)
    if late.sum() <= 1e-6:
        return lambda: pd.DataFrame(columns=COLUMNS)
    wc_groups = work_center_groups(m, dual) if dual is not None else {}
    products = {int(p) for p in np.nonzero(late > 1e-6)[1]}
    closures = {p: closure(net, p) for p in products}
    earliest, critical = cumulative_lead_time(net)
    cascade = Cascade(late, never, late, late, wc_groups, {}, closures, earliest, critical)
    if not (settings.work_center_capacity or settings.supplier_capacity):
        return lambda: _explanations(net, cascade)  # nothing to relax
    run = pool.submit if pool is not None else _done
    r1 = run(_late_without_work_centers, net, settings.prune, time_limit)
    r2 = run(_late_without_capacity, net, settings.prune, time_limit)

    def finish() -> pd.DataFrame:
        cascade.late1, cascade.sup_groups = r1.result()
        cascade.late2 = r2.result()
        return _explanations(net, cascade)

    return finish


def explain(
    m: PlanningModel, values: Float, dual: Float | None, time_limit: float | None
) -> pd.DataFrame:
    """Explanations for every late or never-delivered unit (see the module docstring)."""
    return start_explaining(m, values, dual, time_limit)()


def _explanations(net: Network, cascade: Cascade) -> pd.DataFrame:
    """One row per (late bucket, reason), in the order a planner reads them."""
    rows = []
    for k, p, t in zip(*np.nonzero(cascade.late > 1e-6), strict=True):
        rows += _explain_bucket(net, cascade, int(k), int(p), int(t))
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame = frame[frame["quantity"] > 1e-6]
    return frame.sort_values(
        ["customer", "item", "due_period", "quantity"],
        ascending=[True, True, True, False],
        ignore_index=True,
    )


def _capacity_parts(
    net: Network, cascade: Cascade, p: int, t: int, units: float, share_wc: float
) -> list[tuple[str, str, str, float]]:
    """Split capacity-caused units between the relevant work centers and suppliers."""
    made, bought = cascade.closures[p]
    relevant_wc = [
        g
        for (s, w), g in cascade.wc_groups.items()
        if any(net.makes[s, i] and net.minutes[i, w] > 0 for i in made)
    ]
    relevant_sup = [g for o, g in cascade.sup_groups.items() if net.supplies.item[o] in bought]
    wc_fallback = (
        WORK_CENTER,
        f"work-center hours for {net.items[p]} and its assemblies run out",
        "",
    )
    sup_fallback = (SUPPLIER, f"supplier capacity for the parts of {net.items[p]} runs out", "")
    parts: list[tuple[str, str, str, float]] = []
    if share_wc > 0:
        parts += _attribute(relevant_wc, t, units * share_wc, wc_fallback)
    if share_wc < 1:
        parts += _attribute(relevant_sup, t, units * (1 - share_wc), sup_fallback)
    return parts


def _explain_bucket(net: Network, cascade: Cascade, k: int, p: int, t: int) -> list[list[object]]:
    """Explanation rows for the late units of customer ``k``, product ``p``, due period ``t``."""
    units = float(cascade.late[k, p, t])
    late1, late2 = float(cascade.late1[k, p, t]), float(cascade.late2[k, p, t])
    structural = min(late2, units)
    by_wc = max(0.0, units - late1)
    by_sup = max(0.0, late1 - late2)
    if by_wc + by_sup > 1e-9:
        share_wc = by_wc / (by_wc + by_sup)
    else:  # relaxing moved units between buckets: blame whichever kind binds
        share_wc = 1.0 if cascade.wc_groups else 0.0
    parts: list[tuple[str, str, str, float]] = []
    if units - structural > 1e-9:
        parts += _capacity_parts(net, cascade, p, t, units - structural, share_wc)
    if structural > 1e-9:
        reason, detail, key = _structural(net, cascade, k, p)
        parts.append((reason, detail, key, structural))
    never_share = float(cascade.never[k, p, t]) / units if units > 0 else 0.0
    return [
        [net.customers[k], net.items[p], t + 1, q, q * never_share, reason, detail, key]
        for reason, detail, key, q in parts
    ]


def ranked_reasons(explanations: pd.DataFrame) -> pd.DataFrame:
    """Explanations summed by reason and constraint, the costliest first."""
    if explanations.empty:
        return pd.DataFrame(
            columns=["reason", "constraint", "detail", "quantity", "never_delivered"]
        )
    grouped = explanations.groupby(
        ["reason", "constraint"], as_index=False, sort=False, dropna=False
    ).agg(
        detail=("detail", "first"),
        quantity=("quantity", "sum"),
        never_delivered=("never_delivered", "sum"),
    )
    return grouped.sort_values("quantity", ascending=False, ignore_index=True)
