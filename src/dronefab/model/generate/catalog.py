"""The generated catalogue: products, assemblies, parts, bills of materials and routings."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dronefab.model.generate.common import (
    ASSEMBLY_KINDS,
    ASSEMBLY_NAMES,
    HOLDING_SHARE,
    LABOUR_COST_OF_VALUE,
    PART_NAMES,
    PRODUCT_NAMES,
    _ids,
    _pick,
    _uniform,
)
from dronefab.model.schema import (
    BomLine,
    Item,
    ItemKind,
    RoutingStep,
)

Rng = np.random.Generator


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
