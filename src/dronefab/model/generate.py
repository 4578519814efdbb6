"""Synthetic scenarios of any size, for benchmarks, tests and trying the product out.

:func:`generate_scenario` builds a network that exercises every mechanism of the format: a
multi-level bill of materials with yields, routings on four kinds of work center, sites opening
mid-horizon with a ramp-up (and one closing), downtime, labour cost, candidate sites, suppliers
with second sources and capacity chokepoints, orders already placed, opening stock, customers
with penalties, delivery and transfer lanes, demand that grows to about the network's capacity,
and a risks block. Every random draw comes from one ``numpy.random.default_rng(seed)`` in a
fixed order, so the same options always give the same scenario, byte for byte once written.

The network is built around a *reference plan*, so that it makes sense at any size: each
regular site gets a share of the items its work centers can make, its stations are sized to run
that share at 70-95% utilisation, transfer and delivery lanes are laid so that the plan's flows
can travel, opening stock bridges the suppliers' lead times, and demand grows from 70% to 110% of
what the plan could deliver in each period (sites opening and ramping up included). A planner
therefore finds some late units, mostly in the first and last periods, and rarely many.

Examples
--------
>>> scenario = generate_scenario(GeneratorOptions(sites=3, periods=8, seed=1))
>>> [site.id for site in scenario.sites]
['site-001', 'site-002', 'site-003']
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from dronefab.errors import UsageError
from dronefab.model import timeline
from dronefab.model.scenario import Scenario
from dronefab.model.schema import (
    AlertParams,
    BomLine,
    Customer,
    Demand,
    Horizon,
    Item,
    ItemKind,
    Lane,
    LaneRisk,
    OnOrder,
    Organization,
    Risks,
    RoutingStep,
    Site,
    SiteRisk,
    StrikeBand,
    StrikeParams,
    Supplier,
    SupplierRisk,
    Supply,
    WorkCenter,
)
from dronefab.model.timeline import FloatArray
from dronefab.model.writers import write_yaml

Rng = np.random.Generator

ASSEMBLY_KINDS = ("electronics", "composite", "mechanical")
SITE_PROFILES = ("final", "electronics", "composite")
SITE_PROFILE_WEIGHTS = (0.5, 0.25, 0.25)
MAKE_PROBABILITY = 0.7
LANE_PROBABILITY = 0.8
LEAD_TIMES_DAYS = (0, 3, 7, 14, 21, 30, 45, 60, 90, 120)
LEAD_TIME_WEIGHTS = (0.05, 0.1, 0.15, 0.2, 0.15, 0.1, 0.1, 0.07, 0.05, 0.03)
LOAD_START, LOAD_END = 0.7, 1.1  # demand as a share of mean capacity, first and last period
LABOUR_COST_OF_VALUE = 25.0  # per work-center hour, for item values (holding costs)
HOLDING_SHARE = 0.005  # holding cost per period as a share of an item's value

PRODUCT_NAMES = ("FPV strike quad", "Recon fixed-wing", "Interceptor", "Heavy hexacopter")
ASSEMBLY_NAMES = {
    "electronics": "Flight controller",
    "composite": "Airframe",
    "mechanical": "Propulsion unit",
}
PART_NAMES = (
    "Motor",
    "ESC",
    "Camera",
    "Battery cell",
    "Propeller",
    "GNSS module",
    "Radio link",
    "Carbon sheet",
    "Fastener kit",
    "Wiring harness",
    "Thermal sensor",
    "Antenna",
)
CUSTOMER_NAMES = ("Army", "Air assault forces", "Territorial defence", "Navy", "Border guard")
COUNTRIES = ("UA", "PL", "DE", "CZ", "FR", "US", "TW", "JP", "CN")


@dataclass(frozen=True)
class GeneratorOptions:
    """What to generate.

    Parameters
    ----------
    sites
        Production sites of the base network (``site-001`` ...).
    periods
        Periods in the horizon.
    seed
        Seed of the one random generator; the same options give the same scenario.
    demand_rows
        Demand rows to generate, sampling (customer, product, period) with replacement; None
        gives one row per customer, product and period.
    products, customers
        Numbers of products and customers.
    candidates
        Extra candidate sites (``candidate: true``, with a fixed cost per period).
    start, period_days
        First day and period length of the horizon.

    Raises
    ------
    UsageError
        If an option makes no sense (fewer than one site, a negative seed...).
    """

    sites: int = 10
    periods: int = 52
    seed: int = 0
    demand_rows: int | None = None
    products: int = 2
    customers: int = 2
    candidates: int = 0
    start: date = date(2027, 1, 4)
    period_days: int = 7

    def __post_init__(self) -> None:
        problems = _option_problems(self)
        if problems:
            message = "invalid generator options: " + "; ".join(problems)
            raise UsageError(message)


def _option_problems(options: GeneratorOptions) -> list[str]:
    """Every way the options make no sense, phrased for the user."""
    bounds: dict[str, tuple[object, int, int | None]] = {
        "sites": (options.sites, 1, None),
        "periods": (options.periods, 1, 10_000),
        "products": (options.products, 1, None),
        "customers": (options.customers, 1, None),
        "candidates": (options.candidates, 0, None),
        "period_days": (options.period_days, 1, 366),
        "seed": (options.seed, 0, None),
        "demand_rows": (options.demand_rows, 0, None),
    }
    problems = []
    for name, (value, low, high) in bounds.items():
        if value is None and name == "demand_rows":
            continue
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{name} must be a whole number, got {value!r}")
        elif value < low:
            problems.append(f"{name} must be at least {low}, got {value}")
        elif high is not None and value > high:
            problems.append(f"{name} must be at most {high}, got {value}")
    if not isinstance(options.start, date):
        problems.append(f"start must be a date, got {options.start!r}")
    elif not problems and (date.max - options.start).days < options.periods * options.period_days:
        problems.append("the horizon would end after the year 9999; use fewer or shorter periods")
    return problems


def generate_scenario(options: GeneratorOptions) -> Scenario:
    """Build a synthetic production network.

    Parameters
    ----------
    options
        Sizes, seed and calendar.

    Returns
    -------
    Scenario
        A scenario that :func:`~dronefab.model.loader.load_scenario` accepts with no errors
        once written; the same options give an identical scenario.
    """
    rng = np.random.default_rng(options.seed)
    horizon = Horizon(start=options.start, periods=options.periods, period_days=options.period_days)
    catalog = _catalog(rng, options.products)
    mix = _shares(rng, options.products)
    shares = _shares(rng, options.customers)
    per_mix = _mix_starts(catalog, mix)
    sites, plan = _sites(rng, options, horizon, catalog, per_mix)
    base = [site for site in sites if not site.candidate]
    level = _demand_level(_capacity(base, plan, catalog, per_mix, horizon))
    need = _part_need(catalog, per_mix, float(level.mean()))
    suppliers, exposed = _suppliers(rng, catalog, _part_need(catalog, per_mix, float(level.max())))
    stock = _opening_stock(rng, base, catalog, plan, _slowest(suppliers), need, horizon)
    sites = [
        site.model_copy(update={"initial_inventory": stock.get(site.id, {})}) for site in sites
    ]
    on_order = _on_order(rng, base, catalog, suppliers, need, horizon)
    customers = _customers(rng, options.customers)
    lanes = _lanes(rng, sites, customers, catalog, plan, shares)
    demand = _demand(rng, options, horizon, level, mix, shares)
    return Scenario(
        name=f"synthetic-{options.sites}-sites-{options.periods}-periods-seed-{options.seed}",
        horizon=horizon,
        organizations=_organizations(options),
        items=catalog.item_rows(),
        bom=catalog.bom_rows(),
        routings=catalog.routing_rows(),
        sites=sites,
        suppliers=suppliers,
        on_order=on_order,
        customers=customers,
        lanes=lanes,
        demand=demand,
        risks=_risks(rng, sites, exposed),
    )


def write_generated(scenario: Scenario, folder: str | os.PathLike[str]) -> Path:
    """Write a scenario as ``folder/scenario.yaml`` with its demand in ``demand.csv`` beside it.

    Parameters
    ----------
    scenario
        The scenario (usually from :func:`generate_scenario`).
    folder
        Where to write; created if needed.

    Returns
    -------
    Path
        The YAML file.
    """
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    path = target / "scenario.yaml"
    write_yaml(scenario, path, csv_tables=["demand"])
    return path


# -- small helpers --------------------------------------------------------------------------------


def _ids(prefix: str, count: int, width: int) -> list[str]:
    """``prefix-01`` ... zero-padded to ``width`` digits (more when ``count`` needs them)."""
    digits = max(width, len(str(count)))
    return [f"{prefix}-{n:0{digits}d}" for n in range(1, count + 1)]


def _pick(rng: Rng, values: list[str]) -> str:
    return values[int(rng.integers(len(values)))]


def _uniform(rng: Rng, low: float, high: float, decimals: int = 2) -> float:
    return round(float(rng.uniform(low, high)), decimals)


def _shares(rng: Rng, count: int) -> list[float]:
    """Random weights in [1, 3], normalised to sum to 1."""
    weights = rng.uniform(1.0, 3.0, size=count)
    return [float(w) for w in weights / weights.sum()]


def _day_in_period(rng: Rng, horizon: Horizon, period: int) -> date:
    offset = int(rng.integers(horizon.period_days))
    return timeline.period_start(horizon, period) + timedelta(days=offset)


# -- items, bill of materials, routings -----------------------------------------------------------


@dataclass
class _Catalog:
    """What is built and from what, before it becomes table rows.

    ``made`` lists products then assemblies by level, so a parent always comes before its
    components (the order used to explode requirements).
    """

    products: list[str]
    assemblies: list[str]
    parts: list[str]
    names: dict[str, str]
    components: dict[str, dict[str, float]]  # parent -> component -> quantity
    routing: dict[str, list[tuple[str, float]]]  # made item -> (work center, minutes) by step
    yields: dict[str, float]
    prices: dict[str, float]  # purchased item -> base unit cost
    values: dict[str, float] = field(default_factory=dict)

    @property
    def made(self) -> list[str]:
        """Products, then assemblies from the top level down."""
        return [*self.products, *self.assemblies]

    def centers_of(self, item: str) -> list[str]:
        """Work centers a made item's routing uses."""
        return [center for center, _ in self.routing[item]]

    def starts(self, product: str) -> dict[str, float]:
        """Units of each item started or bought per good unit of ``product``, yields included."""
        need: dict[str, float] = {product: 1.0}
        started: dict[str, float] = {}
        for item in self.made:
            if item not in need:
                continue
            started[item] = need[item] / self.yields[item]
            for component, quantity in self.components[item].items():
                need[component] = need.get(component, 0.0) + started[item] * quantity
        return started | {part: need[part] for part in self.parts if part in need}

    def item_rows(self) -> list[Item]:
        """The items table."""
        rows = []
        groups: list[tuple[ItemKind, list[str]]] = [
            ("product", self.products),
            ("assembly", self.assemblies),
            ("purchased", self.parts),
        ]
        for kind, ids in groups:
            for item in ids:
                holding = max(0.01, round(HOLDING_SHARE * self.values[item], 2))
                rows.append(
                    Item(
                        id=item,
                        name=self.names[item],
                        kind=kind,
                        holding_cost=holding,
                        yield_rate=self.yields.get(item, 1.0),
                    )
                )
        return rows

    def bom_rows(self) -> list[BomLine]:
        """The bom table."""
        return [
            BomLine(parent=parent, component=component, quantity=quantity)
            for parent in self.made
            for component, quantity in self.components[parent].items()
        ]

    def routing_rows(self) -> list[RoutingStep]:
        """The routings table, steps numbered 10, 20, ..."""
        return [
            RoutingStep(item=item, step=10 * (n + 1), work_center=center, minutes=minutes)
            for item in self.made
            for n, (center, minutes) in enumerate(self.routing[item])
        ]


