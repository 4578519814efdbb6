"""Random disruptions for the Monte Carlo simulator: strikes, alerts, supplier outages, lane delays.

The simulator advances all its runs together, day by day, as arrays. It takes every random draw
from here, made up front and vectorised over runs: :func:`risk_profile` turns a scenario's
``risks`` block into per-site and per-supplier parameters, and one sampler per kind of draw
returns arrays with a documented axis order.

Time
----
Day ``d`` (0-based, from the start of the simulation) covers the continuous interval
``[d, d + 1)``. A disruption arriving at time ``x`` and lasting ``L`` days occupies ``[x, x + L)``.
A day counts as *down* (a site) or *disrupted* (a supplier) when its midpoint ``d + 0.5`` lies in
such an interval, that is for the days

.. math:: \\operatorname{round}(x) \\le d < \\operatorname{round}(x + L),
          \\qquad \\operatorname{round}(v) = \\lfloor v + 0.5 \\rfloor .

The expected number of down days of a disruption is then its expected length ``E[L]``, so that a
site's expected share of days down is the continuous-time one, ``r E[L] / (1 + r E[L])``.
(Counting every day the disruption touches, ``floor(x) <= d < ceil(x + L)``, would add about one
day per disruption: 5% more downtime for a 21-day repair.) A strike arriving late in a day
therefore destroys stock on that day (``strike_day``) while the site's output of that day still
counts; the site is down from the next day.

Disruptions arriving while the site or supplier is already down are ignored: they add no
downtime and destroy no stock (SCENARIO.md: "a strike on a site already down extends nothing").

Seeding
-------
Every draw of run ``run`` and kind ``stream`` (:class:`Stream`) comes from its own generator,
``default_rng(SeedSequence(entropy=seed, spawn_key=(run, stream)))`` (:func:`run_generator`):
the ``stream``-th child that ``SeedSequence(seed, spawn_key=(run,)).spawn`` would give. A run's
draws therefore depend on the seed, its absolute index and the profile only: run 17 gets the same
draws in a block of runs ``0..31`` as in ``16..19``, on any worker. Adding a new kind of draw (a
new :class:`Stream` member) changes none of the existing ones. Within a stream, draws are taken
in a fixed order, day-major where there are days, so that a longer horizon extends a run's draws
without changing the first days.

Each sampler loops over runs in Python; a run's draws and the loops that consume them one by one
(alert hours, lane delays, arrival times, days down) run compiled, from the run's generator
(:mod:`dronefab.simulation.compiled_draws`, the same numbers numpy would give); the rest are
array operations over all runs.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt
from scipy import special

from dronefab.errors import UsageError
from dronefab.model.scenario import Scenario
from dronefab.model.schema import StrikeBand
from dronefab.model.timeline import FloatArray
from dronefab.simulation import compiled_draws

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

DAYS_PER_YEAR = 365.0
"""Days in a year, to turn yearly rates into daily ones."""

Z90: float = float(special.ndtri(0.9))
"""The standard normal 90th percentile, ``scipy.stats.norm.ppf(0.9)`` (about 1.2816)."""

BLOCK = 32
"""Arrivals drawn per site (or supplier) at a time; more blocks are drawn until the horizon is
passed. Fixed, so that a unit's draws do not depend on the rates of the others."""


class Stream(IntEnum):
    """The kinds of draw, each an independent random stream per run (the last spawn-key word).

    Append new kinds at the end; never renumber, or every existing draw changes.
    """

    STRIKES = 0
    ALERTS = 1
    SUPPLIERS = 2
    LANES = 3


# -- seeding -------------------------------------------------------------------------------------
def run_generator(seed: int, run: int, stream: Stream) -> np.random.Generator:
    """The generator of one run and kind of draw.

    ``default_rng(SeedSequence(entropy=seed, spawn_key=(run, stream)))``, which is the same as
    ``default_rng(SeedSequence(seed, spawn_key=(run,)).spawn(stream + 1)[stream])``: each run has
    its own seed sequence, keyed by its absolute index, whose children are the kinds of draw.

    Parameters
    ----------
    seed
        The simulation's seed (a non-negative integer, e.g. ``scenario.risks.seed``).
    run
        The absolute run index (not its position in a chunk), non-negative.
    stream
        The kind of draw.

    Returns
    -------
    numpy.random.Generator
        A PCG64 generator independent of every other (seed, run, stream).

    Raises
    ------
    UsageError
        If the seed or the run index is negative or not an integer.
    """
    sequence = np.random.SeedSequence(
        entropy=_index("seed", seed), spawn_key=(_index("run", run), int(stream))
    )
    return np.random.default_rng(sequence)


