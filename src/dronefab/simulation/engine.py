"""The vectorised engine: a block of runs advanced together, one day at a time.

It implements docs/design/simulation.md literally; each day is the note's six steps, done as
array operations over every run and site of the block at once. Every cumulative quantity of a
site's plan (work-center hours, material use, flows, made inventory) is piecewise linear in plan
time with a piece per plan day, following the site's open-day weights within each period
(:mod:`dronefab.simulation.inputs`); the searches below run over plan days. State arrays (axes as
in :mod:`dronefab.simulation.inputs`, ``run`` first):

- ``tau`` ``(run, site)``: the plan clock, in plan days;
- ``available`` ``(run, slot)``: opening stock + received - destroyed, per outside material;
- ``waiting`` ``(run, line)`` and ``arriving`` ``(run, slot)``: purchases and transfers due but not
  yet received (the site is down, or the supplier in an outage);
- ``in_transit`` ``(lag, run, slot)``: a ring buffer of transfers by arrival day (``day % lag``);
- ``debt`` ``(run, made)``: made units destroyed by strikes and still owed;
- ``delivered`` ``(run, pair, period)``: units delivered, by the period of their arrival day.

Choices where the design note is silent (the SimPy reference, tests/simulation/
reference_simpy.py, makes the same ones; the two agree draw for draw to rounding):

- **Made items and outside materials.** A site's made items are those with positive planned
  production there (the plan, not the scenario's ``makes``); every other item it holds at the
  start (a positive quantity), has on order, buys or receives by transfer is an outside material.
  Transfers of an item the receiver makes are not tracked there.
- **Lane delays.** One draw per flow and departure day: what flow ``f`` sends on day ``d``
  arrives ``L P + ceil(delay)`` days later, ``delay`` being draw ``d * F + f`` of
  ``sample_lane_delays(profile, runs, D * F, seed)`` (flows ordered as in
  :mod:`~dronefab.simulation.inputs`: shipments, then transfers, each sorted). ``L`` is the
  flow's ``arrival_period - ship_period`` in the plan.
- **Same-day transfers.** A transfer arriving on the day it leaves (``L = 0``, no delay) is
  usable by its receiver that day: sites take steps 4 and 5 senders first, level by level
  (``site_level`` in :class:`~dronefab.simulation.inputs.SimulationInputs`); in a cycle of
  same-day transfers, one going back to a site that already stepped is received at once but
  only usable the next day (the reference receives it the next day: a strike that next day
  would destroy it here, not there).
- **Down sites do nothing.** A site's clock does not move on a day it is down, even where no
  work center limits it (e.g. a site only shipping from stock). A site that is up but closed
  (before ``opens``, from ``closes``) has no hours, but moves through plan days without planned
  work (its closed days of a partly open period, whole periods without planned work).
- **Hours and rates.** Today's hours use the ramp of today's period ``t(d)``; they are spent at
  the rates of the clock's plan day (a site catching up works at an earlier day's rates).
- **The clock never goes back**: a strike that destroys a material below its planned use at
  ``tau`` stops the clock until receipts cover the gap.
- **Debt** of a made item is paid from the day's departures of that item (all its flows and
  every plan day crossed that day), split in proportion; two effective strikes on one day
  destroy once (``strike_day`` marks the day once).
- **Tolerance.** Materials cover plan time ``tau`` when ``use(tau) <= available + eps`` with
  ``eps = 1e-6 + 1e-9 * |available|``, so that solver round-off in a plan never holds a site
  back.
- **Orders already placed** are due on the first day of the period their ``arrival`` date falls
  in (from the scenario), as planned purchases are on the first day of their arrival period (from
  the plan).
- **Deliveries on day ``D`` or later** are not counted, nor are such transfers received;
  deliveries after the horizon count in their period (``> T``), never as on time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dronefab.errors import UsageError
from dronefab.model.timeline import FloatArray
from dronefab.simulation.arrays import (
    BlockDraws,
    BoolArray,
    IntArray,
    block_draws,
    inverse,
    scatter,
    tolerant,
)
from dronefab.simulation.disruptions import RiskProfile
from dronefab.simulation.inputs import SimulationInputs


@dataclass(frozen=True, eq=False)
class BlockResult:
    """What a block of runs produced; ``run`` axes follow ``runs``.

    Attributes
    ----------
    runs
        ``(run,)`` absolute run indices.
    delivered
        ``(run, pair, period)`` units delivered, by the (0-based) period of their arrival day.
    strikes
        ``(run, site)`` effective strikes arriving in the simulated days.
    days_down
        ``(run, site)`` days down.
    stock_destroyed
        ``(run, site)`` units destroyed by strikes (outside materials and made items).
    """

    runs: IntArray
    delivered: FloatArray
    strikes: IntArray
    days_down: IntArray
    stock_destroyed: FloatArray


class _Block:
    """The state of a block of runs and the day's steps that change it."""

    def __init__(self, inputs: SimulationInputs, draws: BlockDraws, loss: float) -> None:
        self.x = inputs
        self.draws = draws
        self.loss = loss
        runs, sites = draws.down.shape[0], len(inputs.sites)
        slots, made = inputs.slot_site.size, inputs.made_site.size
        self.runs = runs
        self.tau = np.zeros((runs, sites))
        self.available = np.tile(inputs.slot_opening, (runs, 1))
        self.waiting = np.zeros((runs, inputs.line_slot.size))
        self.pending = False  # whether any purchase is waiting
        self.slot_sites, self.slot_starts = np.unique(inputs.slot_site, return_index=True)
        self.slot_cover = self._covers(self.available)
        self.stale = np.zeros(self.available.shape, dtype=np.bool_)
        self.arriving = np.zeros((runs, slots))
        self.lag = int(draws.offset.max(initial=0)) + 2
        self.in_transit = np.zeros((self.lag, runs, slots))
        self.debt = np.zeros((runs, made))
        self.delivered = np.zeros(runs * len(inputs.pairs) * inputs.out_periods)
        self.destroyed = np.zeros((runs, sites))
        self.line_site = inputs.slot_site[inputs.line_slot]
        self.made_flows = np.flatnonzero(inputs.flow_made >= 0)
        self.row = np.arange(runs)[:, None]
        self.site_axis = np.arange(sites)[None, :]
        self.flow_axis = np.arange(inputs.flow_site.size)[None, :]
        days = np.searchsorted(inputs.arrival_day, np.arange(inputs.days + 1))
        self.arrivals_from = days
        # Flat copies for fast gathers: (site * (pday + 1) + pday, wc), (flow * (pday + 1) + pday)
        # and (run, day, flow) lane offsets.
        pdays = inputs.plan_days + 1
        self.wc_rate = inputs.wc_rate.reshape(sites * pdays, -1)
        self.site_base = np.arange(sites)[None, :] * pdays
        self.flow_rate = inputs.flow_rate.ravel()
        self.flow_cum = inputs.flow_cum.ravel()
        self.flow_base = np.arange(inputs.flow_site.size)[None, :] * pdays
        self.offset = draws.offset.reshape(-1)
        transfers = inputs.flow_lead_days[inputs.shipments :]
        self.same_day = bool((transfers == 0).any())
        level = inputs.site_level
        self.levels = [level == n for n in range(int(level.max(initial=0)) + 1)]
        # Work centers as rows (site * wc + wc, pday + 1), for searching across plan days.
        self.wc_cum_rows = inputs.wc_cum.transpose(0, 2, 1).reshape(-1, pdays)
        self.wc_rate_rows = inputs.wc_rate.transpose(0, 2, 1).reshape(-1, pdays)

    def plan_day(self, tau: FloatArray) -> IntArray:
        """The plan day of plan time ``tau`` (``T P`` beyond the horizon): the piece to read."""
        return np.minimum(np.floor(tau).astype(np.int64), self.x.plan_days)

    # -- 1. strikes ------------------------------------------------------------------------------
    def strike(self, day: int) -> None:
        """Destroy ``loss`` of every stock at the sites struck today (effective strikes only)."""
        struck = self.draws.strike_day[:, day, :]
        hit = np.flatnonzero(struck.any(axis=1))
        if hit.size == 0 or self.loss == 0:
            return
        x = self.x
        tau = self.tau[hit]
        pday = self.plan_day(tau)
        lost_sites = np.zeros((hit.size, len(x.sites)))
        if x.slot_site.size:
            k = pday[:, x.slot_site]
            into = tau[:, x.slot_site] - k
            slot = np.arange(x.slot_site.size)[None, :]
            used = x.slot_cum[slot, k] + x.slot_use[slot, k] * into
            stock = np.maximum(self.available[hit] - used, 0.0)
            lost = self.loss * stock * struck[hit][:, x.slot_site]
            self.available[hit] -= lost
            run, slot = np.nonzero(lost > 0)
            self.slot_cover[hit[run], slot] = inverse(
                x.slot_cum,
                x.slot_use,
                slot,
                np.zeros(slot.size, dtype=np.int64),
                tolerant(self.available[hit[run], slot]),
            )
            lost_sites += scatter(lost, x.slot_site, len(x.sites))
        if x.made_site.size:
            k = pday[:, x.made_site]
            into = tau[:, x.made_site] - k
            item = np.arange(x.made_site.size)[None, :]
            held = np.maximum(x.made_level[item, k] + x.made_change[item, k] * into, 0.0)
            lost = self.loss * held * struck[hit][:, x.made_site]
            self.debt[hit] += lost
            lost_sites += scatter(lost, x.made_site, len(x.sites))
        self.destroyed[hit] += lost_sites

    # -- 2. arrivals -----------------------------------------------------------------------------
    def receive(self, day: int, up: BoolArray) -> None:
        """Receive the purchases and transfers due, where the site and supplier allow it."""
        x = self.x
        first, last = self.arrivals_from[day], self.arrivals_from[day + 1]
        if last > first:
            due = np.bincount(
                x.arrival_line[first:last],
                weights=x.arrival_quantity[first:last],
                minlength=x.line_slot.size,
            )
            self.waiting += due
            self.pending = True
        if self.pending and x.line_slot.size:
            free = up[:, self.line_site] & ~self.draws.disrupted[:, day, x.line_supplier]
            received = np.where(free, self.waiting, 0.0)
            self.waiting -= received
            added = scatter(received, x.line_slot, x.slot_site.size)
            self.available += added
            self.stale |= added > 0
            self.pending = bool(self.waiting.any())
        self.receive_transfers(day, up)

    def receive_transfers(self, day: int, up: BoolArray) -> None:
        """Receive the transfers due by today at the sites that are up."""
        x = self.x
        slot = day % self.lag
        self.arriving += self.in_transit[slot]
        self.in_transit[slot] = 0.0
        received = np.where(up[:, x.slot_site], self.arriving, 0.0)
        self.arriving -= received
        self.available += received
        self.stale |= received > 0

    # -- 3. hours --------------------------------------------------------------------------------
    def hours(self, day: int, up: BoolArray) -> FloatArray:
        """``(run, site, wc)`` hours of today: zero while down."""
        x = self.x
        alert = self.draws.alerts[:, day, :, None]
        per_station = np.maximum(x.wc_hours[None, :, :] - alert, 0.0)
        factor = x.day_factor[day][None, :] * up
        return np.asarray(per_station * x.wc_capacity[None] * factor[:, :, None])

    # -- 4. material cover -----------------------------------------------------------------------
    def cover(self, day: int) -> FloatArray:
        """``(run, site)`` the largest plan time the outside materials allow (inf: no limit).

        Only materials short of the planned use up to ``d + 1`` can limit today. Each one's
        cover, ``use^-1(available + eps)``, is kept in ``slot_cover`` and searched again only
        when its stock changed: forward from the old cover after receipts (``stale``), from the
        start after a strike. A cover below the clock stops it.
        """
        x = self.x
        limit = np.full(self.tau.shape, np.inf)
        if x.slot_site.size == 0:
            return limit
        short = tolerant(self.available) < x.slot_need[day]
        if not short.any():
            return limit
        redo = short & self.stale
        if redo.any():
            run, slot = np.nonzero(redo)
            self.stale[run, slot] = False
            start = self.plan_day(np.minimum(self.slot_cover[run, slot], x.plan_days))
            have = tolerant(self.available[run, slot])
            self.slot_cover[run, slot] = inverse(x.slot_cum, x.slot_use, slot, start, have)
        binding = np.where(short, self.slot_cover, np.inf)
        limit[:, self.slot_sites] = np.minimum.reduceat(binding, self.slot_starts, axis=1)
        return limit

    def _covers(self, available: FloatArray) -> FloatArray:
        """``(n, slot)`` the cover of every material for stocks ``available`` ``(n, slot)``."""
        x = self.x
        n, slots = available.shape
        slot = np.tile(np.arange(slots), n)
        have = tolerant(available).ravel()
        start = np.zeros(slot.size, dtype=np.int64)
        return inverse(x.slot_cum, x.slot_use, slot, start, have).reshape(n, slots)

    # -- 4 and 5. progress and departures --------------------------------------------------------
    def progress(self, day: int, hours: FloatArray, limit: FloatArray) -> None:
        """Advance every clock up to ``limit`` as the hours allow and send what the plan sends
        over the plan time gained.

        Each work center's hours run out at ``H_w^-1(H_w(tau) + hours_w)``, ``H_w`` its
        cumulative planned hours (piecewise linear in plan time, flat where it has no planned
        work, a closed plan day among them); the clock stops at the first to run out. This is the
        note's period-by-period rule in closed form: within a plan day every work center spends
        its hours at its own rate.
        """
        x = self.x
        tau = self.tau
        pday = self.plan_day(tau)
        rate = self.wc_rate.take(self.site_base + pday, axis=0)  # (run, site, wc)
        with np.errstate(divide="ignore", invalid="ignore"):
            runs_out = np.where(rate > 0, hours / rate, np.inf).min(axis=2, initial=np.inf)
        reached = np.minimum(limit, tau + runs_out)
        bound = np.where(pday < x.plan_days, pday + 1.0, np.inf)
        beyond = reached > bound
        if beyond.any():
            run, site = np.nonzero(beyond)
            reached[run, site] = np.minimum(
                limit[run, site], self._runs_out(run, site, tau[run, site], hours[run, site])
            )
        reached = np.maximum(reached, tau)
        self.tau = reached
        self.depart(day, tau, reached)

    def _runs_out(
        self, run: IntArray, site: IntArray, tau: FloatArray, hours: FloatArray
    ) -> FloatArray:
        """``(n,)`` plan time at which the first work center of each (run, site) runs out of
        ``hours`` ``(n, wc)``, starting from ``tau``, across plan days."""
        width = hours.shape[1]
        pday = self.plan_day(tau)
        row = (site[:, None] * width + np.arange(width)[None, :]).ravel()
        start = np.repeat(pday, width)
        into = np.repeat(tau - pday, width)
        target = self.wc_cum_rows[row, start] + self.wc_rate_rows[row, start] * into
        target += hours.ravel()
        out = inverse(self.wc_cum_rows, self.wc_rate_rows, row, start, target)
        return np.asarray(out.reshape(-1, width).min(axis=1, initial=np.inf))

    def depart(self, day: int, before: FloatArray, after: FloatArray) -> None:
        """Send the planned flows between plan times ``before`` and ``after`` ``(run, site)``,
        less debt."""
        x = self.x
        if x.flow_site.size == 0:
            return
        sent = self._sent_by(after[:, x.flow_site]) - self._sent_by(before[:, x.flow_site])
        if self.made_flows.size and self.debt.any():
            sent *= 1.0 - self.pay_debt(sent)
        run, flow = np.nonzero(sent > 0)
        self.send(day, run, flow, sent[run, flow])

    def _sent_by(self, time: FloatArray) -> FloatArray:
        """``(run, flow)`` planned quantity of every flow sent by plan time ``time``."""
        k = self.plan_day(time)
        index = self.flow_base + k
        return np.asarray(self.flow_cum.take(index) + self.flow_rate.take(index) * (time - k))

    def pay_debt(self, amount: FloatArray) -> FloatArray:
        """``(run, flow)`` the share of today's departures ``amount`` taken to pay the debt of
        destroyed made units, the same for every flow of an item (in proportion)."""
        flows = self.made_flows
        item = self.x.flow_made[flows]
        total = scatter(amount[:, flows], item, self.debt.shape[1])
        paid = np.minimum(self.debt, total)
        self.debt -= paid
        share = np.zeros_like(amount)
        ratio = np.divide(paid, total, out=np.zeros_like(paid), where=total > 0)
        share[:, flows] = ratio[:, item]
        return share

    def send(self, day: int, run: IntArray, flow: IntArray, amount: FloatArray) -> None:
        """Send ``amount`` of ``flow`` today: shipments count on their arrival day's period,
        transfers go into transit."""
        x = self.x
        draw = (run * x.days + day) * x.flow_site.size + flow
        arrival = day + self.offset.take(draw).astype(np.int64)
        keep = (amount > 0) & (arrival < x.days)
        ship = keep & (flow < x.shipments)
        if ship.any():
            period = arrival[ship] // x.period_days
            index = (run[ship] * len(x.pairs) + x.flow_pair[flow[ship]]) * x.out_periods + period
            np.add.at(self.delivered, index, amount[ship])
        slot = x.flow_slot[flow]
        transfer = keep & (slot >= 0)
        if transfer.any():
            due = arrival[transfer] % self.lag
            index = (due * self.runs + run[transfer]) * x.slot_site.size + slot[transfer]
            np.add.at(self.in_transit.reshape(-1), index, amount[transfer])

    # -- one day ---------------------------------------------------------------------------------
    def step(self, day: int) -> None:
        """The note's six steps for every run and site of the block.

        Steps 4 and 5 run level by level (``site_level``) when transfers can arrive the day
        they leave: after each level, what reached its receivers today is received at once.
        """
        up = ~self.draws.down[:, day, :]
        self.strike(day)
        self.receive(day, up)
        hours = self.hours(day, up)
        for level in self.levels:
            limit = np.minimum(float(day + 1), self.cover(day))
            limit = np.where(up & level, limit, self.tau)
            self.progress(day, hours, limit)
            if self.same_day:
                self.receive_transfers(day, up)


