"""The engine's compiled daily kernel: one run at a time, one day at a time, site by site.

The rules are those of docs/design/simulation.md, with the choices listed in
:mod:`dronefab.simulation.engine`; this module only makes them fast. :func:`advance` moves a
block of runs from one day to another. Runs are independent, so it loops over them one after the
other, each through every day and every site; the engine gives each thread of its pool its own
blocks. Every function here is compiled by numba (``nogil``: the threads run truly in parallel;
``cache``: compiled once per machine, then loaded from ``__pycache__``).

Arrays are flat and CSR-style: a site's outside materials, made items and outgoing flows are the
ranges ``[start[s], start[s + 1])`` of ``slot_start``, ``made_start`` and ``flow_start`` (the
kernel numbers flows by origin site; ``flow_draw`` maps them back to their lane-delay draws), so
one site's step touches only its own rows. Axis orders are those of
:mod:`dronefab.simulation.inputs` (``run`` first for draws and state), except that arrays read
by plan day put ``pday`` first, so that one day's rows are contiguous (:class:`Network`).

Every function is ``nogil``, compiled without reference counting and allocates nothing
(:func:`_jit`); the steps called per site and day are inlined by numba into :func:`advance`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

import numba
import numpy as np
import numpy.typing as npt

from dronefab.model.timeline import FloatArray
from dronefab.simulation.arrays import BoolArray, IntArray
from dronefab.simulation.inputs import SimulationInputs

Function = TypeVar("Function", bound=Callable[..., Any])

EPS_ABS = 1e-6
EPS_REL = 1e-9
"""Planned use may exceed what is available by ``EPS_ABS + EPS_REL * |available|`` (solver
noise in the plan) without holding a site back."""
WALK = 2
"""Plan days a piecewise-linear search steps forward before bisecting the rest."""


def _jit(**options: Any) -> Callable[[Function], Function]:
    """``numba.njit`` with the kernel's options, keeping the function's type for mypy.

    ``nogil``: the engine's threads run kernels in parallel. ``error_model="numpy"``: no Python
    exception checks on divisions. ``_nrt=False``: no reference counting. The steps pass the
    network's and the state's tuples of arrays to each other; with numba's runtime (NRT) every
    such pass counts a reference to each of their ~50 arrays, which costs ten times the step's
    own work. Without it no function here may allocate an array: the Python caller owns them
    all and passes scratch space in the state. (``_nrt`` is a private option of numba, pinned
    below 1 in pyproject.toml; every test runs the kernel.)
    """
    jit: Callable[..., Callable[[Function], Function]] = numba.njit
    return jit(nogil=True, cache=True, error_model="numpy", _nrt=False, **options)


def compiled(function: Function) -> Function:
    """Compile ``function`` (:func:`_jit`): an entry point called from Python."""
    return _jit()(function)


def inlined(function: Function) -> Function:
    """Compile ``function`` (:func:`_jit`) to be inlined by numba into its callers: a step called
    per site and day, whose call would otherwise copy the tuples of arrays."""
    return _jit(inline="always")(function)


class Network(NamedTuple):
    """The run-independent arrays of :class:`~dronefab.simulation.inputs.SimulationInputs` in
    the kernel's layout (:func:`network`); ``pday`` axes hold plan days ``0 .. T P``."""

    plan_days: int
    days: int
    loss: float
    same_day: bool
    step_order: IntArray  # (site,) sites by step level, the level's sites in scenario order
    level_end: IntArray  # (level,) end of each level in step_order
    wc_hours: FloatArray  # (site, wc)
    wc_capacity: FloatArray  # (site, wc)
    wc_rate: FloatArray  # (pday, site * wc)
    wc_per_hour: FloatArray  # (pday, site * wc) plan days an hour buys, 1 / wc_rate (0: none)
    day_factor: FloatArray  # (day, site)
    slot_start: IntArray  # (site + 1,)
    slot_site: IntArray  # (slot,)
    slot_cum: FloatArray  # (slot, pday)
    slot_use: FloatArray  # (slot, pday)
    slot_need: FloatArray  # (day, slot)
    line_slot: IntArray  # (line,)
    line_site: IntArray  # (line,)
    line_supplier: IntArray  # (line,)
    arrival_start: IntArray  # (day + 1,) first scheduled purchase arrival of each day
    arrival_line: IntArray
    arrival_quantity: FloatArray
    made_start: IntArray  # (site + 1,)
    made_level: FloatArray  # (made, pday)
    made_change: FloatArray  # (made, pday)
    flow_start: IntArray  # (site + 1,) each site's flows (flows grouped by origin site)
    flow_draw: IntArray  # (flow,) the flow's index in inputs (its lane-delay draws)
    flow_cum: FloatArray  # (pday, flow)
    flow_rate: FloatArray  # (pday, flow)
    flow_pair: IntArray  # (flow,) -1 for a transfer
    flow_transit: IntArray  # (flow,) the transfer slot a transfer feeds, else -1
    flow_made: IntArray  # (flow,)
    flow_from_period_start: BoolArray  # (flow,) transfers with L >= 1
    transfer_slots: IntArray  # (transfer slot,) slots fed by transfers, the others get none
    period_start: IntArray  # (day,) the first day of each day's period
    period_of: IntArray  # (day,) each day's 0-based period