def run_generators(seed: int, runs: Sequence[int], stream: Stream) -> list[np.random.Generator]:
    """One generator per run of ``runs`` (in that order), as :func:`run_generator` gives it."""
    return [run_generator(seed, run, stream) for run in runs]


def _index(name: str, value: int) -> int:
    """A non-negative integer argument, or a precise error."""
    try:
        number = operator.index(value)
    except TypeError:
        message = f"{name} must be a whole number, got {value!r}"
        raise UsageError(message) from None
    if number < 0:
        message = f"{name} must not be negative, got {number}"
        raise UsageError(message)
    return number


# -- parameters ----------------------------------------------------------------------------------
def lognormal_params(median: float, p90: float) -> tuple[float, float]:
    """Parameters of the lognormal with a given median and 90th percentile.

    .. math:: \\mu = \\ln(\\mathit{median}), \\qquad
              \\sigma = \\frac{\\ln(p_{90}) - \\ln(\\mathit{median})}{z_{0.9}}

    with :math:`z_{0.9}` = :data:`Z90`, so that ``exp(mu + sigma * Z)``, ``Z ~ N(0, 1)``, has
    that median and 90th percentile. ``sigma`` is 0 when ``p90 == median``: a fixed duration.

    Raises
    ------
    UsageError
        If the median is not positive or ``p90`` is below it.
    """
    if not median > 0 or not p90 >= median:
        message = f"need 0 < median <= p90, got median {median:g} and p90 {p90:g}"
        raise UsageError(message)
    mu = math.log(median)
    return mu, (math.log(p90) - mu) / Z90


@dataclass(frozen=True, eq=False)
class RiskProfile:
    """A scenario's risks as arrays, in the axis order of ``scenario.sites`` and ``.suppliers``.

    Build it with :func:`risk_profile`; arrays are stored read-only.

    Parameters
    ----------
    sites
        Site ids, the order of every ``site`` axis.
    strike_rate
        ``(site,)`` strikes per day: ``per_year / 365``.
    alert_mean
        ``(site,)`` mean alert hours per day, before clipping.
    alert_sd
        Standard deviation of alert hours per day, before clipping.
    alert_cap
        ``(site,)`` the most alert hours a day can take: the site's longest ``hours_per_day``
        over its work centers (0 for a site without work centers).
    repair_mu, repair_sigma
        Repair time of a strike, in days: ``exp(repair_mu + repair_sigma * Z)``.
    inventory_loss_fraction
        Share of every stock a strike destroys.
    suppliers
        Supplier ids, the order of every ``supplier`` axis.
    outage_rate
        ``(supplier,)`` disruptions per day (0 for a supplier without a profile).
    outage_mu, outage_sigma
        ``(supplier,)`` disruption length in days: ``exp(outage_mu + outage_sigma * Z)``.
    lane_delay_probability
        Probability that a shipment is delayed.
    lane_delay_mean
        Mean of the exponential delay, in days.

    Raises
    ------
    UsageError
        If an array's length differs from its axis, or a value is negative, infinite or (for a
        probability or fraction) above 1.
    """

    sites: tuple[str, ...]
    strike_rate: FloatArray
    alert_mean: FloatArray
    alert_sd: float
    alert_cap: FloatArray
    repair_mu: float
    repair_sigma: float
    inventory_loss_fraction: float
    suppliers: tuple[str, ...]
    outage_rate: FloatArray
    outage_mu: FloatArray
    outage_sigma: FloatArray
    lane_delay_probability: float
    lane_delay_mean: float

    def __post_init__(self) -> None:
        axes = {"sites": len(self.sites), "suppliers": len(self.suppliers)}
        arrays = {
            "strike_rate": "sites",
            "alert_mean": "sites",
            "alert_cap": "sites",
            "outage_rate": "suppliers",
            "outage_mu": "suppliers",
            "outage_sigma": "suppliers",
        }
        problems = []
        for name, axis in arrays.items():
            array = np.array(getattr(self, name), dtype=np.float64)
            array.setflags(write=False)
            object.__setattr__(self, name, array)
            if array.shape != (axes[axis],):
                problems.append(f"{name} has shape {array.shape}, expected ({axes[axis]},)")
        for name in _FINITE:
            if not np.all(np.isfinite(getattr(self, name))):
                problems.append(f"{name} must be finite")
        for name in _NON_NEGATIVE:
            if np.any(np.asarray(getattr(self, name)) < 0):
                problems.append(f"{name} must not be negative")
        for name in ("lane_delay_probability", "inventory_loss_fraction"):
            if not 0 <= getattr(self, name) <= 1:
                problems.append(f"{name} must lie in [0, 1]")
        if problems:
            message = "invalid risk profile: " + "; ".join(problems)
            raise UsageError(message)


