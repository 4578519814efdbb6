"""Generated sites sized to a reference plan, and demand set from what that plan delivers."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from dronefab.model import timeline
from dronefab.model.generate.catalog import (
    _Catalog,
)
from dronefab.model.generate.common import (
    LOAD_END,
    LOAD_START,
    MAKE_PROBABILITY,
    SITE_PROFILE_WEIGHTS,
    SITE_PROFILES,
    GeneratorOptions,
    _day_in_period,
    _ids,
    _pick,
    _uniform,
)
from dronefab.model.schema import (
    Demand,
    Horizon,
    Site,
    WorkCenter,
)
from dronefab.model.timeline import FloatArray

Rng = np.random.Generator


# -- sites ----------------------------------------------------------------------------------------

ReferencePlan = dict[str, dict[str, float]]  # site -> made item -> units started per period


@dataclass
class _SiteDraft:
    """A site while its work centers, makes and reference plan are being settled."""

    id: str
    distance_km: float
    downtime_hours_per_day: float
    days_per_week: float
    centers: dict[str, WorkCenter]
    candidate: bool
    makes: list[str] = field(default_factory=list)


def _sites(
    rng: Rng,
    options: GeneratorOptions,
    horizon: Horizon,
    catalog: _Catalog,
    per_mix: dict[str, float],
) -> tuple[list[Site], ReferencePlan]:
    """Regular sites then candidates, and the reference plan their stations were sized for.

    Every made item is made at one regular site or more that is open throughout the horizon.
    The reference plan makes ``rate`` units of the product mix per period on the regular sites
    (each candidate is sized for as much again as an average maker); each work center has
    the stations to run its share at 70-95% utilisation.
    """
    ids = _ids("site", options.sites + options.candidates, 3)
    drafts = [_draft(rng, site_id, n == 0, n >= options.sites) for n, site_id in enumerate(ids)]
    openers, closer = _schedule(rng, options)
    steady = [d for n, d in enumerate(drafts[: options.sites]) if n not in openers and n != closer]
    _assign_makes(rng, drafts, catalog, steady)
    rate = options.sites * float(rng.uniform(30, 60)) * options.period_days / 7
    plan = _reference_plan(rng, drafts, per_mix, rate)
    _size_stations(rng, drafts, catalog, plan, options.period_days)
    makers = _makers(options.sites)
    sites = []
    for n, draft in enumerate(drafts):
        calendar = _calendar(rng, horizon, draft.candidate, n in openers, n == closer)
        sites.append(_site(rng, draft, makers[n % len(makers)], calendar))
    return sites, plan


def _draft(rng: Rng, site_id: str, first: bool, candidate: bool) -> _SiteDraft:
    """A site with the work centers of a profile; the first site is always a final-assembly one.

    Sites near the front lose more hours to downtime (alerts, blackouts).
    """
    profile = "final" if first else SITE_PROFILES[int(rng.choice(3, p=SITE_PROFILE_WEIGHTS))]
    if profile == "final":
        kinds = ["assembly", "test"] + (["electronics"] if rng.random() < 0.4 else [])
    elif profile == "electronics":
        kinds = ["electronics", "test"]
    else:
        kinds = ["composite", "assembly"]
    distance = float(round(rng.uniform(30, 800)))
    near = 2.0 if distance < 150 else 0.5 if distance < 400 else 0.0
    downtime = round(_uniform(rng, 0, 1, 1) + near, 1)
    days = float(rng.choice([5, 6, 6, 7]))
    centers = {kind: _work_center(rng, kind) for kind in kinds}
    return _SiteDraft(site_id, distance, downtime, days, centers, candidate)


def _work_center(rng: Rng, kind: str) -> WorkCenter:
    """A work center with one station; :func:`_size_stations` sets the real number."""
    return WorkCenter(
        id=kind,
        stations=1.0,
        hours_per_day=float(rng.choice([8, 10, 16, 20])),
        efficiency=_uniform(rng, 0.75, 0.95),
    )


def _assign_makes(
    rng: Rng, drafts: list[_SiteDraft], catalog: _Catalog, steady: list[_SiteDraft]
) -> None:
    """Each site makes some of the items its work centers cover; an item none of the ``steady``
    sites makes is added to one of them, with the work centers it lacks."""
    for draft in drafts:
        for item in catalog.made:
            covered = all(center in draft.centers for center in catalog.centers_of(item))
            if covered and rng.random() < MAKE_PROBABILITY:
                draft.makes.append(item)
    for item in catalog.made:
        if not any(item in draft.makes for draft in steady):
            _add_item(rng, steady[int(rng.integers(len(steady)))], item, catalog)
    for draft in drafts:
        if not draft.makes:
            _add_item(rng, draft, _pick(rng, catalog.made), catalog)
        draft.makes = [item for item in catalog.made if item in draft.makes]


def _add_item(rng: Rng, draft: _SiteDraft, item: str, catalog: _Catalog) -> None:
    for center in catalog.centers_of(item):
        if center not in draft.centers:
            draft.centers[center] = _work_center(rng, center)
    draft.makes.append(item)


def _reference_plan(
    rng: Rng, drafts: list[_SiteDraft], per_mix: dict[str, float], rate: float
) -> ReferencePlan:
    """Units of each item each site starts per period to make ``rate`` units of the mix.

    Item ``i`` needs ``rate * per_mix[i]`` starts, split among its regular makers by random
    weights in [0.5, 1.5]; a candidate gets what a regular maker of the same weight would.
    """
    weights = {d.id: {item: float(rng.uniform(0.5, 1.5)) for item in d.makes} for d in drafts}
    total: dict[str, float] = {}
    for draft in drafts:
        if not draft.candidate:
            for item in draft.makes:
                total[item] = total.get(item, 0.0) + weights[draft.id][item]
    return {
        d.id: {item: rate * per_mix[item] * w / total[item] for item, w in weights[d.id].items()}
        for d in drafts
    }


def _center_load(site_plan: dict[str, float], catalog: _Catalog) -> dict[str, float]:
    """Hours per period each work-center kind needs to run a site's plan."""
    load: dict[str, float] = {}
    for item, units in site_plan.items():
        for kind, minutes in catalog.routing[item]:
            load[kind] = load.get(kind, 0.0) + units * minutes / 60.0
    return load


