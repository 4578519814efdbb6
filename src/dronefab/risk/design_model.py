"""The two-stage network-design model: which candidate sites to open, then plan each scenario.

First stage: one binary ``y_c`` per candidate site (``candidate: true``); existing sites are
always open. Second stage, for each sampled strike scenario ``s``: the planning LP of
:mod:`dronefab.planning.model`, unchanged except that

- ``Capacity[c,w,t]``: ``used hours <= H[c,w,t] * a[s,c,t] * y_c`` (``* 1`` for an existing
  site), where ``H`` is the nominal available hours and ``a[s,c,t]`` the share of the site's open
  days of period ``t`` that are not lost to a strike in scenario ``s``;
- every flow at a candidate site is linked to its ``y_c`` one column at a time (the
  disaggregated linking of facility location, much stronger than one big-M per site):
  ``x_j <= U_j * y_c`` for production and purchases at ``c``, shipments leaving ``c`` and
  transfers leaving or entering ``c``. ``U_j`` is a bound no optimal plan needs to exceed: for a
  shipment, the customer's cumulative demand up to its arrival period (no delivery runs ahead of
  demand); for an item made, bought or moved, the units of it that meeting all demand needs
  (the bill of materials exploded through yields), plus, for a move, the stock that exists.
  Stock a closed candidate holds at the start stays there (it costs its holding, nothing more).

Axis orders: ``(scenario, site, period)`` for availabilities; columns and rows as in the base LP.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dronefab.errors import UsageError
from dronefab.model import timeline
from dronefab.model.scenario import Scenario
from dronefab.planning.lp import Float, Int
from dronefab.planning.model import PlanningModel, build_model
from dronefab.planning.network import Network
from dronefab.simulation.disruptions import risk_profile, sample_strikes

Bool = npt.NDArray[np.bool_]


# -- the design-level scenario (coarser time buckets) ---------------------------------------------
def _nearest_bucket_days(days: float, period_days: int, bucket_days: int) -> float:
    """A lead time in days, rounded to the nearest whole bucket (in days).

    The planner turns a duration into ``ceil(days / period_days)`` periods; in buckets of
    ``k = bucket_days / period_days`` periods that lead time becomes ``floor(periods / k + 1/2)``
    buckets, so that lead times are not all stretched to a whole bucket.
    """
    periods = timeline.lead_time_periods(days, period_days)
    buckets = math.floor(periods * period_days / bucket_days + 0.5)
    return float(buckets * bucket_days)


def bucketed(scenario: Scenario, bucket_days: int | None) -> Scenario:
    """The scenario with periods of ``bucket_days`` days, for a smaller design model.

    Dates (demand due, orders placed, sites opening) fall into the bucket that contains them;
    lead and transit times are rounded to the nearest bucket; ramp-ups keep their length in
    days (rounded up to buckets); no site works after the original horizon ends, even when the
    last bucket runs past it. Rates per period (holding cost, backlog penalty, supplier
    capacity) are multiplied by the periods in a bucket, so they keep their value per day.

    Parameters
    ----------
    scenario
        A validated scenario.
    bucket_days
        Days per bucket, a multiple of the scenario's ``period_days``; None (or the period
        length itself) keeps the scenario as it is.

    Raises
    ------
    UsageError
        If ``bucket_days`` is not a positive multiple of the period length.
    """
    period_days = scenario.horizon.period_days
    if bucket_days is None or bucket_days == period_days:
        return scenario
    if bucket_days <= 0 or bucket_days % period_days:
        message = (
            f"--bucket-days must be a multiple of the scenario's period length ({period_days} "
            f"days), got {bucket_days}"
        )
        raise UsageError(message)
    ratio = bucket_days // period_days
    end = scenario.end
    horizon = scenario.horizon.model_copy(
        update={"periods": math.ceil(scenario.horizon.periods / ratio), "period_days": bucket_days}
    )
    sites = [
        site.model_copy(
            update={
                "closes": end if site.closes is None or site.closes > end else site.closes,
                "ramp_periods": math.ceil(site.ramp_periods / ratio),
            }
        )
        for site in scenario.sites
    ]
    suppliers = [
        supplier.model_copy(
            update={
                "supplies": [
                    supply.model_copy(
                        update={
                            "lead_time_days": _nearest_bucket_days(
                                supply.lead_time_days, period_days, bucket_days
                            ),
                            "capacity_per_period": None
                            if supply.capacity_per_period is None
                            else supply.capacity_per_period * ratio,
                        }
                    )
                    for supply in supplier.supplies
                ]
            }
        )
        for supplier in scenario.suppliers
    ]
    items = [
        item.model_copy(update={"holding_cost": item.holding_cost * ratio})
        for item in scenario.items
    ]
    customers = [
        customer.model_copy(update={"backlog_penalty": customer.backlog_penalty * ratio})
        for customer in scenario.customers
    ]
    lanes = [
        lane.model_copy(
            update={
                "transit_days": _nearest_bucket_days(lane.transit_days, period_days, bucket_days)
            }
        )
        for lane in scenario.lanes
    ]
    return scenario.model_copy(
        update={
            "horizon": horizon,
            "items": items,
            "sites": sites,
            "suppliers": suppliers,
            "customers": customers,
            "lanes": lanes,
        }
    )


# -- strike scenarios ----------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class StrikeScenarios:
    """Sampled availabilities, identical draws merged.

    Attributes
    ----------
    availability
        ``(scenario, site, period)`` share of the site's open days in the period that are not
        lost to a strike (1 where the site has no open day).
    counts
        ``(scenario,)`` how many of the drawn scenarios each distinct one stands for.
    open_days
        ``(site, period)`` the site's open days in each model period.
    drawn
        Scenarios drawn (0: the deterministic design, one scenario with no strike).
    seed
        The seed of the draws.
    """

    availability: Float
    counts: Int
    open_days: Int
    drawn: int
    seed: int

    @property
    def weight(self) -> Float:
        """``(scenario,)`` probability of each distinct scenario: ``counts / counts.sum()``."""
        return np.asarray(self.counts / self.counts.sum(), dtype=np.float64)

    def __len__(self) -> int:
        return len(self.counts)


def sample_availability(
    scenario: Scenario, model_scenario: Scenario, count: int, seed: int
) -> StrikeScenarios:
    """Draw ``count`` strike scenarios and turn them into availabilities per model period.

    Strikes come from :func:`dronefab.simulation.disruptions.sample_strikes` for runs
    ``0 .. count - 1`` over the scenario's days, so the same seed gives the same strikes as the
    simulation's first ``count`` runs. A site is down for its repair days; alerts, supplier
    outages, lane delays and the stock a strike destroys are left out of the design.

    Parameters
    ----------
    scenario
        The scenario as given (its horizon sets the days drawn).
    model_scenario
        The scenario the design model is built on (possibly :func:`bucketed`).
    count
        Scenarios to draw; 0 gives the deterministic design (one scenario, nothing down).
    seed
        Seed of the draws.
    """
    model_horizon = model_scenario.horizon
    periods, length = model_horizon.periods, model_horizon.period_days
    model_days = periods * length
    sites = len(model_scenario.sites)
    opened = np.array(
        [
            timeline.open_day_mask(site, model_horizon.start, model_days)
            for site in model_scenario.sites
        ]
    ).reshape(sites, periods, length)
    open_days = opened.sum(axis=2)
    profile = risk_profile(scenario)
    if count == 0 or not np.any(profile.strike_rate > 0):
        nothing = np.ones((1, sites, periods))
        once = np.array([max(count, 1)], dtype=np.int64)
        return StrikeScenarios(nothing, once, open_days, count, seed)
    days = scenario.horizon.periods * scenario.horizon.period_days
    down = sample_strikes(profile, range(count), days, seed).down  # (run, day, site)
    down = np.pad(down, ((0, 0), (0, model_days - days), (0, 0)))
    up = opened[None] & ~down.transpose(0, 2, 1).reshape(count, sites, periods, length)
    share = np.divide(
        up.sum(axis=3),
        open_days[None],
        out=np.ones((count, sites, periods)),
        where=open_days[None] > 0,
    )
    distinct, counts = np.unique(share.reshape(count, -1), axis=0, return_counts=True)
    return StrikeScenarios(
        distinct.reshape(len(counts), sites, periods),
        counts.astype(np.int64),
        open_days,
        count,
        seed,
    )


# -- the second stage ----------------------------------------------------------------------------
@dataclass(eq=False)
class DesignModel:
    """The base planning LP and what links it to the first-stage decisions.

    Attributes
    ----------
    planning
        The planning model of the design-level scenario, every site open at nominal hours.
    candidates
        ``(candidate,)`` site index of each candidate site.
    fixed_cost
        ``(candidate,)`` ``fixed_cost_per_period`` times the periods the site is open in the
        (original) horizon.
    capacity_rows
        Row numbers of the ``Capacity`` block.
    capacity_hours
        ``(capacity row,)`` nominal available hours ``H``.
    capacity_site, capacity_period
        Site and period of each capacity row.
    capacity_candidate
        Candidate number of each capacity row's site, -1 for an existing site.
    link_column, link_candidate, link_bound
        One entry per link ``x_j <= U_j * y_c``: the column, the candidate and ``U_j``.
    """

    planning: PlanningModel
    candidates: Int
    fixed_cost: Float
    capacity_rows: Int
    capacity_hours: Float
    capacity_site: Int
    capacity_period: Int
    capacity_candidate: Int
    link_column: Int
    link_candidate: Int
    link_bound: Float

    @property
    def names(self) -> list[str]:
        """Candidate site ids."""
        return [self.planning.network.sites[int(n)] for n in self.candidates]

    def capacity_upper(self, availability: Float, open_: Float) -> Float:
        """Upper bounds of the capacity rows in one scenario, for first-stage values ``open_``.

        ``H * a[site, period] * y_c`` (``y = 1`` for an existing site).
        """
        factor = availability[self.capacity_site, self.capacity_period]
        factor = factor * np.where(
            self.capacity_candidate >= 0, open_[np.maximum(self.capacity_candidate, 0)], 1.0
        )
        return np.asarray(self.capacity_hours * factor, dtype=np.float64)

    def capacity_gradient(self, availability: Float) -> Float:
        """``(capacity row,)`` the coefficient of ``y_c`` in each candidate row's bound, else 0."""
        hours = self.capacity_hours * availability[self.capacity_site, self.capacity_period]
        return np.asarray(np.where(self.capacity_candidate >= 0, hours, 0.0), dtype=np.float64)