def _catalog(rng: Rng, products: int) -> _Catalog:
    """Products, 1-3 levels of assemblies and purchased parts, with BOM, routings and yields.

    Two products come with 3 assemblies and 12 parts; each further product adds one assembly
    and two parts.
    """
    product_ids = [f"prod-{n}" for n in range(1, products + 1)]
    levels = _assembly_levels(rng, products + 1)
    assembly_ids = _ids("asm", len(levels), 2)
    part_ids = _ids("part", 8 + 2 * products, 2)
    offset = int(rng.integers(len(ASSEMBLY_KINDS)))
    kinds = [ASSEMBLY_KINDS[(n + offset) % len(ASSEMBLY_KINDS)] for n in range(len(levels))]
    names = _names(product_ids, assembly_ids, kinds, part_ids)
    components = _bom(rng, product_ids, assembly_ids, levels, part_ids)
    routing = {item: _routing(rng, "product") for item in product_ids}
    routing |= {item: _routing(rng, kind) for item, kind in zip(assembly_ids, kinds, strict=True)}
    yields = {item: _uniform(rng, 0.9, 1.0, 3) for item in [*product_ids, *assembly_ids]}
    prices = {part: round(float(rng.lognormal(3.0, 1.0)) + 0.5, 2) for part in part_ids}
    catalog = _Catalog(
        product_ids, assembly_ids, part_ids, names, components, routing, yields, prices
    )
    catalog.values = _values(catalog)
    return catalog


