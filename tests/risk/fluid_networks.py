"""Small scenarios for the time-to-survive and time-to-recover tests, built as YAML documents.

Every network is written to a file and loaded through :func:`dronefab.load_scenario`, so it is
a scenario a user could write. Time runs in days: ``period_days`` is 1 unless said otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from dronefab.model import Scenario, load_scenario

START = "2026-01-05"


def document(
    *,
    periods: int = 10,
    period_days: int = 1,
    products: dict[str, float],
    suppliers: dict[str, float | None],
    stock: dict[str, float] | None = None,
    values: dict[str, float] | None = None,
    backlog_penalty: float = 0.0,
    parts_per_product: dict[str, float] | None = None,
    yield_rate: float = 1.0,
    sites: int = 1,
    units_per_day: float = 1440.0,
) -> dict[str, Any]:
    """A network where ``sites`` identical plants make products from one purchased ``part``.

    Parameters
    ----------
    products
        Product id -> demand per day; each product has its own customer ``buyer-<product>``.
    suppliers
        Supplier id -> capacity per period of the part (None: unlimited), no lead time.
    stock
        Item -> units on hand at the first plant.
    values
        Product id -> unmet penalty of its customer (default 1).
    parts_per_product
        Product id -> parts per unit started (default 1).
    units_per_day
        Units a plant can make per day (all products share one work center, 1 minute a unit).
    """
    values = values or {}
    parts_per_product = parts_per_product or {}
    days = periods * period_days
    plants = [f"plant-{n + 1}" for n in range(sites)]
    return {
        "format": "dronefab/1",
        "name": "fluid",
        "horizon": {"start": START, "periods": periods, "period_days": period_days},
        "organizations": [{"id": "oem", "name": "Maker", "role": "manufacturer"}],
        "items": [
            *({"id": p, "name": p, "kind": "product", "yield_rate": yield_rate} for p in products),
            {"id": "part", "name": "Part", "kind": "purchased"},
        ],
        "bom": [
            {"parent": p, "component": "part", "quantity": parts_per_product.get(p, 1.0)}
            for p in products
        ],
        "routings": [
            {"item": p, "step": 10, "work_center": "line", "minutes": 1} for p in products
        ],
        "sites": [
            {
                "id": plant,
                "name": plant,
                "operator": "oem",
                "distance_to_front_km": 500,
                "days_per_week": 7,
                "makes": list(products),
                "work_centers": [
                    {"id": "line", "stations": units_per_day / 60 / 24, "hours_per_day": 24}
                ],
                "initial_inventory": dict(stock or {}) if n == 0 else {},
            }
            for n, plant in enumerate(plants)
        ],
        "suppliers": [
            {
                "id": supplier,
                "name": supplier,
                "supplies": [
                    {"item": "part", "lead_time_days": 0, "unit_cost": 1}
                    | ({} if capacity is None else {"capacity_per_period": capacity})
                ],
            }
            for supplier, capacity in suppliers.items()
        ],
        "customers": [
            {
                "id": f"buyer-{p}",
                "name": f"Buyer of {p}",
                "backlog_penalty": backlog_penalty,
                "unmet_penalty": values.get(p, 1.0),
            }
            for p in products
        ],
        "lanes": [
            {"from": plant, "to": f"buyer-{p}", "transit_days": 0}
            for plant in plants
            for p in products
        ],
        "demand": [
            {"customer": f"buyer-{p}", "item": p, "due": START, "quantity": rate * days}
            for p, rate in products.items()
        ],
    }


def load(tmp_path: Path, doc: dict[str, Any], name: str = "fluid.yaml") -> Scenario:
    """Write a document and load it as a validated scenario."""
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return load_scenario(path)