def fixed_costs(scenario: Scenario, candidates: list[int]) -> Float:
    """``fixed_cost_per_period`` times the periods in which the site has an open day."""
    out = []
    for n in candidates:
        site = scenario.sites[n]
        periods_open = int((timeline.open_days(site, scenario.horizon) > 0).sum())
        out.append(site.fixed_cost_per_period * periods_open)
    return np.array(out, dtype=np.float64)


def need_per_item(net: Network) -> tuple[Float, Float]:
    """Good units and units started of each item that meeting all demand from scratch needs.

    ``good[i] = demand[i] + sum_p bom(p, i) * started[p]`` and ``started[i] = good[i] / yield[i]``
    for made items (0 for purchased ones), solved down the acyclic bill of materials.
    """
    demand = net.demand.sum(axis=(0, 2))
    usage = np.zeros((len(net.items), len(net.items)))  # (component, parent)
    np.add.at(usage, (net.bom_component, net.bom_parent), net.bom_quantity)
    good = demand.copy()
    started = np.zeros_like(good)
    for _ in range(len(net.items) + 1):  # one level of the BOM per pass
        started = np.where(net.is_made, good / net.yield_rate, 0.0)
        updated = demand + usage @ started
        if np.allclose(updated, good, rtol=0, atol=0):
            break
        good = updated
    return good, started


