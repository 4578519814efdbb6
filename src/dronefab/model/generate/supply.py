"""Generated suppliers, orders already placed, opening stock, customers, lanes and risks."""

from __future__ import annotations

import numpy as np

from dronefab.model import timeline
from dronefab.model.generate.catalog import (
    _Catalog,
)
from dronefab.model.generate.common import (
    COUNTRIES,
    CUSTOMER_NAMES,
    LANE_PROBABILITY,
    LEAD_TIME_WEIGHTS,
    LEAD_TIMES_DAYS,
    GeneratorOptions,
    _day_in_period,
    _ids,
    _pick,
    _uniform,
)
from dronefab.model.generate.national import cheap_transfer, dense_transfer_pairs
from dronefab.model.generate.sites import (
    ReferencePlan,
    _makers,
)
from dronefab.model.schema import (
    AlertParams,
    Customer,
    Horizon,
    Lane,
    LaneRisk,
    OnOrder,
    Organization,
    Risks,
    Site,
    SiteRisk,
    StrikeBand,
    StrikeParams,
    Supplier,
    SupplierRisk,
    Supply,
)

Rng = np.random.Generator


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
    density: float | None = None,
) -> list[Lane]:
    """Delivery lanes from product sites to customers and transfer lanes between sites.

    The lanes can carry the reference plan's flows (see :func:`_flow_pairs`); on top of those,
    each product site gets a lane to each customer with probability 0.8 (and to one at least),
    and about one spare transfer lane per ten sites is added. With a ``density``, random
    transfer lanes are added until that share of the ordered pairs of sites has one, and
    every transfer lane takes 1-8 days at 1 a unit (:mod:`.national`).
    """
    by_id = {site.id: site for site in sites}
    lanes: dict[tuple[str, str], Lane] = {}
    for source, customer in _delivery_pairs(rng, sites, customers, catalog, plan, shares):
        lanes.setdefault((source, customer), _delivery(rng, by_id[source], customer))
    transfers = _transfer_pairs(rng, sites, catalog, plan)
    make = _transfer
    if density is not None:
        transfers = dense_transfer_pairs(rng, sites, transfers, density)
        make = cheap_transfer
    for source, target in transfers:
        lanes.setdefault((source, target), make(rng, by_id[source], by_id[target]))
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