def _size_stations(
    rng: Rng, drafts: list[_SiteDraft], catalog: _Catalog, plan: ReferencePlan, period_days: int
) -> None:
    """Give each work center the whole stations that run its load at 70-95% utilisation (one
    station for a work center the plan leaves idle)."""
    for draft in drafts:
        utilisation = float(rng.uniform(0.7, 0.95))
        load = _center_load(plan[draft.id], catalog)
        for kind, center in draft.centers.items():
            hours = center.hours_per_day - draft.downtime_hours_per_day
            per_station = hours * draft.days_per_week * period_days / 7 * center.efficiency
            stations = max(1, math.ceil(load.get(kind, 0.0) / (per_station * utilisation)))
            draft.centers[kind] = center.model_copy(update={"stations": float(stations)})


def _schedule(rng: Rng, options: GeneratorOptions) -> tuple[list[int], int | None]:
    """Indices of the regular sites that open mid-horizon (``opening_share`` of them, a fifth by
    default, never the first) and
    of the one that closes before the end (with 5 sites or more)."""
    later = list(range(1, options.sites))
    openers: list[int] = []
    if later and options.periods >= 2:
        count = min(len(later), max(1, round(options.opening_share * options.sites)))
        openers = sorted(int(n) for n in rng.choice(later, size=count, replace=False))
    rest = [n for n in later if n not in openers]
    closer = None
    if options.sites >= 5 and options.periods >= 8 and rest:
        closer = rest[int(rng.integers(len(rest)))]
    return openers, closer


@dataclass(frozen=True)
class _Calendar:
    opens: date | None = None
    closes: date | None = None
    ramp_periods: int = 0
    ramp_start_efficiency: float = 1.0


def _calendar(
    rng: Rng, horizon: Horizon, candidate: bool, opens_late: bool, closes_early: bool
) -> _Calendar:
    """Opening (with ramp-up) and closing dates of a site."""
    periods = horizon.periods
    if candidate:
        period = int(rng.integers(1, min(periods, 4) + 1))
        opens = timeline.period_start(horizon, period)
        return _Calendar(opens, None, int(rng.integers(4, 9)), _uniform(rng, 0.4, 0.6))
    if opens_late:
        period = int(rng.integers(2, max(2, math.ceil(periods / 2)) + 1))
        ramp = int(rng.integers(2, 9))
        return _Calendar(_day_in_period(rng, horizon, period), None, ramp, _uniform(rng, 0.3, 0.7))
    if closes_early:
        period = int(rng.integers(math.ceil(0.75 * periods), periods + 1))
        return _Calendar(closes=_day_in_period(rng, horizon, period))
    return _Calendar()


def _makers(sites: int) -> list[str]:
    return [f"maker-{n}" for n in range(1, min(3, sites) + 1)]


