"""A stress test's folder: runs.csv, sites.csv, periods.csv, recovery.csv, attribution.csv and
summary.json.

>>> run_stress_test(scenario, plan, "simulation", StressTest(runs=1000, seed=7))  # doctest: +SKIP

:func:`run_stress_test` simulates a plan, measures the time to recover after each strike
(:mod:`dronefab.simulation.recovery`) and the units each site's strikes and each supplier's
outages cost (:mod:`dronefab.simulation.attribution`), and writes everything with
:func:`write_simulation`. docs/simulate.md describes every file and column.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dronefab.files import write_frame, write_json
from dronefab.folders import atomic_folder
from dronefab.model.scenario import Scenario
from dronefab.model.timeline import FloatArray
from dronefab.planning.plan import Plan
from dronefab.planning.tables import on_time_by_due_period
from dronefab.simulation.attribution import RiskNode, attribution_table, simulate_without_each
from dronefab.simulation.disruptions import RiskProfile, risk_profile
from dronefab.simulation.lateness import Lateness, spread
from dronefab.simulation.recovery import recovery_table
from dronefab.simulation.results import (
    QUANTILES,
    SimulationResult,
    load_engine,
    simulate,
    simulate_inputs,
)

TABLES = ("runs", "sites", "periods")
"""The tables every simulation folder has; recovery.csv and attribution.csv follow when made."""
ATTRIBUTION_RUNS = 200
"""Runs re-simulated per node with risk for attribution.csv, unless told otherwise."""


def simulation_summary(result: SimulationResult, runs: pd.DataFrame) -> dict[str, Any]:
    """Per customer: demand, planned and delivered units, the on-time fill rate over the runs
    and the plan's own, the lateness figures (:mod:`dronefab.simulation.lateness`) and the same
    per product (``products``); per site: strikes and days down."""
    inputs = result.inputs
    plan_on_time, _ = on_time_by_due_period(inputs.demand, inputs.planned)
    lateness = Lateness(
        inputs.demand, inputs.planned, inputs.promised, result.delivered, inputs.period_days
    )
    on_time = result.on_time
    customers: dict[str, Any] = {}
    for customer, rows in runs.groupby("customer", sort=False):
        per_run = rows.groupby("run")[["planned", "delivered", "on_time"]].sum()
        mine = np.array([c == customer for c, _ in inputs.pairs])
        demand = float(inputs.demand[mine].sum())
        fill = per_run["on_time"].to_numpy() / demand if demand > 0 else np.ones(len(per_run))
        customers[str(customer)] = {
            "demand": demand,
            "planned": float(per_run["planned"].iloc[0]),
            "plan_on_time_fill_rate": float(plan_on_time[mine].sum()) / demand
            if demand > 0
            else 1.0,
            "delivered": spread(per_run["delivered"].to_numpy()),
            "on_time_fill_rate": spread(fill),
            **lateness.figures(mine),
            "products": _products(result, lateness, on_time, str(customer)),
        }
    sites = {
        site: {
            "strikes_mean": float(result.strikes[:, n].mean()),
            "days_down_mean": float(result.days_down[:, n].mean()),
            "stock_destroyed_mean": float(result.stock_destroyed[:, n].mean()),
        }
        for n, site in enumerate(inputs.sites)
    }
    return {"runs": int(result.runs.size), "customers": customers, "sites": sites}


def _products(
    result: SimulationResult, lateness: Lateness, on_time: FloatArray, customer: str
) -> dict[str, Any]:
    """summary.json ``customers[c]["products"]``: each product's demand, planned and delivered
    units, on-time fill rate and lateness figures (products never summed together)."""
    inputs = result.inputs
    out: dict[str, Any] = {}
    for n, (owner, item) in enumerate(inputs.pairs):
        if owner != customer:
            continue
        mine = np.arange(len(inputs.pairs)) == n
        demand = float(inputs.demand[n].sum())
        units = on_time[:, n]
        out[item] = {
            "demand": demand,
            "planned": float(inputs.planned[n].sum()),
            "delivered": spread(result.delivered[:, n].sum(axis=-1)),
            "on_time_fill_rate": spread(units / demand if demand > 0 else np.ones_like(units)),
            **lateness.figures(mine),
        }
    return out


def periods_with_cumulative(result: SimulationResult, periods: pd.DataFrame) -> pd.DataFrame:
    """periods.csv with ``demand``, ``cumulative_planned`` and the mean, p10, p50 and p90 over
    the runs of cumulative deliveries (``cumulative_delivered_mean`` ...), for fan charts.

    Quantiles of a cumulative figure are not sums of per-period quantiles, so they are taken
    over the runs' own cumulative deliveries.
    """
    inputs = result.inputs
    frame = periods.copy()
    frame.insert(frame.columns.get_loc("planned"), "demand", inputs.demand.ravel())
    frame["cumulative_planned"] = np.cumsum(inputs.planned, axis=1).ravel()
    cumulative = np.cumsum(result.delivered, axis=2)
    frame["cumulative_delivered_mean"] = cumulative.mean(axis=0).ravel()
    for label, q in QUANTILES.items():
        frame[f"cumulative_delivered_{label}"] = np.quantile(cumulative, q, axis=0).ravel()
    return frame


def recovery_summary(table: pd.DataFrame) -> dict[str, Any]:
    """summary.json ``recovery``: strikes, the share recovered, and the spread of the days to
    recover of those recovered, over all sites and per site."""
    summary = _recovery_figures(table)
    summary["sites"] = {
        str(site): _recovery_figures(rows) for site, rows in table.groupby("site", sort=False)
    }
    return summary


def _recovery_figures(rows: pd.DataFrame) -> dict[str, Any]:
    recovered = rows[rows["recovered"].astype(bool)]
    days = recovered["days_to_recover"].to_numpy(dtype=float)
    return {
        "strikes": len(rows),
        "recovered": len(recovered),
        "recovered_share": len(recovered) / len(rows) if len(rows) else None,
        "days_to_recover": spread(days) if days.size else None,
    }


def write_simulation(
    result: SimulationResult,
    folder: str | os.PathLike[str],
    extra: dict[str, Any],
    recovery: pd.DataFrame | None = None,
    attribution: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Write the tables and ``summary.json``, the folder whole
    (:func:`dronefab.folders.atomic_folder`): a reader sees the previous results or these.

    Parameters
    ----------
    result
        The simulation.
    folder
        Created if needed.
    extra
        More summary entries (seed, days, seconds, horizon, ...).
    recovery, attribution
        recovery.csv and attribution.csv, written when given.

    Returns
    -------
    dict
        The summary written.
    """
    runs = result.runs_table()
    frames: dict[str, pd.DataFrame | None] = {
        "runs": runs,
        "sites": result.sites_table(),
        "periods": periods_with_cumulative(result, result.periods_table()),
        "recovery": recovery,
        "attribution": attribution,
    }
    summary = {**extra, **simulation_summary(result, runs)}
    summary["recovery"] = recovery_summary(recovery) if recovery is not None else None
    if attribution is not None:
        summary["attribution"] = {
            "runs": int(attribution["runs"].iloc[0]) if len(attribution) else 0
        }
    with atomic_folder(folder, SIMULATION_FILES) as part:
        for name, frame in frames.items():
            if frame is not None:
                write_frame(part / f"{name}.csv", frame)
        write_json(part / "summary.json", summary)
    return summary


