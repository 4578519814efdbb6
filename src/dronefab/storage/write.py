"""Writing a checked chunk of a batch: its events and every row derived from them.

The rows go in set-based (:mod:`dronefab.storage.bulk`): the events, the units they name,
genealogy links, stock moves and balances, and each serial's whereabouts, kept only where the
event is later by ``(at, id)`` than the one the store holds. Called once per chunk of a batch,
inside the batch's one transaction: what a chunk reads (units, balances) includes the earlier
chunks' rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select, text, tuple_

from dronefab.storage import schema
from dronefab.storage.bulk import chunks, execute_many, insert_rows
from dronefab.storage.derive import BatchRows, Deriver, UnitKey
from dronefab.storage.door import Known
from dronefab.storage.events import (
    Acceptance,
    Adjustment,
    Arrival,
    Completion,
    Dispatch,
    Event,
    Hold,
    Receipt,
    Scrap,
    Shipment,
    Test,
    utc_stamp,
)
from dronefab.storage.master import Master


@dataclass
class Line:
    """One event of a batch: its line number, the event, its stored JSON and digest."""

    number: int
    event: Event
    body: str
    digest: str


@dataclass
class Chunk:
    """A chunk's rows, ready to write: its events and what they derive."""

    events: list[tuple[Any, ...]]
    derived: BatchRows


def prepare_chunk(
    lines: list[Line], batch: int, first_seq: int, master: Master, known: Known
) -> Chunk:
    """The rows of ``lines`` as events ``first_seq``, ``first_seq + 1``... of ``batch``
    (no database work: this runs while the previous chunk is written)."""
    deriver = Deriver(master, known.dispatches, known.serial_items)
    event_rows = []
    for offset, line in enumerate(lines):
        seq = first_seq + offset
        e = line.event
        at = utc_stamp(e.at)
        event_rows.append(
            (seq, e.id, e.type, at, e.site, *_summary(e), line.digest, line.body, batch)
        )
        deriver.add(e, seq, at)
    return Chunk(event_rows, deriver.rows)


def write_chunk(connection: Connection, chunk: Chunk) -> None:
    """Write a prepared chunk: its events, units, ledger, genealogy and whereabouts."""
    insert_rows(connection, schema.events, EVENT_COLUMNS, chunk.events)
    _write_derived(connection, chunk.derived)
    if chunk.events:
        _add_balances(connection, chunk.events[0][0], chunk.events[-1][0])


EVENT_COLUMNS = (
    "seq",
    "id",
    "type",
    "at",
    "site",
    "ref",
    "item",
    "quantity",
    "partner",
    "order_ref",
    "lot",
    "digest",
    "body",
    "batch",
)


Summary = tuple[str | None, str | None, float | None, str | None, str | None, str | None]


def _summary(e: Event) -> Summary:
    """The columns queries filter on: ref, item, quantity, partner, order, lot (None where
    absent). Attributes are read per type: a missing one costs pydantic a slow lookup."""
    if isinstance(e, Completion):
        return None, e.item, e.good, None, e.order, e.lot
    if isinstance(e, Receipt):
        return None, e.item, e.quantity, e.supplier, e.order, e.lot
    if isinstance(e, Dispatch):
        return None, e.item, e.quantity, e.to_site, e.order, None
    if isinstance(e, Shipment):
        return None, e.item, e.quantity, e.customer, e.order, None
    if isinstance(e, Arrival):
        return e.dispatch, None, None, None, None, None
    if isinstance(e, Test):
        return e.serial, None, None, None, None, None  # a serial's tests, found by index
    if isinstance(e, Acceptance):
        return e.shipment, None, None, None, None, None
    if isinstance(e, Adjustment | Scrap | Hold):
        return None, e.item, getattr(e, "quantity", None), None, None, e.lot
    return None, None, None, None, None, None


def next_number(connection: Connection, column: Any) -> int:
    """One more than the column's largest value (1 in an empty table)."""
    return int(connection.execute(select(func.coalesce(func.max(column), 0))).scalar_one()) + 1