class Draws(NamedTuple):
    """A block's draws (:class:`~dronefab.simulation.arrays.BlockDraws`), ``(run, day, unit)``."""

    down: BoolArray
    strike_day: BoolArray
    alerts: FloatArray
    disrupted: BoolArray
    offset: npt.NDArray[np.int16]


class State(NamedTuple):
    """A block's state, ``run`` first (see :mod:`dronefab.simulation.engine`)."""

    tau: FloatArray  # (run, site) plan clocks
    available: FloatArray  # (run, slot) opening + received - destroyed
    cover: FloatArray  # (run, slot) plan time the stock covers (valid unless stale)
    stale: BoolArray  # (run, slot) received since the cover was searched
    waiting: FloatArray  # (run, line) purchases due, not received
    arriving: FloatArray  # (run, slot) transfers due, not received
    waiting_lines: IntArray  # (run, line) the first waiting_count[run] are the lines waiting
    waiting_count: IntArray  # (run,) how many lines have purchases waiting
    transit: FloatArray  # (run, lag, transfer slot) by arrival day % lag (lag a power of 2)
    sent_by: FloatArray  # (run, flow) planned quantity sent by the origin's clock
    debt: FloatArray  # (run, made) destroyed made units still owed
    delivered: FloatArray  # (run, pair, period) by the period of the arrival day
    destroyed: FloatArray  # (run, site) units destroyed
    sending: FloatArray  # (flow,) scratch: a site's departures while it steps
    owed: FloatArray  # (made,) scratch: departures of each made item, then the share paid
    hours_left: FloatArray  # (wc,) scratch: a site's hours while its clock advances


