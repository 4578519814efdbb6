"""How much of each chokepoint part to hold: buffer stock sized against supplier cut-offs.

>>> sized = size_buffers(scenario, plan, BufferOptions(probability=0.9))  # doctest: +SKIP
>>> sized.table.head()  # doctest: +SKIP

The method (docs/risk.md, "How much to stock: buffers for chokepoint parts"):

1. **Chokepoint parts.** A purchased item is a chokepoint when a supplier of it has a disruption
   profile in ``risks.suppliers``, or when its shortest lead time is at least ``long_lead_days``
   (:func:`at_risk_suppliers`). The suppliers *at risk* for such a part are those with a
   disruption profile and, for a long-lead part, every supplier of it.
2. **Cut-off length.** A supplier with a disruption profile is cut off for
   ``C = exp(mu + sigma * z_p)`` days, the ``p`` quantile of its lognormal outage length
   (:func:`cutoff_quantile`); a long-lead supplier without a profile for its lead time. An
   override replaces both. The buffer covers ``W = ceil(C)`` whole days: an outage of ``L <= W``
   days holds deliveries on at most ``W`` days (the simulator counts a day as disrupted when its
   midpoint is).
3. **Buffer.** For each site and part the plan's day-by-day position is rebuilt exactly as the
   simulator executes it (:func:`parts_at_sites`): planned use ``U(d)`` by the end of day ``d``
   (BOM consumption of planned production and flows out, spread over the site's open days),
   receipts ``R(d)`` due by day ``d`` (purchases and orders already placed on the first day of
   their arrival period, transfers in), and opening stock ``I0``, so that the plan's spare stock
   at the end of day ``d`` is ``S(d) = I0 + R(d) - U(d)``. If every at-risk supplier ``u`` of the
   part stops delivering to the site for ``W_u`` days, the deliveries it holds back by day ``d``
   are at most ``H_u(d)``, those due in ``[d - W_u + 1, d]``; they all arrive when the outage ends.
   The site keeps to its plan as long as the extra stock ``B`` covers the gap, so

   .. math:: B = \\max\\Bigl(0,\\ \\max_d \\bigl(\\textstyle\\sum_u H_u(d) - \\max(S(d), 0)\\bigr)\\Bigr)

   (:func:`required_stock`). It is the least extra stock with which any combination of
   cut-offs, each no longer than its supplier's ``W``, costs no units. Planned deliveries of
   suppliers not at risk still count (they keep arriving); moving orders to them is re-planning,
   which the simulator does not do. With one supplier and even use ``u`` per day it is ``u W``.
   ``B`` is split between the at-risk suppliers in proportion to what each holds back on the
   binding day, and each share is rounded up to whole units.
4. **Cost.** ``purchase_value = unit_cost * buffer_units`` at the row's supplier's price and
   ``holding_cost_per_period = holding_cost * buffer_units`` for every period it is held.

The simulator check is :mod:`dronefab.risk.buffers_check`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from dronefab.errors import UsageError
from dronefab.files import json_text, write_frame, write_text
from dronefab.folders import atomic_folder
from dronefab.model import timeline
from dronefab.model.scenario import Scenario
from dronefab.model.schema import Site
from dronefab.model.timeline import FloatArray
from dronefab.planning.plan import Plan, chokepoint_items
from dronefab.readback import BUFFERS_TABLE, BuffersSummary, read_summary, read_table
from dronefab.risk.options import DEFAULT_LONG_LEAD_DAYS, DEFAULT_PROBABILITY
from dronefab.simulation.disruptions import lognormal_params

COLUMNS = (
    "item",
    "supplier",
    "site",
    "cutoff_days",
    "probability",
    "buffer_units",
    "purchase_value",
    "holding_cost_per_period",
)
"""Columns of buffers.csv, in order."""

BUFFERS_COMMAND = "dronefab buffers"
DISRUPTION = "disruption profile"
LONG_LEAD = "long lead time"
ROUNDING = 1e-6
"""Units below which a buffer share is not rounded up (solver round-off in the plan)."""

METHOD = (
    "For each site and chokepoint part: the largest shortfall against the plan, over every day, "
    "if every at-risk supplier of the part holds back its deliveries of the last W days (W = the "
    "cut-off length in whole days), after the plan's own spare stock; split between the "
    "suppliers by what each holds back on the binding day, rounded up to whole units."
)


@dataclass(frozen=True)
class BufferOptions:
    """How to size buffers.

    Parameters
    ----------
    probability
        The share of a supplier's cut-offs the buffer must cover: the cut-off length is this
        quantile of its outage length. Strictly between 0 and 1.
    cutoff_days
        A cut-off length in days for every at-risk supplier, instead of the quantile (and of the
        lead time for long-lead suppliers without a disruption profile).
    long_lead_days
        A part whose shortest lead time is at least this many days is a chokepoint.

    Raises
    ------
    UsageError
        If a value is out of range.
    """

    probability: float = DEFAULT_PROBABILITY
    cutoff_days: float | None = None
    long_lead_days: float = DEFAULT_LONG_LEAD_DAYS

    def __post_init__(self) -> None:
        problems = []
        if not 0.0 < self.probability < 1.0:
            problems.append(
                f"--probability: probability must lie strictly between 0 and 1, "
                f"got {self.probability:g}"
            )
        if self.cutoff_days is not None and not 0.0 < self.cutoff_days < math.inf:
            problems.append(
                f"--cutoff-days: cutoff_days must be a positive number, got {self.cutoff_days:g}"
            )
        if not 0.0 <= self.long_lead_days < math.inf:
            problems.append(
                "--long-lead-days: long_lead_days must not be negative, "
                f"got {self.long_lead_days:g}"
            )
        if problems:
            message = "; ".join(problems)
            raise UsageError(message)


# -- cut-offs ------------------------------------------------------------------------------------
def cutoff_quantile(median: float, p90: float, probability: float) -> float:
    """The ``probability`` quantile of a lognormal outage length given by its median and p90.

    .. math:: C_p = \\exp(\\mu + \\sigma z_p), \\qquad
              (\\mu, \\sigma) = \\texttt{lognormal\\_params}(\\mathit{median}, p_{90})

    with :math:`z_p` the standard normal ``p`` quantile, so ``C_0.5`` is the median and
    ``C_0.9`` the p90.
    """
    mu, sigma = lognormal_params(median, p90)
    return math.exp(mu + sigma * float(special.ndtri(probability)))


def cutoff_probability(median: float, p90: float, days: float) -> float:
    """The share of outages no longer than ``days``: the lognormal CDF,
    :math:`\\Phi((\\ln d - \\mu) / \\sigma)` (a step at the median when ``sigma`` is 0)."""
    return lognormal_cdf(days, *lognormal_params(median, p90))


def lognormal_cdf(days: float, mu: float, sigma: float) -> float:
    """``P(L <= days)`` for ``L = exp(mu + sigma * Z)``: :math:`\\Phi((\\ln d - \\mu) / \\sigma)`,
    a step at ``exp(mu)`` when ``sigma`` is 0."""
    if sigma == 0:
        return 1.0 if days >= math.exp(mu) else 0.0
    return float(special.ndtr((math.log(days) - mu) / sigma))


@dataclass(frozen=True)
class Cutoff:
    """A supplier of a chokepoint part that may stop delivering it, and what the buffer covers.

    Attributes
    ----------
    item, supplier
        The part and the supplier.
    reason
        :data:`DISRUPTION` (the supplier has a disruption profile) or :data:`LONG_LEAD`.
    length_days
        ``C``: the outage quantile, the lead time, or the override.
    window_days
        ``W = ceil(C)``: the whole days the buffer covers.
    probability
        The share of the supplier's outages no longer than ``W``; None without a profile.
    unit_cost, lead_time_days
        The supplier's price and lead time for the part.
    """

    item: str
    supplier: str
    reason: str
    length_days: float
    window_days: int
    probability: float | None
    unit_cost: float
    lead_time_days: float


def at_risk_suppliers(scenario: Scenario, options: BufferOptions) -> list[Cutoff]:
    """The at-risk suppliers of every chokepoint part, with the cut-off their buffer covers.

    A purchased part is a chokepoint when a supplier of it has a disruption profile in
    ``risks.suppliers`` or its shortest lead time is at least ``options.long_lead_days`` (the
    rule of :func:`dronefab.planning.plan.chokepoint_items`, with the threshold an option). Its
    at-risk suppliers: those with a profile (cut off for the ``probability`` quantile of their
    outage length) and, when the part is long-lead, the others too (cut off for their lead time:
    the time a replacement order would take). ``options.cutoff_days`` overrides both lengths.
    Sorted by item, then supplier.
    """
    profiles = scenario.risks.suppliers
    out = []
    for item in sorted(chokepoint_items(scenario, options.long_lead_days)):
        offers = [(u, s) for u in scenario.suppliers for s in u.supplies if s.item == item]
        # Which suppliers are at risk depends on why the part is a chokepoint.
        long_lead = min(s.lead_time_days for _, s in offers) >= options.long_lead_days
        for supplier, supply in sorted(offers, key=lambda offer: offer[0].id):
            profile = profiles.get(supplier.id)
            if profile is None and not long_lead:
                continue
            if profile is not None:
                median, p90 = profile.duration_days_median, profile.duration_days_p90
                length = options.cutoff_days or cutoff_quantile(median, p90, options.probability)
            else:
                length = options.cutoff_days or supply.lead_time_days
            window = _whole_days(length)
            out.append(
                Cutoff(
                    item=item,
                    supplier=supplier.id,
                    reason=DISRUPTION if profile is not None else LONG_LEAD,
                    length_days=length,
                    window_days=window,
                    probability=None
                    if profile is None
                    else cutoff_probability(median, p90, window),
                    unit_cost=supply.unit_cost,
                    lead_time_days=supply.lead_time_days,
                )
            )
    return out


def _whole_days(days: float) -> int:
    """``ceil(days)``, ignoring representation noise (30.000000001 days is 30)."""
    return max(0, math.ceil(round(days, 9)))


# -- the plan's position, day by day -------------------------------------------------------------
@dataclass(frozen=True)
class PartAtSite:
    """One purchased part at one site, day by day over the horizon (``(day,)`` arrays).

    Attributes
    ----------
    site, item
        The site and the part.
    opening
        Opening stock ``I0``.
    use
        ``U(d)``: planned use by the end of day ``d`` (cumulative).
    receipts
        ``R(d)``: receipts due by day ``d`` (cumulative), from every supplier and by transfer.
    deliveries
        Deliveries due on each day (not cumulative) from each supplier.
    """

    site: str
    item: str
    opening: float
    use: FloatArray
    receipts: FloatArray
    deliveries: dict[str, FloatArray] = field(default_factory=dict)

    @property
    def spare(self) -> FloatArray:
        """``S(d) = I0 + R(d) - U(d)``: the plan's stock at the end of each day."""
        return np.asarray(self.opening + self.receipts - self.use, dtype=np.float64)