_NON_NEGATIVE = (
    "strike_rate",
    "alert_mean",
    "alert_sd",
    "alert_cap",
    "repair_sigma",
    "outage_rate",
    "outage_sigma",
    "lane_delay_mean",
)
_FINITE = (*_NON_NEGATIVE, "repair_mu", "outage_mu")


def _band_rate(bands: Sequence[StrikeBand], distance_km: float) -> float:
    """Strikes per year of the first band whose ``max_km`` covers the distance; 0 beyond all."""
    for band in bands:
        if band.max_km >= distance_km:
            return band.per_year
    return 0.0


def risk_profile(scenario: Scenario) -> RiskProfile:
    """The risk parameters of every site and supplier of a scenario.

    For site ``s`` at distance :math:`D_s` from the front,

    .. math:: \\mathit{strike\\_rate}_s = \\frac{1}{365} \\begin{cases}
              \\texttt{risks.sites[s].strikes\\_per\\_year} & \\text{if given} \\\\
              \\texttt{per\\_year} \\text{ of the first band with } \\texttt{max\\_km} \\ge D_s
              & \\text{if any (in the order listed, not the tightest)} \\\\
              0 & \\text{otherwise} \\end{cases}

    ``alert_mean`` is the site's ``alert_hours_per_day_mean`` override, else
    ``alerts.hours_per_day_mean``; ``alert_cap`` its longest work-center ``hours_per_day``.
    Repair and disruption lengths are lognormal with parameters from :func:`lognormal_params`;
    a supplier without a profile in ``risks.suppliers`` has rate 0 (and ``mu = sigma = 0``).

    Raises
    ------
    UsageError
        If ``risks.sites`` or ``risks.suppliers`` name a site or supplier the scenario lacks
        (only possible for a scenario built without :func:`dronefab.load_scenario`).
    """
    risks = scenario.risks
    site_ids = tuple(site.id for site in scenario.sites)
    supplier_ids = tuple(supplier.id for supplier in scenario.suppliers)
    unknown = sorted(set(risks.sites) - set(site_ids)) + sorted(
        set(risks.suppliers) - set(supplier_ids)
    )
    if unknown:
        message = f"risks name sites or suppliers the scenario lacks: {', '.join(unknown)}"
        raise UsageError(message)

    per_year, alert_mean, alert_cap = [], [], []
    for site in scenario.sites:
        override = risks.sites.get(site.id)
        rate = override.strikes_per_year if override is not None else None
        if rate is None:
            rate = _band_rate(risks.strike_rate_by_distance, site.distance_to_front_km)
        per_year.append(rate)
        mean = override.alert_hours_per_day_mean if override is not None else None
        alert_mean.append(risks.alerts.hours_per_day_mean if mean is None else mean)
        alert_cap.append(max((wc.hours_per_day for wc in site.work_centers), default=0.0))

    outage_rate, outage_mu, outage_sigma = [], [], []
    for supplier in scenario.suppliers:
        profile = risks.suppliers.get(supplier.id)
        if profile is None:
            outage_rate.append(0.0)
            outage_mu.append(0.0)
            outage_sigma.append(0.0)
            continue
        mu, sigma = lognormal_params(profile.duration_days_median, profile.duration_days_p90)
        outage_rate.append(profile.disruptions_per_year / DAYS_PER_YEAR)
        outage_mu.append(mu)
        outage_sigma.append(sigma)

    repair_mu, repair_sigma = lognormal_params(
        risks.strike.repair_days_median, risks.strike.repair_days_p90
    )
    return RiskProfile(
        sites=site_ids,
        strike_rate=np.array(per_year, dtype=np.float64) / DAYS_PER_YEAR,
        alert_mean=np.array(alert_mean, dtype=np.float64),
        alert_sd=risks.alerts.hours_per_day_sd,
        alert_cap=np.array(alert_cap, dtype=np.float64),
        repair_mu=repair_mu,
        repair_sigma=repair_sigma,
        inventory_loss_fraction=risks.strike.inventory_loss_fraction,
        suppliers=supplier_ids,
        outage_rate=np.array(outage_rate, dtype=np.float64),
        outage_mu=np.array(outage_mu, dtype=np.float64),
        outage_sigma=np.array(outage_sigma, dtype=np.float64),
        lane_delay_probability=risks.lanes.delay_probability,
        lane_delay_mean=risks.lanes.delay_days_mean,
    )