def network(inputs: SimulationInputs, loss: float) -> Network:
    """The kernel's layout of ``inputs``: flows grouped by origin site, index arrays, arrays read
    by plan day laid out ``(pday, ...)``; ``loss`` is the share of stock a strike destroys.

    Linear in the size of the plan (about a millisecond for 30 sites and a year): built once per
    block of runs and shared, read-only, by the threads that simulate its parts.
    """
    sites = len(inputs.sites)
    pdays = inputs.plan_days + 1
    level = inputs.site_level
    days = np.arange(inputs.days, dtype=np.int64)
    flow_order = np.argsort(inputs.flow_site, kind="stable").astype(np.int64)
    transfers = np.arange(inputs.flow_site.size) >= inputs.shipments
    transfer_slots = np.unique(inputs.flow_slot[transfers & (inputs.flow_slot >= 0)])
    flow_slot = inputs.flow_slot[flow_order]
    wc_rate = np.ascontiguousarray(inputs.wc_rate.transpose(1, 0, 2)).reshape(pdays, -1)
    return Network(
        plan_days=inputs.plan_days,
        days=inputs.days,
        loss=float(loss),
        same_day=bool((inputs.flow_lead_days[transfers] == 0).any()),
        step_order=np.argsort(level, kind="stable").astype(np.int64),
        level_end=np.cumsum(np.bincount(level, minlength=1)).astype(np.int64),
        wc_hours=inputs.wc_hours,
        wc_capacity=inputs.wc_capacity,
        wc_rate=wc_rate,
        wc_per_hour=np.divide(1.0, wc_rate, out=np.zeros_like(wc_rate), where=wc_rate > 0),
        day_factor=np.ascontiguousarray(inputs.day_factor),
        slot_start=_starts(inputs.slot_site, sites),
        slot_site=inputs.slot_site,
        slot_cum=inputs.slot_cum,
        slot_use=inputs.slot_use,
        slot_need=np.ascontiguousarray(inputs.slot_need),
        line_slot=inputs.line_slot,
        line_site=inputs.slot_site[inputs.line_slot],
        line_supplier=inputs.line_supplier,
        arrival_start=np.searchsorted(inputs.arrival_day, np.arange(inputs.days + 1)).astype(
            np.int64
        ),
        arrival_line=inputs.arrival_line,
        arrival_quantity=inputs.arrival_quantity,
        made_start=_starts(inputs.made_site, sites),
        made_level=inputs.made_level,
        made_change=inputs.made_change,
        flow_start=_starts(inputs.flow_site[flow_order], sites),
        flow_draw=flow_order,
        flow_cum=np.ascontiguousarray(inputs.flow_cum[flow_order].T),
        flow_rate=np.ascontiguousarray(inputs.flow_rate[flow_order].T),
        flow_pair=inputs.flow_pair[flow_order],
        flow_transit=np.searchsorted(transfer_slots, flow_slot).astype(np.int64) * (flow_slot >= 0)
        - (flow_slot < 0),
        flow_made=inputs.flow_made[flow_order],
        flow_from_period_start=(transfers & (inputs.flow_lead_days > 0))[flow_order],
        transfer_slots=transfer_slots,
        period_start=days - days % inputs.period_days,
        period_of=days // inputs.period_days,
    )


def _starts(sorted_site: IntArray, sites: int) -> IntArray:
    """``(site + 1,)`` where each site's rows begin in an array sorted by site."""
    return np.searchsorted(sorted_site, np.arange(sites + 1)).astype(np.int64)


def new_state(net: Network, runs: int, opening: FloatArray, sizes: tuple[int, int, int]) -> State:
    """The state of ``runs`` runs on day 0: clocks at 0, opening stocks, nothing in transit.

    ``opening`` is ``(slot,)``; ``sizes`` are ``(lag, pairs, out_periods)``: the ring of
    transfers in transit must hold more days than the longest lead time plus delay (it is
    rounded up to a power of 2).
    """
    lag, pairs, periods = sizes
    lag = 1 << max(lag - 1, 0).bit_length()
    sites, slots = net.slot_start.size - 1, net.slot_site.size
    available = np.tile(opening, (runs, 1))
    cover = np.empty_like(available)
    _initial_covers(net, available, cover)
    return State(
        tau=np.zeros((runs, sites)),
        available=available,
        cover=cover,
        stale=np.zeros((runs, slots), dtype=np.bool_),
        waiting=np.zeros((runs, net.line_slot.size)),
        arriving=np.zeros((runs, slots)),
        waiting_lines=np.zeros((runs, net.line_slot.size), dtype=np.int64),
        waiting_count=np.zeros(runs, dtype=np.int64),
        transit=np.zeros((runs, lag, net.transfer_slots.size)),
        sent_by=np.zeros((runs, net.flow_draw.size)),
        debt=np.zeros((runs, net.made_start[-1])),
        delivered=np.zeros((runs, pairs, periods)),
        destroyed=np.zeros((runs, sites)),
        sending=np.zeros(net.flow_draw.size),
        owed=np.zeros(net.made_start[-1]),
        hours_left=np.zeros(net.wc_hours.shape[1]),
    )


# -- searches ------------------------------------------------------------------------------------
@inlined
def plan_day(tau: float, plan_days: int) -> int:
    """The plan day of plan time ``tau`` (``T P`` beyond the horizon): the piece to read."""
    if tau >= plan_days:
        return plan_days
    return math.floor(tau)


