"""How fast a shop-floor history is generated at national scale.

A product of 12 purchased lot-tracked parts, two required tests, 20 workshops making 101,000 of
it in four weeks, one serial per completion (benchmark batches): about 100,000 completions (a
strike stops one workshop for a while), each consuming its 12 lots first in, first out, plus their tests, receipts and shipments. Prints the
events per second of generating them (streamed, as ``write_history`` consumes them) and of
generating and writing them as JSON Lines.

    python benchmarks/history.py [--sites 20] [--units 101000]
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

from dronefab.model.loader import load_scenario
from dronefab.planning.plan import Plan
from dronefab.simulation.history import HistoryOptions, generate_history, write_history

PARTS = 12
WEEKS = 4
YIELD = 0.98


def scenario_yaml(sites: int, weekly: float) -> dict[str, object]:
    """The network: ``sites`` workshops, each making ``weekly`` drones a week."""
    parts = [f"part-{n:02d}" for n in range(1, PARTS + 1)]
    return {
        "format": "dronefab/1",
        "name": "history-benchmark",
        "horizon": {"start": "2027-01-04", "periods": WEEKS + 2, "period_days": 7},
        "items": [
            {"id": "drone", "name": "Drone", "kind": "product", "yield_rate": YIELD},
            *({"id": p, "name": f"Part {p}", "kind": "purchased"} for p in parts),
        ],
        "bom": [
            {"parent": "drone", "component": p, "quantity": 1 + n % 3} for n, p in enumerate(parts)
        ],
        "routings": [{"item": "drone", "step": 10, "work_center": "assembly", "minutes": 30}],
        "sites": [
            {
                "id": f"ws-{s:03d}",
                "name": f"Workshop {s}",
                "operator": "coop",
                "distance_to_front_km": 40 + 25 * s,
                "days_per_week": 6,
                "makes": ["drone"],
                "work_centers": [{"id": "assembly", "stations": 40, "hours_per_day": 16}],
                "initial_inventory": {p: 3 * weekly * (1 + n % 3) for n, p in enumerate(parts)},
            }
            for s in range(1, sites + 1)
        ],
        "suppliers": [
            {
                "id": "parts-co",
                "name": "Parts company",
                "country": "PL",
                "supplies": [{"item": p, "lead_time_days": 7, "unit_cost": 10} for p in parts],
            }
        ],
        "organizations": [
            {"id": "mod", "name": "Ministry", "role": "programme"},
            {"id": "coop", "name": "Cooperative", "role": "operator"},
        ],
        "customers": [{"id": "army", "name": "Army", "backlog_penalty": 10}],
        "lanes": [
            {"from": f"ws-{s:03d}", "to": "army", "transit_days": 1} for s in range(1, sites + 1)
        ],
        "demand": [{"customer": "army", "item": "drone", "due": "2027-01-08", "quantity": 1}],
        "required_tests": [{"item": "drone", "test": "flight"}, {"item": "drone", "test": "rf"}],
    }


def plan_of(sites: int, weekly: float) -> Plan:
    """A hand-made plan: each workshop makes and ships ``weekly`` good drones a week and buys
    its parts a week ahead."""
    ids = [f"ws-{s:03d}" for s in range(1, sites + 1)]
    weeks = range(1, WEEKS + 1)
    production = pd.DataFrame(
        [(site, "drone", w, weekly / YIELD) for site in ids for w in weeks],
        columns=["site", "item", "period", "quantity"],
    )
    purchases = pd.DataFrame(
        [
            ("parts-co", f"part-{n:02d}", site, w, w + 1, weekly / YIELD * (1 + (n - 1) % 3))
            for site in ids
            for w in weeks
            for n in range(1, PARTS + 1)
        ],
        columns=["supplier", "item", "site", "order_period", "arrival_period", "quantity"],
    )
    shipments = pd.DataFrame(
        [(site, "army", "drone", w, w + 1, weekly) for site in ids for w in weeks],
        columns=["site", "customer", "item", "ship_period", "arrival_period", "quantity"],
    )
    empty = pd.DataFrame()
    transfers = pd.DataFrame(
        columns=["from_site", "to_site", "item", "ship_period", "arrival_period", "quantity"]
    )
    return Plan(production, purchases, shipments, transfers, empty, empty, empty, empty, empty)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument(
        "--units", type=int, default=101_000, help="good drones planned in four weeks"
    )
    args = parser.parse_args()
    weekly = args.units / args.sites / WEEKS
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "benchmark.yaml"
        source.write_text(yaml.safe_dump(scenario_yaml(args.sites, weekly), sort_keys=False))
        scenario = load_scenario(source)
        plan = plan_of(args.sites, weekly)
        options = HistoryOptions(seed=1, serials_per_completion=1)
        started = time.perf_counter()
        kinds = collections.Counter(e["type"] for e in generate_history(scenario, plan, options))
        generated = time.perf_counter() - started
        started = time.perf_counter()
        count = write_history(generate_history(scenario, plan, options), Path(folder) / "h.jsonl")
        written = time.perf_counter() - started
    print(f"{count:,} events ({', '.join(f'{n:,} {k}' for k, n in kinds.most_common())})")
    completions = kinds["completion"]
    print(
        f"generated in {generated:.2f} s: {count / generated:,.0f} events/s, "
        f"{completions / generated:,.0f} completions/s ({PARTS} lots consumed each)"
    )
    print(
        f"generated and written as JSON Lines in {written:.2f} s: {count / written:,.0f} events/s"
    )


if __name__ == "__main__":
    main()
