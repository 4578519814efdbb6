"""Serials and lots: a serial's trace, a lot's receipts and its recall, each as ACCESS.md says.

- programme, design authority: everything;
- manufacturer, operator: a serial made or held at one of its sites, a lot held at one; the
  trace keeps its own sites' part (history, tests, receipts, and the components made there:
  a component made elsewhere is named, its own tree is not), the recall its own sites' rows;
- customer: a serial shipped to it, as its item, firmware and the tests it passed (no
  supplier, lot or origin);
- supplier: its own lots (a lot it delivered): their receipts and their recall (where each
  unit is, among the sites it delivers to; no customer).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from sqlalchemy import Connection, and_, exists, select

from dronefab.storage import schema
from dronefab.storage.access.rules import NotVisible, Principal, Reach
from dronefab.storage.access.scope import Scope, scope_of
from dronefab.storage.bulk import chunks
from dronefab.storage.queries import recall, trace

Who = Principal | Scope


def trace_serial(who: Who, connection: Connection, serial: str) -> dict[str, Any]:
    """The trace of ``serial`` (:func:`dronefab.storage.queries.trace`) the principal may see.

    Raises
    ------
    NotVisible
        For a serial it may not know of, or that no event names.
    """
    scope = scope_of(connection, who)
    u = schema.units.c
    unit = connection.execute(select(u.id).where(u.serial == serial)).scalar()
    reach = scope.reach("genealogy")
    if unit is None or reach is Reach.NONE or scope.supplier is not None:
        raise NotVisible("serial")
    if reach is Reach.ALL:
        return trace(connection, serial)
    if reach is Reach.ITS_OWN:
        return _customer_view(scope, connection, unit, serial)
    if not _serial_sites(connection, unit) & scope.own_sites:
        raise NotVisible("serial")
    return _own_sites_view(scope, connection, trace(connection, serial))


def _serial_sites(connection: Connection, unit: int) -> frozenset[str]:
    """The sites of every event naming the unit (where it was made, tested, moved, held)."""
    e, ue = schema.events.c, schema.unit_events.c
    rows = connection.execute(
        select(e.site)
        .join_from(schema.unit_events, schema.events, e.seq == ue.event)
        .where(ue.unit == unit)
        .distinct()
    )
    return frozenset(site for site in rows.scalars() if site is not None)


def _customer_view(scope: Scope, connection: Connection, unit: int, serial: str) -> dict[str, Any]:
    """Item, firmware and tests passed of a serial shipped to one of the customer's customers."""
    e, ue = schema.events.c, schema.unit_events.c
    customer = connection.execute(
        select(e.partner)
        .join_from(schema.unit_events, schema.events, e.seq == ue.event)
        .where(ue.unit == unit, e.type == "shipment", e.partner.in_(sorted(scope.customers)))
        .order_by(e.at, e.id)
    ).scalar()
    if customer is None:
        raise NotVisible("serial")
    full = trace(connection, serial)
    passed = sorted({t["test"] for t in full["tests"] if t["result"] == "pass"})
    return {
        "serial": serial,
        "item": full["item"],
        "customer": customer,
        "firmware": full["firmware"],
        "tests_passed": passed,
    }


def _own_sites_view(scope: Scope, connection: Connection, full: dict[str, Any]) -> dict[str, Any]:
    """A trace cut to the principal's own sites."""
    own = scope.own_sites
    made_at = _made_sites(connection, full["components"])
    now = full["now"]
    completion = full["completion"]
    made_here = completion is not None and completion["site"] in own
    history = [h for h in full["history"] if h["site"] in own]
    return {
        **full,
        "now": now if now["site"] in own else None,
        "completion": completion if made_here else None,
        # counted and read from its own sites' completions only: another site's are not its own
        "completed_times": sum(1 for h in history if h["type"] == "completion"),
        "firmware": full["firmware"] if made_here else None,
        "tests": [t for t in full["tests"] if t["site"] in own],
        "history": history,
        "components": _cut(full["components"], own, made_at),
    }


Part = tuple[str, str | None, str | None]
"""A component as (item, lot, serial)."""


def _part(entry: dict[str, Any]) -> Part:
    return (entry["item"], entry.get("lot"), entry.get("serial"))


def _cut(
    components: list[dict[str, Any]], own: frozenset[str], made_at: dict[Part, frozenset[str]]
) -> list[dict[str, Any]]:
    """The components with receipts at own sites only; below a part made only elsewhere,
    nothing (that is the other site's record)."""
    out = []
    for entry in components:
        kept = dict(entry)
        if "receipts" in kept:
            kept["receipts"] = [r for r in kept["receipts"] if r["site"] in own]
        sites = made_at.get(_part(entry), frozenset())
        below = entry["components"]
        kept["components"] = _cut(below, own, made_at) if not sites or sites & own else []
        out.append(kept)
    return out