@inlined
def inverse(cum: FloatArray, rate: FloatArray, row: int, start: int, target: float) -> float:
    """The largest plan time at which row ``row`` of a cumulative quantity reaches ``target``.

    ``cum[row]`` is the quantity before each plan day, ``rate[row]`` per plan day on it (both
    zero-rate beyond the horizon, the last index); the search starts at plan day ``start``,
    where the quantity must not exceed ``target`` already. Flat stretches are passed (no
    planned use never limits, nor a closed day); inf when the target is never reached.
    """
    last = cum.shape[1] - 1
    k = start
    steps = 0
    while k < last and steps < WALK and cum[row, k + 1] <= target:
        k += 1
        steps += 1
    if k < last and cum[row, k + 1] <= target:  # far: bisect, cum is non-decreasing
        low, high = k + 1, last + 1  # cum[low] <= target < cum[high] (past the end: inf)
        while high - low > 1:
            middle = (low + high) // 2
            if cum[row, middle] <= target:
                low = middle
            else:
                high = middle
        k = low
    if k >= last:
        return math.inf
    speed = rate[row, k]
    into = (target - cum[row, k]) / speed if speed > 0 else 0.0
    return k + max(into, 0.0)


@inlined
def tolerant(available: float) -> float:
    """What planned use may reach: ``available + 1e-6 + 1e-9 * |available|`` (solver noise)."""
    return available + (EPS_ABS + EPS_REL * abs(available))


@compiled
def _initial_covers(net: Network, available: FloatArray, cover: FloatArray) -> None:
    """The cover of every material for the stocks ``available`` ``(run, slot)``."""
    for r in range(available.shape[0]):
        for slot in range(available.shape[1]):
            have = tolerant(available[r, slot])
            cover[r, slot] = inverse(net.slot_cum, net.slot_use, slot, 0, have)


# -- 1. strikes ----------------------------------------------------------------------------------
@inlined
def strike(net: Network, state: State, r: int, s: int) -> None:
    """Destroy ``loss`` of every stock held at site ``s`` at its clock (an effective strike).

    Outside materials: what is held above the planned use, taken off what was received (the
    cover searched again from the start). Made items: the plan's inventory, owed.
    """
    tau = state.tau[r, s]
    k = plan_day(tau, net.plan_days)
    into = tau - k
    lost_here = 0.0
    for slot in range(net.slot_start[s], net.slot_start[s + 1]):
        used = net.slot_cum[slot, k] + net.slot_use[slot, k] * into
        lost = net.loss * max(state.available[r, slot] - used, 0.0)
        state.available[r, slot] -= lost
        if lost > 0:
            have = tolerant(state.available[r, slot])
            state.cover[r, slot] = inverse(net.slot_cum, net.slot_use, slot, 0, have)
        lost_here += lost
    for item in range(net.made_start[s], net.made_start[s + 1]):
        held = max(net.made_level[item, k] + net.made_change[item, k] * into, 0.0)
        lost = net.loss * held
        state.debt[r, item] += lost
        lost_here += lost
    state.destroyed[r, s] += lost_here


# -- 2. arrivals ---------------------------------------------------------------------------------
@inlined
def receive_purchases(net: Network, draws: Draws, state: State, r: int, day: int) -> None:
    """Purchases due today join the waiting ones; those whose site is up and supplier not in
    an outage are received.

    Only the lines with purchases waiting are visited (``state.waiting_lines``, in the order
    they began to wait): a few, against every purchase line of the plan.
    """
    lines = state.waiting_lines
    count = state.waiting_count[r]
    for i in range(net.arrival_start[day], net.arrival_start[day + 1]):
        line = net.arrival_line[i]
        if state.waiting[r, line] <= 0 and net.arrival_quantity[i] > 0:
            lines[r, count] = line
            count += 1
        state.waiting[r, line] += net.arrival_quantity[i]
    kept = 0
    for i in range(count):
        line = lines[r, i]
        if (
            draws.down[r, day, net.line_site[line]]
            or draws.disrupted[r, day, net.line_supplier[line]]
        ):
            lines[r, kept] = line
            kept += 1
            continue
        slot = net.line_slot[line]
        state.available[r, slot] += state.waiting[r, line]
        state.stale[r, slot] = True
        state.waiting[r, line] = 0.0
    state.waiting_count[r] = kept


