"""The disruption samplers: parameters, distributions against closed forms, and seeding.

Expectations are recomputed independently: closed forms from scipy, daily arrays from a
day-by-day Python reference, and tolerances from the sampling error (5 standard errors, with
fixed seeds, so the tests are deterministic and still fail on any bias of a few percent).
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

import dronefab
from dronefab.errors import UsageError
from dronefab.model.demo import load_demo
from dronefab.model.generate import GeneratorOptions, generate_scenario
from dronefab.simulation.disruptions import (
    Z90,
    RiskProfile,
    Stream,
    lognormal_params,
    risk_profile,
    run_generator,
    sample_alerts,
    sample_lane_delays,
    sample_strikes,
    sample_supplier_outages,
)

SEED = 20260105

BANDS_YAML = """\
format: dronefab/1
name: bands
horizon: {start: 2026-01-05, periods: 8, period_days: 7}
organizations:
  - {id: auto, name: Automaker, role: manufacturer}
items:
  - {id: quad, name: Small multirotor, kind: product}
  - {id: motor, name: Motor, kind: purchased}
bom:
  - {parent: quad, component: motor, quantity: 4}
routings:
  - {item: quad, step: 10, work_center: assembly, minutes: 90}
sites:
  - id: near
    name: Near
    operator: auto
    distance_to_front_km: 30
    makes: [quad]
    work_centers:
      - {id: assembly, stations: 2, hours_per_day: 8}
      - {id: test, stations: 1, hours_per_day: 10}
  - id: edge
    name: Edge
    operator: auto
    distance_to_front_km: 150
    work_centers: [{id: assembly, stations: 1, hours_per_day: 16}]
  - {id: mid, name: Mid, operator: auto, distance_to_front_km: 300}
  - {id: far, name: Far, operator: auto, distance_to_front_km: 1000}
  - {id: known, name: Known target, operator: auto, distance_to_front_km: 30}
suppliers:
  - {id: motors-a, name: Motors A, supplies: [{item: motor, lead_time_days: 14, unit_cost: 60}]}
  - {id: motors-b, name: Motors B, supplies: [{item: motor, lead_time_days: 21, unit_cost: 70}]}
risks:
  seed: 11
  strike_rate_by_distance:        # deliberately not sorted: the first band that fits applies
    - {max_km: 150, per_year: 2.0}
    - {max_km: 50, per_year: 6.0}
    - {max_km: 400, per_year: 0.5}
  strike: {repair_days_median: 21, repair_days_p90: 60, inventory_loss_fraction: 0.3}
  alerts: {hours_per_day_mean: 2.0, hours_per_day_sd: 1.5}
  sites:
    known: {strikes_per_year: 0.1, alert_hours_per_day_mean: 0.5}
    mid: {alert_hours_per_day_mean: 3.0}
  suppliers:
    motors-b: {disruptions_per_year: 0.5, duration_days_median: 30, duration_days_p90: 90}
  lanes: {delay_probability: 0.1, delay_days_mean: 3}
