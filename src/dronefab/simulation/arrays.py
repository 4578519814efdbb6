"""Array helpers of the engine: a block's draws, piecewise-linear searches, scatter-adds.

Axis orders: ``(run, day, site)``, ``(run, day, supplier)`` and ``(run, day, flow)`` for the
draws, as in :mod:`dronefab.simulation.disruptions` and :mod:`dronefab.simulation.inputs`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dronefab.model.timeline import FloatArray
from dronefab.simulation.disruptions import (
    RiskProfile,
    sample_alerts,
    sample_lane_delays,
    sample_strikes,
    sample_supplier_outages,
)
from dronefab.simulation.inputs import SimulationInputs

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

EPS_ABS = 1e-6
EPS_REL = 1e-9
"""Planned use may exceed what is available by ``EPS_ABS + EPS_REL * |available|`` (solver
noise in the plan) without holding a site back."""
WALK = 2
"""Plan days a piecewise-linear search steps forward before counting over all of them."""
OFFSET_RUNS = 32
"""Runs whose lane delays are drawn at a time (bounds the memory of the float draws)."""


@dataclass(frozen=True, eq=False)
class BlockDraws:
    """A block's random draws, each ``(run, day, unit)`` or as noted."""

    down: BoolArray
    strike_day: BoolArray
    strikes: IntArray
    alerts: FloatArray
    disrupted: BoolArray
    offset: npt.NDArray[np.int32]  # (run, day, flow) days from leaving to arriving


def lane_offsets(
    inputs: SimulationInputs, profile: RiskProfile, runs: Sequence[int], seed: int
) -> npt.NDArray[np.int32]:
    """``(run, day, flow)`` days from leaving to arriving, ``L P + ceil(delay)``, capped at
    ``days + 1`` (later is never received alike). The delay of flow ``f`` leaving on day ``d`` is
    draw ``d * F + f`` of :func:`sample_lane_delays`; runs are drawn a few at a time to bound
    the memory of the float draws. Without delays (probability or mean 0) nothing is drawn: every
    draw would be 0."""
    days, flows = inputs.days, inputs.flow_site.size
    offset = np.empty((len(runs), days, flows), dtype=np.int32)
    if profile.lane_delay_probability == 0 or profile.lane_delay_mean == 0:
        offset[...] = inputs.flow_lead_days
        return offset
    for first in range(0, len(runs), OFFSET_RUNS):
        part = runs[first : first + OFFSET_RUNS]
        delays = sample_lane_delays(profile, part, days * flows, seed)
        delays = np.minimum(np.ceil(delays), days + 1).reshape(len(part), days, flows)
        offset[first : first + len(part)] = delays + inputs.flow_lead_days
    return offset


def block_draws(
    inputs: SimulationInputs, profile: RiskProfile, runs: Sequence[int], seed: int
) -> BlockDraws:
    """Every draw of the block, from :mod:`dronefab.simulation.disruptions`."""
    days = inputs.days
    strikes = sample_strikes(profile, runs, days, seed)
    outages = sample_supplier_outages(profile, runs, days, seed)
    return BlockDraws(
        down=strikes.down,
        strike_day=strikes.strike_day,
        strikes=np.asarray(strikes.effective.sum(axis=2), dtype=np.int64),
        alerts=sample_alerts(profile, runs, days, seed),
        disrupted=outages.disrupted,
        offset=lane_offsets(inputs, profile, runs, seed),
    )


def inverse(
    cum: FloatArray,
    rate: FloatArray,
    row: IntArray,
    pday: IntArray,
    target: FloatArray,
) -> FloatArray:
    """``(n,)`` the largest plan time at which a cumulative quantity reaches ``target``.

    ``cum`` ``(rows, pday + 1)`` is the quantity before each plan day and ``rate`` the quantity
    per plan day on it (both zero-rate beyond the horizon, index ``T P``); row ``row[i]`` is
    searched forward from plan day ``pday[i]``, where the quantity must not exceed ``target[i]``
    already. Flat stretches are passed (no planned use never limits, nor a closed day); inf when
    the target is never reached.
    """
    width = cum.shape[1]
    last = width - 1
    flat_cum, flat_rate = cum.ravel(), rate.ravel()
    base = row * width
    k = pday.copy()
    todo = np.flatnonzero(k < last)
    for _ in range(WALK):  # most searches end within a plan day or two
        todo = todo[flat_cum.take(base[todo] + k[todo] + 1) <= target[todo]]
        k[todo] += 1
        todo = todo[k[todo] < last]
    if todo.size:  # the rest: bisect for the last plan day start reached (cum is non-decreasing)
        lo, hi = k[todo], np.full(todo.size, width)  # cum[lo] <= target < cum[hi] (cum[width]: inf)
        goal, start = target[todo], base[todo]
        while (hi - lo > 1).any():
            mid = (lo + hi) // 2
            reached = flat_cum.take(start + np.minimum(mid, last)) <= goal
            lo, hi = np.where(reached, mid, lo), np.where(reached, hi, mid)
        k[todo] = lo
    speed = flat_rate.take(base + k)
    into = np.divide(
        target - flat_cum.take(base + k), speed, out=np.zeros_like(target), where=speed > 0
    )
    return np.asarray(np.where(k >= last, np.inf, k + np.maximum(into, 0.0)))


def tolerant(available: FloatArray) -> FloatArray:
    """What planned use may reach: ``available + 1e-6 + 1e-9 * |available|`` (solver noise)."""
    return np.asarray(available + (EPS_ABS + EPS_REL * np.abs(available)))


def scatter(values: FloatArray, index: IntArray, size: int) -> FloatArray:
    """``out[r, index[j]] += values[r, j]``: ``(run, n)`` summed into ``(run, size)``."""
    runs = values.shape[0]
    flat = (np.arange(runs)[:, None] * size + index[None, :]).ravel()
    summed = np.bincount(flat, weights=values.ravel(), minlength=runs * size)
    return np.asarray(summed.reshape(runs, size), dtype=np.float64)