# -- results -------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class StrikeDraws:
    """The strikes of a block of runs, as arrival lists and as daily arrays.

    Axis ``run`` follows the ``runs`` sampled, ``site`` the profile's sites, ``day`` the days
    ``0 .. days - 1``; ``k`` numbers a site's strikes in time order, padded with NaN up to the
    block's largest count (so its width depends on the block: compare runs on their first
    ``counts`` entries).

    Attributes
    ----------
    times
        ``(run, site, k)`` arrival times in days, continuous, in ``[0, days)``, increasing in k.
    repairs
        ``(run, site, k)`` repair times in days, continuous (lognormal).
    counts
        ``(run, site)`` number of strikes arriving in ``[0, days)``, ignored ones included.
    effective
        ``(run, site, k)`` True for a strike that hits a site which is up (arrives at or after
        the end ``x + R`` of the last effective strike); False for ignored strikes and padding.
    down
        ``(run, day, site)`` True when the site is down at the day's midpoint, i.e. for
        ``round(x) <= d < round(x + R)`` of an effective strike ``(x, R)``.
    strike_day
        ``(run, day, site)`` True on the day ``floor(x)`` of an effective strike: stock is
        destroyed that day. It may also be a down day (of this or the previous strike); two
        effective strikes on one day (repairs shorter than a day) mark it once.
    """

    times: FloatArray
    repairs: FloatArray
    counts: IntArray
    effective: BoolArray
    down: BoolArray
    strike_day: BoolArray

    @property
    def days_down(self) -> IntArray:
        """``(run, site)`` days down: ``sum(min(round(x + R), days) - round(x))`` over the
        effective strikes (those arriving in the last half day contribute 0)."""
        return np.asarray(self.down.sum(axis=1), dtype=np.int64)


@dataclass(frozen=True, eq=False)
class SupplierOutages:
    """The disruptions of every supplier in a block of runs.

    Axis orders as in :class:`StrikeDraws`, with ``supplier`` (the profile's suppliers) in place
    of ``site``.

    Attributes
    ----------
    times
        ``(run, supplier, k)`` arrival times in days, continuous, NaN padding.
    durations
        ``(run, supplier, k)`` lengths in days, continuous (lognormal).
    counts
        ``(run, supplier)`` disruptions arriving in ``[0, days)``, ignored ones included.
    effective
        ``(run, supplier, k)`` True for a disruption of a supplier not already disrupted;
        one arriving during another is ignored (it neither extends nor adds an outage).
    disrupted
        ``(run, day, supplier)`` True for ``round(x) <= d < round(x + L)`` of an effective
        disruption ``(x, L)``.
    ends
        ``(run, day, supplier)`` on a disrupted day, the first day after the outage,
        ``round(x + L)``, as a float: an order due that day arrives then. It may be ``days`` or
        later (the outage outlasts the horizon). NaN on days not disrupted.
    """

    times: FloatArray
    durations: FloatArray
    counts: IntArray
    effective: BoolArray
    disrupted: BoolArray
    ends: FloatArray