def _links(m: PlanningModel, candidate_of: Int) -> tuple[Int, Int, Float]:
    """The ``(column, candidate, bound)`` links of every flow at a candidate site."""
    net = m.network
    good, started = need_per_item(net)
    stock = net.initial.sum(axis=0) + net.on_order.sum(axis=(0, 2))
    columns: list[Int] = []
    owners: list[Int] = []
    bounds: list[Float] = []

    def link(block_name: str, site: Int, bound: Float) -> None:
        block = m.lp.variables.get(block_name)
        if block is None:
            return
        owner = candidate_of[site]
        at_candidate = owner >= 0
        columns.append(block.index()[at_candidate])
        owners.append(owner[at_candidate])
        bounds.append(np.asarray(bound, dtype=np.float64)[at_candidate])

    lp = m.lp
    if "Production" in lp.variables:
        keys = lp.variables["Production"].keys
        link("Production", keys["site"], started[keys["item"]])
    if "Purchase" in lp.variables:
        keys = lp.variables["Purchase"].keys
        link("Purchase", keys["site"], good[net.supplies.item[keys["offer"]]])
    if "Shipment" in lp.variables:
        keys = lp.variables["Shipment"].keys
        lanes = net.customer_lanes
        arrival = np.minimum(keys["period"] + lanes.periods[keys["lane"]], net.T - 1)
        cumulative = np.cumsum(net.demand, axis=2)
        bound = cumulative[lanes.target[keys["lane"]], keys["item"], arrival]
        link("Shipment", lanes.origin[keys["lane"]], bound)
    if "Transfer" in lp.variables:
        keys = lp.variables["Transfer"].keys
        lanes = net.site_lanes
        bound = good[keys["item"]] + stock[keys["item"]]
        link("Transfer", lanes.origin[keys["lane"]], bound)
        link("Transfer", lanes.target[keys["lane"]], bound)
    if not columns:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
    return np.concatenate(columns), np.concatenate(owners), np.concatenate(bounds)