"""


def make_profile(sites: int = 1, suppliers: int = 0, **values: Any) -> RiskProfile:
    """A profile with ``sites`` sites and ``suppliers`` suppliers, quiet unless told otherwise."""
    base = RiskProfile(
        sites=tuple(f"s{i}" for i in range(sites)),
        strike_rate=np.zeros(sites),
        alert_mean=np.zeros(sites),
        alert_sd=0.0,
        alert_cap=np.full(sites, 8.0),
        repair_mu=math.log(21.0),
        repair_sigma=0.0,
        inventory_loss_fraction=0.3,
        suppliers=tuple(f"p{i}" for i in range(suppliers)),
        outage_rate=np.zeros(suppliers),
        outage_mu=np.zeros(suppliers),
        outage_sigma=np.zeros(suppliers),
        lane_delay_probability=0.0,
        lane_delay_mean=0.0,
    )
    return replace(base, **values)


def within(estimate: float, expected: float, standard_error: float, sigmas: float = 5.0) -> bool:
    """True when ``estimate`` lies within ``sigmas`` standard errors of ``expected``."""
    return abs(estimate - expected) <= sigmas * standard_error


def rounded(value: float) -> int:
    """Round half up, the day of a continuous time under the midpoint rule."""
    return math.floor(value + 0.5)


def reference_days(
    times: list[float], lengths: list[float], days: int
) -> tuple[list[bool], list[bool], list[bool], list[float]]:
    """Effective mask, down days, onset days and end days of one unit, day by day in Python."""
    effective, episodes, end = [], [], -math.inf
    for x, length in zip(times, lengths, strict=True):
        hit = x >= end
        effective.append(hit)
        if hit:
            end = x + length
            episodes.append((x, x + length))
    down, onset, ends = [False] * days, [False] * days, [math.nan] * days
    for day in range(days):
        for x, stop in episodes:
            if x <= day + 0.5 < stop:
                down[day] = True
                ends[day] = rounded(stop)
            if math.floor(x) == day:
                onset[day] = True
    return effective, down, onset, ends


# -- parameters from a scenario --------------------------------------------------------------
@pytest.fixture
def bands_profile(tmp_path: Path) -> RiskProfile:
    path = tmp_path / "bands.yaml"
    path.write_text(BANDS_YAML, encoding="utf-8")
    return risk_profile(dronefab.load_scenario(path))


def test_strike_rate_first_band_that_fits_override_wins_beyond_every_band_zero(
    bands_profile: RiskProfile,
) -> None:
    assert bands_profile.sites == ("near", "edge", "mid", "far", "known")
    per_year = {"near": 2.0, "edge": 2.0, "mid": 0.5, "far": 0.0, "known": 0.1}
    expected = np.array([per_year[site] for site in bands_profile.sites]) / 365
    np.testing.assert_allclose(bands_profile.strike_rate, expected, rtol=1e-15)


def test_alerts_repairs_suppliers_and_lanes_from_the_scenario(bands_profile: RiskProfile) -> None:
    profile = bands_profile
    np.testing.assert_array_equal(profile.alert_mean, [2.0, 2.0, 3.0, 2.0, 0.5])
    assert profile.alert_sd == 1.5
    # The longest hours_per_day over the site's work centers; 0 without work centers.
    np.testing.assert_array_equal(profile.alert_cap, [10.0, 16.0, 0.0, 0.0, 0.0])
    z90 = stats.norm.ppf(0.9)
    assert profile.repair_mu == pytest.approx(math.log(21))
    assert profile.repair_sigma == pytest.approx((math.log(60) - math.log(21)) / z90)
    assert profile.inventory_loss_fraction == 0.3
    assert profile.suppliers == ("motors-a", "motors-b")
    np.testing.assert_allclose(profile.outage_rate, [0.0, 0.5 / 365], rtol=1e-15)
    assert profile.outage_mu[1] == pytest.approx(math.log(30))
    assert profile.outage_sigma[1] == pytest.approx((math.log(90) - math.log(30)) / z90)
    assert (profile.lane_delay_probability, profile.lane_delay_mean) == (0.1, 3.0)
    with pytest.raises(ValueError, match="read-only"):
        profile.strike_rate[0] = 1.0


def test_profiles_of_the_demo_and_a_generated_scenario() -> None:
    demo = load_demo()
    profile = risk_profile(demo)
    index = {site: i for i, site in enumerate(profile.sites)}
    assert profile.strike_rate[index["auto-west"]] * 365 == pytest.approx(0.3)
    assert profile.alert_mean[index["ws-n1"]] == 3.5
    for site in demo.sites:
        if site.id in demo.risks.sites:
            continue
        band = next(
            b for b in demo.risks.strike_rate_by_distance if site.distance_to_front_km <= b.max_km
        )
        assert profile.strike_rate[index[site.id]] * 365 == pytest.approx(band.per_year)
    generated = risk_profile(generate_scenario(GeneratorOptions(sites=6, periods=8, seed=2)))
    assert generated.strike_rate.shape == generated.alert_mean.shape == (6,)
    assert (generated.outage_rate > 0).any()


def test_lognormal_params_formula() -> None:
    assert stats.norm.ppf(0.9) == pytest.approx(Z90, rel=1e-15)
    mu, sigma = lognormal_params(30.0, 90.0)
    assert mu == pytest.approx(math.log(30))
    assert stats.lognorm.ppf(0.9, sigma, scale=math.exp(mu)) == pytest.approx(90.0)
    assert lognormal_params(21.0, 21.0) == (pytest.approx(math.log(21)), 0.0)
    with pytest.raises(UsageError, match="median <= p90"):
        lognormal_params(30.0, 20.0)


def test_invalid_arguments_raise_usage_errors() -> None:
    profile = make_profile()
    with pytest.raises(UsageError, match="seed must not be negative"):
        run_generator(-1, 0, Stream.STRIKES)
    with pytest.raises(UsageError, match="run must not be negative"):
        sample_alerts(profile, [3, -2], 10, SEED)
    with pytest.raises(UsageError, match="days must be a whole number"):
        sample_strikes(profile, range(2), 10.5, SEED)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="strike_rate has shape"):
        make_profile(sites=2, strike_rate=np.zeros(3))
    with pytest.raises(UsageError, match="lane_delay_probability must lie in"):
        make_profile(lane_delay_probability=1.5)


# -- strikes ---------------------------------------------------------------------------------
def test_repair_durations_have_the_given_median_and_p90() -> None:
    median, p90 = 21.0, 60.0
    mu, sigma = lognormal_params(median, p90)
    profile = make_profile(sites=40, strike_rate=np.full(40, 1.0), repair_mu=mu, repair_sigma=sigma)
    draws = sample_strikes(profile, range(40), 365, SEED)
    repairs = draws.repairs[~np.isnan(draws.repairs)]
    n = repairs.size
    assert n == draws.counts.sum() > 500_000
    # In log space the q-quantile estimate has standard error sigma*sqrt(q(1-q)/n)/phi(z_q).
    for q, value in ((0.5, median), (0.9, p90)):
        z = stats.norm.ppf(q)
        error = sigma * math.sqrt(q * (1 - q) / n) / stats.norm.pdf(z)
        assert within(math.log(np.quantile(repairs, q)), math.log(value), error)


def test_strike_counts_per_site_year_are_poisson() -> None:
    per_year, runs, sites = 3.0, 2000, 10
    profile = make_profile(sites=sites, strike_rate=np.full(sites, per_year / 365))
    draws = sample_strikes(profile, range(runs), 365, SEED)
    counts = draws.counts.ravel()
    n = counts.size
    # Poisson: mean = variance = lambda; Var(sample variance) ~ (mu4 - lambda^2)/n, with
    # mu4 = lambda (1 + 3 lambda).
    assert within(counts.mean(), per_year, math.sqrt(per_year / n))
    mu4 = per_year * (1 + 3 * per_year)
    assert within(counts.var(ddof=1), per_year, math.sqrt((mu4 - per_year**2) / n))
    # Chi-square goodness of fit over 0..9 and 10+.
    observed = np.bincount(np.minimum(counts, 10), minlength=11)
    expected = stats.poisson.pmf(np.arange(11), per_year) * n
    expected[10] = stats.poisson.sf(9, per_year) * n
    assert stats.chisquare(observed, expected).pvalue > 1e-3
    # Padding: times in [0, 365), increasing, NaN exactly beyond each count.
    k = np.arange(draws.times.shape[2])
    valid = k < draws.counts[:, :, None]
    np.testing.assert_array_equal(~np.isnan(draws.times), valid)
    np.testing.assert_array_equal(~np.isnan(draws.repairs), valid)
    times = draws.times[valid]
    assert times.min() >= 0 and times.max() < 365
    assert (np.diff(draws.times, axis=2)[valid[:, :, 1:]] > 0).all()


def test_share_of_days_down_is_the_closed_form_for_a_fixed_repair() -> None:
    # Up for an exponential time of mean 1/r, down for D (strikes meanwhile ignored):
    # availability 1 / (1 + r D). Measured after a burn-in, as the process starts up.
    rate, repair, runs, sites, days, burn_in = 4 / 365, 21.0, 300, 8, 4000, 400
    profile = make_profile(
        sites=sites, strike_rate=np.full(sites, rate), repair_mu=math.log(repair)
    )
    draws = sample_strikes(profile, range(runs), days, SEED)
    assert np.all(draws.repairs[~np.isnan(draws.repairs)] == pytest.approx(repair))
    assert (~draws.effective & (draws.counts[:, :, None] > np.arange(draws.times.shape[2]))).any()
    share = draws.down[:, burn_in:, :].mean(axis=1).ravel()  # one value per (run, site)
    availability = 1 / (1 + rate * repair)
    assert within(1 - share.mean(), availability, share.std(ddof=1) / math.sqrt(share.size))


@pytest.mark.parametrize(
    ("per_year", "median", "p90"),
    [(10.0, 5.0, 20.0), (150.0, 0.3, 2.0)],  # the second: several strikes within a day
)
def test_daily_arrays_match_a_day_by_day_reference(
    per_year: float, median: float, p90: float
) -> None:
    mu, sigma = lognormal_params(median, p90)
    days = 120
    profile = make_profile(
        sites=3, strike_rate=np.full(3, per_year / 365), repair_mu=mu, repair_sigma=sigma
    )
    draws = sample_strikes(profile, range(5, 25), days, SEED)
    for run in range(draws.counts.shape[0]):
        for site in range(3):
            count = draws.counts[run, site]
            times = draws.times[run, site, :count].tolist()
            repairs = draws.repairs[run, site, :count].tolist()
            effective, down, onset, _ = reference_days(times, repairs, days)
            assert draws.effective[run, site, :count].tolist() == effective
            assert not draws.effective[run, site, count:].any()
            assert draws.down[run, :, site].tolist() == down
            assert draws.strike_day[run, :, site].tolist() == onset
            expected_down = sum(
                min(rounded(x + r), days) - min(rounded(x), days)
                for x, r, hit in zip(times, repairs, effective, strict=True)
                if hit
            )
            assert draws.days_down[run, site] == expected_down


# -- alerts ----------------------------------------------------------------------------------
def test_alerts_are_a_clipped_normal() -> None:
    means = np.array([2.0, 0.5, 3.0, 0.0])
    caps = np.array([8.0, 8.0, 2.5, 4.0])
    sd, runs, days = 1.5, 300, 365
    profile = make_profile(sites=4, alert_mean=means, alert_sd=sd, alert_cap=caps)
    hours = sample_alerts(profile, range(runs), days, SEED)
    assert hours.shape == (runs, days, 4)
    assert hours.min() >= 0
    assert (hours <= caps).all()
    for site, (mean, cap) in enumerate(zip(means, caps, strict=True)):
        a, b = (0 - mean) / sd, (cap - mean) / sd
        expected = (
            mean * (stats.norm.cdf(b) - stats.norm.cdf(a))
            + sd * (stats.norm.pdf(a) - stats.norm.pdf(b))
            + cap * stats.norm.sf(b)
        )
        values = hours[:, :, site]
        assert within(values.mean(), expected, values.std() / math.sqrt(values.size))
        at_zero = stats.norm.cdf(a)
        share_zero = (values == 0).mean()
        assert within(share_zero, at_zero, math.sqrt(at_zero * (1 - at_zero) / values.size) + 1e-12)
    fixed = sample_alerts(replace(profile, alert_sd=0.0), range(2), 5, SEED)
    np.testing.assert_array_equal(fixed, np.broadcast_to(np.minimum(means, caps), (2, 5, 4)))


# -- suppliers -------------------------------------------------------------------------------
def test_supplier_outage_share_is_the_closed_form() -> None:
    per_year = np.array([2.0, 0.5, 0.0])
    mus, sigmas = zip(lognormal_params(30, 60), lognormal_params(45, 120), (0.0, 0.0), strict=True)
    profile = make_profile(
        suppliers=3,
        outage_rate=per_year / 365,
        outage_mu=np.array(mus),
        outage_sigma=np.array(sigmas),
    )
    runs, days, burn_in = 300, 4000, 600
    outages = sample_supplier_outages(profile, range(runs), days, SEED)
    assert outages.disrupted.shape == outages.ends.shape == (runs, days, 3)
    assert not outages.disrupted[:, :, 2].any() and outages.counts[:, 2].sum() == 0
    for supplier in range(2):
        rate = per_year[supplier] / 365
        mean_length = math.exp(mus[supplier] + sigmas[supplier] ** 2 / 2)
        expected = rate * mean_length / (1 + rate * mean_length)
        share = outages.disrupted[:, burn_in:, supplier].mean(axis=1)
        assert within(share.mean(), expected, share.std(ddof=1) / math.sqrt(runs))


def test_outage_days_and_ends_match_a_day_by_day_reference() -> None:
    profile = make_profile(
        suppliers=2,
        outage_rate=np.array([6.0, 30.0]) / 365,
        outage_mu=np.log([10.0, 1.0]),
        outage_sigma=np.array([1.0, 0.8]),
    )
    days = 150
    outages = sample_supplier_outages(profile, range(3, 23), days, SEED)
    for run in range(outages.counts.shape[0]):
        for supplier in range(2):
            count = outages.counts[run, supplier]
            times = outages.times[run, supplier, :count].tolist()
            lengths = outages.durations[run, supplier, :count].tolist()
            effective, down, _, ends = reference_days(times, lengths, days)
            assert outages.effective[run, supplier, :count].tolist() == effective
            assert outages.disrupted[run, :, supplier].tolist() == down
            np.testing.assert_array_equal(outages.ends[run, :, supplier], ends)
    on = outages.disrupted
    day = np.broadcast_to(np.arange(days)[None, :, None], on.shape)
    assert (outages.ends[on] > day[on]).all()
    assert np.isnan(outages.ends[~on]).all()
    assert (outages.ends[on] >= days).any()  # some outage outlasts the horizon


# -- lanes -----------------------------------------------------------------------------------
def test_lane_delays_are_exponential_with_the_given_probability() -> None:
    p, mean, runs, shipments = 0.15, 2.0, 200, 5000
    profile = make_profile(lane_delay_probability=p, lane_delay_mean=mean)
    delays = sample_lane_delays(profile, range(runs), shipments, SEED)
    assert delays.shape == (runs, shipments)
    assert delays.min() >= 0
    delayed = delays[delays > 0]
    n = delays.size
    assert within(delayed.size / n, p, math.sqrt(p * (1 - p) / n))
    assert within(delayed.mean(), mean, mean / math.sqrt(delayed.size))
    assert stats.kstest(delayed, stats.expon(scale=mean).cdf).pvalue > 1e-3
    none = sample_lane_delays(make_profile(lane_delay_mean=mean), range(3), 100, SEED)
    assert not none.any()
    every = sample_lane_delays(replace(profile, lane_delay_probability=1.0), range(3), 100, SEED)
    assert (every > 0).all()


def test_lane_delays_are_independent_between_shipments() -> None:
    # Delayed shipments are found by geometric gaps: whether a shipment is delayed must not
    # depend on its neighbour's fate, and the gaps must be geometric with the probability.
    p, runs, shipments = 0.3, 40, 5000
    profile = make_profile(lane_delay_probability=p, lane_delay_mean=1.0)
    delayed = sample_lane_delays(profile, range(runs), shipments, SEED) > 0
    after_delayed = delayed[:, 1:][delayed[:, :-1]]
    after_on_time = delayed[:, 1:][~delayed[:, :-1]]
    for sample in (after_delayed, after_on_time):
        assert within(sample.mean(), p, math.sqrt(p * (1 - p) / sample.size))
    gaps = np.concatenate([np.diff(np.flatnonzero(row)) for row in delayed])
    counts = np.bincount(gaps, minlength=12)[1:12]
    expected = gaps.size * p * (1 - p) ** np.arange(11)
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert stats.chi2.sf(chi2, df=10) > 1e-3


def test_lane_delays_do_not_depend_on_how_many_are_drawn() -> None:
    profile = make_profile(lane_delay_probability=0.2, lane_delay_mean=3.0)
    few = sample_lane_delays(profile, range(3), 100, SEED)
    many = sample_lane_delays(profile, range(3), 10_000, SEED)
    np.testing.assert_array_equal(few, many[:, :100])


# -- seeding ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def busy_profile() -> RiskProfile:
    """A profile where every kind of draw happens often."""
    mu, sigma = lognormal_params(10, 30)
    return make_profile(
        sites=4,
        suppliers=3,
        strike_rate=np.array([6.0, 2.0, 0.5, 12.0]) / 365,
        alert_mean=np.array([2.0, 1.0, 3.0, 0.5]),
        alert_sd=1.5,
        repair_mu=mu,
        repair_sigma=sigma,
        outage_rate=np.array([1.0, 3.0, 0.5]) / 365,
        outage_mu=np.full(3, mu),
        outage_sigma=np.full(3, sigma),
        lane_delay_probability=0.2,
        lane_delay_mean=3.0,
    )


def draw_all(profile: RiskProfile, runs: range, seed: int, days: int = 365) -> dict[str, Any]:
    """Every array of every sampler, the padded ones trimmed per (run, unit) to their counts."""
    strikes = sample_strikes(profile, runs, days, seed)
    outages = sample_supplier_outages(profile, runs, days, seed)
    out: dict[str, Any] = {
        "down": strikes.down,
        "strike_day": strikes.strike_day,
        "alerts": sample_alerts(profile, runs, days, seed),
        "disrupted": outages.disrupted,
        "ends": outages.ends,
        "lanes": sample_lane_delays(profile, runs, 50, seed),
    }
    for name, draws, fields in (
        ("strikes", strikes, ("times", "repairs", "effective")),
        ("outages", outages, ("times", "durations", "effective")),
    ):
        for field in fields:
            array = getattr(draws, field)
            out[f"{name}.{field}"] = [
                [array[r, u, : draws.counts[r, u]] for u in range(array.shape[1])]
                for r in range(array.shape[0])
            ]
    return out


def run_of(draws: dict[str, Any], index: int) -> dict[str, Any]:
    """The draws of the run at position ``index`` of a block."""
    return {name: value[index] for name, value in draws.items()}


def assert_same(first: Any, second: Any, name: str = "") -> None:
    """Equal draws: dicts by key, lists item by item, arrays exactly (NaN equal to NaN)."""
    if isinstance(first, dict):
        assert first.keys() == second.keys()
        for key in first:
            assert_same(first[key], second[key], key)
    elif isinstance(first, list):
        assert len(first) == len(second), name
        for a, b in zip(first, second, strict=True):
            assert_same(a, b, name)
    else:
        np.testing.assert_array_equal(first, second, err_msg=name)


def test_same_seed_same_draws_and_run_17_whatever_its_chunk(busy_profile: RiskProfile) -> None:
    whole = draw_all(busy_profile, range(32), SEED)
    assert_same(whole, draw_all(busy_profile, range(32), SEED))
    chunk = draw_all(busy_profile, range(16, 20), SEED)
    assert_same(run_of(whole, 17), run_of(chunk, 1))
    assert sum(len(t) for t in run_of(whole, 17)["strikes.times"]) > 0


def test_different_seeds_differ(busy_profile: RiskProfile) -> None:
    first, second = (
        draw_all(busy_profile, range(8), SEED),
        draw_all(busy_profile, range(8), SEED + 1),
    )
    for name in ("alerts", "lanes", "down", "disrupted"):
        assert not np.array_equal(first[name], second[name]), name
    assert not np.array_equal(first["alerts"][0], first["alerts"][1])  # runs differ too


def test_a_longer_horizon_extends_the_draws(busy_profile: RiskProfile) -> None:
    short, long = (
        draw_all(busy_profile, range(4), SEED, days=100),
        draw_all(busy_profile, range(4), SEED, days=365),
    )
    for name in ("down", "strike_day", "alerts", "disrupted", "ends"):
        np.testing.assert_array_equal(short[name], long[name][:, :100], err_msg=name)


def test_streams_are_the_children_of_a_per_run_seed_sequence() -> None:
    for stream in Stream:
        child = np.random.SeedSequence(SEED, spawn_key=(17,)).spawn(len(Stream))[stream]
        expected = np.random.default_rng(child).random(5)
        np.testing.assert_array_equal(run_generator(SEED, 17, stream).random(5), expected)
    values = {run_generator(SEED, 17, stream).random() for stream in Stream}
    assert len(values) == len(Stream)
