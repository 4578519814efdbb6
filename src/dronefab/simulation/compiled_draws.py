"""Compiled loops of the disruption samplers (:mod:`dronefab.simulation.disruptions`).

Each function takes a run's ``numpy.random.Generator`` and fills arrays in place. numba draws from
a Generator exactly as numpy does (the same bit generator and the same algorithms, so the same
numbers in the same order), which keeps the samplers' definitions those of numpy while the loops
around the draws run compiled, without the GIL and without temporaries: the engine's threads
draw their runs in parallel, and a run's draws cost about what the random numbers themselves do.
Compiled once per machine (``cache``), like :mod:`dronefab.simulation.kernel`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

import numba
import numpy as np
import numpy.typing as npt

from dronefab.model.timeline import FloatArray

Function = TypeVar("Function", bound=Callable[..., Any])
IntArray = npt.NDArray[np.int64]


def _compiled(function: Function) -> Function:
    """``numba.njit`` without the GIL, cached, keeping the function's type for mypy."""
    jit: Callable[..., Callable[[Function], Function]] = numba.njit
    return jit(nogil=True, cache=True)(function)


@_compiled
def _next_delay(rng: np.random.Generator, rate: float, position: int, count: int) -> int:
    """The position of the next delayed shipment after ``position`` (``count`` or more: none).

    Shipments are delayed independently with probability ``p = 1 - exp(-rate)``; the gap to the
    next delayed one is ``floor(E / rate) + 1`` for a standard exponential ``E``, which is
    geometric with success probability ``p``.
    """
    step = rng.standard_exponential() / rate
    if step >= count - position:  # also keeps the integer conversion in range
        return count
    return position + math.floor(step) + 1


@_compiled
def fill_lane_delays(rng: np.random.Generator, p: float, mean: float, delays: FloatArray) -> None:
    """Delays in days of the shipments ``delays`` (flat, zeroed), in their order.

    Each shipment is delayed with probability ``p``, independently: the delayed ones are found by
    geometric gaps, and each draws its delay ``mean * E``, exponential with that mean (pairs of
    standard exponentials, gap then delay). The first shipments' delays do not depend on how
    many are drawn.
    """
    count = delays.size
    if p <= 0.0 or mean <= 0.0 or count == 0:
        return
    rate = -math.log1p(-p) if p < 1.0 else math.inf
    position = _next_delay(rng, rate, -1, count)
    while position < count:
        delays[position] = mean * rng.standard_exponential()
        position = _next_delay(rng, rate, position, count)


@_compiled
def add_lane_offsets(
    rng: np.random.Generator, p: float, mean: float, cap: int, offsets: npt.NDArray[np.int16]
) -> None:
    """Add ``min(ceil(delay), cap)`` to every shipment of ``offsets`` (flat): the delays of
    :func:`fill_lane_delays`, from the same draws, rounded up to days."""
    count = offsets.size
    if p <= 0.0 or mean <= 0.0 or count == 0:
        return
    rate = -math.log1p(-p) if p < 1.0 else math.inf
    position = _next_delay(rng, rate, -1, count)
    while position < count:
        days = math.ceil(mean * rng.standard_exponential())
        offsets[position] += min(days, cap)
        position = _next_delay(rng, rate, position, count)


@_compiled
def fill_alerts(
    rng: np.random.Generator, mean: FloatArray, sd: float, cap: FloatArray, hours: FloatArray
) -> None:
    """``hours[d, s] = min(cap[s], max(0, mean[s] + sd * Z))``, the ``Z`` standard normal in
    ``(day, site)`` order."""
    for day in range(hours.shape[0]):
        for site in range(hours.shape[1]):
            value = rng.standard_normal() * sd + mean[site]
            hours[day, site] = min(max(value, 0.0), cap[site])


