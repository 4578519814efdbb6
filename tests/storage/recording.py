"""Helpers of the store's tests: load a scenario, record events, read every derived table by
natural keys (unit ids and event numbers depend on the order things were recorded in)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

from dronefab.model.loader import load_scenario
from dronefab.storage.database import Store
from dronefab.storage.ingest import RecordResult, record_events, record_in
from dronefab.storage.master import store_revision


def load(store: Store, path: str, opening_stock: bool | None = None) -> int:
    """Store the scenario at ``path`` as a revision, with its opening stock; its number."""
    scenario = load_scenario(path)
    with store.writing() as connection:
        number, opening = store_revision(connection, scenario, opening_stock)
        if opening:
            record_in(connection, opening, source="opening stock")
    return number


def record(store: Store, events: list[dict[str, Any]], source: str = "events") -> RecordResult:
    """Record events given as dicts, as lines of a JSON Lines file would be."""
    return record_events(store, [json.dumps(e) for e in events], source=source)


UNIT = "coalesce(u.serial, '') || '/' || coalesce(u.item, '') || '/' || coalesce(u.lot, '')"

SNAPSHOT = {
    "events": "SELECT id, type, at, site, ref, item, quantity, partner, order_ref, lot, digest, body "
    "FROM events",
    "units": f"SELECT {UNIT}, u.position, u.status, u.site, u.customer FROM units u",
    "links": f"SELECT {UNIT.replace('u.', 'c.')}, {UNIT.replace('u.', 'p.')} FROM links "
    "JOIN units c ON c.id = links.child JOIN units p ON p.id = links.parent",
    "made": f"SELECT {UNIT}, e.id FROM made JOIN units u ON u.id = made.unit "
    "JOIN events e ON e.seq = made.event",
    "unit_events": f"SELECT {UNIT}, e.id FROM unit_events ue JOIN units u ON u.id = ue.unit "
    "JOIN events e ON e.seq = ue.event",
    "moves": f"SELECT {UNIT}, m.site, m.in_transit, e.id, m.quantity FROM moves m "
    "JOIN units u ON u.id = m.unit JOIN events e ON e.seq = m.event",
    "balances": f"SELECT {UNIT}, b.site, b.in_transit, round(CAST(b.quantity AS NUMERIC), 6) "
    "FROM balances b JOIN units u ON u.id = b.unit",
    "flags": "SELECT e.id, f.kind, f.detail FROM flags f JOIN events e ON e.seq = f.event",
}


def snapshot(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every derived table (and the events), by natural keys, sorted."""
    out = {}
    with store.reading() as connection:
        for name, sql in SNAPSHOT.items():
            rows = connection.execute(text(sql)).all()
            out[name] = sorted(
                (tuple(_plain(v) for v in row) for row in rows), key=lambda r: tuple(map(str, r))
            )
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float) or (hasattr(value, "is_finite") and value.is_finite()):
        return round(float(value), 6)
    return value