def _site(rng: Rng, draft: _SiteDraft, operator: str, calendar: _Calendar) -> Site:
    """The site row."""
    distance = draft.distance_km
    region = "Front" if distance < 150 else "Central" if distance < 400 else "Western"
    fixed = float(round(rng.uniform(20_000, 80_000), -2)) if draft.candidate else 0.0
    return Site(
        id=draft.id,
        name=f"{region} line {draft.id.split('-')[1]}",
        operator=operator,
        distance_to_front_km=draft.distance_km,
        opens=calendar.opens,
        closes=calendar.closes,
        days_per_week=draft.days_per_week,
        labour_cost_per_hour=_uniform(rng, 12, 30),
        downtime_hours_per_day=draft.downtime_hours_per_day,
        ramp_periods=calendar.ramp_periods,
        ramp_start_efficiency=calendar.ramp_start_efficiency,
        candidate=draft.candidate,
        fixed_cost_per_period=fixed,
        makes=draft.makes,
        work_centers=list(draft.centers.values()),
    )


# -- capacity and demand --------------------------------------------------------------------------


def _mix_starts(catalog: _Catalog, mix: list[float]) -> dict[str, float]:
    """Units of each item started or bought per unit of the product mix."""
    per_mix: dict[str, float] = {}
    for product, share in zip(catalog.products, mix, strict=True):
        for item, quantity in catalog.starts(product).items():
            per_mix[item] = per_mix.get(item, 0.0) + share * quantity
    return per_mix


def _capacity(
    sites: list[Site],
    plan: ReferencePlan,
    catalog: _Catalog,
    per_mix: dict[str, float],
    horizon: Horizon,
) -> FloatArray:
    """Units of the product mix the sites can make in each period, shape ``(periods,)``.

    Each site runs its reference plan scaled by its headroom ``h(s, t) = min over its loaded
    work centers w of available_hours(s, w, t) / load(s, w)`` (ramp-up and opening dates
    included); the network makes ``min over items i of sum_s h(s, t) * plan(s, i) /
    per_mix(i)``. Materials and lanes are ignored, and a planner may shift work between sites,
    so the true capacity is somewhat higher: this is a feasible rate, not the optimum.
    """
    output = {item: np.zeros(horizon.periods) for item in catalog.made}
    for site in sites:
        headroom = _headroom(site, plan[site.id], catalog, horizon)
        for item, units in plan[site.id].items():
            output[item] += units * headroom
    rates = [output[item] / per_mix[item] for item in catalog.made if item in per_mix]
    return np.asarray(np.min(rates, axis=0), dtype=np.float64)


def _headroom(
    site: Site, site_plan: dict[str, float], catalog: _Catalog, horizon: Horizon
) -> FloatArray:
    """How many times a site's plan fits in each period's available hours, shape ``(periods,)``."""
    load = _center_load(site_plan, catalog)
    fits = [
        timeline.available_hours(site, center, horizon) / load[center.id]
        for center in site.work_centers
        if load.get(center.id, 0.0) > 0
    ]
    return np.asarray(np.min(fits, axis=0), dtype=np.float64)


def _demand_level(capacity: FloatArray) -> FloatArray:
    """Units demanded per period: from 70% of the period's capacity in the first period to 110%
    in the last, growing linearly (and with the capacity as sites open and ramp up)."""
    load = np.linspace(LOAD_START, LOAD_END, len(capacity))
    return np.asarray(load * capacity, dtype=np.float64)


def _part_need(catalog: _Catalog, per_mix: dict[str, float], units: float) -> dict[str, float]:
    """Purchased units per period at ``units`` units of the product mix per period."""
    return {part: units * per_mix.get(part, 0.0) for part in catalog.parts}


def _demand(
    rng: Rng,
    options: GeneratorOptions,
    horizon: Horizon,
    level: FloatArray,
    mix: list[float],
    shares: list[float],
) -> list[Demand]:
    """Demand rows sorted by due date: one per (customer, product, period), or ``demand_rows``
    samples of those cells with replacement; the expected total is ``sum(level)`` either way."""
    cells = options.customers * options.products * options.periods
    if options.demand_rows is None:
        customer, product, period = np.unravel_index(
            np.arange(cells), (options.customers, options.products, options.periods)
        )
        scale = 1.0
    else:
        count = options.demand_rows
        customer = rng.integers(options.customers, size=count)
        product = rng.integers(options.products, size=count)
        period = rng.integers(options.periods, size=count)
        scale = cells / max(count, 1)
    expected = level[period] * np.asarray(mix)[product] * np.asarray(shares)[customer] * scale
    quantity = np.maximum(1.0, np.rint(expected * rng.uniform(0.85, 1.15, size=len(expected))))
    day = period * horizon.period_days + rng.integers(horizon.period_days, size=len(expected))
    order = np.lexsort((product, customer, day))
    return [
        Demand(
            customer=f"cust-{int(customer[n]) + 1}",
            item=f"prod-{int(product[n]) + 1}",
            due=horizon.start + timedelta(days=int(day[n])),
            quantity=float(quantity[n]),
        )
        for n in order
    ]
