"""A block's draws, as the engine reads them.

Axis orders: ``(run, day, site)``, ``(run, day, supplier)`` and ``(run, day, flow)`` for the
draws, as in :mod:`dronefab.simulation.disruptions` and :mod:`dronefab.simulation.inputs`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dronefab.errors import UsageError
from dronefab.model.timeline import FloatArray
from dronefab.simulation import compiled_draws
from dronefab.simulation.disruptions import (
    BLOCK,
    RiskProfile,
    Stream,
    run_generator,
    run_generators,
    sample_alerts,
)
from dronefab.simulation.inputs import SimulationInputs

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class BlockDraws:
    """A block's random draws, each ``(run, day, unit)`` or as noted."""

    down: BoolArray
    strike_day: BoolArray
    strikes: IntArray  # (run, site) effective strikes
    alerts: FloatArray
    disrupted: BoolArray
    offset: npt.NDArray[np.int16]  # (run, day, flow) days from leaving to arriving


def lane_offsets(
    inputs: SimulationInputs, profile: RiskProfile, runs: Sequence[int], seed: int
) -> npt.NDArray[np.int16]:
    """``(run, day, flow)`` days from the due day to arriving, ``L P + ceil(delay)``, the delay
    capped at ``days + 1`` (later is never received alike); 16-bit, to halve what the kernel
    streams.

    The delay of flow ``f`` leaving on day ``d`` is shipment ``d * F + f`` of
    :func:`~dronefab.simulation.disruptions.sample_lane_delays`, from the same draws
    (:func:`~dronefab.simulation.compiled_draws.add_lane_offsets`).
    """
    days, flows = inputs.days, inputs.flow_site.size
    longest = days + 1 + int(inputs.flow_lead_days.max(initial=0))
    if longest > np.iinfo(np.int16).max:
        message = f"cannot simulate {days} days: at most {np.iinfo(np.int16).max - longest + days}"
        raise UsageError(message)
    offset = np.empty((len(runs), days, flows), dtype=np.int16)
    offset[...] = inputs.flow_lead_days
    p, mean = float(profile.lane_delay_probability), float(profile.lane_delay_mean)
    for i, run in enumerate(runs):
        rng = run_generator(seed, run, Stream.LANES)
        compiled_draws.add_lane_offsets(rng, p, mean, days + 1, offset[i].reshape(-1))
    return offset


def episode_days(
    rates: FloatArray,
    lognormal: tuple[FloatArray, FloatArray],
    generators: Sequence[np.random.Generator],
    days: int,
) -> tuple[BoolArray, BoolArray, IntArray]:
    """``(down, onset, effective)`` of Poisson disruptions per run and unit: the first two
    ``(run, day, unit)``, the last ``(run, unit)`` counts; ``lognormal`` is ``(mu, sigma)`` of
    the durations, per unit.

    The same draws and rules as :func:`~dronefab.simulation.disruptions.sample_strikes` and
    :func:`~dronefab.simulation.disruptions.sample_supplier_outages` (whose ``down`` or
    ``disrupted``, ``strike_day`` and effective counts these are), without the per-arrival
    arrays the engine does not read: a compiled pass per run.
    """
    units = rates.size
    scale = np.divide(1.0, rates, out=np.zeros(units), where=rates > 0)
    shape = (len(generators), days, units)
    down, onset = np.zeros(shape, dtype=np.bool_), np.zeros(shape, dtype=np.bool_)
    effective = np.zeros((len(generators), units), dtype=np.int64)
    no_ends = np.empty((0, 0))  # the kernel does not read when an episode ends
    for i, rng in enumerate(generators):
        times, normals = compiled_draws.draw_arrivals(rng, scale, days, BLOCK)
        out = (down[i], onset[i], no_ends, effective[i])
        compiled_draws.fill_episode_days(times, normals, lognormal, out)
    return down, onset, effective


def block_draws(
    inputs: SimulationInputs, profile: RiskProfile, runs: Sequence[int], seed: int
) -> BlockDraws:
    """Every draw of the block, from :mod:`dronefab.simulation.disruptions`."""
    days = inputs.days
    sites = profile.strike_rate.size
    repairs = (np.full(sites, profile.repair_mu), np.full(sites, profile.repair_sigma))
    down, strike_day, strikes = episode_days(
        profile.strike_rate, repairs, run_generators(seed, runs, Stream.STRIKES), days
    )
    outages = (
        np.asarray(profile.outage_mu, dtype=np.float64),
        np.asarray(profile.outage_sigma, dtype=np.float64),
    )
    disrupted, _, _ = episode_days(
        profile.outage_rate, outages, run_generators(seed, runs, Stream.SUPPLIERS), days
    )
    return BlockDraws(
        down=down,
        strike_day=strike_day,
        strikes=strikes,
        alerts=sample_alerts(profile, runs, days, seed),
        disrupted=disrupted,
        offset=lane_offsets(inputs, profile, runs, seed),
    )
