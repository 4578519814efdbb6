"""A SimPy reference model of a plan executed under disruptions, one run at a time.

This is the *reference* for the vectorised engine: the rules of ``docs/design/simulation.md``
written plainly, with dicts and loops, as a discrete-event model. It imports nothing from the
engine; it reads the scenario and the plan tables itself, so that the two implementations can
be compared draw for draw (:func:`run_reference` with :func:`draws_for_run`) and statistically
(:func:`run_reference_own_draws`, which draws its disruptions in continuous time).

Time
----
Day ``d`` is the interval ``[d, d + 1)`` of simulated time. Each site's process carries out the
design note's steps 1-5 for day ``d`` at time ``d + 1``, once everything that happened during
the day is known: a strike at ``x`` in ``[d, d + 1)`` destroys stock on day ``floor(x)`` (step 1,
at the clock of the start of the day) even when it comes after the day's midpoint, in which case
the site still works that day. Goods in transit are handed over at ``arrival_day + 0.5``, before
the receiving site's step for that day. Strike, outage and alert processes (own draws only) run
in continuous time and record which days are down, struck or disrupted, always before the day
concerned is stepped.

Semantic choices where the design note is silent (the engine must make the same ones)
---------------------------------------------------------------------------------------
- *Made item* of a site: an item with positive planned production there (the plan, not the
  scenario's ``makes``); every other item the site holds at the start, receives on order, buys or
  receives by transfer is an *outside material*. Transfers in of made items are not tracked.
- A site that is down does not advance its clock at all (no departures either), even in a period
  whose work centers have no planned work. A site that is up but closed (before ``opens``, from
  ``closes``) has zero hours, so its clock does move through periods without planned work, and
  through its closed plan days (weight 0, so no planned work) of partly open periods.
- Open-day weights (:class:`PlanCalendar`) shape every activity of a site within a period:
  work-center hours, material use, shipments and transfers out, and also the plan's inventory of
  made items at ``tau`` (stock destroyed by a strike), which is what those activities leave.
- Today's hours use the ramp of today's period ``t(d)``; the rates they are spent at are those of
  the clock's period (a site catching up spends today's hours at an earlier period's rates).
- The clock never goes back: when a strike destroys an outside material below its planned use
  at ``tau``, the clock stands until receipts cover the gap.
- Orders already placed are due on the first day of the period their ``arrival`` date falls in
  (from the scenario, as the planner counts them), planned purchases on the first day of their
  arrival period (from the plan's purchases table).
- Lane delays are indexed per lane-item *flow* and departure day: flows are the sorted
  ``(site, customer, item)`` triples of the shipments table, then the sorted ``(from_site,
  to_site, item)`` triples of the transfers table (:func:`lane_flows`); the delay of flow ``f``
  leaving on day ``d`` is shipment ``d * len(flows) + f`` of ``sample_lane_delays``.
- A flow's lead time is ``(arrival_period - ship_period) * P`` of its plan rows.
- Two effective strikes on one day destroy stock once (as ``strike_day`` marks the day once).
- Deliveries arriving on day ``days`` or later are not counted; deliveries after the horizon count
  in their period (``> T``) and towards the backlog at the end, never as on time.
- Material cover allows a tolerance of ``1e-9`` relative plus ``1e-6`` units (solver noise).
- Same-day transfers (lead time 0, no delay) are usable by the receiver that day: site processes
  are started senders first (a topological order of zero-lead transfer lanes).
"""

from __future__ import annotations

import math
import time
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import simpy

from dronefab.model.scenario import Scenario
from dronefab.planning.plan import Plan
from dronefab.simulation.disruptions import (
    RiskProfile,
    risk_profile,
    sample_alerts,
    sample_lane_delays,
    sample_strikes,
    sample_supplier_outages,
)

COVER_RELATIVE_TOLERANCE = 1e-9
COVER_ABSOLUTE_TOLERANCE = 1e-6
"""Planned use may exceed what is available by this much (LP solver noise) without binding."""

Event = Generator[simpy.Event, Any, None]


# -- the plan, as seen by the simulation ---------------------------------------------------------
@dataclass
class Flow:
    """A planned outgoing flow of one site on one lane and item, over all ship periods.

    ``cumulative[k]`` is the planned quantity shipped in periods ``1..k`` (``cumulative[0] = 0``),
    so the quantity by plan time ``tau`` is :func:`piecewise` of it.
    """

    kind: str  # "shipment" (to a customer) or "transfer" (to a site)
    origin: str
    target: str
    item: str
    lead_days: int
    cumulative: list[float]
    index: int  # position in lane_flows(plan): the lane-delay draw column


@dataclass
class Material:
    """An outside material of a site: opening stock and cumulative planned use by period end."""

    opening: float
    cumulative_use: list[float]


@dataclass
class WorkCenterPlan:
    """A work center: its capacity parameters and planned hours, by period."""

    id: str
    stations: float
    hours_per_day: float
    efficiency: float
    used_hours: list[float]  # of periods 1..T (index 0 is period 1)


