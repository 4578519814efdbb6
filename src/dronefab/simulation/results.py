"""Simulating a plan over many runs, chunk by chunk, and the result tables of the design note.

>>> result = simulate(scenario, plan, runs=1000, seed=7)  # doctest: +SKIP
>>> result.runs_table().head()  # doctest: +SKIP

Tables (docs/design/simulation.md, "Outputs"):

- ``runs_table()``: run, customer, item, planned, delivered, on_time, backlog_end;
- ``sites_table()``: run, site, strikes, days_down, stock_destroyed;
- ``periods_table()``: customer, item, period, planned, then mean, p10, p50, p90 of delivered and
  of backlog over the runs.

``planned`` is the plan's deliveries (backlog.csv ``delivered``), over the whole horizon in
``runs_table`` and per period in ``periods_table``. On-time units match deliveries to the oldest
open demand (:func:`dronefab.planning.tables.on_time_by_due_period`); the backlog of a period is
cumulative demand minus cumulative deliveries, ``backlog_end`` that of the last period simulated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dronefab.errors import UsageError
from dronefab.model.demo import load_demo
from dronefab.model.scenario import Scenario
from dronefab.model.timeline import FloatArray
from dronefab.planning.plan import Plan, PlanOptions
from dronefab.planning.plan import plan as make_plan
from dronefab.planning.tables import on_time_by_due_period
from dronefab.simulation import engine
from dronefab.simulation.arrays import IntArray
from dronefab.simulation.backends import ChunkProgress, simulate_chunks, split_runs
from dronefab.simulation.disruptions import RiskProfile, risk_profile
from dronefab.simulation.inputs import SimulationInputs, build_inputs

QUANTILES = {"p10": 0.1, "p50": 0.5, "p90": 0.9}


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """Every run's results; ``run`` axes follow ``runs``.

    Attributes
    ----------
    inputs
        The arrays simulated (ids of sites and pairs, demand and planned deliveries).
    runs
        ``(run,)`` absolute run indices.
    delivered
        ``(run, pair, period)`` units delivered by arrival period (0-based).
    strikes, days_down, stock_destroyed
        ``(run, site)`` effective strikes, days down and units destroyed.
    """

    inputs: SimulationInputs
    runs: IntArray
    delivered: FloatArray
    strikes: IntArray
    days_down: IntArray
    stock_destroyed: FloatArray

    @property
    def backlog(self) -> FloatArray:
        """``(run, pair, period)`` cumulative demand minus cumulative deliveries."""
        demand = np.cumsum(self.inputs.demand, axis=-1)[None]
        return np.asarray(demand - np.cumsum(self.delivered, axis=-1))

    @property
    def on_time(self) -> FloatArray:
        """``(run, pair)`` units delivered by their due period, oldest demand first."""
        demand = np.broadcast_to(self.inputs.demand, self.delivered.shape)
        on_time, _ = on_time_by_due_period(demand, self.delivered)
        return np.asarray(on_time.sum(axis=-1))

    def runs_table(self) -> pd.DataFrame:
        """runs.csv: run, customer, item, planned, delivered, on_time, backlog_end."""
        pairs = len(self.inputs.pairs)
        customers, items = _pair_columns(self.inputs)
        return pd.DataFrame(
            {
                "run": np.repeat(self.runs, pairs),
                "customer": np.tile(customers, self.runs.size),
                "item": np.tile(items, self.runs.size),
                "planned": np.tile(self.inputs.planned.sum(axis=1), self.runs.size),
                "delivered": self.delivered.sum(axis=2).ravel(),
                "on_time": self.on_time.ravel(),
                "backlog_end": self.backlog[:, :, -1].ravel(),
            }
        )

    def sites_table(self) -> pd.DataFrame:
        """sites.csv: run, site, strikes, days_down, stock_destroyed."""
        sites = len(self.inputs.sites)
        return pd.DataFrame(
            {
                "run": np.repeat(self.runs, sites),
                "site": np.tile(np.array(self.inputs.sites, dtype=object), self.runs.size),
                "strikes": self.strikes.ravel(),
                "days_down": self.days_down.ravel(),
                "stock_destroyed": self.stock_destroyed.ravel(),
            }
        )

    def periods_table(self) -> pd.DataFrame:
        """periods.csv: customer, item, period, planned, and statistics over the runs of
        delivered and backlog (``delivered_mean``, ``delivered_p10`` ... ``backlog_p90``)."""
        pairs, periods = len(self.inputs.pairs), self.inputs.out_periods
        customers, items = _pair_columns(self.inputs)
        columns: dict[str, object] = {
            "customer": np.repeat(customers, periods),
            "item": np.repeat(items, periods),
            "period": np.tile(np.arange(1, periods + 1), pairs),
            "planned": self.inputs.planned.ravel(),
        }
        for name, values in (("delivered", self.delivered), ("backlog", self.backlog)):
            columns[f"{name}_mean"] = values.mean(axis=0).ravel()
            for label, q in QUANTILES.items():
                columns[f"{name}_{label}"] = np.quantile(values, q, axis=0).ravel()
        return pd.DataFrame(columns)


def _pair_columns(inputs: SimulationInputs) -> tuple[np.ndarray, np.ndarray]:
    customers = np.array([c for c, _ in inputs.pairs], dtype=object)
    items = np.array([i for _, i in inputs.pairs], dtype=object)
    return customers, items


def _run_indices(runs: int | Sequence[int]) -> list[int]:
    if isinstance(runs, int):
        if runs <= 0:
            message = f"runs must be positive, got {runs}"
            raise UsageError(message)
        return list(range(runs))
    return [int(r) for r in runs]


def simulate(
    scenario: Scenario,
    plan: Plan,
    runs: int | Sequence[int],
    days: int | None = None,
    seed: int = 0,
    chunk: int = 256,
    profile: RiskProfile | None = None,
    *,
    backend: str = "local",
    workers: int | None = None,
    address: str | None = None,
    progress: ChunkProgress | None = None,
) -> SimulationResult:
    """Execute a plan under the scenario's risks, ``chunk`` runs at a time.

    Parameters
    ----------
    scenario
        The scenario the plan was made for; its ``risks`` block drives the draws.
    plan
        The plan to execute.
    runs
        A number of runs (``0 .. runs - 1``) or the absolute run indices.
    days
        Days simulated (default: the horizon's length).
    seed
        The seed of every draw; a run's draws depend only on it and the run index, so the
        result does not depend on ``chunk``.
    chunk
        Runs simulated together (memory grows linearly with it).
    profile
        The risk parameters, default ``risk_profile(scenario)``.
    backend
        Where chunks are simulated: ``local`` or ``ray``
        (:mod:`dronefab.simulation.backends`). The results do not depend on it.
    workers
        Local: the cores the engine uses (default: all; see engine.pool_size). Ray: CPUs of the
        Ray instance started here, or the most chunks in flight on a cluster joined by
        ``address``.
    address
        A Ray cluster to join (``ray`` backend only); default: start a local one, or use the
        session of :func:`~dronefab.simulation.backends.backend_session` if one is open.
    progress
        Called after each finished chunk with the runs done so far and the runs in all.

    Returns
    -------
    SimulationResult

    Raises
    ------
    UsageError
        Bad runs, chunk, backend, workers or address; Ray missing or unreachable.
    """
    inputs = build_inputs(scenario, plan, days)
    profile = profile if profile is not None else risk_profile(scenario)
    return simulate_inputs(
        inputs,
        profile,
        runs,
        seed,
        chunk,
        backend=backend,
        workers=workers,
        address=address,
        progress=progress,
    )


LOADING_STAGE = "loading the simulation engine (compiled on its first use on a machine, ~20 s)"
"""The stage :func:`load_engine` announces."""


def load_engine(
    scenario: Scenario, plan: Plan, progress: Callable[[str], None], profile: RiskProfile
) -> None:
    """Load the compiled engine into this process, or compile it on a machine's first use,
    saying so through ``progress`` (nothing when it is loaded already): the first simulation
    would otherwise wait ~20 s under a stage that names the simulation instead.

    Loads by simulating one run of one day of ``plan`` (locally; Ray workers load their own).
    """
    if engine.is_loaded():
        return
    progress(LOADING_STAGE)
    simulate(scenario, plan, [0], 1, profile=profile, chunk=1)


@dataclass(frozen=True)
class WarmUp:
    """What :func:`warm_up` did: ``compiled`` is False when the engine came from numba's cache
    or was loaded already; ``cache`` is the folder numba keeps it in."""

    compiled: bool
    cache: str


def _say_nothing(stage: str) -> None:
    """The default progress callback."""


def warm_up(progress: Callable[[str], None] = _say_nothing) -> WarmUp:
    """Load the compiled engine now, compiling it if this machine has not yet, so that the first
    stress test does not wait for it (``dronefab warmup``, run by the install procedure).

    It simulates one day of the built-in demo network's plan, as :func:`load_engine` does.
    """
    if not engine.is_loaded():
        scenario = load_demo()
        progress("planning the demo network")
        planned = make_plan(scenario, PlanOptions(explain=False))
        load_engine(scenario, planned, progress, risk_profile(scenario))
    compiled, cache = engine.cache_report()
    return WarmUp(compiled=compiled, cache=cache)


def simulate_inputs(
    inputs: SimulationInputs,
    profile: RiskProfile,
    runs: int | Sequence[int],
    seed: int = 0,
    chunk: int = 256,
    *,
    backend: str = "local",
    workers: int | None = None,
    address: str | None = None,
    progress: ChunkProgress | None = None,
) -> SimulationResult:
    """Execute arrays already built by :func:`~dronefab.simulation.inputs.build_inputs`.

    :func:`simulate` builds the arrays then calls this; re-simulations of the same plan (e.g.
    attribution's, one per node) call it directly with ``result.inputs``, sparing the rebuild.

    Parameters
    ----------
    inputs
        The plan's arrays.
    profile
        The risk parameters.
    runs, seed, chunk, backend, workers, address, progress
        As for :func:`simulate`.

    Returns
    -------
    SimulationResult

    Raises
    ------
    UsageError
        Bad runs, chunk, backend, workers or address; Ray missing or unreachable.
    """
    chunks = split_runs(_run_indices(runs), chunk)
    blocks = simulate_chunks(
        inputs,
        profile,
        chunks,
        seed,
        backend=backend,
        workers=workers,
        address=address,
        progress=progress,
    )
    return SimulationResult(
        inputs=inputs,
        runs=np.concatenate([b.runs for b in blocks]),
        delivered=np.concatenate([b.delivered for b in blocks]),
        strikes=np.concatenate([b.strikes for b in blocks]),
        days_down=np.concatenate([b.days_down for b in blocks]),
        stock_destroyed=np.concatenate([b.stock_destroyed for b in blocks]),
    )
