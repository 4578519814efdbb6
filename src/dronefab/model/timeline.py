"""Periods, lead times and available hours, exactly as the scenario format defines them.

Every later computation (plans, simulations, risk) takes its calendar from here, so each
formula is written out in its docstring and tested against hand-computed cases.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from dronefab.model.schema import Horizon, Site, WorkCenter

FloatArray = npt.NDArray[np.float64]


def horizon_end(horizon: Horizon) -> date:
    """First day after the horizon: ``start + periods * period_days``."""
    return horizon.start + timedelta(days=horizon.periods * horizon.period_days)


def period_of(horizon: Horizon, day: date) -> int:
    """The 1-based period containing ``day``: ``floor((day - start) / period_days) + 1``.

    The result may lie outside ``1..periods`` (0 or negative before the start); callers that need
    a period inside the horizon check :func:`in_horizon` first.
    """
    return (day - horizon.start).days // horizon.period_days + 1


def in_horizon(horizon: Horizon, day: date) -> bool:
    """True when ``day`` lies in ``[start, start + periods * period_days)``."""
    return horizon.start <= day < horizon_end(horizon)


def period_start(horizon: Horizon, period: int) -> date:
    """First day of a 1-based period."""
    return horizon.start + timedelta(days=(period - 1) * horizon.period_days)


def lead_time_periods(days: float, period_days: int) -> int:
    """Periods a duration takes: ``LT(days) = ceil(days / period_days)``, 0 days giving 0.

    Parameters
    ----------
    days
        A non-negative duration in days.
    period_days
        Length of a period.
    """
    if days <= 0:
        return 0
    # Round away representation noise (14.000000000002 days is 2 weeks, not 3).
    return math.ceil(round(days / period_days, 9))


def open_days(site: Site, horizon: Horizon) -> npt.NDArray[np.int64]:
    """Days of each period inside the site's ``[opens, closes)`` window.

    Returns
    -------
    numpy.ndarray
        Shape ``(periods,)``: for period ``t`` the number of days ``d`` with
        ``start + (t-1)*period_days <= d < start + t*period_days`` and ``opens <= d < closes``.
    """
    first = np.arange(horizon.periods, dtype=np.int64) * horizon.period_days
    last = first + horizon.period_days  # exclusive, in days from start
    lo = first.copy()
    hi = last.copy()
    if site.opens is not None:
        lo = np.maximum(lo, (site.opens - horizon.start).days)
    if site.closes is not None:
        hi = np.minimum(hi, (site.closes - horizon.start).days)
    return np.asarray(np.maximum(hi - lo, 0), dtype=np.int64)


def open_day_mask(site: Site, start: date, days: int) -> npt.NDArray[np.bool_]:
    """Whether the site is open on each day ``start + 0 .. start + days - 1``.

    Returns
    -------
    numpy.ndarray
        Shape ``(days,)``: True for the days inside ``[opens, closes)``. Summed over a period's
        days it gives :func:`open_days`.
    """
    day = np.arange(days)
    opened = np.ones(days, dtype=np.bool_)
    if site.opens is not None:
        opened &= day >= (site.opens - start).days
    if site.closes is not None:
        opened &= day < (site.closes - start).days
    return opened


def opening_period(site: Site, horizon: Horizon) -> int | None:
    """``p0 = floor((opens - start) / period_days) + 1``, or None for a site with no opens date."""
    if site.opens is None:
        return None
    return period_of(horizon, site.opens)


def ramp_factor(site: Site, horizon: Horizon) -> FloatArray:
    """Ramp-up efficiency of each period: ``r0 + (1 - r0) * min(1, k / ramp_periods)``.

    ``k = t - p0`` with ``p0`` the opening period; 1 everywhere when ``ramp_periods`` is 0 or the
    site has no ``opens`` date. Periods before the opening (where ``k < 0``) get ``r0``; they have
    no open days, so the value never matters.
    """
    p0 = opening_period(site, horizon)
    if site.ramp_periods == 0 or p0 is None:
        return np.ones(horizon.periods)
    r0 = site.ramp_start_efficiency
    k = np.arange(1, horizon.periods + 1) - p0
    progress = np.clip(k / site.ramp_periods, 0.0, 1.0)
    return np.asarray(r0 + (1.0 - r0) * progress, dtype=np.float64)


def available_hours(site: Site, work_center: WorkCenter, horizon: Horizon) -> FloatArray:
    """Available hours of one work center in each period.

    ``stations * max(0, hours_per_day - downtime_hours_per_day) * open_days(s, t)
    * days_per_week / 7 * efficiency * ramp(s, t)``

    Returns
    -------
    numpy.ndarray
        Shape ``(periods,)``.
    """
    hours = max(0.0, work_center.hours_per_day - site.downtime_hours_per_day)
    per_open_day = work_center.stations * hours * site.days_per_week / 7.0 * work_center.efficiency
    return np.asarray(
        per_open_day * open_days(site, horizon) * ramp_factor(site, horizon), dtype=np.float64
    )
