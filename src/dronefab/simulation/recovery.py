"""Time to recover after each strike: until the network delivers as if the strike had not been.

The yardstick is the same run without the struck site's strikes, everything else drawn the same
(:class:`~dronefab.simulation.attribution.Counterfactuals`). For run ``r`` and site ``s``, the
*shortfall* at the end of period ``t`` is the units (every customer and product) delivered by
then without the site's strikes minus those delivered with them:

.. math:: X_{r,s}(t) = \\sum_{u \\le t} \\big(\\mathit{delivered}_{r,u}(s \\text{ never struck})
          - \\mathit{delivered}_{r,u}\\big).

Alerts, supplier outages and other sites' strikes are the same on both sides, so ``X`` moves only
with this site's strikes. A strike arriving on day ``d`` (period ``t_d``, 0-based) is
**recovered** at the first period end ``e >= t_d`` such that

1. the site is back up and its goods had time to reach the customers:
   ``end(e) >= up + lead``, ``up`` the first day up again and ``lead`` the longest planned lead
   time, in days, from the site to a customer (:func:`lead_days`);
2. the shortfall is back to its level just before the strike and stays there until the site's
   next strike (or the end): ``X(e') <= X(t_d - 1) + tol`` for every ``e'`` from ``e`` to the
   period before the next strike (``X(-1) = 0``, ``tol`` = :data:`TOLERANCE`). Staying matters: a
   strike that destroyed a material the site holds for later stalls it only when that stock
   would have been used.

``days_to_recover = end(e) - d``: the engine counts deliveries by period, so it is rounded up to
a period end. A strike not recovered by the last day simulated, or before the site's next strike,
is censored: reported as not recovered, without a number. Units a strike destroyed are never
delivered, so a strike that destroyed stock the plan needed does not recover; ``shortfall_left``
says how many units it left short.

Strikes are drawn again from the seed with :func:`~dronefab.simulation.disruptions.sample_strikes`,
the draws the engine used. Only the runs simulated again (the attribution runs) have rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dronefab.errors import UsageError
from dronefab.model.timeline import FloatArray
from dronefab.planning.plan import Plan
from dronefab.simulation.attribution import Counterfactuals
from dronefab.simulation.disruptions import BoolArray, IntArray, RiskProfile, sample_strikes

TOLERANCE = 0.5
"""Units of shortfall above the level before the strike that still count as recovered (plans in
continuous quantities deliver fractions of a unit)."""
RUNS_AT_ONCE = 256
"""Runs whose strikes are drawn together (bounds the memory of the daily arrays)."""
COLUMNS = (
    "run",
    "site",
    "strike_day",
    "repair_days",
    "recovered",
    "days_to_recover",
    "shortfall_before",
    "shortfall_peak",
    "shortfall_left",
)


def lead_days(plan: Plan, sites: Sequence[str], period_days: int) -> IntArray:
    """``(site,)`` the longest planned lead time from each site to a customer, in days.

    ``(arrival_period - ship_period) * period_days`` of its shipments, or of a planned transfer
    plus the receiving site's lead, along the longest chain (0 for a site that feeds no
    customer). Chains are found by relaxing every transfer ``len(sites)`` times (Bellman-Ford),
    so a cycle of transfers cannot loop for ever; without cycles the result is exact.
    """
    index = {site: n for n, site in enumerate(sites)}
    lead = np.full(len(sites), -1, dtype=np.int64)  # -1: feeds no customer
    for row in _moving(plan.shipments).itertuples(index=False):
        s = index.get(str(row.site))
        if s is not None:
            lead[s] = max(lead[s], int(row.arrival_period - row.ship_period) * period_days)
    edges: dict[tuple[int, int], int] = {}
    for row in _moving(plan.transfers).itertuples(index=False):
        origin, target = index.get(str(row.from_site)), index.get(str(row.to_site))
        if origin is not None and target is not None:
            days = int(row.arrival_period - row.ship_period) * period_days
            edges[origin, target] = max(edges.get((origin, target), 0), days)
    for _ in range(len(sites)):
        changed = False
        for (origin, target), days in edges.items():
            if lead[target] >= 0 and lead[target] + days > lead[origin]:
                lead[origin] = lead[target] + days
                changed = True
        if not changed:
            break
    return np.maximum(lead, 0)


def _moving(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of a plan flow table that move something (continuous plans leave dust below 1e-9)."""
    if frame.empty:
        return frame
    return frame[frame["quantity"] > 1e-9]


@dataclass(frozen=True, eq=False)
class Recoveries:
    """What :func:`strike_recoveries` finds, one entry per strike.

    Attributes
    ----------
    recovered
        Whether the shortfall came back to its level before the strike, and stayed.
    days_to_recover
        Days from the strike day to that period end; NaN when not recovered.
    before
        The shortfall at the end of the period before the strike's (0 in the first period).
    peak
        The highest shortfall above ``before`` from the strike's period to the recovery (or
        to the period before the next strike, or the end); NaN when that window is empty.
    left
        The shortfall above ``before`` at the window's last period; NaN when it is empty.
    """

    recovered: BoolArray
    days_to_recover: FloatArray
    before: FloatArray
    peak: FloatArray
    left: FloatArray