def _made_sites(
    connection: Connection, components: list[dict[str, Any]]
) -> dict[Part, frozenset[str]]:
    """Each component of the tree -> the sites of the completions that made it."""
    parts: set[Part] = set()
    stack = list(components)
    while stack:
        entry = stack.pop()
        parts.add(_part(entry))
        stack.extend(entry["components"])
    u, md, e = schema.units.c, schema.made.c, schema.events.c
    found: dict[Part, set[str]] = {}
    query = (
        select(u.item, u.lot, u.serial, e.site)
        .join_from(schema.units, schema.made, md.unit == u.id)
        .join(schema.events, e.seq == md.event)
    )
    serials = sorted(p[2] for p in parts if p[2] is not None)
    for chunk in chunks(serials):
        for row in connection.execute(query.where(u.serial.in_(chunk))):
            found.setdefault((row.item, None, row.serial), set()).add(row.site)
    for item, lot, serial in sorted(parts, key=str):
        if serial is None:
            rows = connection.execute(query.where(u.item == item, u.lot == lot))
            for row in rows:
                found.setdefault((item, lot, None), set()).add(row.site)
    return {part: frozenset(sites) for part, sites in found.items()}


# -- lots -------------------------------------------------------------------------------------
def _lot_unit(connection: Connection, item: str, lot: str) -> int | None:
    u = schema.units.c
    unit = connection.execute(select(u.id).where(u.item == item, u.lot == lot)).scalar()
    return None if unit is None else int(unit)


def _received_from(connection: Connection, item: str, lot: str, supplier: str) -> bool:
    e = schema.events.c
    query = select(
        exists().where(
            and_(e.item == item, e.lot == lot, e.type == "receipt", e.partner == supplier)
        )
    )
    return bool(connection.execute(query).scalar())


def _held_at(connection: Connection, unit: int, sites: frozenset[str]) -> bool:
    """Stock of the lot moved at one of ``sites`` (received, made, arrived, used there)."""
    m = schema.moves.c
    query = select(exists().where(and_(m.unit == unit, m.site.in_(sorted(sites)))))
    return bool(sites) and bool(connection.execute(query).scalar())


def _require_lot(scope: Scope, connection: Connection, data: str, item: str, lot: str) -> Reach:
    """The principal's reach on the lot's ``data`` (``genealogy`` or ``recall``).

    Raises
    ------
    NotVisible
        For a lot it may not know of, or that the record does not hold.
    """
    reach = scope.reach(data)
    unit = _lot_unit(connection, item, lot)
    if unit is None or reach is Reach.NONE:
        raise NotVisible("lot")
    if reach is Reach.ITS_OWN:
        if scope.supplier is None or not _received_from(connection, item, lot, scope.supplier):
            raise NotVisible("lot")
    elif reach is Reach.OWN_SITES and not _held_at(connection, unit, scope.own_sites):
        raise NotVisible("lot")
    return reach


def lot_receipts(who: Who, connection: Connection, item: str, lot: str) -> list[dict[str, Any]]:
    """The receipts of lot ``lot`` of ``item``: supplier, origin, licence, site, quantity (a
    supplier: its own; an operator: at its own sites).

    Raises
    ------
    NotVisible
        For a lot the principal may not know of (a customer knows of none), or that does not exist.
    """
    scope = scope_of(connection, who)
    reach = _require_lot(scope, connection, "genealogy", item, lot)
    e = schema.events.c
    query = select(e.id, e.at, e.site, e.partner, e.quantity, e.body).where(
        e.item == item, e.lot == lot, e.type == "receipt"
    )
    if reach is Reach.ITS_OWN:
        query = query.where(e.partner == scope.supplier)
    elif reach is Reach.OWN_SITES:
        query = query.where(e.site.in_(sorted(scope.own_sites)))
    out = []
    for row in connection.execute(query.order_by(e.at, e.id)):
        body = json.loads(row.body)
        out.append(
            {
                "event": row.id,
                "at": row.at,
                "site": row.site,
                "supplier": row.partner,
                "item": item,
                "lot": lot,
                "quantity": row.quantity,
                "origin": body.get("origin"),
                "licence": body.get("licence"),
            }
        )
    return out


def recall_lot(who: Who, connection: Connection, item: str, lot: str) -> list[dict[str, Any]]:
    """Every serial containing the lot (:func:`dronefab.storage.queries.recall`), the
    principal's part: an operator's rows at its own sites; a supplier's without the customer,
    and without a site it does not deliver to.

    Raises
    ------
    NotVisible
        For a lot the principal may not know of, or that the record does not hold.
    """
    scope = scope_of(connection, who)
    reach = _require_lot(scope, connection, "recall", item, lot)
    rows = [asdict(row) for row in recall(connection, item, lot)]
    if reach is Reach.ALL:
        return rows
    if reach is Reach.OWN_SITES:
        return [row for row in rows if row["site"] in scope.own_sites]
    return [
        {
            **row,
            "site": row["site"] if row["site"] in scope.listed_sites else None,
            "customer": None,
        }
        for row in rows
    ]
