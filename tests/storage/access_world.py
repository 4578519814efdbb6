"""A small programme for the access tests: tests/storage/tiny_history.py's network and events,
with an organisation of every role, two operators with a site each, two customers and a supplier
linked to an organisation; and what each organisation may know of it, worked out by hand.

Organisations (role): prog (programme), fund (funder), maker (manufacturer: hub, ws),
opa (operator: north), opb (operator: south), da (design-authority), forces (customer: army),
guard (customer: militia), cellco (supplier, linked to the supplier cellco).

Events beyond tiny_history's (ids prefixed by their site):
  hub-c7   Jan 6  hub makes 5 packs lot P3 from 10 cells of lot C1 (so N1 and N2 hold C1)
  hub-d3   Jan 6  hub dispatches the 5 packs P3 to north; north-a3 (Jan 8) their arrival
  north-r9 Jan 7  north receives 5 frames lot F9 from frameco (origin CN)
  north-c9 Jan 9  north makes drones N1, N2 (2 frames F9, 2 packs P3, 8 screws); both pass
                  their flight test (north-t9a, north-t9b)
  north-s9 Jan 10 north ships N1 to militia
  south-r7 Jan 8  south receives 30 cells lot C7 from cellco
Orders (release 1, inserted as a release would): PO-H1 (hub, cell, cellco), PO-N1 (north, frame,
frameco), PO-S1 (south, cell, cellco), DO-W1 (ws, drone, army), DO-N1 (north, drone, militia),
WO-W1 (ws, drone), WO-S1 (south, pack), TO-H1 (hub -> north, pack).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import insert, select

from dronefab.storage import schema
from dronefab.storage.database import Store

from . import tiny_history as tiny
from .recording import load, record

ORGANIZATIONS = {
    "prog": "programme",
    "fund": "funder",
    "maker": "manufacturer",
    "opa": "operator",
    "opb": "operator",
    "da": "design-authority",
    "forces": "customer",
    "guard": "customer",
    "cellco": "supplier",
}
"""Organisation id -> its role."""


def scenario_file(folder: Path) -> Path:
    """tiny.yaml extended with the organisations, sites, customers and lanes above."""
    data: dict[str, Any] = yaml.safe_load(Path(tiny.SCENARIO).read_text(encoding="utf-8"))
    data["name"] = "access-world"
    data["organizations"] = [
        {"id": org, "name": org.title(), "role": role} for org, role in ORGANIZATIONS.items()
    ]
    bench = [{"id": "bench", "stations": 1, "hours_per_day": 8}]
    data["sites"] += [
        {"id": "north", "name": "North works", "operator": "opa", "distance_to_front_km": 30,
         "makes": ["drone"], "work_centers": bench, "initial_inventory": {"screw": 20}},
        {"id": "south", "name": "South works", "operator": "opb", "distance_to_front_km": 700,
         "makes": ["pack"], "work_centers": bench},
    ]  # fmt: skip
    data["customers"] = [
        {"id": "army", "name": "Army", "backlog_penalty": 100, "organization": "forces"},
        {"id": "militia", "name": "Militia", "backlog_penalty": 50, "organization": "guard"},
    ]
    data["lanes"] += [
        {"from": "hub", "to": "north", "transit_days": 2},
        {"from": "north", "to": "militia", "transit_days": 1},
        {"from": "south", "to": "hub", "transit_days": 1},
    ]
    data["demand"].append(
        {"customer": "militia", "item": "drone", "due": "2027-01-25", "quantity": 5}
    )
    path = folder / "world.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def more_events() -> list[dict[str, Any]]:
    """The events beyond tiny_history's (see the module docstring)."""
    at = tiny.at
    return [
        {"id": "hub-c7", "type": "completion", "at": at(6, 9), "site": "hub", "item": "pack",
         "good": 5, "lot": "P3", "consumed": [tiny.opening("cell", "C1", quantity=10)]},
        {"id": "hub-d3", "type": "dispatch", "at": at(6, 12), "site": "hub", "to_site": "north",
         "item": "pack", "quantity": 5, "lots": [{"lot": "P3", "quantity": 5}]},
        {"id": "north-r9", "type": "receipt", "at": at(7, 9), "site": "north",
         "supplier": "frameco", "item": "frame", "quantity": 5, "lot": "F9", "origin": "CN"},
        {"id": "north-a3", "type": "arrival", "at": at(8, 12), "site": "north",
         "dispatch": "hub-d3"},
        {"id": "south-r7", "type": "receipt", "at": at(8, 9), "site": "south",
         "supplier": "cellco", "item": "cell", "quantity": 30, "lot": "C7"},
        {"id": "north-c9", "type": "completion", "at": at(9, 9), "site": "north", "item": "drone",
         "good": 2, "serials": ["N1", "N2"], "firmware": "2.0",
         "consumed": [{"item": "frame", "lot": "F9", "quantity": 2},
                      {"item": "pack", "lot": "P3", "quantity": 2},
                      {"item": "screw", "quantity": 8}]},
        *[
            {"id": f"north-t9{x}", "type": "test", "at": at(9, 15), "site": "north",
             "serial": serial, "test": "flight", "result": "pass"}
            for x, serial in (("a", "N1"), ("b", "N2"))
        ],
        {"id": "north-s9", "type": "shipment", "at": at(10, 10), "site": "north",
         "customer": "militia", "item": "drone", "quantity": 1, "serials": ["N1"]},
    ]  # fmt: skip


ORDERS = [
    # id, kind, site, item, supplier, to_site, customer, quantity, due
    ("PO-H1", "purchase", "hub", "cell", "cellco", None, None, 50.0, "2027-01-11"),
    ("PO-N1", "purchase", "north", "frame", "frameco", None, None, 5.0, "2027-01-04"),
    ("PO-S1", "purchase", "south", "cell", "cellco", None, None, 30.0, "2027-01-04"),
    ("DO-W1", "delivery", "ws", "drone", None, None, "army", 10.0, "2027-01-04"),
    ("DO-N1", "delivery", "north", "drone", None, None, "militia", 5.0, "2027-01-04"),
    ("WO-W1", "work", "ws", "drone", None, None, None, 10.0, "2027-01-04"),
    ("WO-S1", "work", "south", "pack", None, None, None, 10.0, "2027-01-04"),
    ("TO-H1", "transfer", "hub", "pack", None, "north", None, 5.0, "2027-01-04"),
]


def _insert_orders(store: Store) -> None:
    with store.writing() as connection:
        fingerprint = connection.execute(select(schema.revisions.c.fingerprint)).scalar_one()
        connection.execute(
            insert(schema.releases).values(
                number=1, revision=1, scenario=fingerprint, starts="2027-01-04",
                released_at="2027-01-04T00:00:00.000000Z", source="access-world", by=None,
            )
        )  # fmt: skip
        for oid, kind, site, item, supplier, to_site, customer, quantity, due in ORDERS:
            connection.execute(
                insert(schema.orders).values(
                    id=oid, release=1, kind=kind, site=site, item=item, supplier=supplier,
                    to_site=to_site, customer=customer, quantity=quantity, due=due,
                    arrival=due, period=1, cancelled_by=None,
                )
            )  # fmt: skip


def build(store: Store, folder: Path) -> None:
    """Load the scenario, insert the orders, record tiny_history's events and these."""
    load(store, str(scenario_file(folder)))
    _insert_orders(store)
    record(store, tiny.events() + more_events(), source="world.jsonl")