def day_weights(site: Site, scenario: Scenario) -> FloatArray:
    """``(day,)`` the share of its period's quantities a site's plan does on each day.

    ``w_j / W_t``: 1 for a day the site is open, else 0, over the period's open days; a period
    with no open day spreads evenly (docs/design/simulation.md, "Open days").
    """
    periods, length = scenario.horizon.periods, scenario.horizon.period_days
    mask = timeline.open_day_mask(site, scenario.horizon.start, periods * length)
    weight = mask.reshape(periods, length).astype(np.float64)
    weight[weight.sum(axis=1) == 0] = 1.0
    return np.asarray((weight / weight.sum(axis=1, keepdims=True)).ravel(), dtype=np.float64)


def _period_use(scenario: Scenario, plan: Plan, items: set[str]) -> pd.DataFrame:
    """Planned use (site, item, period, quantity): BOM consumption and flows out."""
    parts = []
    production = plan.production
    if not production.empty:
        bom = pd.DataFrame(
            [(b.parent, b.component, b.quantity) for b in scenario.bom if b.component in items],
            columns=["item", "component", "per_unit"],
        )
        used = production.merge(bom, on="item")
        used["quantity"] = used["quantity"] * used["per_unit"]
        parts.append(used[["site", "component", "period", "quantity"]].set_axis(_USE, axis=1))
    for name, origin in (("transfers", "from_site"), ("shipments", "site")):
        flows: pd.DataFrame = getattr(plan, name)
        if not flows.empty:
            flows = flows[flows["item"].astype(str).isin(items)]
            parts.append(flows[[origin, "item", "ship_period", "quantity"]].set_axis(_USE, axis=1))
    return pd.concat(parts) if parts else pd.DataFrame(columns=_USE)