@inlined
def receive_transfers(net: Network, draws: Draws, state: State, r: int, day: int) -> None:
    """Transfers due by today are received at the sites that are up."""
    ring = day & (state.transit.shape[1] - 1)
    for j, slot in enumerate(net.transfer_slots):
        state.arriving[r, slot] += state.transit[r, ring, j]
        state.transit[r, ring, j] = 0.0
        quantity = state.arriving[r, slot]
        if quantity != 0 and not draws.down[r, day, net.slot_site[slot]]:
            state.available[r, slot] += quantity
            state.stale[r, slot] = state.stale[r, slot] or quantity > 0
            state.arriving[r, slot] = 0.0


# -- 4. progress ---------------------------------------------------------------------------------
@inlined
def material_cover(net: Network, state: State, r: int, day: int, s: int) -> float:
    """The largest plan time the outside materials of site ``s`` allow (inf: no limit).

    Only materials short of the planned use up to ``d + 1`` can limit today; a cover is
    searched again only when its stock was received since (forward from the old cover).
    """
    limit = math.inf
    for slot in range(net.slot_start[s], net.slot_start[s + 1]):
        have = tolerant(state.available[r, slot])
        if have < net.slot_need[day, slot]:
            if state.stale[r, slot]:
                state.stale[r, slot] = False
                start = plan_day(min(state.cover[r, slot], net.plan_days), net.plan_days)
                state.cover[r, slot] = inverse(net.slot_cum, net.slot_use, slot, start, have)
            limit = min(limit, state.cover[r, slot])
    return limit


@inlined
def clock(
    net: Network, draws: Draws, state: State, at: tuple[int, int, int], clocks: tuple[float, float]
) -> float:
    """The clock of site ``s`` (up) after spending today's hours from ``tau``, at most ``limit``
    (``at`` is ``(run, day, site)``, ``clocks`` ``(tau, limit)``).

    Work center ``w`` needs ``rate_w`` hours per plan day of the plan day it is on: its hours run
    out at ``H_w^-1(H_w(tau) + hours_w)``, ``H_w`` its cumulative planned hours, and the first to
    run out stops the clock. The walk crosses plan days with the hours left (a plan day without
    planned work, a closed one among them, passes freely); beyond the horizon nothing limits.
    """
    tau, limit = clocks
    if limit <= tau:
        return tau
    r, day, s = at
    width = net.wc_hours.shape[1]
    left = state.hours_left
    alert = draws.alerts[r, day, s]
    factor = net.day_factor[day, s]
    for w in range(width):
        left[w] = max(net.wc_hours[s, w] - alert, 0.0) * net.wc_capacity[s, w] * factor
    time = tau
    k = plan_day(tau, net.plan_days)
    while k < net.plan_days:
        end = min(k + 1.0, limit)
        runs_out = math.inf
        for w in range(width):
            per_hour = net.wc_per_hour[k, s * width + w]
            if per_hour > 0:
                runs_out = min(runs_out, left[w] * per_hour)
        if time + runs_out < end:
            return time + runs_out
        if end >= limit:
            return limit
        for w in range(width):
            left[w] -= (end - time) * net.wc_rate[k, s * width + w]
        time = end
        k += 1
    return limit


# -- 5. departures -------------------------------------------------------------------------------
@inlined
def depart(net: Network, draws: Draws, state: State, at: tuple[int, int, int], tau: float) -> None:
    """Send what site ``s`` plans up to its new clock ``tau`` since its last departures, less
    the debt of destroyed made units (``at`` is ``(run, day, site)``).

    A flow's planned quantity sent by plan time ``tau`` is piecewise linear; ``state.sent_by``
    keeps it at the site's clock, so each day reads it once.
    """
    r, day, s = at
    first, last = net.flow_start[s], net.flow_start[s + 1]
    k = plan_day(tau, net.plan_days)
    into = tau - k
    indebted = False
    for item in range(net.made_start[s], net.made_start[s + 1]):
        indebted = indebted or state.debt[r, item] > 0
    if not indebted:  # the usual day: send as we go
        for flow in range(first, last):
            sent_by = net.flow_cum[k, flow] + net.flow_rate[k, flow] * into
            amount = sent_by - state.sent_by[r, flow]
            state.sent_by[r, flow] = sent_by
            if amount > 0:
                send(net, draws, state, (r, day, flow), amount)
        return
    for flow in range(first, last):
        sent_by = net.flow_cum[k, flow] + net.flow_rate[k, flow] * into
        state.sending[flow] = sent_by - state.sent_by[r, flow]
        state.sent_by[r, flow] = sent_by
    pay_debt(net, state, r, s)
    for flow in range(first, last):
        if state.sending[flow] > 0:
            send(net, draws, state, (r, day, flow), state.sending[flow])