# -- samplers ------------------------------------------------------------------------------------
def sample_strikes(profile: RiskProfile, runs: Sequence[int], days: int, seed: int) -> StrikeDraws:
    """Draw the strikes on every site in a block of runs.

    Strikes on site ``s`` form a Poisson process of rate ``strike_rate[s]`` per day: arrival
    times are cumulative sums of exponential gaps of mean ``1 / strike_rate[s]``. Each strike
    has a repair time ``R = exp(repair_mu + repair_sigma * Z)``. A strike arriving before the
    end of the current repair is ignored. See :class:`StrikeDraws` for the arrays and the
    days that count as down.

    Parameters
    ----------
    profile
        The risk parameters (:func:`risk_profile`).
    runs
        Absolute run indices, e.g. ``range(first, first + count)``.
    days
        Days simulated.
    seed
        The simulation's seed; draws come from :data:`Stream.STRIKES` of each run.

    Returns
    -------
    StrikeDraws
    """
    days = _index("days", days)
    rate = profile.strike_rate
    mu = np.full(rate.shape, profile.repair_mu)
    sigma = np.full(rate.shape, profile.repair_sigma)
    arrivals = _arrivals(run_generators(seed, runs, Stream.STRIKES), rate, mu, sigma, days)
    by_day = _daily(arrivals, days)
    return StrikeDraws(
        times=arrivals.times,
        repairs=arrivals.durations,
        counts=arrivals.counts,
        effective=arrivals.effective,
        down=by_day.down,
        strike_day=by_day.onset,
    )


def sample_supplier_outages(
    profile: RiskProfile, runs: Sequence[int], days: int, seed: int
) -> SupplierOutages:
    """Draw the disruptions of every supplier in a block of runs.

    As :func:`sample_strikes`: Poisson arrivals of rate ``outage_rate`` per day, lengths
    ``exp(outage_mu + outage_sigma * Z)``, a disruption arriving during another ignored, so that
    the long-run share of days disrupted is ``r E[L] / (1 + r E[L])`` with
    ``E[L] = exp(mu + sigma**2 / 2)``. Draws come from :data:`Stream.SUPPLIERS`.

    Returns
    -------
    SupplierOutages
    """
    days = _index("days", days)
    arrivals = _arrivals(
        run_generators(seed, runs, Stream.SUPPLIERS),
        profile.outage_rate,
        profile.outage_mu,
        profile.outage_sigma,
        days,
    )
    by_day = _daily(arrivals, days)
    return SupplierOutages(
        times=arrivals.times,
        durations=arrivals.durations,
        counts=arrivals.counts,
        effective=arrivals.effective,
        disrupted=by_day.down,
        ends=by_day.ends,
    )


def sample_alerts(profile: RiskProfile, runs: Sequence[int], days: int, seed: int) -> FloatArray:
    """Draw the alert hours of every site and day in a block of runs.

    .. math:: a_{r,d,s} = \\min(\\mathit{cap}_s, \\max(0, \\mathit{mean}_s + \\mathit{sd} Z_{r,d,s}))

    with ``Z`` standard normal from :data:`Stream.ALERTS` (drawn day-major: ``(day, site)`` per
    run). Every day gets a draw; the simulator uses those of working days.

    Returns
    -------
    numpy.ndarray
        ``(run, day, site)`` hours, in ``[0, alert_cap[site]]``.
    """
    days = _index("days", days)
    generators = run_generators(seed, runs, Stream.ALERTS)
    hours = np.empty((len(generators), days, len(profile.sites)))
    mean = np.asarray(profile.alert_mean, dtype=np.float64)
    cap = np.asarray(profile.alert_cap, dtype=np.float64)
    for i, rng in enumerate(generators):
        compiled_draws.fill_alerts(rng, mean, float(profile.alert_sd), cap, hours[i])
    return hours