_USE = ["site", "item", "period", "quantity"]


def _purchase_rows(
    scenario: Scenario, plan: Plan, items: set[str]
) -> list[tuple[str, str, str, int, float]]:
    """(site, item, supplier, arrival period, quantity) of planned purchases and orders placed."""
    purchases = plan.purchases
    rows: list[tuple[str, str, str, int, float]] = []
    if not purchases.empty:
        if "status" in purchases.columns:  # orders already placed come from the scenario
            purchases = purchases[purchases["status"].astype(str) != "on_order"]
        purchases = purchases[purchases["item"].astype(str).isin(items)]
        rows += [
            (str(r.site), str(r.item), str(r.supplier), int(r.arrival_period), float(r.quantity))
            for r in purchases.itertuples(index=False)
        ]
    rows += [
        (o.site, o.item, o.supplier, scenario.period_of(o.arrival), o.quantity)
        for o in scenario.on_order
        if o.item in items
    ]
    return rows


def parts_at_sites(
    scenario: Scenario, plan: Plan, items: Iterable[str]
) -> dict[tuple[str, str], PartAtSite]:
    """The day-by-day position of ``items`` at every site that holds, receives or uses them.

    As the simulator executes the plan (docs/design/simulation.md): the use of period ``t``
    (BOM consumption of planned production, planned transfers and shipments out) is spread
    over its days with :func:`day_weights`; a purchase or an order already placed is due on the
    first day of its arrival period; a transfer with a lead time of ``L >= 1`` periods arrives
    on the first day of its arrival period, one with ``L = 0`` as its sender sends it.
    """
    wanted = set(items)
    periods, length = scenario.horizon.periods, scenario.horizon.period_days
    days = periods * length
    weights = {site.id: day_weights(site, scenario) for site in scenario.sites}

    use: dict[tuple[str, str], FloatArray] = {}
    for row in _period_use(scenario, plan, wanted).itertuples(index=False):
        key = (str(row.site), str(row.item))
        per_period = np.zeros(periods)
        per_period[int(row.period) - 1] = float(row.quantity)
        spread = np.repeat(per_period, length) * weights[key[0]]
        use[key] = use.get(key, np.zeros(days)) + spread

    received: dict[tuple[str, str], FloatArray] = {}
    deliveries: dict[tuple[str, str], dict[str, FloatArray]] = {}
    for site, item, supplier, arrival, quantity in _purchase_rows(scenario, plan, wanted):
        day = (int(arrival) - 1) * length
        if not 0 <= day < days:
            continue
        by_supplier = deliveries.setdefault((site, item), {})
        due = by_supplier.setdefault(supplier, np.zeros(days))
        due[day] += float(quantity)
        received.setdefault((site, item), np.zeros(days))[day] += float(quantity)
    for key, arriving in _transfers_in(plan, wanted, weights, periods, length).items():
        received[key] = received.get(key, np.zeros(days)) + arriving

    opening = {
        (site.id, item): quantity
        for site in scenario.sites
        for item, quantity in site.initial_inventory.items()
        if item in wanted and quantity > 0
    }
    zeros = np.zeros(days)
    return {
        key: PartAtSite(
            site=key[0],
            item=key[1],
            opening=float(opening.get(key, 0.0)),
            use=np.cumsum(use.get(key, zeros)),
            receipts=np.cumsum(received.get(key, zeros)),
            deliveries=deliveries.get(key, {}),
        )
        for key in sorted(set(use) | set(received) | set(opening))
    }


