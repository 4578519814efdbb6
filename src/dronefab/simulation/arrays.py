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
from dronefab.simulation.disruptions import (
    RiskProfile,
    Stream,
    lane_delay_days,
    run_generator,
    sample_alerts,
    sample_strikes,
    sample_supplier_outages,
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

    The delay of flow ``f`` leaving on day ``d`` is draw ``d * F + f`` of
    :func:`~dronefab.simulation.disruptions.sample_lane_delays`, computed here the same way from
    the same uniforms (one run at a time, transforming only the delayed ones: the sampler's
    full-size temporaries cost more than the rest of a run's simulation). Without delays
    (probability or mean 0) nothing is drawn: every draw would be 0.
    """
    days, flows = inputs.days, inputs.flow_site.size
    longest = days + 1 + int(inputs.flow_lead_days.max(initial=0))
    if longest > np.iinfo(np.int16).max:
        message = f"cannot simulate {days} days: at most {np.iinfo(np.int16).max - longest + days}"
        raise UsageError(message)
    offset = np.empty((len(runs), days, flows), dtype=np.int16)
    offset[...] = inputs.flow_lead_days
    p, mean = profile.lane_delay_probability, profile.lane_delay_mean
    if p == 0 or mean == 0:
        return offset
    uniform = np.empty(days * flows)
    for i, run in enumerate(runs):
        run_generator(seed, run, Stream.LANES).random(out=uniform)
        delayed = np.flatnonzero(uniform < p)
        delays = lane_delay_days(uniform[delayed], p, mean)
        offset[i].reshape(-1)[delayed] += np.minimum(np.ceil(delays), days + 1).astype(np.int16)
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
