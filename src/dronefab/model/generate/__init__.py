"""Synthetic scenarios of any size, for benchmarks, tests and trying the product out.

:func:`generate_scenario` builds a network that exercises every mechanism of the format: a
multi-level bill of materials with yields, routings on four kinds of work center, sites opening
mid-horizon with a ramp-up (and one closing), downtime, labour cost, candidate sites, suppliers
with second sources and capacity chokepoints, orders already placed, opening stock, customers
with penalties, delivery and transfer lanes, demand that grows to about the network's capacity,
and a risks block. The options' knobs also make the dense national class
(:meth:`GeneratorOptions.national`: dense lanes, many offers per part, sampled opening stock, most
sites opening during the horizon; :mod:`.national`). Every random draw comes from one ``numpy.random.default_rng(seed)`` in a
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

import os
from pathlib import Path

import numpy as np

from dronefab.model.generate.catalog import (
    _catalog,
)
from dronefab.model.generate.common import (
    GeneratorOptions,
    _shares,
)
from dronefab.model.generate.national import offer_suppliers, sampled_stock
from dronefab.model.generate.sites import (
    _capacity,
    _demand,
    _demand_level,
    _mix_starts,
    _part_need,
    _sites,
)
from dronefab.model.generate.supply import (
    _customers,
    _lanes,
    _on_order,
    _opening_stock,
    _organizations,
    _risks,
    _slowest,
    _suppliers,
)
from dronefab.model.scenario import Scenario
from dronefab.model.schema import Horizon
from dronefab.model.writers import write_yaml

__all__ = ["GeneratorOptions", "generate_scenario", "write_generated"]


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
    peak = _part_need(catalog, per_mix, float(level.max()))
    if options.suppliers is None:
        suppliers, exposed = _suppliers(rng, catalog, peak)
    else:
        suppliers, exposed = offer_suppliers(rng, catalog, peak, options)
    if options.opening_stock is None:
        stock = _opening_stock(rng, base, catalog, plan, _slowest(suppliers), need, horizon)
    else:
        per_period = {item: units * float(level.mean()) for item, units in per_mix.items()}
        stock = sampled_stock(rng, base, catalog, per_period, options.opening_stock)
    sites = [
        site.model_copy(update={"initial_inventory": stock.get(site.id, {})}) for site in sites
    ]
    on_order = _on_order(rng, base, catalog, suppliers, need, horizon)
    customers = _customers(rng, options.customers)
    lanes = _lanes(rng, sites, customers, catalog, plan, shares, options.lane_density)
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