def _transfers_in(
    plan: Plan, items: set[str], weights: Mapping[str, FloatArray], periods: int, length: int
) -> dict[tuple[str, str], FloatArray]:
    """``(day,)`` transfers of ``items`` arriving at each receiving site, per (site, item)."""
    transfers = plan.transfers
    out: dict[tuple[str, str], FloatArray] = {}
    if transfers.empty:
        return out
    days = periods * length
    for row in transfers[transfers["item"].astype(str).isin(items)].itertuples(index=False):
        key = (str(row.to_site), str(row.item))
        arriving = out.setdefault(key, np.zeros(days))
        ship, arrival = int(row.ship_period), int(row.arrival_period)
        if arrival > ship:  # the whole period's quantity on the arrival period's first day
            day = (arrival - 1) * length
            if day < days:
                arriving[day] += float(row.quantity)
        else:  # same period: as the sender sends it, over its open days
            first = (ship - 1) * length
            share = weights[str(row.from_site)][first : first + length]
            arriving[first : first + length] += float(row.quantity) * share
    return out


# -- sizing --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Requirement:
    """The extra stock a part needs at a site (:func:`required_stock`).

    Attributes
    ----------
    units
        ``B``, before rounding.
    by_supplier
        ``B`` split between the suppliers by what each holds back on the binding day.
    """

    units: float
    by_supplier: dict[str, float]