def _assembly_levels(rng: Rng, count: int) -> list[int]:
    """The BOM level of each assembly (1 is used by products), ascending; 2 or 3 levels."""
    depth = min(count, int(rng.integers(2, 4)))
    extra = [int(level) for level in rng.integers(1, depth + 1, size=count - depth)]
    return sorted([*range(1, depth + 1), *extra])


def _names(
    products: list[str], assemblies: list[str], kinds: list[str], parts: list[str]
) -> dict[str, str]:
    names = {p: f"{PRODUCT_NAMES[n % len(PRODUCT_NAMES)]} {n + 1}" for n, p in enumerate(products)}
    for item, kind in zip(assemblies, kinds, strict=True):
        names[item] = f"{ASSEMBLY_NAMES[kind]} {item.split('-')[1]}"
    for n, part in enumerate(parts):
        names[part] = f"{PART_NAMES[n % len(PART_NAMES)]} {part.split('-')[1]}"
    return names


def _bom(
    rng: Rng, products: list[str], assemblies: list[str], levels: list[int], parts: list[str]
) -> dict[str, dict[str, float]]:
    """Parent -> component -> quantity; acyclic because components sit one level deeper.

    Every assembly has a parent one level up, every product uses at least one top-level
    assembly, every made item uses 2-4 parts and every part is used somewhere.
    """
    components: dict[str, dict[str, float]] = {item: {} for item in [*products, *assemblies]}
    at_level: dict[int, list[str]] = {0: products}
    for item, level in zip(assemblies, levels, strict=True):
        at_level.setdefault(level, []).append(item)
    for item, level in zip(assemblies, levels, strict=True):
        components[_pick(rng, at_level[level - 1])][item] = float(rng.choice([1, 1, 1, 2]))
    for product in products:
        if not components[product]:
            components[product][_pick(rng, at_level[1])] = 1.0
    made = [*products, *assemblies]
    for item in made:
        count = min(len(parts), int(rng.integers(2, 5)))
        for index in rng.choice(len(parts), size=count, replace=False):
            components[item][parts[int(index)]] = float(rng.choice([1, 1, 1, 2, 4]))
    used = {component for lines in components.values() for component in lines}
    for part in parts:
        if part not in used:
            components[_pick(rng, made)][part] = 1.0
    return components


