"""The simulator check of recommended buffers: the same plan, plus the buffer stock.

>>> check = check_buffers(scenario, plan, sized, runs=200, seed=7)  # doctest: +SKIP
>>> check.passed  # doctest: +SKIP

The plan is simulated twice with the same draws, as planned and with every site's buffers added
to its opening stock, under supplier outages only (strikes, alerts and lane delays off: the
buffers answer cut-offs, nothing else). A run *loses* units when its on-time deliveries fall
short of those of the plan executed without any outage (the baseline, one run). A run is
*covered* when no supplier of a buffered part has a stretch of disrupted days longer than its
window ``W`` (:func:`longest_outages`). The check passes when

1. no covered run loses units (beyond :data:`LOSS_TOLERANCE`): the sizing's promise, and
2. the share of runs without loss reaches the closed-form chance that no outage in the horizon
   outlasts its window, less three standard errors (:func:`no_long_outage_probability`).

Without the buffers the same criteria are evaluated, so a reader sees what the buffers change;
on a plan without spare stock they fail.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dronefab.errors import UsageError
from dronefab.model.scenario import Scenario
from dronefab.planning.plan import Plan
from dronefab.planning.tables import fill_rates
from dronefab.risk.buffers import (
    BufferOptions,
    Buffers,
    lognormal_cdf,
    size_buffers,
    write_buffers,
)
from dronefab.risk.options import DEFAULT_CHECK_RUNS
from dronefab.simulation.disruptions import RiskProfile, risk_profile, sample_supplier_outages
from dronefab.simulation.results import load_engine, simulate

LOSS_TOLERANCE = 1e-6
"""Units lost per unit of baseline on-time deliveries that still count as none (round-off)."""
SAMPLING_Z = 3.0
"""Standard errors allowed below the closed-form share of runs without loss."""


def outages_only(scenario: Scenario) -> RiskProfile:
    """The scenario's risk profile with strikes, alerts and lane delays switched off."""
    profile = risk_profile(scenario)
    return dataclasses.replace(
        profile,
        strike_rate=np.zeros_like(profile.strike_rate),
        alert_mean=np.zeros_like(profile.alert_mean),
        alert_sd=0.0,
        lane_delay_probability=0.0,
    )


def with_stock(scenario: Scenario, extra: Mapping[tuple[str, str], float]) -> Scenario:
    """The scenario with ``extra`` units per (site, item) added to the sites' opening stock.

    ``Scenario.model_copy`` recomputes the cached lookups (``site_by_id``), so they see the new
    sites.
    """
    sites = []
    for site in scenario.sites:
        stock = dict(site.initial_inventory)
        for (where, item), units in extra.items():
            if where == site.id and units > 0:
                stock[item] = stock.get(item, 0.0) + units
        sites.append(site.model_copy(update={"initial_inventory": stock}))
    return scenario.model_copy(update={"sites": sites})


def longest_outages(
    profile: RiskProfile, runs: int, days: int, seed: int, chunk: int = 256
) -> np.ndarray:
    """``(run, supplier)`` the longest stretch of consecutive disrupted days of each supplier.

    The same draws as the simulator's (:func:`~dronefab.simulation.disruptions.
    sample_supplier_outages`, keyed by run index). Back-to-back outages form one stretch:
    deliveries held by the first wait until a day without outage.
    """
    longest = np.zeros((runs, len(profile.suppliers)), dtype=np.int64)
    for first in range(0, runs, chunk):
        block = range(first, min(first + chunk, runs))
        disrupted = sample_supplier_outages(profile, block, days, seed).disrupted
        flags = np.moveaxis(disrupted, 1, 2).astype(np.int8)  # (run, supplier, day)
        edges = np.diff(np.pad(flags, ((0, 0), (0, 0), (1, 1))), axis=2)
        run, supplier, start = np.nonzero(edges == 1)  # stretches in order, starts and ends
        stop = np.nonzero(edges == -1)[2]
        np.maximum.at(longest, (run + first, supplier), stop - start)
    return longest


def no_long_outage_probability(
    profile: RiskProfile, windows: Mapping[str, int], days: int
) -> float:
    """The chance that no outage of the suppliers in ``windows`` outlasts its window.

    Outages of supplier ``u`` start as a Poisson process of rate ``r_u`` per day; those longer
    than ``W_u`` (lognormal tail) form a thinned Poisson process, so over ``D`` days

    .. math:: P = \\prod_u \\exp\\bigl(-r_u D \\, (1 - F_u(W_u))\\bigr),
              \\qquad 1 - F_u(W) = \\Phi\\Bigl(-\\frac{\\ln W - \\mu_u}{\\sigma_u}\\Bigr).

    It is a lower bound for the share of covered runs (outages starting during another are
    ignored by the simulator, and one starting near the end is cut short by the horizon) but
    for the rare back-to-back outages that merge.
    """
    exponent = 0.0
    for supplier, window in windows.items():
        u = profile.suppliers.index(supplier)
        mu, sigma = float(profile.outage_mu[u]), float(profile.outage_sigma[u])
        exponent += profile.outage_rate[u] * days * (1.0 - lognormal_cdf(window, mu, sigma))
    return math.exp(-float(exponent))