def held_back(deliveries: FloatArray, window: int) -> FloatArray:
    """``H(d)``: the deliveries due in ``[d - window + 1, d]``, for every day ``d``."""
    total = np.concatenate([[0.0], np.cumsum(deliveries)])
    day = np.arange(1, deliveries.size + 1)
    return np.asarray(total[day] - total[np.maximum(day - window, 0)], dtype=np.float64)


def required_stock(part: PartAtSite, windows: Mapping[str, int]) -> Requirement:
    """The least extra stock that keeps ``part`` on plan when the suppliers in ``windows`` are
    cut off, each for up to its window of days, at any time and in any combination.

    .. math:: B = \\max\\Bigl(0,\\ \\max_d \\bigl(\\textstyle\\sum_u H_u(d) - \\max(S(d), 0)\\bigr)\\Bigr)

    ``H_u(d)`` from :func:`held_back`, ``S(d)`` = :attr:`PartAtSite.spare`. For a given day
    ``d``, the cut-off of supplier ``u`` that holds back most by ``d`` is the one that started
    ``W_u - 1`` days before, so the worst combination is every supplier's such cut-off at once.
    """
    held = {
        supplier: held_back(part.deliveries[supplier], window)
        for supplier, window in windows.items()
        if supplier in part.deliveries
    }
    if not held:
        return Requirement(0.0, {})
    total = np.sum(list(held.values()), axis=0)
    shortfall = total - np.maximum(part.spare, 0.0)
    day = int(np.argmax(shortfall))
    units = float(shortfall[day])
    if units <= 0:
        return Requirement(0.0, dict.fromkeys(held, 0.0))
    split = {supplier: units * float(h[day] / total[day]) for supplier, h in held.items()}
    return Requirement(units, split)


@dataclass(frozen=True)
class Buffers:
    """Recommended buffers: buffers.csv as a table, the cut-offs and the totals.

    Attributes
    ----------
    table
        One row per (item, supplier, site): :data:`COLUMNS`.
    cutoffs
        The at-risk suppliers of every chokepoint part (:func:`at_risk_suppliers`).
    options
        How they were sized.
    periods
        Periods in the horizon (for the holding cost over the horizon).
    """

    table: pd.DataFrame
    cutoffs: list[Cutoff]
    options: BufferOptions
    periods: int

    def stock(self) -> dict[tuple[str, str], float]:
        """Extra stock per (site, item): the sum of the rows."""
        grouped = self.table.groupby(["site", "item"])["buffer_units"].sum()
        return {(str(s), str(i)): float(q) for (s, i), q in grouped.items()}

    def totals(self) -> dict[str, float]:
        """Units, purchase value and holding cost (per period and over the horizon)."""
        holding = float(self.table["holding_cost_per_period"].sum())
        return {
            "buffer_units": float(self.table["buffer_units"].sum()),
            "purchase_value": float(self.table["purchase_value"].sum()),
            "holding_cost_per_period": holding,
            "holding_cost_horizon": holding * self.periods,
            "rows": len(self.table),
            "parts": int(self.table["item"].nunique()),
            "sites": int(self.table["site"].nunique()),
        }

    def summary(self) -> dict[str, Any]:
        """buffers.json without the check: options, method, cut-offs and totals."""
        return {
            "options": {
                "probability": self.options.probability,
                "cutoff_days": self.options.cutoff_days,
                "long_lead_days": self.options.long_lead_days,
            },
            "method": METHOD,
            "cutoffs": [
                {
                    "item": c.item,
                    "supplier": c.supplier,
                    "reason": c.reason,
                    "length_days": c.length_days,
                    "window_days": c.window_days,
                    "probability": c.probability,
                    "lead_time_days": c.lead_time_days,
                    "unit_cost": c.unit_cost,
                }
                for c in self.cutoffs
            ],
            "totals": self.totals(),
        }