def _routing(rng: Rng, kind: str) -> list[tuple[str, float]]:
    """Work centers and minutes per unit started for a product or an assembly kind."""
    if kind == "product":
        return [("assembly", _minutes(rng, 60, 150)), ("test", _minutes(rng, 20, 60))]
    if kind == "electronics":
        return [("electronics", _minutes(rng, 20, 60)), ("test", _minutes(rng, 5, 15))]
    if kind == "composite":
        steps = [("composite", _minutes(rng, 30, 90))]
        if rng.random() < 0.5:
            steps.append(("assembly", _minutes(rng, 5, 20)))
        return steps
    return [("assembly", _minutes(rng, 15, 45))]


def _minutes(rng: Rng, low: float, high: float) -> float:
    return float(round(rng.uniform(low, high)))


def _values(catalog: _Catalog) -> dict[str, float]:
    """Unit value of every item: parts at price, made items at components plus labour."""
    values = dict(catalog.prices)
    for item in reversed(catalog.made):  # components before parents
        material = sum(q * values[c] for c, q in catalog.components[item].items())
        hours = sum(minutes for _, minutes in catalog.routing[item]) / 60.0
        values[item] = material / catalog.yields[item] + hours * LABOUR_COST_OF_VALUE
    return values


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
    """Indices of the regular sites that open mid-horizon (about a fifth, never the first) and
    of the one that closes before the end (with 5 sites or more)."""
    later = list(range(1, options.sites))
    openers: list[int] = []
    if later and options.periods >= 2:
        count = min(len(later), max(1, round(0.2 * options.sites)))
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