SIMULATION_FILES = (
    *(f"{name}.csv" for name in ("runs", "sites", "periods", "recovery", "attribution")),
    "summary.json",
)
"""The files of a simulation folder."""


@dataclass(frozen=True)
class StressTest:
    """How to stress-test a plan (every variant of a comparison alike).

    Attributes
    ----------
    runs, days, seed, chunk
        As for :func:`dronefab.simulation.results.simulate`.
    attribution_runs
        Runs re-simulated per site and supplier with risk for attribution.csv and
        recovery.csv; 0 skips both.
    backend, workers, address
        Where the runs are simulated, the baseline and every re-simulation alike (see
        :func:`~dronefab.simulation.results.simulate`).
    """

    runs: int | Sequence[int] = 1000
    days: int | None = None
    seed: int = 0
    chunk: int = 256
    attribution_runs: int = ATTRIBUTION_RUNS
    backend: str = "local"
    workers: int | None = None
    address: str | None = None


def run_stress_test(
    scenario: Scenario,
    plan: Plan,
    folder: str | os.PathLike[str],
    options: StressTest,
    progress: Callable[[str], None] | None = None,
    count: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Simulate a plan, measure recovery and attribution, and write the folder.

    Parameters
    ----------
    scenario, plan
        The scenario (its ``risks`` drive the draws) and the plan to execute.
    folder
        Where to write (:func:`write_simulation`).
    options
        Runs, seed, attribution runs, backend ...
    progress
        Called with the name of each stage.
    count
        Called with ``(done, total)`` as a stage advances: runs simulated, nodes re-simulated
        (e.g. to draw a progress bar); the stage's name comes first through ``progress``.

    Returns
    -------
    dict
        The summary written.
    """
    show = progress if progress is not None else _quiet
    advance = count if count is not None else _uncounted
    profile = risk_profile(scenario)
    runs = options.runs
    if options.backend == "local":
        load_engine(scenario, plan, show, profile)
    show(f"simulating {runs if isinstance(runs, int) else len(runs):,} runs")
    started = time.perf_counter()
    result = simulate(
        scenario,
        plan,
        runs,
        options.days,
        options.seed,
        options.chunk,
        profile,
        backend=options.backend,
        workers=options.workers,
        address=options.address,
        progress=advance,
    )
    seconds = time.perf_counter() - started
    recovery = attribution = attribution_seconds = None
    if options.attribution_runs > 0:
        started = time.perf_counter()

        def rerun(modified: RiskProfile, indices: Sequence[int]) -> SimulationResult:
            # The plan's arrays do not depend on the risks: built once, re-simulated per node.
            return simulate_inputs(
                result.inputs,
                modified,
                indices,
                options.seed,
                options.chunk,
                backend=options.backend,
                workers=options.workers,
                address=options.address,
            )

        show(f"attribution: {options.attribution_runs:,} runs without each node's risk")

        def step(done: int, total: int, node: RiskNode) -> None:
            advance(done, total)

        counterfactuals = simulate_without_each(
            result, profile, rerun, options.attribution_runs, step
        )
        attribution_seconds = time.perf_counter() - started
        show("measuring the time to recover after each strike")
        attribution = attribution_table(counterfactuals)
        recovery = recovery_table(counterfactuals, plan, profile, options.seed)
    horizon = scenario.horizon
    extra = {
        "scenario": scenario.name,
        "seed": options.seed,
        "days": result.inputs.days,
        "start": horizon.start.isoformat(),
        "periods": horizon.periods,
        "period_days": horizon.period_days,
        "seconds": seconds,
        "attribution_seconds": attribution_seconds,
    }
    show("writing the results")
    return write_simulation(result, folder, extra, recovery, attribution)


def _uncounted(done: int, total: int) -> None:
    """No progress count."""


def _quiet(stage: str) -> None:
    """No progress display."""