@dataclass(frozen=True)
class Outcome:
    """The simulated runs of one case (as planned, or with the buffers).

    Attributes
    ----------
    on_time_fill_rate
        Mean, p10, p50 and p90 over the runs of on-time units / demand (every customer).
    share_no_loss
        Share of runs that lose no units against the baseline.
    lost_units_mean
        Mean units lost per run.
    covered_runs
        Runs whose every outage stays within its window.
    covered_runs_with_loss
        Covered runs that still lose units (0 is the sizing's promise).
    passed
        Both criteria of the module docstring hold.
    """

    on_time_fill_rate: dict[str, float]
    share_no_loss: float
    lost_units_mean: float
    covered_runs: int
    covered_runs_with_loss: int
    passed: bool


@dataclass(frozen=True)
class BufferCheck:
    """The simulator check of a set of buffers (module docstring).

    Attributes
    ----------
    runs, seed, days
        What was simulated.
    suppliers
        The suppliers whose outages are checked (at risk, with a disruption profile, with a
        buffered part) and their windows in days.
    plan_fill_rate
        On-time units / demand of the plan itself.
    baseline_fill_rate
        The same, simulated without any outage (equal to the plan's when the simulator
        reproduces it).
    no_long_outage_probability
        The closed-form chance that no checked outage outlasts its window.
    standard_error
        ``sqrt(P (1 - P) / runs)`` of the share of runs without loss at that chance.
    target_share_no_loss
        ``no_long_outage_probability - 3 * standard_error``.
    with_buffers, without_buffers
        The two cases.
    """

    runs: int
    seed: int
    days: int
    suppliers: dict[str, int]
    plan_fill_rate: float
    baseline_fill_rate: float
    no_long_outage_probability: float
    standard_error: float
    target_share_no_loss: float
    with_buffers: Outcome
    without_buffers: Outcome

    @property
    def passed(self) -> bool:
        """Whether the buffers pass the check."""
        return self.with_buffers.passed

    def as_dict(self) -> dict[str, Any]:
        """The check as buffers.json holds it."""
        return {**dataclasses.asdict(self), "passed": self.passed}


def _quiet(stage: str) -> None:
    """The default progress callback: says nothing."""


def _on_time(runs: pd.DataFrame) -> np.ndarray:
    """``(run, pair)`` on-time units from runs.csv rows, pairs in a fixed order."""
    table = runs.pivot_table(index="run", columns=["customer", "item"], values="on_time")
    return np.asarray(table.sort_index(axis=1).to_numpy(), dtype=np.float64)


def _outcome(
    on_time: np.ndarray,
    baseline: np.ndarray,
    demand: float,
    covered: np.ndarray,
    target: float,
) -> Outcome:
    """Fill rates, losses and the two criteria of one case."""
    lost = np.clip(baseline[None, :] - on_time, 0.0, None).sum(axis=1)
    no_loss = lost <= LOSS_TOLERANCE * max(1.0, float(baseline.sum()))
    fill = on_time.sum(axis=1) / demand if demand > 0 else np.ones(len(on_time))
    violations = int((covered & ~no_loss).sum())
    share = float(no_loss.mean())
    return Outcome(
        on_time_fill_rate={
            "mean": float(fill.mean()),
            "p10": float(np.quantile(fill, 0.1)),
            "p50": float(np.quantile(fill, 0.5)),
            "p90": float(np.quantile(fill, 0.9)),
        },
        share_no_loss=share,
        lost_units_mean=float(lost.mean()),
        covered_runs=int(covered.sum()),
        covered_runs_with_loss=violations,
        passed=violations == 0 and share >= target,
    )


def checked_windows(buffers: Buffers, profile: RiskProfile) -> dict[str, int]:
    """The window of every supplier with outages (a positive rate) that delivers a buffered
    part; a supplier cut off for several parts gets the shortest of their windows."""
    rows = set(zip(buffers.table["item"], buffers.table["supplier"], strict=True))
    rate = dict(zip(profile.suppliers, profile.outage_rate, strict=True))
    windows: dict[str, int] = {}
    for cutoff in buffers.cutoffs:
        if (cutoff.item, cutoff.supplier) in rows and rate.get(cutoff.supplier, 0.0) > 0:
            known = windows.get(cutoff.supplier, cutoff.window_days)
            windows[cutoff.supplier] = min(known, cutoff.window_days)
    return dict(sorted(windows.items()))