# -- suppliers, orders, stock ---------------------------------------------------------------------


def _suppliers(
    rng: Rng, catalog: _Catalog, need: dict[str, float]
) -> tuple[list[Supplier], list[str]]:
    """About one supplier per 2.5 parts; every part has a primary source, chokepoint parts (about
    one in six) and some others a second one.

    A chokepoint's sources have finite capacity: 60-90% of ``need`` (the need at peak demand)
    for the primary and 30-60% for the second source.

    Returns
    -------
    suppliers, chokepoint_suppliers
        The suppliers table and the ids of the suppliers of chokepoint parts.
    """
    ids = _ids("sup", max(2, round(len(catalog.parts) / 2.5)), 2)
    order = rng.permutation(len(catalog.parts))
    primary = {catalog.parts[int(j)]: n % len(ids) for n, j in enumerate(order)}
    count = max(1, round(len(catalog.parts) / 6))
    chokepoints = [catalog.parts[int(j)] for j in rng.choice(len(catalog.parts), count, False)]
    supplies: list[list[Supply]] = [[] for _ in ids]
    risky: list[str] = []
    for part in catalog.parts:
        first = primary[part]
        choke = part in chokepoints
        supplies[first].append(_supply(rng, part, catalog.prices[part], need[part], choke, 0.6))
        if choke or rng.random() < 0.3:
            second = (first + 1 + int(rng.integers(len(ids) - 1))) % len(ids)
            price = catalog.prices[part] * rng.uniform(0.9, 1.3)
            supplies[second].append(_supply(rng, part, price, need[part], choke, 0.3))
        if choke and ids[first] not in risky:
            risky.append(ids[first])
    suppliers = [
        Supplier(
            id=supplier_id,
            name=f"Supplier {supplier_id.split('-')[1]}",
            country=_pick(rng, list(COUNTRIES)),
            supplies=sorted(rows, key=lambda supply: supply.item),
        )
        for supplier_id, rows in zip(ids, supplies, strict=True)
    ]
    return suppliers, sorted(risky)


def _supply(
    rng: Rng, part: str, price: float, need: float, chokepoint: bool, share: float
) -> Supply:
    """One supplies row; a chokepoint source can deliver ``share`` to ``share + 0.3`` of need."""
    lead_time = float(rng.choice(LEAD_TIMES_DAYS, p=LEAD_TIME_WEIGHTS))
    capacity = float(max(1, round(need * rng.uniform(share, share + 0.3)))) if chokepoint else None
    return Supply(
        item=part, lead_time_days=lead_time, unit_cost=round(price, 2), capacity_per_period=capacity
    )


