"""The engine's own disruption days (:func:`dronefab.simulation.arrays.episode_days`) against
the samplers of :mod:`dronefab.simulation.disruptions`, which keep every arrival."""

from __future__ import annotations

import numpy as np
import pytest

from dronefab.simulation.arrays import episode_days
from dronefab.simulation.disruptions import (
    RiskProfile,
    Stream,
    lognormal_params,
    run_generators,
    sample_strikes,
    sample_supplier_outages,
)

DAYS = 365


def profile(strike_rate: list[float], outage_rate: list[float], p90: float) -> RiskProfile:
    """Strikes and outages at the given yearly rates, repairs and outages of median 10 days."""
    mu, sigma = lognormal_params(10.0, p90)
    sites, suppliers = len(strike_rate), len(outage_rate)
    return RiskProfile(
        sites=tuple(f"s{i}" for i in range(sites)),
        strike_rate=np.array(strike_rate) / 365,
        alert_mean=np.zeros(sites),
        alert_sd=0.0,
        alert_cap=np.full(sites, 8.0),
        repair_mu=mu,
        repair_sigma=sigma,
        inventory_loss_fraction=0.3,
        suppliers=tuple(f"p{i}" for i in range(suppliers)),
        outage_rate=np.array(outage_rate) / 365,
        outage_mu=np.full(suppliers, mu),
        outage_sigma=np.full(suppliers, sigma * 0.5),
        lane_delay_probability=0.0,
        lane_delay_mean=0.0,
    )


@pytest.mark.parametrize(
    ("strike_rate", "outage_rate", "p90"),
    [
        ([6.0, 0.0, 40.0, 2.0], [3.0, 0.0, 12.0], 30.0),  # busy, with quiet units
        ([200.0, 1.0], [100.0], 11.0),  # many short episodes: several blocks of arrivals
        ([20.0, 5.0], [8.0], 1e9),  # lengths beyond any horizon (and beyond int64)
    ],
)
def test_episode_days_are_the_samplers_days(
    strike_rate: list[float], outage_rate: list[float], p90: float
) -> None:
    risks = profile(strike_rate, outage_rate, p90)
    runs, seed = range(5, 45), 11
    strikes = sample_strikes(risks, runs, DAYS, seed)
    sites = len(strike_rate)
    repairs = (np.full(sites, risks.repair_mu), np.full(sites, risks.repair_sigma))
    generators = run_generators(seed, runs, Stream.STRIKES)
    down, onset, effective = episode_days(risks.strike_rate, repairs, generators, DAYS)
    np.testing.assert_array_equal(down, strikes.down)
    np.testing.assert_array_equal(onset, strikes.strike_day)
    np.testing.assert_array_equal(effective, strikes.effective.sum(axis=2))
    assert strikes.effective.any()

    outages = sample_supplier_outages(risks, runs, DAYS, seed)
    lengths = (risks.outage_mu, risks.outage_sigma)
    generators = run_generators(seed, runs, Stream.SUPPLIERS)
    disrupted, _, counted = episode_days(risks.outage_rate, lengths, generators, DAYS)
    np.testing.assert_array_equal(disrupted, outages.disrupted)
    np.testing.assert_array_equal(counted, outages.effective.sum(axis=2))


def test_episode_days_of_a_quiet_profile_are_empty() -> None:
    risks = profile([0.0, 0.0], [0.0], 30.0)
    generators = run_generators(1, range(3), Stream.STRIKES)
    lengths = (np.zeros(2), np.zeros(2))
    down, onset, effective = episode_days(risks.strike_rate, lengths, generators, DAYS)
    assert down.shape == (3, DAYS, 2)
    assert not down.any() and not onset.any() and not effective.any()
