"""Which sites and suppliers cost the most units: each node's risk switched off, same draws.

For every *risk node*, a site (its strikes) or a supplier (its outages), the same runs are
simulated again with that node's rate set to zero and everything else unchanged (common random
numbers). The units the node's disruptions cost in run ``r`` are

.. math:: \\mathit{lost}_{n,r} = \\mathit{delivered}_r(\\text{node } n \\text{ off})
          - \\mathit{delivered}_r(\\text{baseline}),

summed over every customer and product, and likewise for on-time units. Switching one node off
changes no other draw: :mod:`dronefab.simulation.disruptions` draws every node's arrivals in
fixed blocks whatever the rates, and alerts and lane delays do not depend on them. So the
difference is the effect of that node's disruptions alone in those runs, interactions with the
others included, and its mean over runs has a small variance (a paired difference). The
interval is the mean plus or minus 1.96 standard errors of the paired differences (normal
approximation). A node can cost a negative number of units: a strike can, for example, destroy
stock whose loss frees a site's clock from a material it was waiting for.

A node without risk (rate 0) costs nothing by construction: it is listed with zeros and not
simulated. The re-simulations (:class:`Counterfactuals`) also give the time to recover after
each strike (:mod:`dronefab.simulation.recovery`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from dronefab.errors import UsageError
from dronefab.model.timeline import FloatArray
from dronefab.simulation.disruptions import DAYS_PER_YEAR, RiskProfile
from dronefab.simulation.results import SimulationResult

Z95 = 1.959963984540054
"""The standard normal 97.5th percentile: a two-sided 95 % interval."""
COLUMNS = (
    "node",
    "kind",
    "events_per_year",
    "runs",
    "units_lost_mean",
    "ci_low",
    "ci_high",
    "on_time_lost_mean",
    "on_time_ci_low",
    "on_time_ci_high",
)

Kind = Literal["site", "supplier"]
Rerun = Callable[[RiskProfile, Sequence[int]], SimulationResult]
"""Simulates the given absolute runs under a risk profile, with every other option (plan, days,
seed, chunk, backend) as in the baseline."""
Progress = Callable[[int, int, "RiskNode"], None]
"""Called before each re-simulation with the nodes done so far, their number and the next."""


@dataclass(frozen=True)
class RiskNode:
    """A site (its strikes) or a supplier (its outages) and its rate.

    Attributes
    ----------
    kind
        ``site`` or ``supplier``.
    id
        The site's or supplier's id.
    index
        Its position on the profile's ``site`` or ``supplier`` axis.
    per_year
        Strikes (a site) or disruptions (a supplier) per year.
    """

    kind: Kind
    id: str
    index: int
    per_year: float


def risk_nodes(profile: RiskProfile) -> list[RiskNode]:
    """Every site, then every supplier, of a profile, in axis order."""
    sites = [
        RiskNode("site", site, n, float(profile.strike_rate[n]) * DAYS_PER_YEAR)
        for n, site in enumerate(profile.sites)
    ]
    suppliers = [
        RiskNode("supplier", supplier, n, float(profile.outage_rate[n]) * DAYS_PER_YEAR)
        for n, supplier in enumerate(profile.suppliers)
    ]
    return sites + suppliers


def without(profile: RiskProfile, node: RiskNode) -> RiskProfile:
    """The profile with the node's strike or outage rate set to zero, all else unchanged."""
    if node.kind == "site":
        strikes = np.array(profile.strike_rate, dtype=np.float64)
        strikes[node.index] = 0.0
        return dataclasses.replace(profile, strike_rate=strikes)
    outages = np.array(profile.outage_rate, dtype=np.float64)
    outages[node.index] = 0.0
    return dataclasses.replace(profile, outage_rate=outages)


@dataclass(frozen=True, eq=False)
class Counterfactuals:
    """A baseline's runs simulated again without each node's risk.

    Attributes
    ----------
    base
        The baseline, restricted to the runs simulated again.
    nodes
        Every site and supplier (:func:`risk_nodes`).
    delivered
        Per node with risk: ``(run, period)`` units delivered (every customer and product) in
        each run without that node's risk, in the axis order of ``base``.
    on_time
        Per node with risk: ``(run,)`` on-time units without that node's risk.
    """

    base: SimulationResult
    nodes: list[RiskNode]
    delivered: dict[RiskNode, FloatArray]
    on_time: dict[RiskNode, FloatArray]

    def units_gained(self, node: RiskNode) -> tuple[FloatArray, FloatArray]:
        """``(run,)`` units and on-time units gained in each run without the node's risk
        (zeros for a node without risk)."""
        if node not in self.delivered:
            zeros = np.zeros(self.base.runs.size)
            return zeros, zeros
        # Summed in the same order on both sides, so that equal deliveries give exactly 0.
        units = self.delivered[node].sum(axis=1) - self.base.delivered.sum(axis=1).sum(axis=1)
        on_time = self.on_time[node] - self.base.on_time.sum(axis=1)
        return np.asarray(units), np.asarray(on_time)