def _users(sites: list[Site], catalog: _Catalog) -> dict[str, list[Site]]:
    """Sites that consume each purchased part (they make an item whose BOM lists it)."""
    users: dict[str, list[Site]] = {part: [] for part in catalog.parts}
    for site in sites:
        consumed = {c for item in site.makes for c in catalog.components[item]}
        for part in catalog.parts:
            if part in consumed:
                users[part].append(site)
    return users


def _opening_stock(
    rng: Rng,
    sites: list[Site],
    catalog: _Catalog,
    plan: ReferencePlan,
    slowest: dict[str, float],
    need: dict[str, float],
    horizon: Horizon,
) -> dict[str, dict[str, float]]:
    """Initial inventory by site.

    Each part covers 90-120% of its need until its slowest source delivers, plus two periods
    (the horizon at most), shared among the sites in proportion to their use in the reference
    plan. Half the items a site makes have work in progress: 50-150% of a period's planned
    output.
    """
    stock: dict[str, dict[str, float]] = {site.id: {} for site in sites}
    for part in catalog.parts:
        use = {site.id: _use(catalog, plan[site.id], part) for site in sites}
        lead = timeline.lead_time_periods(slowest[part], horizon.period_days)
        units = need[part] * min(horizon.periods, lead + 2) / sum(use.values())
        for site_id, used in use.items():
            if used > 0:
                stock[site_id][part] = float(round(units * used * rng.uniform(0.9, 1.2)))
    for site in sites:
        for item, units in plan[site.id].items():
            if rng.random() < 0.5:
                stock[site.id][item] = float(round(units * rng.uniform(0.5, 1.5)))
    return stock


def _slowest(suppliers: list[Supplier]) -> dict[str, float]:
    """The longest lead time in days among each part's sources."""
    slowest: dict[str, float] = {}
    for supplier in suppliers:
        for supply in supplier.supplies:
            slowest[supply.item] = max(slowest.get(supply.item, 0.0), supply.lead_time_days)
    return slowest


def _on_order(
    rng: Rng,
    sites: list[Site],
    catalog: _Catalog,
    suppliers: list[Supplier],
    need: dict[str, float],
    horizon: Horizon,
) -> list[OnOrder]:
    """Orders already placed for about a third of the parts, arriving in the first six periods."""
    sources: dict[str, list[str]] = {part: [] for part in catalog.parts}
    for supplier in suppliers:
        for supply in supplier.supplies:
            sources[supply.item].append(supplier.id)
    users = _users(sites, catalog)
    count = max(1, round(len(catalog.parts) / 3))
    rows = []
    for index in sorted(rng.choice(len(catalog.parts), size=count, replace=False)):
        part = catalog.parts[int(index)]
        period = int(rng.integers(1, min(horizon.periods, 6) + 1))
        rows.append(
            OnOrder(
                supplier=_pick(rng, sources[part]),
                item=part,
                site=users[part][int(rng.integers(len(users[part])))].id,
                arrival=_day_in_period(rng, horizon, period),
                quantity=float(max(1, round(need[part] * rng.uniform(0.5, 1.5)))),
            )
        )
    return rows


# -- customers, lanes, organizations, risks -------------------------------------------------------


def _customers(rng: Rng, count: int) -> list[Customer]:
    """Customers with penalties falling from ``cust-1`` (1000 per unit-period) down."""
    penalties = [
        1000.0,
        *sorted((_uniform(rng, 200, 900, 0) for _ in range(count - 1)), reverse=True),
    ]
    return [
        Customer(
            id=f"cust-{n + 1}",
            name=f"{CUSTOMER_NAMES[n % len(CUSTOMER_NAMES)]} {n + 1}",
            backlog_penalty=penalty,
            unmet_penalty=float(round(penalty * rng.uniform(5, 10), -1)),
            organization=f"cust-{n + 1}",
        )
        for n, penalty in enumerate(penalties)
    ]