def _write_derived(connection: Connection, rows: BatchRows) -> None:
    ids, first_new = _unit_ids(connection, rows)
    ledger = [(seq, ids[unit], site, moving, q) for seq, unit, site, moving, q in rows.moves]
    columns = ("event", "unit", "site", "in_transit", "quantity")
    insert_rows(connection, schema.moves, columns, ledger, plain=True)
    links = [
        (ids[child], ids[parent]) for child, parents in rows.links.items() for parent in parents
    ]
    # A link to a unit new in this chunk cannot be stored yet: those go in without the check
    # for conflicts; links to a lot made again (or a serial made twice) may repeat one.
    fresh = [link for link in links if link[1] >= first_new]
    again = [link for link in links if link[1] < first_new]
    insert_rows(connection, schema.links, ("child", "parent"), fresh, plain=True)
    insert_rows(connection, schema.links, ("child", "parent"), again, ignore=True)
    made = [(ids[key], seq) for key, seq in rows.made]
    insert_rows(connection, schema.made, ("unit", "event"), made, plain=True)
    touched = [(ids[key], seq) for key, seq in rows.touched]
    insert_rows(connection, schema.unit_events, ("unit", "event"), touched, plain=True)
    insert_rows(connection, schema.flags, ("event", "kind", "detail"), rows.flags)


def _unit_ids(connection: Connection, rows: BatchRows) -> tuple[list[int], int]:
    """The store's id of every unit the batch names, by the unit's number in ``rows``, creating
    the new ones (with their place); and the first new id (every id from it on is new)."""
    keys = rows.keys()
    serials = [key[1] for key in keys if key[0] == "s"]
    lots = [(key[1], key[2]) for key in keys if key[0] == "l"]
    u = schema.units.c
    ids: dict[UnitKey, int] = {}
    stored_items: dict[str, str | None] = {}
    for part in chunks(serials):
        for row in connection.execute(select(u.id, u.serial, u.item).where(u.serial.in_(part))):
            ids[("s", row.serial)] = row.id
            stored_items[row.serial] = row.item
    for part in chunks(lots, 2000):
        for row in connection.execute(
            select(u.id, u.item, u.lot).where(tuple_(u.item, u.lot).in_(part))
        ):
            ids[("l", row.item, row.lot)] = row.id
    next_id = first_new = next_number(connection, u.id)
    new_rows = []
    for key in sorted(set(keys) - ids.keys()):
        ids[key] = next_id
        if key[0] == "s":
            place = rows.positions.get(key[1])
            new_rows.append((next_id, rows.items.get(key[1]), None, key[1], *_place(place)))
        else:
            new_rows.append((next_id, key[1], key[2], None, None, None, None, None))
        next_id += 1
    insert_rows(
        connection,
        schema.units,
        ("id", "item", "lot", "serial", "position", "status", "site", "customer"),
        new_rows,
    )
    _update_existing(connection, rows, ids, stored_items, {row[0] for row in new_rows})
    return [ids[key] for key in keys], first_new


def _place(place: Any) -> tuple[Any, ...]:
    if place is None:
        return (None, None, None, None)
    return (place.key, place.status, place.site, place.customer)


def _update_existing(
    connection: Connection,
    rows: BatchRows,
    ids: dict[UnitKey, int],
    stored_items: dict[str, str | None],
    new: set[int],
) -> None:
    """Fill the item of serials named before they were made; move serials the batch moves later."""
    items = [
        {"id": ids[("s", serial)], "item": item}
        for serial, item in rows.items.items()
        if serial in stored_items and stored_items[serial] is None
    ]
    execute_many(connection, "UPDATE units SET item = :item WHERE id = :id AND item IS NULL", items)
    moved = [
        {
            "id": ids[("s", serial)],
            "position": p.key,
            "status": p.status,
            "site": p.site,
            "customer": p.customer,
        }
        for serial, p in rows.positions.items()
        if ids[("s", serial)] not in new
    ]
    execute_many(
        connection,
        "UPDATE units SET position = :position, status = :status, site = :site, customer = :customer "
        "WHERE id = :id AND (position IS NULL OR position < :position)",
        moved,
    )


def _add_balances(connection: Connection, first: int, last: int) -> None:
    """Add the moves of events ``first`` .. ``last`` (a chunk's, just written) to the balances.

    The database adds them up (the moves' key starts with the event: a range of the tree), not
    a Python loop over every ledger row (13 a completion of 12 lots)."""
    connection.execute(
        text(
            "INSERT INTO balances (unit, site, in_transit, quantity) "
            "SELECT unit, site, in_transit, SUM(quantity) FROM moves "
            "WHERE event BETWEEN :first AND :last GROUP BY unit, site, in_transit "
            "ON CONFLICT (unit, site, in_transit) "
            "DO UPDATE SET quantity = balances.quantity + excluded.quantity"
        ),
        {"first": first, "last": last},
    )
