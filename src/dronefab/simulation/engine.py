"""The engine: blocks of runs, each advanced day by day by a compiled kernel, on every core.

It implements docs/design/simulation.md literally; each day is the note's six steps for every
site of a run (:mod:`dronefab.simulation.kernel`). Every cumulative quantity of a site's plan
(work-center hours, material use, flows, made inventory) is piecewise linear in plan time with a
piece per plan day, following the site's open-day weights within each period
(:mod:`dronefab.simulation.inputs`); the searches run over plan days. State arrays (axes as in
:mod:`dronefab.simulation.inputs`, ``run`` first; :class:`~dronefab.simulation.kernel.State`):

- ``tau`` ``(run, site)``: the plan clock, in plan days;
- ``available`` ``(run, slot)``: opening stock + received - destroyed, per outside material;
- ``waiting`` ``(run, line)`` and ``arriving`` ``(run, slot)``: purchases and transfers due but not
  yet received (the site is down, or the supplier in an outage);
- ``transit`` ``(run, lag, transfer slot)``: a ring buffer of transfers by arrival day
  (``day % lag``), over the outside materials that transfers feed;
- ``debt`` ``(run, made)``: made units destroyed by strikes and still owed;
- ``delivered`` ``(run, pair, period)``: units delivered, by the period of their arrival day.

:func:`simulate_block` splits its runs into parts of :data:`PART` runs and hands them to a pool of
:func:`pool_size` threads, one more than ``numba.get_num_threads()`` (set ``NUMBA_NUM_THREADS``
or call ``numba.set_num_threads`` to use fewer cores; with 1, one thread, e.g. one per process
under a process pool); each thread draws a part's disruptions (compiled loops, mostly without the
GIL) and runs the kernel on it (which holds no GIL). A run's draws depend on its index only, so
results do not depend on the parts or the threads.

Choices where the design note is silent (the SimPy reference, tests/simulation/
reference_simpy.py, makes the same ones; the two agree draw for draw to rounding):

- **Made items and outside materials.** A site's made items are those with positive planned
  production there (the plan, not the scenario's ``makes``); every other item it holds at the
  start (a positive quantity), has on order, buys or receives by transfer is an outside material.
  Transfers of an item the receiver makes are not tracked there.
- **Lane delays.** One delay per flow and departure day: what flow ``f`` sends on day ``d``
  arrives ``ceil(delay)`` days after its due day (a shipment ``d + L P``, a transfer the first
  day of its arrival period, design note "Arrivals"), ``delay`` being shipment ``d * F + f`` of
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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np

from dronefab.errors import UsageError
from dronefab.model.timeline import FloatArray
from dronefab.simulation import kernel
from dronefab.simulation.arrays import BlockDraws, IntArray, block_draws
from dronefab.simulation.disruptions import RiskProfile
from dronefab.simulation.inputs import SimulationInputs

PART = 8
"""Runs drawn and simulated together by one thread: small enough for the draws to stay in cache
and for the threads to finish a block together, large enough to keep per-call overheads small."""


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
    """A block of runs with its draws and state, advanced by the kernel a day or more at a time."""

    def __init__(
        self,
        inputs: SimulationInputs,
        draws: BlockDraws,
        loss: float,
        net: kernel.Network | None = None,
    ) -> None:
        self.net = kernel.network(inputs, loss) if net is None else net
        self.kernel_draws = kernel.Draws(
            down=draws.down,
            strike_day=draws.strike_day,
            alerts=draws.alerts,
            disrupted=draws.disrupted,
            offset=draws.offset,
        )
        # Transfers in transit arrive at most the longest offset later, and before day D.
        lag = min(int(draws.offset.max(initial=0)), inputs.days) + 2
        sizes = (lag, len(inputs.pairs), inputs.out_periods)
        self.state = kernel.new_state(self.net, draws.down.shape[0], inputs.slot_opening, sizes)

    @property
    def tau(self) -> FloatArray:
        """``(run, site)`` the plan clocks."""
        return self.state.tau

    @property
    def available(self) -> FloatArray:
        """``(run, slot)`` opening stock + received - destroyed of every outside material."""
        return self.state.available

    @property
    def waiting(self) -> FloatArray:
        """``(run, line)`` purchases due but not received."""
        return self.state.waiting

    def step(self, day: int) -> None:
        """The note's six steps of ``day`` for every run and site of the block."""
        self.run(day, day + 1)

    def run(self, first: int, last: int) -> None:
        """Days ``first .. last - 1``."""
        kernel.advance(self.net, self.kernel_draws, self.state, first, last)


def _simulate_part(
    inputs: SimulationInputs,
    net: kernel.Network,
    profile: RiskProfile,
    runs: Sequence[int],
    seed: int,
) -> BlockResult:
    """Draw and simulate a few runs (in a worker thread); ``net`` is ``inputs`` in the kernel's
    layout, shared read-only by the threads."""
    draws = block_draws(inputs, profile, runs, seed)
    block = _Block(inputs, draws, profile.inventory_loss_fraction, net)
    block.run(0, inputs.days)
    return BlockResult(
        runs=np.asarray(runs, dtype=np.int64),
        delivered=block.state.delivered,
        strikes=draws.strikes,
        days_down=np.asarray(draws.down.sum(axis=1), dtype=np.int64),
        stock_destroyed=block.state.destroyed,
    )


def pool_size() -> int:
    """Threads that simulate a block: one more than ``numba.get_num_threads()`` (the cores, unless
    lowered), or one if that is one.

    A thread drawing its part's disruptions holds the GIL now and then; the extra thread keeps
    every core busy meanwhile (measured on 2 cores: 10,000 runs ~12% faster with 3 threads than
    with 2, and no faster with 4; ``benchmarks/simulate.py``).
    """
    threads = numba.get_num_threads()
    return threads + 1 if threads > 1 else 1


def simulate_block(
    inputs: SimulationInputs,
    profile: RiskProfile,
    runs: Sequence[int],
    days: int,
    seed: int,
) -> BlockResult:
    """Simulate a block of runs, parts of it in parallel, each run day by day.

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
    runs = [int(r) for r in runs]
    parts = [runs[i : i + PART] for i in range(0, len(runs), PART)]
    net = kernel.network(inputs, profile.inventory_loss_fraction)
    workers = min(pool_size(), len(parts))
    if workers <= 1:
        results = [_simulate_part(inputs, net, profile, part, seed) for part in parts]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(
                pool.map(lambda part: _simulate_part(inputs, net, profile, part, seed), parts)
            )
    return BlockResult(
        runs=np.asarray(runs, dtype=np.int64),
        delivered=_joined([r.delivered for r in results]),
        strikes=np.concatenate([r.strikes for r in results]),
        days_down=np.concatenate([r.days_down for r in results]),
        stock_destroyed=_joined([r.stock_destroyed for r in results]),
    )


def is_loaded() -> bool:
    """Whether the compiled kernel is loaded in this process (else the first simulation loads
    it from numba's cache, or compiles it on a machine's first use: about 20 s)."""
    return bool(getattr(kernel.advance, "signatures", ()))  # numba's compiled signatures


def cache_report() -> tuple[bool, str]:
    """Whether this process compiled the kernel (rather than loading it from numba's cache),
    and the folder numba caches it in."""
    stats = getattr(kernel.advance, "stats")  # numba's per-dispatcher cache statistics  # noqa: B009
    return bool(sum(stats.cache_misses.values())), str(stats.cache_path)


def _joined(arrays: list[FloatArray]) -> FloatArray:
    """The parts' arrays along the ``run`` axis."""
    return np.asarray(np.concatenate(arrays), dtype=np.float64)