def _lanes(
    rng: Rng,
    sites: list[Site],
    customers: list[Customer],
    catalog: _Catalog,
    plan: ReferencePlan,
    shares: list[float],
) -> list[Lane]:
    """Delivery lanes from product sites to customers and transfer lanes between sites.

    The lanes can carry the reference plan's flows (see :func:`_flow_pairs`); on top of those,
    each product site gets a lane to each customer with probability 0.8 (and to one at least),
    and about one spare transfer lane per ten sites is added.
    """
    by_id = {site.id: site for site in sites}
    lanes: dict[tuple[str, str], Lane] = {}
    for source, customer in _delivery_pairs(rng, sites, customers, catalog, plan, shares):
        lanes.setdefault((source, customer), _delivery(rng, by_id[source], customer))
    for source, target in _transfer_pairs(rng, sites, catalog, plan):
        lanes.setdefault((source, target), _transfer(rng, by_id[source], by_id[target]))
    return list(lanes.values())


def _delivery_pairs(
    rng: Rng,
    sites: list[Site],
    customers: list[Customer],
    catalog: _Catalog,
    plan: ReferencePlan,
    shares: list[float],
) -> list[tuple[str, str]]:
    """(site, customer) pairs: the flows of each product to the customers' shares, then random
    ones from every product site."""
    regular = [site for site in sites if not site.candidate]
    demand = {customer.id: share for customer, share in zip(customers, shares, strict=True)}
    pairs = []
    for product in catalog.products:
        supply = {site.id: plan[site.id][product] for site in regular if product in plan[site.id]}
        pairs += _flow_pairs(rng, supply, demand)
    products = set(catalog.products)
    for site in sites:
        if not products.intersection(site.makes):
            continue
        chosen = [c.id for c in customers if rng.random() < LANE_PROBABILITY]
        pairs += [(site.id, customer) for customer in chosen or [_pick(rng, list(demand))]]
    return pairs


def _transfer_pairs(
    rng: Rng, sites: list[Site], catalog: _Catalog, plan: ReferencePlan
) -> list[tuple[str, str]]:
    """(from, to) site pairs: the flows of each assembly from its makers to its users on the
    regular sites; for a candidate, one lane from a maker of each assembly it uses and one to a
    user of each it makes; then about one spare pair per ten sites."""
    regular = [site for site in sites if not site.candidate]
    pairs = []
    for item in catalog.assemblies:
        made = {s.id: plan[s.id][item] * catalog.yields[item] for s in regular if item in s.makes}
        used = {s.id: _use(catalog, plan[s.id], item) for s in regular}
        pairs += _flow_pairs(rng, made, {site: units for site, units in used.items() if units})
        for site in sites:
            if not site.candidate:
                continue
            makers = [s.id for s in regular if item in s.makes and s.id != site.id]
            users = [s for s, units in used.items() if units and s != site.id]
            if _use(catalog, plan[site.id], item) and item not in site.makes and makers:
                pairs.append((_pick(rng, makers), site.id))
            if item in site.makes and users:
                pairs.append((site.id, _pick(rng, users)))
    if len(sites) >= 2:
        for _ in range(round(len(sites) / 10)):
            source, target = rng.choice(len(sites), size=2, replace=False)
            pairs.append((sites[int(source)].id, sites[int(target)].id))
    return pairs


def _use(catalog: _Catalog, site_plan: dict[str, float], component: str) -> float:
    """Units of ``component`` a site's plan consumes per period."""
    return sum(
        units * catalog.components[parent].get(component, 0.0)
        for parent, units in site_plan.items()
    )


def _flow_pairs(
    rng: Rng, supply: dict[str, float], demand: dict[str, float]
) -> list[tuple[str, str]]:
    """(from, to) pairs along which ``supply`` can meet ``demand`` (scaled to the same total).

    A key in both first serves itself; the rest is matched by the north-west corner rule over
    shuffled sources and sinks, which gives a feasible transport with at most
    ``sources + sinks - 1`` pairs.
    """
    total = sum(supply.values())
    scale = total / sum(demand.values())
    give = dict(supply)
    take = {key: units * scale for key, units in demand.items()}
    for key in give:
        if key in take:
            own = min(give[key], take[key])
            give[key] -= own
            take[key] -= own
    tiny = 1e-9 * total
    sources = [key for key in give if give[key] > tiny]
    sinks = [key for key in take if take[key] > tiny]
    sources = [sources[int(n)] for n in rng.permutation(len(sources))]
    sinks = [sinks[int(n)] for n in rng.permutation(len(sinks))]
    pairs = []
    i = j = 0
    while i < len(sources) and j < len(sinks):
        source, sink = sources[i], sinks[j]
        pairs.append((source, sink))
        amount = min(give[source], take[sink])
        give[source] -= amount
        take[sink] -= amount
        i += give[source] <= tiny
        j += take[sink] <= tiny
    return pairs