def sample_lane_delays(
    profile: RiskProfile, runs: Sequence[int], shipments: int, seed: int
) -> FloatArray:
    """Draw the extra transit days of ``shipments`` planned shipments per run.

    Each shipment is delayed with probability ``p``, independently, by an exponential number of
    days with the profile's mean. From :data:`Stream.LANES`, in pairs of standard exponentials
    ``(E1, E2)``: the next delayed shipment is ``floor(E1 / -ln(1 - p)) + 1`` places on (a
    geometric gap: only the delayed shipments cost draws), and its delay is ``mean * E2``
    (:func:`~dronefab.simulation.compiled_draws.fill_lane_delays`).

    Returns
    -------
    numpy.ndarray
        ``(run, shipment)`` delays in days, continuous (0 for a shipment on time); shipment ``i``
        gets the same delay whatever the number of shipments drawn.
    """
    shipments = _index("shipments", shipments)
    generators = run_generators(seed, runs, Stream.LANES)
    delays = np.zeros((len(generators), shipments))
    p, mean = float(profile.lane_delay_probability), float(profile.lane_delay_mean)
    for i, rng in enumerate(generators):
        compiled_draws.fill_lane_delays(rng, p, mean, delays[i])
    return delays


# -- the Poisson processes of strikes and supplier disruptions -----------------------------------
@dataclass(frozen=True, eq=False)
class _Arrivals:
    """Arrivals of a block of runs, padded: ``(run, unit, k)``; counts ``(run, unit)``."""

    times: FloatArray
    durations: FloatArray
    counts: IntArray
    effective: BoolArray


def _arrivals(
    generators: list[np.random.Generator],
    rate: FloatArray,
    mu: FloatArray,
    sigma: FloatArray,
    days: int,
) -> _Arrivals:
    """Poisson arrivals in ``[0, days)`` with lognormal durations, per run and unit.

    Each run draws blocks of :data:`BLOCK` exponential gaps and as many standard normals, both
    ``(BLOCK, unit)``, until every unit with a positive rate has passed ``days``. Times are
    ``cumsum(gaps) / rate`` (infinite for a zero rate), durations ``exp(mu + sigma * Z)``.
    """
    units = rate.size
    positive = rate > 0
    scale = np.divide(1.0, rate, out=np.zeros(units), where=positive)
    drawn = [compiled_draws.draw_arrivals(rng, scale, days, BLOCK) for rng in generators]

    counts = np.array([(times < days).sum(axis=0) for times, _ in drawn], dtype=np.int64)
    counts = counts.reshape(len(drawn), units)
    width = int(counts.max(initial=0))
    times_padded = np.full((len(drawn), units, width), np.nan)
    normals_padded = np.full((len(drawn), units, width), np.nan)
    for i, (times, normals) in enumerate(drawn):
        kept = min(width, len(times))
        times_padded[i, :, :kept] = times[:kept].T
        normals_padded[i, :, :kept] = normals[:kept].T
    padding = np.arange(width) >= counts[:, :, None]
    times_padded[padding] = np.nan
    normals_padded[padding] = np.nan
    durations = np.exp(mu[:, None] + sigma[:, None] * normals_padded)

    # A strike (disruption) is effective when it arrives at or after the end of the last
    # effective one: a scan over k, vectorised over runs and units.
    effective = np.zeros(times_padded.shape, dtype=np.bool_)
    end = np.full(counts.shape, -np.inf)
    for k in range(width):
        arrival = times_padded[:, :, k]
        hit = arrival >= end  # False for the NaN padding
        end = np.where(hit, arrival + durations[:, :, k], end)
        effective[:, :, k] = hit
    return _Arrivals(times_padded, durations, counts, effective)


@dataclass(frozen=True, eq=False)
class _Days:
    """Effective episodes by day, ``(run, day, unit)``: down days, onset days and, on down days,
    the first day after the episode (NaN elsewhere)."""

    down: BoolArray
    onset: BoolArray
    ends: FloatArray


def _daily(arrivals: _Arrivals, days: int) -> _Days:
    """The effective episodes of ``arrivals`` by day: down on day ``d`` for
    ``round(x) <= d < round(x + L)``, onset on ``floor(x)``
    (:func:`~dronefab.simulation.compiled_draws.mark_days`, the engine's own rule)."""
    run_count, units, _ = arrivals.times.shape
    shape = (run_count, days, units)
    down = np.zeros(shape, dtype=np.bool_)
    onset = np.zeros(shape, dtype=np.bool_)
    ends = np.full(shape, np.nan)
    for i in range(run_count):
        out = (down[i], onset[i], ends[i])
        compiled_draws.mark_days(
            arrivals.times[i], arrivals.durations[i], arrivals.effective[i], out
        )
    return _Days(down, onset, ends)