def simulate_block(
    inputs: SimulationInputs,
    profile: RiskProfile,
    runs: Sequence[int],
    days: int,
    seed: int,
) -> BlockResult:
    """Simulate a block of runs together, day by day, as arrays.

    Parameters
    ----------
    inputs
        The plan as arrays (:func:`~dronefab.simulation.inputs.build_inputs`).
    profile
        The scenario's risks (:func:`~dronefab.simulation.disruptions.risk_profile`); its sites
        and suppliers must be those of ``inputs``, in the same order.
    runs
        Absolute run indices: a run's draws depend on its index only, not on the block.
    days
        Days simulated; must equal ``inputs.days``.
    seed
        The simulation's seed.

    Returns
    -------
    BlockResult

    Raises
    ------
    UsageError
        If the profile or ``days`` do not match the inputs.
    """
    if profile.sites != inputs.sites or profile.suppliers != inputs.suppliers:
        message = "the risk profile's sites or suppliers differ from the plan's scenario"
        raise UsageError(message)
    if days != inputs.days:
        message = f"the inputs were built for {inputs.days} days, not {days}"
        raise UsageError(message)
    draws = block_draws(inputs, profile, runs, seed)
    block = _Block(inputs, draws, profile.inventory_loss_fraction)
    for day in range(days):
        block.step(day)
    shape = (len(runs), len(inputs.pairs), inputs.out_periods)
    return BlockResult(
        runs=np.asarray(runs, dtype=np.int64),
        delivered=block.delivered.reshape(shape),
        strikes=draws.strikes,
        days_down=np.asarray(draws.down.sum(axis=1), dtype=np.int64),
        stock_destroyed=block.destroyed,
    )