def size_buffers(scenario: Scenario, plan: Plan, options: BufferOptions | None = None) -> Buffers:
    """Recommended buffers of every chokepoint part at every site that buys it.

    A row per (item, supplier, site) where the at-risk supplier delivers the part in the plan
    (planned purchases or orders already placed); see the module docstring for the method.

    Parameters
    ----------
    scenario
        The scenario the plan was made for.
    plan
        The plan whose execution the buffers protect.
    options
        How to size them (default :class:`BufferOptions`).

    Returns
    -------
    Buffers
    """
    options = options or BufferOptions()
    cutoffs = at_risk_suppliers(scenario, options)
    by_item: dict[str, list[Cutoff]] = {}
    for cutoff in cutoffs:
        by_item.setdefault(cutoff.item, []).append(cutoff)
    parts = parts_at_sites(scenario, plan, by_item)
    site_order = {site.id: n for n, site in enumerate(scenario.sites)}
    rows = []
    for (site, item), part in sorted(
        parts.items(), key=lambda kv: (kv[0][1], site_order[kv[0][0]])
    ):
        risky = {c.supplier: c for c in by_item[item] if c.supplier in part.deliveries}
        need = required_stock(part, {u: c.window_days for u, c in risky.items()})
        holding = scenario.item_by_id[item].holding_cost
        for supplier, cutoff in risky.items():
            share = need.by_supplier.get(supplier, 0.0)
            units = float(math.ceil(share - ROUNDING)) if share > ROUNDING else 0.0
            rows.append(
                (
                    item,
                    supplier,
                    site,
                    cutoff.window_days,
                    cutoff.probability,
                    units,
                    units * cutoff.unit_cost,
                    units * holding,
                )
            )
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    table["probability"] = table["probability"].astype(float)
    return Buffers(table=table, cutoffs=cutoffs, options=options, periods=scenario.horizon.periods)


# -- files ---------------------------------------------------------------------------------------
def write_buffers(
    buffers: Buffers, folder: str | os.PathLike[str], extra: Mapping[str, Any] | None = None
) -> Path:
    """Write buffers.csv and buffers.json (the summary, then ``extra``) into ``folder``.

    The folder is written whole (:func:`dronefab.folders.atomic_folder`).
    """
    target = Path(folder)
    document = {**buffers.summary(), **dict(extra or {})}
    text = json_text(document, allow_nan=False)
    with atomic_folder(target, ["buffers.csv", "buffers.json"]) as part:
        write_frame(part / "buffers.csv", buffers.table)
        write_text(part / "buffers.json", text)
    return target


def read_buffers(folder: str | os.PathLike[str]) -> tuple[dict[str, Any], pd.DataFrame]:
    """buffers.json and buffers.csv of a folder written by :func:`write_buffers`, both checked
    (:data:`dronefab.readback.BUFFERS_TABLE`, :class:`~dronefab.readback.BuffersSummary`).

    Raises
    ------
    UsageError
        If the folder lacks either file.
    dronefab.errors.FolderError
        If a file was damaged or edited: every problem, naming the file, line and column.
    """
    source = Path(folder)
    for name in ("buffers.json", "buffers.csv"):
        if not (source / name).is_file():
            message = f"{source} has no {name}; run 'dronefab buffers' first"
            raise UsageError(message)
    summary = read_summary(source / "buffers.json", BuffersSummary, BUFFERS_COMMAND)
    table = read_table(source / "buffers.csv", BUFFERS_TABLE, command=BUFFERS_COMMAND)
    return summary, table