def check_buffers(
    scenario: Scenario,
    plan: Plan,
    buffers: Buffers,
    runs: int = DEFAULT_CHECK_RUNS,
    seed: int = 0,
    chunk: int = 256,
    progress: Callable[[str], None] = _quiet,
) -> BufferCheck:
    """Simulate the plan with and without the buffers under supplier outages only.

    Parameters
    ----------
    scenario
        The scenario the plan and the buffers were made for.
    plan
        The plan.
    buffers
        The buffers (:func:`~dronefab.risk.buffers.size_buffers`).
    runs
        Monte Carlo runs per case.
    seed
        The seed: both cases see the same outages.
    chunk
        Runs simulated together.
    progress
        Called with the name of each stage.

    Returns
    -------
    BufferCheck

    Raises
    ------
    UsageError
        If ``runs`` is not positive.
    """
    if runs <= 0:
        message = f"the check needs a positive number of runs, got {runs}"
        raise UsageError(message)
    profile = outages_only(scenario)
    buffered = with_stock(scenario, buffers.stock())
    days = scenario.horizon.periods * scenario.horizon.period_days

    calm = dataclasses.replace(profile, outage_rate=np.zeros_like(profile.outage_rate))
    load_engine(buffered, plan, progress, calm)
    progress("simulating the plan without outages")
    baseline = _on_time(simulate(buffered, plan, 1, seed=seed, profile=calm).runs_table())[0]

    windows = checked_windows(buffers, profile)
    longest = longest_outages(profile, runs, days, seed, chunk)
    limit = np.array([windows.get(u, days) for u in profile.suppliers])
    covered = np.asarray((longest <= limit[None, :]).all(axis=1))
    chance = no_long_outage_probability(profile, windows, days)
    error = math.sqrt(chance * (1.0 - chance) / runs)
    target = chance - SAMPLING_Z * error

    demand = float(sum(values.sum() for values in scenario.demand_by_period().values()))
    outcomes = {}
    for case, executed in (("with", buffered), ("without", scenario)):
        progress(f"simulating {runs:,} runs {case} the buffers")
        result = simulate(executed, plan, runs, seed=seed, chunk=chunk, profile=profile)
        on_time = _on_time(result.runs_table())
        outcomes[case] = _outcome(on_time, baseline, demand, covered, target)

    units = fill_rates(plan.backlog, sorted(set(plan.backlog["customer"].astype(str))))
    plan_on_time = sum(u["on_time"] for u in units.values())
    return BufferCheck(
        runs=runs,
        seed=seed,
        days=days,
        suppliers=windows,
        plan_fill_rate=plan_on_time / demand if demand > 0 else 1.0,
        baseline_fill_rate=float(baseline.sum()) / demand if demand > 0 else 1.0,
        no_long_outage_probability=chance,
        standard_error=error,
        target_share_no_loss=target,
        with_buffers=outcomes["with"],
        without_buffers=outcomes["without"],
    )


def recommend_buffers(
    scenario: Scenario, plan: Plan, folder: str | os.PathLike[str], **settings: Any
) -> dict[str, Any]:
    """What buffers.json holds, after :func:`buffer_recommendation` has sized, checked and
    written the buffers (``settings``: its ``options``, ``check_runs``, ``seed``, ``chunk`` and
    ``progress``)."""
    return buffer_recommendation(scenario, plan, folder, **settings)[1]


def buffer_recommendation(
    scenario: Scenario,
    plan: Plan,
    folder: str | os.PathLike[str],
    options: BufferOptions | None = None,
    check_runs: int = DEFAULT_CHECK_RUNS,
    seed: int = 0,
    chunk: int = 256,
    progress: Callable[[str], None] = _quiet,
) -> tuple[Buffers, dict[str, Any]]:
    """Size the buffers of a plan, check them in the simulator and write buffers.csv and
    buffers.json into ``folder``.

    Parameters
    ----------
    scenario, plan
        The scenario and the plan made for it.
    folder
        Where to write.
    options
        How to size the buffers.
    check_runs
        Runs of the simulator check per case; 0 skips it (``check`` is then null).
    seed, chunk
        Of the check's simulations.
    progress
        Called with the name of each stage.

    Returns
    -------
    tuple of Buffers and dict
        The buffers (their table is buffers.csv) and what buffers.json holds.
    """
    progress("sizing the buffers")
    buffers = size_buffers(scenario, plan, options)
    check = None
    if check_runs > 0:
        check = check_buffers(scenario, plan, buffers, check_runs, seed, chunk, progress).as_dict()
    extra = {"scenario": scenario.name, "periods": scenario.horizon.periods, "check": check}
    write_buffers(buffers, folder, extra)
    return buffers, {**buffers.summary(), **extra}
