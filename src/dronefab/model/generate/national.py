"""The knobs of the dense national class: many offers per part, dense lanes, sampled stock.

Each function here replaces one step of the default generator when its knob is set
(:class:`~dronefab.model.generate.common.GeneratorOptions`), so the default scenarios stay
byte for byte what they were.
"""

from __future__ import annotations

import numpy as np

from dronefab.model.generate.catalog import _Catalog
from dronefab.model.generate.common import COUNTRIES, GeneratorOptions, _ids, _pick
from dronefab.model.schema import Lane, Site, Supplier, Supply

Rng = np.random.Generator

TRANSFER_DAYS = (1, 8)  # transit of a dense transfer lane, days (both included)
CAPACITY_SHARE = (0.2, 0.6)  # a capacitated offer's capacity, as a share of the part's need


def offer_suppliers(
    rng: Rng, catalog: _Catalog, need: dict[str, float], options: GeneratorOptions
) -> tuple[list[Supplier], list[str]]:
    """``options.suppliers`` suppliers, each offering a random 2-5 (``offers_per_supplier``)
    of the purchased parts; a part nobody offers is added to a random supplier with room
    for one more (any supplier when none has).

    Each offer costs 0.9-1.3 times the part's base price and takes 0 to ``max_lead_days``
    days; with probability ``capacitated_share`` it can deliver 20-60% of ``need`` per period
    (``need`` at peak demand), otherwise any quantity.

    Returns
    -------
    suppliers, exposed
        The suppliers table and the ids of about one supplier in six (at least one), the
        ones the risks block gives disruptions.
    """
    count = options.suppliers or 1
    low, high = options.offers_per_supplier
    offered: list[list[str]] = []
    for _ in range(count):
        size = min(len(catalog.parts), int(rng.integers(low, high + 1)))
        picks = rng.choice(len(catalog.parts), size=size, replace=False)
        offered.append([catalog.parts[int(n)] for n in sorted(picks)])
    for part in catalog.parts:
        if not any(part in parts for parts in offered):
            room = [n for n, parts in enumerate(offered) if len(parts) < high] or list(range(count))
            offered[room[int(rng.integers(len(room)))]].append(part)
    ids = _ids("sup", count, 2)
    suppliers = [
        Supplier(
            id=supplier_id,
            name=f"Supplier {supplier_id.split('-')[1]}",
            country=_pick(rng, list(COUNTRIES)),
            supplies=sorted(
                (_offer(rng, part, catalog.prices[part], need[part], options) for part in parts),
                key=lambda supply: supply.item,
            ),
        )
        for supplier_id, parts in zip(ids, offered, strict=True)
    ]
    exposed = rng.choice(count, size=max(1, round(count / 6)), replace=False)
    return suppliers, sorted(ids[int(n)] for n in exposed)


def _offer(rng: Rng, part: str, price: float, need: float, options: GeneratorOptions) -> Supply:
    lead_time = float(rng.integers(0, options.max_lead_days + 1))
    unit_cost = round(price * float(rng.uniform(0.9, 1.3)), 2)
    capacity = None
    if rng.random() < options.capacitated_share:
        capacity = float(max(1, round(need * rng.uniform(*CAPACITY_SHARE))))
    return Supply(
        item=part, lead_time_days=lead_time, unit_cost=unit_cost, capacity_per_period=capacity
    )


def sampled_stock(
    rng: Rng,
    sites: list[Site],
    catalog: _Catalog,
    per_period: dict[str, float],
    counts: tuple[int, int, int],
) -> dict[str, dict[str, float]]:
    """Initial inventory by site: ``counts`` = (parts, products, assemblies) items drawn at
    random for each site, each 1-4 periods of its share of the network's need.

    ``per_period`` is the network's need of each item per period (units started or bought);
    a site's share is that divided by the number of ``sites``.
    """
    stock: dict[str, dict[str, float]] = {}
    groups = (catalog.parts, catalog.products, catalog.assemblies)
    for site in sites:
        held: dict[str, float] = {}
        for items, count in zip(groups, counts, strict=True):
            size = min(count, len(items))
            for index in sorted(rng.choice(len(items), size=size, replace=False)):
                item = items[int(index)]
                share = per_period.get(item, 0.0) / len(sites)
                held[item] = float(max(1, round(share * rng.uniform(1.0, 4.0))))
        stock[site.id] = dict(sorted(held.items()))
    return stock


def dense_transfer_pairs(
    rng: Rng, sites: list[Site], needed: list[tuple[str, str]], density: float
) -> list[tuple[str, str]]:
    """The ``needed`` (from, to) pairs, then random other pairs until ``density`` of the
    ordered pairs of distinct sites have a lane (``needed`` may already hold more)."""
    chosen = list(dict.fromkeys(pair for pair in needed if pair[0] != pair[1]))
    taken = set(chosen)
    ids = [site.id for site in sites]
    others = [(a, b) for a in ids for b in ids if a != b and (a, b) not in taken]
    wanted = round(density * len(ids) * (len(ids) - 1)) - len(chosen)
    if wanted > 0 and others:
        picks = rng.choice(len(others), size=min(wanted, len(others)), replace=False)
        chosen += [others[int(n)] for n in sorted(picks)]
    return chosen


def cheap_transfer(rng: Rng, source: Site, target: Site) -> Lane:
    """A transfer lane of the dense class: 1-8 days, 1 a unit."""
    days = float(rng.integers(TRANSFER_DAYS[0], TRANSFER_DAYS[1] + 1))
    return Lane(from_=source.id, to=target.id, transit_days=days, cost_per_unit=1.0)