def _delivery(rng: Rng, site: Site, customer: str) -> Lane:
    """A site -> customer lane: about a day per 200 km, cost rising with distance."""
    days = float(round(site.distance_to_front_km / 200 + rng.uniform(0, 1.5)))
    cost = round(1 + site.distance_to_front_km * 0.01 + float(rng.uniform(0, 2)), 2)
    return Lane(from_=site.id, to=customer, transit_days=days, cost_per_unit=cost)


def _transfer(rng: Rng, source: Site, target: Site) -> Lane:
    gap = abs(source.distance_to_front_km - target.distance_to_front_km)
    days = float(round(gap / 200 + rng.uniform(0.5, 2.5)))
    return Lane(from_=source.id, to=target.id, transit_days=days, cost_per_unit=_uniform(rng, 1, 6))


def _organizations(options: GeneratorOptions) -> list[Organization]:
    rows = [
        Organization(id="mod", name="Ministry of Defence", role="programme"),
        Organization(id="design", name="Design authority", role="design-authority"),
    ]
    for maker in _makers(options.sites):
        rows.append(Organization(id=maker, name=f"Manufacturer {maker[-1]}", role="manufacturer"))
    for n in range(1, options.customers + 1):
        name = f"{CUSTOMER_NAMES[(n - 1) % len(CUSTOMER_NAMES)]} {n}"
        rows.append(Organization(id=f"cust-{n}", name=name, role="customer"))
    return rows


def _risks(rng: Rng, sites: list[Site], chokepoint_suppliers: list[str]) -> Risks:
    """Strike bands by distance, alerts, lane delays, a few hardened or exposed sites (about one
    in ten) and disruptions at the suppliers of chokepoint parts."""
    median = _uniform(rng, 14, 28, 0)
    count = max(1, round(len(sites) / 10))
    overrides = {
        sites[int(n)].id: SiteRisk(
            strikes_per_year=_uniform(rng, 0.05, 0.3),
            alert_hours_per_day_mean=_uniform(rng, 0.2, 3.0, 1),
        )
        for n in sorted(rng.choice(len(sites), size=count, replace=False))
    }
    disruptions = {}
    for supplier in chokepoint_suppliers:
        days = _uniform(rng, 20, 45, 0)
        disruptions[supplier] = SupplierRisk(
            disruptions_per_year=_uniform(rng, 0.3, 1.5),
            duration_days_median=days,
            duration_days_p90=round(days * float(rng.uniform(2, 3))),
        )
    return Risks(
        seed=int(rng.integers(1, 10_000)),
        strike_rate_by_distance=[
            StrikeBand(max_km=km, per_year=rate)
            for km, rate in ((50, 6.0), (150, 2.0), (400, 0.5), (100_000, 0.15))
        ],
        strike=StrikeParams(
            repair_days_median=median,
            repair_days_p90=round(median * float(rng.uniform(2, 3))),
            inventory_loss_fraction=_uniform(rng, 0.2, 0.4),
        ),
        alerts=AlertParams(
            hours_per_day_mean=_uniform(rng, 1.0, 2.5, 1), hours_per_day_sd=_uniform(rng, 1, 2, 1)
        ),
        sites=overrides,
        suppliers=disruptions,
        lanes=LaneRisk(
            delay_probability=_uniform(rng, 0.05, 0.2), delay_days_mean=_uniform(rng, 2, 5, 1)
        ),
    )