@dataclass
class Receipt:
    """Goods due at a site: a purchase (``supplier`` set) or a transfer (``supplier`` None)."""

    site: str
    item: str
    quantity: float
    due: int
    supplier: str | None = None
    received: int | None = None


@dataclass
class SitePlan:
    """Everything the plan asks of one site."""

    id: str
    days_per_week: float
    opens: float  # first open day (days from start), -inf when open before the horizon
    closes: float  # first closed day, +inf when never
    ramp_start: float
    ramp_periods: int
    opening_period: int | None
    calendar: PlanCalendar  # how the site's activities spread over each period
    work_centers: list[WorkCenterPlan]
    flows: list[Flow]
    materials: dict[str, Material]
    made_inventory: dict[str, list[float]]  # plan inventory at period ends 0..T (0: opening)
    purchases: list[Receipt]


@dataclass
class ReferenceNetwork:
    """The scenario and plan prepared for simulation (built once, reused by every run)."""

    period_days: int
    periods: int
    sites: list[SitePlan]  # in process order: senders of same-day transfers first
    site_order: tuple[str, ...]  # the scenario's order (the axis of the draws)
    suppliers: tuple[str, ...]
    flows: list[Flow]  # in lane_flows order
    demand: dict[tuple[str, str], list[float]]  # per (customer, product), periods 1..T
    downtime: dict[str, float]  # downtime_hours_per_day of each site
    profile: RiskProfile


@dataclass
class PlanCalendar:
    """A site's open-day weights, by which its activities spread over each period.

    ``weights[k][j]`` is the weight of day ``j`` of period ``k + 1`` (plan day ``k P + j``): 1 if
    the site is open that day, else 0; a period with no open day weighs every day 1 (design
    note, "Open days").
    """

    period_days: int
    weights: list[list[float]]

    @classmethod
    def open_days(
        cls, period_days: int, periods: int, opens: float = -math.inf, closes: float = math.inf
    ) -> PlanCalendar:
        """The calendar of a site open on days ``[opens, closes)``."""
        weights = []
        for k in range(periods):
            days = range(k * period_days, (k + 1) * period_days)
            period = [1.0 if opens <= d < closes else 0.0 for d in days]
            weights.append(period if any(period) else [1.0] * period_days)
        return cls(period_days, weights)

    def share(self, k: int, tau: float) -> float:
        """The share of period ``k + 1``'s quantity done by plan time ``tau``.

        The weight of the period's days before ``tau`` over the period's total weight; day ``d``
        counts fully once ``tau >= d + 1``, proportionally in between.
        """
        start, weights = k * self.period_days, self.weights[k]
        done = sum(w * min(1.0, max(0.0, tau - (start + j))) for j, w in enumerate(weights))
        return done / sum(weights)

    def time_of_share(self, k: int, share: float) -> float:
        """The largest plan time in period ``k + 1`` by which at most ``share`` (< 1) is done.

        Closed days do no work, so a share reached at the end of an open day is still the share
        done through the closed days that follow, up to the next open day.
        """
        start, weights = k * self.period_days, self.weights[k]
        target, done = share * sum(weights), 0.0
        for j, w in enumerate(weights):
            if w > 0 and target < done + w:
                return start + j + (target - done) / w
            done += w
        return float(start + self.period_days)

    def rate(self, quantities: list[float], day: int) -> float:
        """Per plan day on ``day``: its period's quantity times the day's weight share.

        Zero beyond the last period (no planned work after the horizon).
        """
        k, j = divmod(day, self.period_days)
        if k >= len(quantities):
            return 0.0
        weights = self.weights[k]
        return quantities[k] * weights[j] / sum(weights)