@inlined
def pay_debt(net: Network, state: State, r: int, s: int) -> None:
    """Take the debt of site ``s``'s made items out of today's departures (``state.sending``),
    each item's flows in proportion."""
    first, last = net.flow_start[s], net.flow_start[s + 1]
    owed = state.owed
    for item in range(net.made_start[s], net.made_start[s + 1]):
        owed[item] = 0.0
    for flow in range(first, last):
        if net.flow_made[flow] >= 0:
            owed[net.flow_made[flow]] += state.sending[flow]
    for item in range(net.made_start[s], net.made_start[s + 1]):
        total = owed[item]
        paid = min(state.debt[r, item], total)
        state.debt[r, item] -= paid
        owed[item] = paid / total if total > 0 else 0.0  # now the share paid
    for flow in range(first, last):
        if net.flow_made[flow] >= 0:
            state.sending[flow] *= 1.0 - owed[net.flow_made[flow]]


@inlined
def send(net: Network, draws: Draws, state: State, at: tuple[int, int, int], amount: float) -> None:
    """Send ``amount`` of a flow (``at`` is ``(run, day, flow)``): a shipment counts in its
    arrival day's period, a transfer goes into transit.

    Arrival: ``d + L P + ceil(delay)`` for a shipment; for a transfer with ``L >= 1`` the first
    day of its arrival period ``t(d) + L``, plus ``ceil(delay)``; same-day ones on ``d``.
    """
    r, day, flow = at
    start = net.period_start[day] if net.flow_from_period_start[flow] else day
    arrival = start + draws.offset[r, day, net.flow_draw[flow]]
    if arrival >= net.days:
        return
    if net.flow_pair[flow] >= 0:
        state.delivered[r, net.flow_pair[flow], net.period_of[arrival]] += amount
    elif net.flow_transit[flow] >= 0:
        ring = arrival & (state.transit.shape[1] - 1)
        state.transit[r, ring, net.flow_transit[flow]] += amount


# -- one day -------------------------------------------------------------------------------------
@inlined
def step_site(net: Network, draws: Draws, state: State, at: tuple[int, int, int]) -> None:
    """Steps 4 and 5 for site ``s`` (up) of run ``r`` on ``day`` (``at`` is ``(r, day, s)``):
    advance its clock as hours, materials and the calendar allow, and send what it planned."""
    r, day, s = at
    tau = state.tau[r, s]
    limit = min(day + 1.0, material_cover(net, state, r, day, s))
    reached = clock(net, draws, state, at, (tau, limit))
    if reached > tau:
        state.tau[r, s] = reached
        depart(net, draws, state, at, reached)


@inlined
def step_day(net: Network, draws: Draws, state: State, r: int, day: int) -> None:
    """The design note's day for run ``r``: strikes, arrivals, then progress and departures
    level by level (same-day transfers received after each level)."""
    if net.loss > 0:
        for s in range(net.slot_start.size - 1):
            if draws.strike_day[r, day, s]:
                strike(net, state, r, s)
    receive_purchases(net, draws, state, r, day)
    receive_transfers(net, draws, state, r, day)
    first = 0
    for end in net.level_end:
        for i in range(first, end):
            s = net.step_order[i]
            if not draws.down[r, day, s]:
                step_site(net, draws, state, (r, day, s))
        first = end
        if net.same_day:
            receive_transfers(net, draws, state, r, day)


@compiled
def advance(net: Network, draws: Draws, state: State, first: int, last: int) -> None:
    """Run days ``first .. last - 1`` of every run of the block, one run after the other."""
    for r in range(state.tau.shape[0]):
        for day in range(first, last):
            step_day(net, draws, state, r, day)