def build_design_model(scenario: Scenario, model_scenario: Scenario) -> DesignModel:
    """The base LP and its links to the candidate sites.

    Parameters
    ----------
    scenario
        The scenario as given (fixed costs count its periods).
    model_scenario
        The scenario the LP is built on (possibly :func:`bucketed`); same sites in the same order.

    Raises
    ------
    UsageError
        If the scenario has no candidate site.
    """
    candidates = [n for n, site in enumerate(scenario.sites) if site.candidate]
    if not candidates:
        message = (
            f"scenario '{scenario.name}' has no candidate site: network design chooses among "
            "sites marked 'candidate: true' (give each a fixed_cost_per_period)"
        )
        raise UsageError(message)
    network = Network(model_scenario)
    planning = build_model(network)
    candidate_of = np.full(len(network.sites), -1, dtype=np.int64)
    candidate_of[candidates] = np.arange(len(candidates))
    block = planning.lp.constraints.get("Capacity")
    if block is None:
        rows = site = period = np.zeros(0, dtype=np.int64)
        hours = np.zeros(0)
    else:
        rows = block.index()
        site, period = block.keys["site"], block.keys["period"]
        hours = network.available_hours[site, block.keys["work_center"], period]
    column, owner, bound = _links(planning, candidate_of)
    return DesignModel(
        planning=planning,
        candidates=np.array(candidates, dtype=np.int64),
        fixed_cost=fixed_costs(scenario, candidates),
        capacity_rows=rows,
        capacity_hours=hours,
        capacity_site=site,
        capacity_period=period,
        capacity_candidate=candidate_of[site],
        link_column=column,
        link_candidate=owner,
        link_bound=bound,
    )