def simulate_without_each(
    base: SimulationResult,
    profile: RiskProfile,
    rerun: Rerun,
    runs: int,
    progress: Progress | None = None,
    nodes: Sequence[RiskNode] | None = None,
) -> Counterfactuals:
    """Simulate the first ``runs`` runs of ``base`` again without each node's risk in turn.

    Parameters
    ----------
    base
        The baseline simulation, made with ``profile``.
    profile
        The risk profile of the baseline.
    rerun
        Simulates runs under a modified profile, as the baseline was simulated.
    runs
        How many of the baseline's runs to use (all if it has fewer). The cost is one
        simulation of that many runs per node simulated.
    progress
        Called before each re-simulation.
    nodes
        The nodes to simulate without (default: every node with risk). A node without risk
        may be given: its re-simulation must then equal the baseline.

    Raises
    ------
    UsageError
        If ``runs`` is not positive, or ``rerun`` returns other runs than asked for.
    """
    if runs <= 0:
        message = f"attribution runs must be positive, got {runs}"
        raise UsageError(message)
    subset = _first_runs(base, runs)
    indices = [int(r) for r in subset.runs]
    every = risk_nodes(profile)
    chosen = list(nodes) if nodes is not None else [n for n in every if n.per_year > 0]
    delivered: dict[RiskNode, FloatArray] = {}
    on_time: dict[RiskNode, FloatArray] = {}
    for done, node in enumerate(chosen):
        if progress is not None:
            progress(done, len(chosen), node)
        again = rerun(without(profile, node), indices)
        if not np.array_equal(again.runs, subset.runs):
            message = "the re-simulation returned other runs than asked for"
            raise UsageError(message)
        delivered[node] = np.asarray(again.delivered.sum(axis=1))
        on_time[node] = np.asarray(again.on_time.sum(axis=1))
    return Counterfactuals(subset, every, delivered, on_time)


def attribution_table(counterfactuals: Counterfactuals) -> pd.DataFrame:
    """attribution.csv: the units each node's disruptions cost, mean over the runs.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`, one row per site and supplier, most units lost first.
        ``units_lost_mean`` and ``on_time_lost_mean`` are means over the runs; ``ci_low`` and
        ``ci_high`` (``on_time_ci_*``) their 95 % intervals (NaN with a single run).
    """
    rows = []
    for node in counterfactuals.nodes:
        units, on_time = counterfactuals.units_gained(node)
        units_low, units_high = mean_interval(units)
        on_time_low, on_time_high = mean_interval(on_time)
        rows.append(
            {
                "node": node.id,
                "kind": node.kind,
                "events_per_year": node.per_year,
                "runs": units.size,
                "units_lost_mean": float(units.mean()),
                "ci_low": units_low,
                "ci_high": units_high,
                "on_time_lost_mean": float(on_time.mean()),
                "on_time_ci_low": on_time_low,
                "on_time_ci_high": on_time_high,
            }
        )
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return frame.sort_values("units_lost_mean", ascending=False, kind="stable", ignore_index=True)


def mean_interval(values: FloatArray) -> tuple[float, float]:
    """The 95 % interval of the mean of independent per-run values.

    Parameters
    ----------
    values
        ``(run,)`` one value per run (e.g. paired differences).

    Returns
    -------
    tuple of float
        Mean minus and plus 1.96 standard errors; NaN for fewer than two values.
    """
    if values.size < 2:
        return math.nan, math.nan
    half = Z95 * float(values.std(ddof=1)) / math.sqrt(values.size)
    mean = float(values.mean())
    return mean - half, mean + half


def _first_runs(result: SimulationResult, runs: int) -> SimulationResult:
    """The simulation restricted to its first ``runs`` runs."""
    keep = slice(0, min(runs, result.runs.size))
    return dataclasses.replace(
        result,
        runs=result.runs[keep],
        delivered=result.delivered[keep],
        strikes=result.strikes[keep],
        days_down=result.days_down[keep],
        stock_destroyed=result.stock_destroyed[keep],
    )