def strike_recoveries(
    shortfall: FloatArray,
    strike_day: IntArray,
    ready_day: IntArray,
    window_end: IntArray,
    ends: IntArray,
) -> Recoveries:
    """Recovery of each strike from its site's shortfall at period ends (the module's rule).

    Parameters
    ----------
    shortfall
        ``(strike, period)`` ``X`` of the strike's run and site at each period end.
    strike_day
        ``(strike,)`` the day the strike arrives.
    ready_day
        ``(strike,)`` the first day recovery may be declared: the site's first day up again
        plus its lead time to customers.
    window_end
        ``(strike,)`` the 0-based period of the site's next strike in the run (the number of
        periods when there is none): the window closes before it.
    ends
        ``(period,)`` the day each period ends (the first day after it; the last day simulated
        plus one for the last period).
    """
    strikes, periods = shortfall.shape
    strike_period = np.searchsorted(ends, strike_day, side="right")  # the period holding it
    row = np.arange(strikes)
    before = np.where(strike_period > 0, shortfall[row, np.maximum(strike_period - 1, 0)], 0.0)
    excess = shortfall - before[:, None]
    column = np.arange(periods)[None, :]
    window = (column >= strike_period[:, None]) & (column < window_end[:, None])
    above = window & (excess > TOLERANCE)
    # The last period of the window with the shortfall above its level: recovery comes after.
    last_above = np.where(above.any(axis=1), periods - 1 - np.argmax(above[:, ::-1], axis=1), -1)
    first = np.maximum(last_above + 1, strike_period)
    ready = np.searchsorted(ends, ready_day, side="left")  # first period ending at or after it
    first = np.maximum(first, ready)
    recovered = first < np.minimum(window_end, periods)
    at = np.minimum(first, periods - 1)
    until = np.where(recovered, at, np.minimum(window_end, periods) - 1)
    span = window & (column <= until[:, None])
    empty = ~span.any(axis=1)
    peak = np.where(span, excess, -np.inf).max(axis=1, initial=-np.inf)
    left = excess[row, np.clip(np.minimum(window_end, periods) - 1, 0, periods - 1)]
    return Recoveries(
        recovered=recovered,
        days_to_recover=np.where(recovered, ends[at] - strike_day, np.nan),
        before=before,
        peak=np.where(empty, np.nan, np.maximum(peak, 0.0)),
        left=np.where(empty, np.nan, left),
    )


def recovery_table(
    counterfactuals: Counterfactuals,
    plan: Plan,
    profile: RiskProfile,
    seed: int,
) -> pd.DataFrame:
    """recovery.csv: one row per effective strike of every run simulated again.

    Parameters
    ----------
    counterfactuals
        The baseline's runs simulated again without each site's strikes.
    plan
        The plan executed (its shipments and transfers give each site's lead time).
    profile
        The risk profile of the baseline.
    seed
        The seed of the baseline: the strikes are drawn again from it.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`: ``run``, ``site``, ``strike_day`` (0-based day from the horizon
        start), ``repair_days`` (the repair time drawn, continuous), ``recovered``,
        ``days_to_recover`` (NaN when not recovered) and, in units, the shortfall due to the
        site's strikes just before the strike, its highest excess over that level until the
        recovery (or the window's end), and the excess left when the window closes.

    Raises
    ------
    UsageError
        If the profile's sites differ from the simulation's.
    """
    base = counterfactuals.base
    if tuple(profile.sites) != tuple(base.inputs.sites):
        message = "the risk profile's sites differ from the simulation's"
        raise UsageError(message)
    leads = lead_days(plan, base.inputs.sites, base.inputs.period_days)
    frames = [
        _recoveries(counterfactuals, leads, profile, seed, start)
        for start in range(0, base.runs.size, RUNS_AT_ONCE)
    ]
    if not frames:
        return pd.DataFrame({name: [] for name in COLUMNS})
    return pd.concat(frames, ignore_index=True)


def _recoveries(
    counterfactuals: Counterfactuals,
    leads: IntArray,
    profile: RiskProfile,
    seed: int,
    start: int,
) -> pd.DataFrame:
    """The rows of the runs at positions ``start .. start + RUNS_AT_ONCE - 1``; ``leads`` is
    :func:`lead_days` of the plan."""
    base = counterfactuals.base
    inputs = base.inputs
    days, period_days = inputs.days, inputs.period_days
    positions = np.arange(start, min(start + RUNS_AT_ONCE, base.runs.size))
    runs = [int(r) for r in base.runs[positions]]
    strikes = sample_strikes(profile, runs, days, seed)
    row, site, k = np.nonzero(strikes.effective)  # (run, site) groups in time order
    arrival = strikes.times[row, site, k]
    repair = strikes.repairs[row, site, k]
    strike_day = np.floor(arrival).astype(np.int64)
    up_day = np.floor(arrival + repair + 0.5).astype(np.int64)

    periods = inputs.out_periods
    ends = np.minimum(np.arange(1, periods + 1) * period_days, days)
    same_group = (row[1:] == row[:-1]) & (site[1:] == site[:-1])
    next_period = np.append(np.where(same_group, strike_day[1:] // period_days, periods), periods)

    shortfall = np.full((row.size, periods), np.nan)
    delivered = base.delivered[positions].sum(axis=1)  # (run, period)
    sites_simulated = np.zeros(len(inputs.sites), dtype=np.bool_)
    for node, without_site in counterfactuals.delivered.items():
        if node.kind != "site":
            continue
        sites_simulated[node.index] = True
        mine = site == node.index
        gap = np.cumsum(without_site[positions] - delivered, axis=1)
        shortfall[mine] = gap[row[mine]]
    keep = sites_simulated[site]
    found = strike_recoveries(
        shortfall[keep],
        strike_day[keep],
        (up_day + leads[site])[keep],
        next_period[keep],
        ends,
    )
    return pd.DataFrame(
        {
            "run": np.asarray(runs, dtype=np.int64)[row[keep]],
            "site": np.array(inputs.sites, dtype=object)[site[keep]],
            "strike_day": strike_day[keep],
            "repair_days": repair[keep],
            "recovered": found.recovered,
            "days_to_recover": found.days_to_recover,
            "shortfall_before": found.before,
            "shortfall_peak": found.peak,
            "shortfall_left": found.left,
        }
    )