def piecewise(values: list[float], tau: float, calendar: PlanCalendar) -> float:
    """A quantity spread over each period by the site's open days, at plan time ``tau``.

    ``values[k]`` is its value at the end of period ``k`` (``values[0]`` at the start); in
    between it follows the calendar's weights, beyond the last period it stays at
    ``values[-1]`` (design note, "The site's plan clock").
    """
    last = len(values) - 1
    if tau >= last * calendar.period_days:
        return values[last]
    if tau <= 0:
        return values[0]
    k = int(tau // calendar.period_days)
    return values[k] + calendar.share(k, tau) * (values[k + 1] - values[k])


def plan_time_reached(cumulative: list[float], level: float, calendar: PlanCalendar) -> float:
    """The largest plan time at which a cumulative quantity does not exceed ``level``.

    The inverse of :func:`piecewise`; ``inf`` when the level covers the whole plan (design
    note, "Material cover").
    """
    if level >= cumulative[-1]:
        return math.inf
    j = bisect_right(cumulative, level)  # cumulative[j - 1] <= level < cumulative[j]
    k = j - 1
    share = (level - cumulative[k]) / (cumulative[k + 1] - cumulative[k])
    return calendar.time_of_share(k, share)


def lane_flows(plan: Plan) -> list[tuple[str, str, str, str]]:
    """The lane-item flows of a plan, in the order of the lane-delay draws.

    ``("shipment", site, customer, item)`` sorted, then ``("transfer", from, to, item)`` sorted.
    """
    shipments = sorted(
        {("shipment", r.site, r.customer, r.item) for r in plan.shipments.itertuples()}
    )
    transfers = sorted(
        {("transfer", r.from_site, r.to_site, r.item) for r in plan.transfers.itertuples()}
    )
    return shipments + transfers


def prepare(scenario: Scenario, plan: Plan) -> ReferenceNetwork:
    """Read the scenario and the plan tables into per-site plans."""
    period_days, periods = scenario.horizon.period_days, scenario.horizon.periods
    start = scenario.horizon.start
    keys = lane_flows(plan)
    per_period: dict[tuple[str, str, str, str], list[float]] = {k: [0.0] * periods for k in keys}
    lead: dict[tuple[str, str, str, str], int] = {}
    rows = [
        (("shipment", r.site, r.customer, r.item), r.ship_period, r.arrival_period, r.quantity)
        for r in plan.shipments.itertuples()
    ] + [
        (("transfer", r.from_site, r.to_site, r.item), r.ship_period, r.arrival_period, r.quantity)
        for r in plan.transfers.itertuples()
    ]
    for key, ship, arrive, quantity in rows:
        per_period[key][int(ship) - 1] += float(quantity)
        lead_periods = int(arrive) - int(ship)
        if lead.setdefault(key, lead_periods) != lead_periods:
            message = f"flow {key} has two lead times in the plan"
            raise ValueError(message)
    flows = [
        Flow(
            *key, lead_days=lead[key] * period_days, cumulative=_cumulate(per_period[key]), index=i
        )
        for i, key in enumerate(keys)
    ]

    production: dict[str, dict[str, list[float]]] = defaultdict(dict)
    for r in plan.production.itertuples():
        production[r.site].setdefault(r.item, [0.0] * periods)[int(r.period) - 1] += float(
            r.quantity
        )
    bom: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for line in scenario.bom:
        bom[line.parent].append((line.component, line.quantity))

    purchases: dict[str, list[Receipt]] = defaultdict(list)
    for r in plan.purchases.itertuples():
        if r.status == "planned":
            due = (int(r.arrival_period) - 1) * period_days
            purchases[r.site].append(Receipt(r.site, r.item, float(r.quantity), due, r.supplier))
    for order in scenario.on_order:
        due = (scenario.period_of(order.arrival) - 1) * period_days  # as the planner counts it
        purchases[order.site].append(
            Receipt(order.site, order.item, order.quantity, due, order.supplier)
        )
    transferred_in: dict[str, set[str]] = defaultdict(set)
    for r in plan.transfers.itertuples():
        transferred_in[r.to_site].add(r.item)
    inventory: dict[tuple[str, str], list[float]] = {}
    for r in plan.inventory.itertuples():
        inventory.setdefault((r.site, r.item), [0.0] * periods)[int(r.period) - 1] = float(
            r.on_hand
        )
    used: dict[tuple[str, str], list[float]] = {}
    for r in plan.capacity.itertuples():
        used.setdefault((r.site, r.work_center), [0.0] * periods)[int(r.period) - 1] = float(
            r.used_hours
        )

    sites = []
    for site in scenario.sites:
        made = {item for item, q in production[site.id].items() if sum(q) > 0}
        outside = (
            {i for i, q in site.initial_inventory.items() if q > 0}
            | {p.item for p in purchases[site.id]}
            | transferred_in[site.id]
        ) - made
        use: dict[str, list[float]] = {item: [0.0] * periods for item in outside}
        for parent, quantities in production[site.id].items():
            for component, per_unit in bom[parent]:
                if component in use:
                    for t in range(periods):
                        use[component][t] += per_unit * quantities[t]
        own_flows = [f for f in flows if f.origin == site.id]
        for flow in own_flows:
            if flow.item in use:
                for t in range(periods):
                    use[flow.item][t] += flow.cumulative[t + 1] - flow.cumulative[t]
        materials = {
            item: Material(site.initial_inventory.get(item, 0.0), _cumulate(use[item]))
            for item in sorted(outside)
        }
        made_inventory = {
            item: [
                site.initial_inventory.get(item, 0.0),
                *inventory.get((site.id, item), [0.0] * periods),
            ]
            for item in sorted(made)
        }
        work_centers = [
            WorkCenterPlan(
                wc.id,
                wc.stations,
                wc.hours_per_day,
                wc.efficiency,
                used.get((site.id, wc.id), [0.0] * periods),
            )
            for wc in site.work_centers
        ]
        opens = -math.inf if site.opens is None else (site.opens - start).days
        closes = math.inf if site.closes is None else (site.closes - start).days
        sites.append(
            SitePlan(
                id=site.id,
                days_per_week=site.days_per_week,
                opens=opens,
                closes=closes,
                ramp_start=site.ramp_start_efficiency,
                ramp_periods=site.ramp_periods,
                opening_period=None
                if site.opens is None
                else (site.opens - start).days // period_days + 1,
                calendar=PlanCalendar.open_days(period_days, periods, opens, closes),
                work_centers=work_centers,
                flows=own_flows,
                materials=materials,
                made_inventory=made_inventory,
                purchases=purchases[site.id],
            )
        )

    demand: dict[tuple[str, str], list[float]] = {}
    for row in scenario.demand:
        series = demand.setdefault((row.customer, row.item), [0.0] * periods)
        series[scenario.period_of(row.due) - 1] += row.quantity
    return ReferenceNetwork(
        period_days=period_days,
        periods=periods,
        sites=_senders_first(sites),
        site_order=tuple(s.id for s in scenario.sites),
        suppliers=tuple(u.id for u in scenario.suppliers),
        flows=flows,
        demand=demand,
        downtime={s.id: s.downtime_hours_per_day for s in scenario.sites},
        profile=risk_profile(scenario),
    )


def _cumulate(values: Iterable[float]) -> list[float]:
    """``[0, v1, v1 + v2, ...]``."""
    out = [0.0]
    for value in values:
        out.append(out[-1] + value)
    return out


def _senders_first(sites: list[SitePlan]) -> list[SitePlan]:
    """Sites ordered so that the sender of a zero-lead transfer comes before its receiver."""
    ordered: list[SitePlan] = []
    visiting: set[str] = set()

    def visit(site: SitePlan) -> None:
        if site.id in visiting:
            return  # done, or a cycle of same-day transfers: keep the scenario's order
        visiting.add(site.id)
        for other in sites:
            if any(f.target == site.id and f.lead_days == 0 for f in other.flows):
                visit(other)
        ordered.append(site)

    for site in sites:
        visit(site)
    return ordered


# -- draws ---------------------------------------------------------------------------------------
@dataclass
class ReferenceDraws:
    """One run's disruptions, by day. Axis orders: ``(day, site)``, ``(day, supplier)``,
    ``(day, flow)`` with sites and suppliers in the scenario's order and flows as
    :func:`lane_flows`.
    """

    down: npt.NDArray[np.bool_]
    strike_day: npt.NDArray[np.bool_]
    strikes: npt.NDArray[np.int64]  # (site,) effective strikes
    alerts: npt.NDArray[np.float64]
    disrupted: npt.NDArray[np.bool_]
    ends: npt.NDArray[np.float64]
    lane_delays: npt.NDArray[np.float64]


def draws_for_run(
    profile: RiskProfile, run: int, days: int, seed: int, *, flows: int = 0
) -> ReferenceDraws:
    """The draws of run ``run`` from :mod:`dronefab.simulation.disruptions`, sliced to one run.

    ``flows`` is ``len(lane_flows(plan))``: lane delays are drawn for ``days * flows`` shipments
    and indexed ``day * flows + flow``.
    """
    strikes = sample_strikes(profile, [run], days, seed)
    outages = sample_supplier_outages(profile, [run], days, seed)
    delays = sample_lane_delays(profile, [run], days * flows, seed)[0]
    return ReferenceDraws(
        down=strikes.down[0],
        strike_day=strikes.strike_day[0],
        strikes=strikes.effective[0].sum(axis=-1).astype(np.int64),
        alerts=sample_alerts(profile, [run], days, seed)[0],
        disrupted=outages.disrupted[0],
        ends=outages.ends[0],
        lane_delays=delays.reshape(days, flows),
    )


def quiet_draws(network: ReferenceNetwork, days: int) -> ReferenceDraws:
    """Draws of a run where nothing goes wrong and every alert equals the site's downtime."""
    sites, suppliers = len(network.site_order), len(network.suppliers)
    downtime = [network.downtime[s] for s in network.site_order]
    return ReferenceDraws(
        down=np.zeros((days, sites), dtype=np.bool_),
        strike_day=np.zeros((days, sites), dtype=np.bool_),
        strikes=np.zeros(sites, dtype=np.int64),
        alerts=np.tile(np.array(downtime, dtype=np.float64), (days, 1)),
        disrupted=np.zeros((days, suppliers), dtype=np.bool_),
        ends=np.full((days, suppliers), np.nan),
        lane_delays=np.zeros((days, len(network.flows))),
    )


# -- state of one run ----------------------------------------------------------------------------
@dataclass
class SiteState:
    """What one site has done so far in a run."""

    plan: SitePlan
    tau: float = 0.0
    received: dict[str, float] = field(default_factory=dict)
    destroyed: dict[str, float] = field(default_factory=dict)
    debt: dict[str, float] = field(default_factory=dict)
    inbox: list[Receipt] = field(default_factory=list)
    down_days: set[int] = field(default_factory=set)
    strike_days: set[int] = field(default_factory=set)
    strikes: int = 0
    stock_destroyed: float = 0.0
    clock: list[float] = field(default_factory=list)


@dataclass
class World:
    """One run: the network, the site states, the day's disruptions and the recorder."""

    env: simpy.Environment
    network: ReferenceNetwork
    days: int
    sites: dict[str, SiteState]
    alerts: dict[int, dict[str, float]]  # day -> site -> alert hours
    outage_days: dict[str, set[int]]
    delay: Any  # (flow, day) -> delay in days
    delivered: dict[tuple[str, str, int], float] = field(default_factory=dict)
    receipts: list[Receipt] = field(default_factory=list)


# -- one day of one site (design note, "One day, in order") --------------------------------------
def strike_losses(world: World, site: SiteState, day: int) -> None:
    """Step 1: a strike on ``day`` destroys ``f`` of every stock held at the clock ``tau``.

    Outside material: ``f * (opening + received - destroyed - planned use(tau))``, taken off
    what was received. Made item: ``f * plan inventory(tau)``, owed (taken off the next
    departures). Design note, "Stock destroyed" and "Made items".
    """
    if day not in site.strike_days:
        return
    f = world.network.profile.inventory_loss_fraction
    calendar = site.plan.calendar
    for item, material in site.plan.materials.items():
        held = _available(site, item) - piecewise(material.cumulative_use, site.tau, calendar)
        loss = f * max(0.0, held)
        site.destroyed[item] = site.destroyed.get(item, 0.0) + loss
        site.stock_destroyed += loss
    for item, inventory in site.plan.made_inventory.items():
        loss = f * max(0.0, piecewise(inventory, site.tau, calendar))
        site.debt[item] = site.debt.get(item, 0.0) + loss
        site.stock_destroyed += loss


def receive_arrivals(world: World, site: SiteState, day: int) -> None:
    """Step 2: receive what is due by ``day``, unless the site is down or the supplier out.

    Design note, "Arrivals": received on the first day ``>= due`` with the site up and the
    supplier (purchases) not in an outage; usable that same day.
    """
    if day in site.down_days:
        return
    waiting = []
    for receipt in site.inbox:
        blocked = receipt.supplier is not None and day in world.outage_days[receipt.supplier]
        if receipt.due > day or blocked:
            waiting.append(receipt)
            continue
        receipt.received = day
        site.received[receipt.item] = site.received.get(receipt.item, 0.0) + receipt.quantity
        world.receipts.append(receipt)
    site.inbox = waiting


def work_center_hours(world: World, site: SiteState, day: int) -> dict[str, float]:
    """Step 3: ``stations * max(0, hours_per_day - alert) * efficiency * ramp(t) * open(d) *
    days_per_week / 7`` per work center, zero while the site is down."""
    plan = site.plan
    if day in site.down_days or not plan.opens <= day < plan.closes:
        return {wc.id: 0.0 for wc in plan.work_centers}
    alert = world.alerts[day][plan.id]
    ramp = _ramp(plan, day // world.network.period_days + 1)
    return {
        wc.id: wc.stations
        * max(0.0, wc.hours_per_day - alert)
        * wc.efficiency
        * ramp
        * plan.days_per_week
        / 7.0
        for wc in plan.work_centers
    }


def _ramp(plan: SitePlan, period: int) -> float:
    """``r0 + (1 - r0) * min(1, k / ramp_periods)``, ``k = t - p0`` (SCENARIO.md), any period."""
    if plan.ramp_periods == 0 or plan.opening_period is None:
        return 1.0
    k = period - plan.opening_period
    return plan.ramp_start + (1.0 - plan.ramp_start) * min(1.0, max(0.0, k / plan.ramp_periods))


def hours_limited_clock(world: World, site: SiteState, hours: dict[str, float], day: int) -> float:
    """Step 4, hours: the clock reached by spending today's hours at the plan's rates.

    On plan day ``e`` of period ``t``, work center ``w`` needs ``used_hours(w, t)`` times the
    day's share of the period's open-day weight (:meth:`PlanCalendar.rate`): ``used_hours / P``
    on every day of a fully open period, nothing on a closed day, which the clock passes freely.
    The least ``hours_w / rate_w`` over work centers with planned work that day limits the
    advance; crossing a plan day's end, the hours left are spent at the next day's rates; never
    beyond ``d + 1``.
    """
    calendar = site.plan.calendar
    left = dict(hours)
    tau, limit = site.tau, float(day + 1)
    while tau < limit:
        plan_day = int(tau)
        segment_end = min(float(plan_day + 1), limit)
        rates = {
            wc.id: rate
            for wc in site.plan.work_centers
            if (rate := calendar.rate(wc.used_hours, plan_day)) > 0
        }
        gain = min((left[w] / rate for w, rate in rates.items()), default=math.inf)
        if gain < segment_end - tau:
            return tau + gain
        for w, rate in rates.items():
            left[w] -= (segment_end - tau) * rate
        tau = segment_end
    return tau


def material_cover(world: World, site: SiteState) -> float:
    """Step 4, materials: the largest plan time whose planned use of every outside material is
    at most opening stock + received - destroyed (design note, "Materials")."""
    cover = math.inf
    for item, material in site.plan.materials.items():
        available = _available(site, item)
        tolerance = COVER_ABSOLUTE_TOLERANCE + COVER_RELATIVE_TOLERANCE * abs(available)
        reached = plan_time_reached(
            material.cumulative_use, available + tolerance, site.plan.calendar
        )
        cover = min(cover, reached)
    return cover


def _available(site: SiteState, item: str) -> float:
    """Opening stock + received - destroyed of an outside material."""
    return (
        site.plan.materials[item].opening
        + site.received.get(item, 0.0)
        - site.destroyed.get(item, 0.0)
    )


def depart(world: World, site: SiteState, old: float, new: float, day: int) -> None:
    """Step 5: ship and transfer what the plan does between ``old`` and ``new``, less debt.

    The debt of an item is paid from its departures, split over its flows in proportion
    (design note, "Departures" and "Made items"); each arrives on :func:`arrival_day`.
    """
    calendar = site.plan.calendar
    by_item: dict[str, list[tuple[Flow, float]]] = defaultdict(list)
    for flow in site.plan.flows:
        quantity = piecewise(flow.cumulative, new, calendar) - piecewise(
            flow.cumulative, old, calendar
        )
        if quantity > 0:
            by_item[flow.item].append((flow, quantity))
    for item, departures in by_item.items():
        total = sum(q for _, q in departures)
        paid = min(site.debt.get(item, 0.0), total)
        if paid > 0:
            site.debt[item] -= paid
        for flow, quantity in departures:
            sent = quantity * (1.0 - paid / total)
            if sent > 0:
                send(world, flow, sent, arrival_day(world, flow, day))


def arrival_day(world: World, flow: Flow, day: int) -> int:
    """The day a departure of ``flow`` on ``day`` arrives (design note, "Arrivals").

    A shipment: ``day + L P + ceil(delay)``. A transfer: the first day of its arrival period
    ``t(day) + L``, as the planner counts it, but never before the day it leaves (``L = 0``:
    that day), plus ``ceil(delay)``.
    """
    delay = math.ceil(world.delay(flow, day))
    if flow.kind == "shipment":
        return day + flow.lead_days + delay
    period_start = day - day % world.network.period_days
    return max(day, period_start + flow.lead_days) + delay


def send(world: World, flow: Flow, quantity: float, arrival: int) -> None:
    """Hand a departure over on its arrival day: at once when that is today, else by a process."""
    if arrival + 0.5 <= world.env.now:
        hand_over(world, flow, quantity, arrival)
    else:
        world.env.process(transit(world, flow, quantity, arrival))


def transit(world: World, flow: Flow, quantity: float, arrival: int) -> Event:
    """A shipment or transfer on its way: waits until its arrival day, then is handed over."""
    yield world.env.timeout(arrival + 0.5 - world.env.now)
    hand_over(world, flow, quantity, arrival)


def hand_over(world: World, flow: Flow, quantity: float, arrival: int) -> None:
    """Step 6 for a shipment (a delivery, counted on its arrival day, if inside the run); a
    transfer goes to the receiving site's inbox, due that day."""
    if arrival >= world.days:
        return
    if flow.kind == "shipment":
        key = (flow.target, flow.item, arrival // world.network.period_days + 1)
        world.delivered[key] = world.delivered.get(key, 0.0) + quantity
    else:
        world.sites[flow.target].inbox.append(Receipt(flow.target, flow.item, quantity, arrival))


def site_day(world: World, site: SiteState, day: int) -> None:
    """Steps 1-5 of ``day`` for one site."""
    strike_losses(world, site, day)
    receive_arrivals(world, site, day)
    hours = work_center_hours(world, site, day)
    old = site.tau
    if day not in site.down_days:
        clock = min(hours_limited_clock(world, site, hours, day), material_cover(world, site))
        site.tau = max(old, min(float(day + 1), clock))
    depart(world, site, old, site.tau, day)
    site.clock.append(site.tau)


def site_process(world: World, site: SiteState) -> Event:
    """A site, day by day: day ``d`` is carried out at time ``d + 1``."""
    for day in range(world.days):
        yield world.env.timeout(day + 1 - world.env.now)
        site_day(world, site, day)


# -- disruptions drawn in continuous time (own draws) --------------------------------------------
def _round(value: float) -> int:
    """``floor(value + 0.5)``: the first day whose midpoint lies at or after ``value``."""
    return math.floor(value + 0.5)


def strike_process(
    world: World, site: SiteState, rate: float, mu: float, sigma: float, rng: np.random.Generator
) -> Event:
    """Poisson strikes at ``rate`` per day, lognormal repairs; a strike before the end of the
    last effective one is ignored. Day ``d`` is down for ``round(x) <= d < round(x + R)``; the
    stock loss happens on day ``floor(x)`` (design note, "Down days")."""
    end = -math.inf
    while True:
        yield world.env.timeout(rng.exponential(1.0 / rate))
        x = world.env.now
        if x >= world.days:
            return
        repair = math.exp(mu + sigma * rng.standard_normal())
        if x < end:
            continue
        end = x + repair
        site.strikes += 1
        site.strike_days.add(math.floor(x))
        site.down_days.update(range(_round(x), min(_round(x + repair), world.days)))


def outage_process(
    world: World, supplier: str, rate: float, mu: float, sigma: float, rng: np.random.Generator
) -> Event:
    """Poisson supplier disruptions, lognormal lengths, the same rules as strikes."""
    end = -math.inf
    days = world.outage_days[supplier]
    while True:
        yield world.env.timeout(rng.exponential(1.0 / rate))
        x = world.env.now
        if x >= world.days:
            return
        length = math.exp(mu + sigma * rng.standard_normal())
        if x < end:
            continue
        end = x + length
        days.update(range(_round(x), _round(x + length)))


def alert_process(world: World, rng: np.random.Generator) -> Event:
    """At the start of each day, the alert hours of every site: ``clip(mean + sd Z, 0, cap)``."""
    profile = world.network.profile
    for day in range(world.days):
        yield world.env.timeout(day - world.env.now)
        world.alerts[day] = {
            site: min(
                float(profile.alert_cap[s]),
                max(0.0, float(profile.alert_mean[s]) + profile.alert_sd * rng.standard_normal()),
            )
            for s, site in enumerate(profile.sites)
        }


# -- runs ----------------------------------------------------------------------------------------
@dataclass
class SiteResult:
    """Per site: effective strikes, days down, stock destroyed (units of all items)."""

    strikes: int
    days_down: int
    stock_destroyed: float


@dataclass
class ReferenceRun:
    """The outcome of one run.

    ``delivered`` per (customer, product, period of arrival), ``on_time`` and ``backlog_end`` per
    (customer, product); ``clock`` per site, the plan clock at the end of each day;
    ``days_disrupted`` per supplier, its outage days within the run; ``receipts`` every purchase
    and transfer received, with the day it was due and the day it was received.
    """

    delivered: dict[tuple[str, str, int], float]
    on_time: dict[tuple[str, str], float]
    backlog_end: dict[tuple[str, str], float]
    sites: dict[str, SiteResult]
    receipts: list[Receipt]
    clock: dict[str, list[float]]
    days_disrupted: dict[str, int]


def on_time_units(demand: list[float], delivered: dict[int, float]) -> float:
    """Units delivered by their due period, deliveries matched to the oldest demand first.

    Unit ``n`` of cumulative demand, due in period ``t``, is on time when cumulative deliveries
    by ``t`` reach ``n``: period ``t`` contributes ``clip(C(t) - D(t - 1), 0, demand(t))``.
    """
    on_time = cum_delivered = cum_demand = 0.0
    for t, due in enumerate(demand, start=1):
        cum_delivered += delivered.get(t, 0.0)
        on_time += min(due, max(0.0, cum_delivered - cum_demand))
        cum_demand += due
    return on_time


def matched_units(due: list[float], delivered: dict[int, float]) -> list[tuple[int, int, float]]:
    """``(due period, arrival period, units)``: deliveries handed one after the other, in
    arrival order, to the oldest demand still open (a queue of due periods, walked by hand)."""
    queue = [[t, quantity] for t, quantity in enumerate(due, start=1) if quantity > 0]
    out: list[tuple[int, int, float]] = []
    for arrival in sorted(delivered):
        left = delivered[arrival]
        while left > 1e-12 and queue:
            period, open_units = queue[0]
            taken = min(left, open_units)
            out.append((int(period), arrival, taken))
            left -= taken
            queue[0][1] -= taken
            if queue[0][1] <= 1e-12:
                queue.pop(0)
    return out


def lateness_units(
    due: list[float], promised: list[float], delivered: dict[int, float], periods: int
) -> dict[str, object]:
    """One run's lateness counts for one (customer, product), by :func:`matched_units`: units
    delivered within ``k`` periods of due (``k = 0 .. periods``), units delivered by their
    promised period, units matched and their periods late, summed."""
    matched = matched_units(due, delivered)
    kept = matched_units(promised, delivered)
    return {
        "within": [sum(u for t, a, u in matched if a - t <= k) for k in range(periods + 1)],
        "kept": sum(u for t, a, u in kept if a <= t),
        "matched": sum(u for _, _, u in matched),
        "late": sum(u * (a - t) for t, a, u in matched),
    }


def _new_world(network: ReferenceNetwork, days: int) -> World:
    env = simpy.Environment()
    sites = {}
    for plan in network.sites:
        state = SiteState(plan)
        state.inbox = [
            Receipt(r.site, r.item, r.quantity, r.due, r.supplier) for r in plan.purchases
        ]
        sites[plan.id] = state
    return World(
        env=env,
        network=network,
        days=days,
        sites=sites,
        alerts={},
        outage_days={u: set() for u in network.suppliers},
        delay=lambda flow, day: 0.0,
    )


def _run(world: World) -> ReferenceRun:
    """Start a process per site (senders of same-day transfers first), run, and record."""
    for site in world.sites.values():
        world.env.process(site_process(world, site))
    world.env.run(until=world.days + 0.75)
    network = world.network
    by_series: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    for (customer, item, period), quantity in world.delivered.items():
        by_series[customer, item][period] = quantity
    on_time, backlog = {}, {}
    for key, demand in network.demand.items():
        on_time[key] = on_time_units(demand, by_series[key])
        backlog[key] = sum(demand) - sum(by_series[key].values())
    return ReferenceRun(
        delivered=dict(world.delivered),
        on_time=on_time,
        backlog_end=backlog,
        sites={
            s: SiteResult(state.strikes, len(state.down_days), state.stock_destroyed)
            for s, state in world.sites.items()
        },
        receipts=world.receipts,
        clock={s: state.clock for s, state in world.sites.items()},
        days_disrupted={
            u: sum(1 for d in days if d < world.days) for u, days in world.outage_days.items()
        },
    )


def run_reference(
    scenario: Scenario,
    plan: Plan,
    days: int | None,
    draws: ReferenceDraws | None,
    *,
    network: ReferenceNetwork | None = None,
) -> ReferenceRun:
    """Execute a plan for ``days`` days under given draws (one run).

    Parameters
    ----------
    scenario, plan
        The scenario and its plan.
    days
        Days simulated; None for the horizon's length.
    draws
        The run's disruptions (:func:`draws_for_run`); None for :func:`quiet_draws`.
    network
        ``prepare(scenario, plan)``, to reuse it over runs.
    """
    network = network or prepare(scenario, plan)
    days = network.periods * network.period_days if days is None else days
    draws = draws if draws is not None else quiet_draws(network, days)
    world = _new_world(network, days)
    for s, site_id in enumerate(network.site_order):
        site = world.sites[site_id]
        site.down_days = {d for d in range(days) if draws.down[d, s]}
        site.strike_days = {d for d in range(days) if draws.strike_day[d, s]}
        site.strikes = int(draws.strikes[s])
    for u, supplier in enumerate(network.suppliers):
        world.outage_days[supplier] = {d for d in range(days) if draws.disrupted[d, u]}
    world.alerts = {
        d: {site_id: float(draws.alerts[d, s]) for s, site_id in enumerate(network.site_order)}
        for d in range(days)
    }
    delays = draws.lane_delays
    world.delay = lambda flow, day: float(delays[day, flow.index])
    return _run(world)


def run_reference_own_draws(
    scenario: Scenario,
    plan: Plan,
    days: int | None,
    rng: np.random.Generator,
    *,
    network: ReferenceNetwork | None = None,
) -> ReferenceRun:
    """Execute a plan for ``days`` days, drawing disruptions in continuous time from ``rng``.

    Strikes and supplier outages are Poisson processes (SimPy processes) with lognormal
    durations; alert hours a clipped normal per site and day; each departure is delayed with the
    lane-delay probability by an exponential number of days.
    """
    network = network or prepare(scenario, plan)
    days = network.periods * network.period_days if days is None else days
    profile = network.profile
    world = _new_world(network, days)
    for s, site_id in enumerate(profile.sites):
        if profile.strike_rate[s] > 0:
            world.env.process(
                strike_process(
                    world,
                    world.sites[site_id],
                    float(profile.strike_rate[s]),
                    profile.repair_mu,
                    profile.repair_sigma,
                    rng,
                )
            )
    for u, supplier in enumerate(profile.suppliers):
        if profile.outage_rate[u] > 0:
            world.env.process(
                outage_process(
                    world,
                    supplier,
                    float(profile.outage_rate[u]),
                    float(profile.outage_mu[u]),
                    float(profile.outage_sigma[u]),
                    rng,
                )
            )
    world.env.process(alert_process(world, rng))
    p, mean = profile.lane_delay_probability, profile.lane_delay_mean

    def delay(flow: Flow, day: int) -> float:
        return float(rng.exponential(mean)) if p > 0 and rng.random() < p else 0.0

    world.delay = delay
    return _run(world)


# -- timing --------------------------------------------------------------------------------------
def benchmark(
    sites: int = 30, periods: int = 52, runs: int = 5, days: int = 365
) -> dict[str, float]:
    """Runs per second and site-days per second on a generated network (own draws)."""
    from dronefab.model.generate import GeneratorOptions, generate_scenario
    from dronefab.planning.plan import PlanOptions
    from dronefab.planning.plan import plan as make_plan

    scenario = generate_scenario(GeneratorOptions(sites=sites, periods=periods, seed=1))
    the_plan = make_plan(scenario, PlanOptions(explain=False))
    network = prepare(scenario, the_plan)
    started = time.perf_counter()
    for run in range(runs):
        run_reference_own_draws(
            scenario, the_plan, days, np.random.default_rng(run), network=network
        )
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "runs_per_second": runs / seconds,
        "site_days_per_second": runs * days * len(scenario.sites) / seconds,
    }


if __name__ == "__main__":
    print(benchmark())
