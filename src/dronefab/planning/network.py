"""The scenario as integer-indexed arrays, and which (site, item) pairs can ever carry flow.

Axis orders: ``(site, item)``, ``(site, work_center, period)``, ``(customer, item, period)``;
periods are 0-based here (period ``t`` of the scenario is index ``t - 1``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from dronefab.model import timeline
from dronefab.model.scenario import Scenario
from dronefab.model.schema import Lane

Bool = npt.NDArray[np.bool_]
Int = npt.NDArray[np.int64]
Float = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Lanes:
    """Lanes of one kind (to customers, or between sites) as parallel arrays."""

    origin: Int
    target: Int
    periods: Int
    cost: Float

    def __len__(self) -> int:
        return len(self.origin)


@dataclass(frozen=True)
class Supplies:
    """Every (supplier, item) offer as parallel arrays; capacity ``inf`` when unlimited."""

    supplier: Int
    item: Int
    periods: Int
    cost: Float
    capacity: Float

    def __len__(self) -> int:
        return len(self.item)


class Network:
    """Integer-indexed view of a scenario for model building.

    Parameters
    ----------
    scenario
        A validated scenario.
    """

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.T = scenario.horizon.periods
        self.sites = [s.id for s in scenario.sites]
        self.items = [i.id for i in scenario.items]
        self.customers = [c.id for c in scenario.customers]
        self.suppliers = [u.id for u in scenario.suppliers]
        self.work_centers = sorted({wc.id for s in scenario.sites for wc in s.work_centers})
        self.site_index = {name: n for n, name in enumerate(self.sites)}
        self.item_index = {name: n for n, name in enumerate(self.items)}
        self.customer_index = {name: n for n, name in enumerate(self.customers)}
        self.supplier_index = {name: n for n, name in enumerate(self.suppliers)}
        self.wc_index = {name: n for n, name in enumerate(self.work_centers)}
        self._items()
        self._sites()
        self._supplies()
        self._lanes()
        self._demand()

    # -- construction -----------------------------------------------------------------------
    def _items(self) -> None:
        sc, ii = self.scenario, self.item_index
        self.yield_rate = np.array([i.yield_rate for i in sc.items])
        self.holding_cost = np.array([i.holding_cost for i in sc.items])
        self.is_product = np.array([i.kind == "product" for i in sc.items])
        self.is_made = np.array([i.kind != "purchased" for i in sc.items])
        self.bom_parent = np.array([ii[b.parent] for b in sc.bom], dtype=np.int64)
        self.bom_component = np.array([ii[b.component] for b in sc.bom], dtype=np.int64)
        self.bom_quantity = np.array([b.quantity for b in sc.bom], dtype=np.float64)
        # minutes[i, w]: minutes of work center w per unit of item i started (steps summed).
        self.minutes = np.zeros((len(self.items), len(self.work_centers)))
        for step in sc.routings:
            self.minutes[ii[step.item], self.wc_index[step.work_center]] += step.minutes
        self.hours_per_unit = self.minutes.sum(axis=1) / 60.0
        # uses[c, p]: item c is a component of item p (the BOM as an incidence matrix).
        self.uses = np.zeros((len(self.items), len(self.items)), dtype=np.int64)
        self.uses[self.bom_component, self.bom_parent] = 1

    def _sites(self) -> None:
        sc, ii = self.scenario, self.item_index
        S, I, W = len(self.sites), len(self.items), len(self.work_centers)
        self.makes = np.zeros((S, I), dtype=bool)
        self.has_wc = np.zeros((S, W), dtype=bool)
        self.available_hours = np.zeros((S, W, self.T))
        self.initial = np.zeros((S, I))
        self.labour_cost = np.array([s.labour_cost_per_hour for s in sc.sites])
        for s, site in enumerate(sc.sites):
            for item in site.makes:
                self.makes[s, ii[item]] = True
            for wc in site.work_centers:
                w = self.wc_index[wc.id]
                self.has_wc[s, w] = True
                self.available_hours[s, w] = timeline.available_hours(site, wc, sc.horizon)
            for item, quantity in site.initial_inventory.items():
                self.initial[s, ii[item]] += quantity
        self.on_order = np.zeros((S, I, self.T))
        for order in sc.on_order:
            t = sc.period_of(order.arrival) - 1
            self.on_order[self.site_index[order.site], ii[order.item], t] += order.quantity
        for moving in sc.in_transit:  # a transfer already on its way is a receipt like an order
            t = sc.period_of(moving.arrival) - 1
            self.on_order[self.site_index[moving.to_site], ii[moving.item], t] += moving.quantity

    def _supplies(self) -> None:
        sc = self.scenario
        rows = [
            (u, self.item_index[s.item], s)
            for u, sup in enumerate(sc.suppliers)
            for s in sup.supplies
        ]
        self.supplies = Supplies(
            supplier=np.array([r[0] for r in rows], dtype=np.int64),
            item=np.array([r[1] for r in rows], dtype=np.int64),
            periods=np.array(
                [sc.lead_time_periods(r[2].lead_time_days) for r in rows], dtype=np.int64
            ),
            cost=np.array([r[2].unit_cost for r in rows], dtype=np.float64),
            capacity=np.array(
                [
                    np.inf if r[2].capacity_per_period is None else r[2].capacity_per_period
                    for r in rows
                ],
                dtype=np.float64,
            ),
        )

    def _lanes(self) -> None:
        sc = self.scenario
        to_customer = [lane for lane in sc.lanes if lane.to in self.customer_index]
        to_site = [lane for lane in sc.lanes if lane.to in self.site_index]

        def pack(lanes: list[Lane], targets: dict[str, int]) -> Lanes:
            return Lanes(
                origin=np.array([self.site_index[ln.from_] for ln in lanes], dtype=np.int64),
                target=np.array([targets[ln.to] for ln in lanes], dtype=np.int64),
                periods=np.array(
                    [sc.lead_time_periods(ln.transit_days) for ln in lanes], dtype=np.int64
                ),
                cost=np.array([ln.cost_per_unit for ln in lanes], dtype=np.float64),
            )

        self.customer_lanes = pack(to_customer, self.customer_index)
        self.site_lanes = pack(to_site, self.site_index)

    def _demand(self) -> None:
        sc = self.scenario
        self.demand = np.zeros((len(self.customers), len(self.items), self.T))
        for row in sc.demand:
            t = sc.period_of(row.due) - 1
            self.demand[self.customer_index[row.customer], self.item_index[row.item], t] += (
                row.quantity
            )
        self.backlog_penalty = np.array([c.backlog_penalty for c in sc.customers])
        self.unmet_penalty = np.array([c.unmet_penalty for c in sc.customers])

    # -- derived structure ----------------------------------------------------------------------
    @cached_property
    def producible(self) -> Bool:
        """``(site, item)``: the site makes the item and has hours on every work center it needs."""
        needs = self.minutes > 0  # (item, wc)
        hours = self.available_hours.sum(axis=2) > 0  # (site, wc)
        lacking = (needs[None, :, :] & ~hours[:, None, :]).any(axis=2)
        return self.makes & ~lacking

    @cached_property
    def purchasable(self) -> Bool:
        """``(item,)``: some supplier offers it with a non-zero capacity."""
        out = np.zeros(len(self.items), dtype=bool)
        out[self.supplies.item[self.supplies.capacity > 0]] = True
        return out

    @cached_property
    def reachable(self) -> Bool:
        """``(site, item)``: stock of the item can exist at the site at some time.

        Fixed point of: initial stock or orders placed; purchasable (suppliers deliver to any
        site); made there from components all reachable there; transferred in on a lane from a
        site where it is reachable.
        """
        S = len(self.sites)
        out = (self.initial > 0) | (self.on_order.sum(axis=2) > 0) | self.purchasable[None, :]
        lanes = self.site_lanes
        while True:
            before = out.copy()
            # a made item is reachable if none of its components is unreachable at the site
            missing = (~out).astype(np.int64) @ self.uses > 0
            out |= self.producible & ~missing
            if len(lanes):
                inflow = np.zeros((S, len(self.items)), dtype=bool)
                np.logical_or.at(inflow, lanes.target, out[lanes.origin])
                out |= inflow
            if np.array_equal(out, before):
                return out

    @cached_property
    def stocked(self) -> Bool:
        """``(site, item)``: the site holds stock at the start or has some on order."""
        return (self.initial > 0) | (self.on_order.sum(axis=2) > 0)

    @cached_property
    def stock_reach(self) -> Bool:
        """``(site, item)``: stock that exists (initial or on order) can get to the site."""
        out = self.stocked.copy()
        lanes = self.site_lanes
        while len(lanes):
            before = out.copy()
            np.logical_or.at(out, lanes.target, out[lanes.origin])
            if np.array_equal(out, before):
                break
        return out

    @cached_property
    def dominated(self) -> Bool:
        """``(site lane, item)``: a bought unit of the item need never travel on the lane.

        For a purchased item with ``holding_cost * transit_periods <= lane cost``: take a unit
        bought from supplier ``u`` in period ``o``, arriving at ``a = o + LT``, then moved along
        lanes to the site that uses it. Ordering it from the same ``u`` in the same ``o`` for
        that site instead uses the same supplier-capacity row and price, arrives at ``a`` (no
        later than before), and holds it for the transit periods it used to spend on lanes: the
        extra holding ``h * L`` is at most the lane cost saved. So some optimal plan moves
        only stock that already exists (initial or on order) on such lanes.
        """
        lanes = self.site_lanes
        purchased = ~self.is_made
        cheap_to_hold = self.holding_cost[None, :] * lanes.periods[:, None] <= lanes.cost[:, None]
        return purchased[None, :] & cheap_to_hold

    @cached_property
    def lane_allowed(self) -> Bool:
        """``(site lane, item)``: the item may be worth moving on the lane (see :attr:`dominated`)."""
        return ~self.dominated | self.stock_reach[self.site_lanes.origin]

    @cached_property
    def stock_arrivals(self) -> Bool:
        """``(site, item, period)``: periods in which existing stock of a bought item can arrive.

        Fixed point of: the start (opening stock) and orders already placed; any period, if the
        item can come in on a lane that is not :attr:`dominated`; and ``t + L`` for stock that
        can leave a :attr:`dominated` lane's origin in ``t`` (see :attr:`stock_move_periods`).
        """
        lanes, T = self.site_lanes, self.T
        out = self.on_order > 0
        out[:, :, 0] |= self.initial > 0
        if not len(lanes):
            return out
        free = ~self.dominated & self.lane_allowed & self.reachable[lanes.origin]  # (lane, item)
        anytime = np.zeros((len(self.sites), len(self.items)), dtype=bool)
        np.logical_or.at(anytime, lanes.target, free)
        out |= anytime[:, :, None]
        while True:
            before = out.copy()
            for n in np.flatnonzero(self.dominated.any(axis=1)):
                shift = int(lanes.periods[n])
                if shift >= T:
                    continue
                moved = out[lanes.origin[n], :, : T - shift] & self.dominated[n][:, None]
                out[lanes.target[n], :, shift:] |= moved
            if np.array_equal(out, before):
                return out

    @cached_property
    def stock_move_periods(self) -> Bool:
        """``(site lane, item, period)``: when the item may leave on the lane.

        Every period, except for a :attr:`dominated` (lane, item): there only existing stock moves,
        and it need only leave in a period in which stock of the item can arrive at the origin
        (:attr:`stock_arrivals`). Proof: a unit leaving in ``t`` can leave at ``a``, the last
        arrival at or before ``t``, instead: the origin's stock only falls between ``a`` and
        ``t``, so it stays non-negative; the unit reaches its destination earlier; and it is held
        for the same number of periods at the same cost per period (holding cost belongs to the
        item, not the site), none of them in transit.
        """
        lanes = self.site_lanes
        out = np.ones((len(lanes), len(self.items), self.T), dtype=bool)
        lane, item = np.nonzero(self.dominated)
        out[lane, item, :] = self.stock_arrivals[lanes.origin[lane], item, :]
        return out

    @cached_property
    def offer_dominated(self) -> Bool:
        """``(offer,)``: some optimal plan never buys from the offer.

        Offer ``j`` is dominated by an offer ``k`` of the same item with no capacity limit,
        no dearer (``cost_k <= cost_j``) and no slower (``LT_k <= LT_j`` periods); between two
        offers equal in both, the later one is dominated. Proof: replace a purchase of ``q``
        units from ``j`` for site ``s`` ordered in ``o`` (arriving in ``a = o + LT_j < T``) by
        ``q`` units from ``k`` for ``s`` ordered in ``o' = a - LT_k``. Then ``o <= o' <= a <
        T``, so that column exists whenever ``j``'s does (the same item and site, so the same
        pruning of sites; ``k``'s capacity is unlimited); the units arrive in the same period at
        the same site, so every balance row is unchanged; the price is no higher; ``k`` has no
        capacity row and ``j``'s only loosens. Applied to every purchase from ``j`` this gives a
        plan no dearer, and integer when the first was. ``k`` itself is not dominated (the
        order is strict), so removing every dominated offer keeps an optimal plan.
        """
        return self._dominated_offers(np.isinf(self.supplies.capacity))

    @cached_property
    def offer_dominated_uncapacitated(self) -> Bool:
        """``(offer,)``: as :attr:`offer_dominated` in a model without supplier capacity (the
        explanations' second relaxation), where every offer is unlimited: only the offers on
        each item's cost / lead-time frontier remain. The same proof holds, every ``k`` now
        having no capacity row."""
        return self._dominated_offers(np.ones(len(self.supplies), dtype=bool))

    def _dominated_offers(self, unlimited: Bool) -> Bool:
        """Offers an ``unlimited`` offer of the same item beats (see :attr:`offer_dominated`)."""
        offers = self.supplies
        out = np.zeros(len(offers), dtype=bool)
        for item in np.unique(offers.item):
            mine = np.flatnonzero(offers.item == item)  # an item's offers: a small square
            j, k = mine[:, None], mine[None, :]  # is j dominated by k?
            cost, lead = offers.cost, offers.periods
            no_worse = (cost[k] <= cost[j]) & (lead[k] <= lead[j]) & (j != k) & unlimited[k]
            better = (cost[k] < cost[j]) | (lead[k] < lead[j])
            # a tie with another unlimited offer goes to the earlier one; a limited one loses it
            tie = ~better & (~unlimited[j] | (k < j))
            out[mine] = (no_worse & (better | tie)).any(axis=1)
        return out

    @cached_property
    def buy_useful(self) -> Bool:
        """``(site, item)``: buying the item for this site can be worth it.

        It is used there (a component of something the site makes, where that is useful), or it
        can go on a lane that is not :attr:`dominated` to a site where it is useful.
        """
        can_make = self.producible & self.reachable
        out = (can_make & self.useful).astype(np.int64) @ self.uses.T > 0
        lanes = self.site_lanes
        if len(lanes):
            onward = self.useful[lanes.target] & ~self.dominated
            np.logical_or.at(out, lanes.origin, onward)
        return out & self.purchasable[None, :]

    @cached_property
    def useful(self) -> Bool:
        """``(site, item)``: stock of the item at the site can be put to use.

        Fixed point of: a product with demand from a customer the site has a lane to; a
        component of an item the site can make and that is useful there; movable on a lane
        (:attr:`lane_allowed`) to a site where it is useful.
        """
        S, I = len(self.sites), len(self.items)
        demanded = self.demand.sum(axis=2) > 0  # (customer, item)
        out = np.zeros((S, I), dtype=bool)
        lanes = self.customer_lanes
        if len(lanes):
            np.logical_or.at(out, lanes.origin, demanded[lanes.target])
        site_lanes = self.site_lanes
        can_make = self.producible & self.reachable
        while True:
            before = out.copy()
            # a component is useful where an item made from it is useful and can be made
            out |= (can_make & out).astype(np.int64) @ self.uses.T > 0
            if len(site_lanes):
                onward = np.zeros((S, I), dtype=bool)
                moved = out[site_lanes.target] & self.lane_allowed
                np.logical_or.at(onward, site_lanes.origin, moved)
                out |= onward
            if np.array_equal(out, before):
                return out

    def keep(self, prune: bool) -> Bool:
        """``(site, item)`` pairs that get inventory and balance rows.

        Pruned: pairs whose stock can both exist and be used, plus pairs holding stock at the
        start or on order (their stranded stock still costs holding). Unpruned: every pair.
        """
        if not prune:
            return np.ones((len(self.sites), len(self.items)), dtype=bool)
        return (self.reachable & self.useful) | self.stocked