@_compiled
def draw_arrivals(
    rng: np.random.Generator, scale: FloatArray, days: int, block: int
) -> tuple[FloatArray, FloatArray]:
    """Poisson arrival times and standard normals of every unit, ``(k, unit)`` each.

    Blocks of ``block`` rows are drawn until every unit with a positive ``scale`` (mean gap,
    ``1 / rate``; 0 for a zero rate) has passed ``days``: a block of standard exponential gaps,
    then a block of standard normals, each row-major ``(k, unit)``. Times are the running sums
    of the gaps times ``scale`` after the last block's (infinite for a zero rate).
    """
    units = scale.size
    rows = block
    times = np.empty((rows, units))
    normals = np.empty((rows, units))
    last = np.zeros(units)
    total = np.zeros(units)
    filled = 0
    while True:
        if filled + block > rows:
            rows *= 2
            grown_times, grown_normals = np.empty((rows, units)), np.empty((rows, units))
            grown_times[:filled] = times[:filled]
            grown_normals[:filled] = normals[:filled]
            times, normals = grown_times, grown_normals
        for k in range(filled, filled + block):
            for unit in range(units):
                times[k, unit] = rng.standard_exponential()
        for k in range(filled, filled + block):
            for unit in range(units):
                normals[k, unit] = rng.standard_normal()
        passed = True
        for unit in range(units):
            total[unit] = 0.0
            for k in range(filled, filled + block):
                total[unit] += times[k, unit]
                if scale[unit] > 0:
                    times[k, unit] = last[unit] + total[unit] * scale[unit]
                else:
                    times[k, unit] = math.inf
            last[unit] = times[filled + block - 1, unit]
            passed = passed and not last[unit] < days
        filled += block
        if passed:
            return times[:filled], normals[:filled]


Days = tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], FloatArray]
"""One run's ``(down, onset, ends)`` by ``(day, unit)``; ``ends`` may be empty (not wanted)."""


@_compiled
def mark_episode(start: float, end: float, unit: int, out: Days) -> None:
    """Mark an effective disruption ``[start, end)`` of ``unit`` in ``out``: onset on
    ``floor(start)``, down on the days ``round(start) <= d < round(end)`` (midpoints inside),
    and on those days ``ends`` (if wanted) the first day up again, ``round(end)``."""
    down, onset, ends = out
    days = down.shape[0]
    onset[math.floor(start), unit] = True
    stop = np.floor(end + 0.5)  # a float: no overflow, whatever the length
    for day in range(math.floor(start + 0.5), int(min(stop, days))):
        down[day, unit] = True
        if ends.shape[0]:
            ends[day, unit] = stop


@_compiled
def mark_days(
    times: FloatArray, durations: FloatArray, effective: npt.NDArray[np.bool_], out: Days
) -> None:
    """One run's effective disruptions by day, from its ``(unit, k)`` arrival times, durations
    and effective flags (:func:`mark_episode`; effective ones never overlap)."""
    for unit in range(times.shape[0]):
        for k in range(times.shape[1]):
            if effective[unit, k]:
                start = times[unit, k]
                mark_episode(start, start + durations[unit, k], unit, out)


@_compiled
def fill_episode_days(
    times: FloatArray,
    normals: FloatArray,
    lognormal: tuple[FloatArray, FloatArray],
    out: tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], FloatArray, IntArray],
) -> None:
    """One run's disruptions by day, from :func:`draw_arrivals`' ``(k, unit)`` draws: into
    ``out`` = ``(down, onset, ends, effective)``, the first three as :data:`Days` (zeroed), the
    last ``(unit,)`` counts of effective disruptions.

    Durations are ``exp(mu + sigma * Z)`` (``lognormal`` is ``(mu, sigma)``, per unit); a
    disruption is effective when it arrives at or after the end of the last effective one.
    """
    mu, sigma = lognormal
    down, onset, ends, effective = out
    days = down.shape[0]
    for unit in range(times.shape[1]):
        end = -math.inf
        for k in range(times.shape[0]):
            start = times[k, unit]
            if not start < days:
                break
            if start < end:
                continue
            end = start + math.exp(mu[unit] + sigma[unit] * normals[k, unit])
            effective[unit] += 1
            mark_episode(start, end, unit, (down, onset, ends))
