"""The scenario as rates per day over stages: the input of the time-to-survive and recover LPs.

The resilience model of Simchi-Levi et al. (Interfaces 45(5), 2015) is a *fluid* model: every
capacity is a rate, and over a window of ``t`` days a node can make at most its rate times ``t``.
Here the rates come from the scenario, averaged over the horizon:

- a site's work center: its available hours over the horizon (open days, downtime, efficiency
  and ramp-up included, as :func:`dronefab.model.timeline.available_hours` computes them)
  divided by the horizon's days. Items share those hours through their routings' minutes, so a
  site's capacity "per day" is a set of hours per work center, not one number of units;
- a supply offer: ``capacity_per_period / period_days`` units a day; unlimited supply gives no
  bound;
- demand: each customer's demand for each product over the horizon divided by its days.

Stock at the start counts at once. A scheduled receipt (``on_order``) counts from the first day
of the period it arrives in (as the planner counts it), so the window is cut into *stages* at
those days: within a stage every rate is constant, and the planning LP of
:mod:`dronefab.planning.model` built with one "period" per stage, no lead times and no transit
times is exactly the fluid model. Axis orders are those of :class:`Network`, with the stage in
place of the period.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from dronefab.model.scenario import Scenario
from dronefab.planning.network import Float, Int, Lanes, Network


@dataclass(frozen=True)
class Receipts:
    """Scheduled receipts (``on_order`` rows) as parallel arrays.

    ``offer`` is the receipt's (supplier, item) offer in :attr:`Network.supplies`, so that a
    stopped supplier's receipts can be left out; ``stage`` is the stage they arrive at the start of.
    """

    site: Int
    item: Int
    offer: Int
    stage: Int
    quantity: Float

    def __len__(self) -> int:
        return len(self.site)


def receipt_days(scenario: Scenario) -> Float:
    """Days from the start to the first day of each receipt's arrival period, per ``on_order`` row."""
    days = scenario.horizon.period_days
    return np.array(
        [(scenario.period_of(order.arrival) - 1) * days for order in scenario.on_order],
        dtype=np.float64,
    )


def stage_lengths(boundaries: Float, until: float) -> Float:
    """Days of each stage inside the window ``[0, until]``.

    Stage ``k`` covers ``[b(k-1), b(k))`` with ``b(-1) = 0`` and the last stage open-ended, so the
    lengths are ``clip(until, b(k-1), b(k)) - b(k-1)``.
    """
    starts = np.concatenate([[0.0], boundaries])
    ends = np.concatenate([boundaries, [np.inf]])
    return np.asarray(np.clip(until, starts, ends) - starts, dtype=np.float64)


def _no_transit(lanes: Lanes) -> Lanes:
    return replace(lanes, periods=np.zeros(len(lanes), dtype=np.int64))


class StagedNetwork(Network):
    """A :class:`Network` whose periods are the stages of the fluid model.

    After construction, the arrays the planning LP reads hold rates: ``available_hours`` is hours
    per day (the same in every stage), ``demand`` units per day, the supplies' ``capacity`` units
    per day with no lead time, lanes have no transit time, and ``on_order`` holds the receipts
    arriving at the start of each stage. The planning LP built on it therefore has every rate
    multiplied by 1 day; :class:`dronefab.risk.fluid.FluidModel` multiplies them by each stage's
    length instead.

    Parameters
    ----------
    scenario
        A validated scenario.
    demand_per_day
        ``(customer, item)`` demand rates to use instead of the scenario's averages (the rates
        the intact network can sustain, when it cannot meet the scenario's).
    staged
        False: one stage only, every receipt counted at the start (enough for questions about
        rates alone, which ignore stock and receipts; the LP is smaller).
    """

    def __init__(
        self, scenario: Scenario, demand_per_day: Float | None = None, staged: bool = True
    ) -> None:
        super().__init__(scenario)
        horizon = scenario.horizon
        self.period_days = float(horizon.period_days)
        self.horizon_days = float(horizon.periods * horizon.period_days)
        days = receipt_days(scenario)
        self.boundaries: Float = np.unique(days[days > 0]) if staged else np.zeros(0)
        stages = len(self.boundaries) + 1
        self.hours_per_day: Float = self.available_hours.sum(axis=2) / self.horizon_days
        self.scenario_demand_per_day: Float = self.demand.sum(axis=2) / self.horizon_days
        self.demand_per_day: Float = (
            self.scenario_demand_per_day if demand_per_day is None else demand_per_day
        )
        self.supply_per_day: Float = self.supplies.capacity / self.period_days
        self.receipts = self._receipts(scenario, days)
        # What the planning LP reads: one "period" per stage, every rate per day.
        self.T = stages
        self.available_hours = np.repeat(self.hours_per_day[:, :, None], stages, axis=2)
        self.demand = np.repeat(self.demand_per_day[:, :, None], stages, axis=2)
        self.on_order = np.zeros((len(self.sites), len(self.items), stages))
        np.add.at(
            self.on_order,
            (self.receipts.site, self.receipts.item, self.receipts.stage),
            self.receipts.quantity,
        )
        self.supplies = replace(
            self.supplies,
            periods=np.zeros(len(self.supplies), dtype=np.int64),
            capacity=self.supply_per_day,
        )
        self.customer_lanes = _no_transit(self.customer_lanes)
        self.site_lanes = _no_transit(self.site_lanes)

    def _receipts(self, scenario: Scenario, days: Float) -> Receipts:
        offer_of = {
            (int(u), int(i)): n
            for n, (u, i) in enumerate(zip(self.supplies.supplier, self.supplies.item, strict=True))
        }
        orders = scenario.on_order
        return Receipts(
            site=np.array([self.site_index[o.site] for o in orders], dtype=np.int64),
            item=np.array([self.item_index[o.item] for o in orders], dtype=np.int64),
            offer=np.array(
                [
                    offer_of[self.supplier_index[o.supplier], self.item_index[o.item]]
                    for o in orders
                ],
                dtype=np.int64,
            ),
            stage=np.searchsorted(self.boundaries, days, side="right").astype(np.int64),
            quantity=np.array([o.quantity for o in orders], dtype=np.float64),
        )

    @property
    def stages(self) -> int:
        """Number of stages (receipt days plus one)."""
        return self.T

    def stage_starts(self) -> Float:
        """Day on which each stage starts."""
        return np.concatenate([[0.0], self.boundaries])

    def lengths(self, until: float) -> Float:
        """Days of each stage inside ``[0, until]`` (see :func:`stage_lengths`)."""
        return stage_lengths(self.boundaries, until)
