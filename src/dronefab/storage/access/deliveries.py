"""Orders, shipments and the network's KPIs, each as ACCESS.md says.

Purchase orders: the programme all, the funder totals, an operator its own sites', a supplier
the lines addressed to it. Delivery orders and shipments (with their acceptance): the programme
and the design authority all, the funder totals, an operator its own sites', a customer its own.
Network KPIs (output, fill rate, on time by customer): every organisation but suppliers; a
customer its own customers' figures only.

A list an organisation sees nothing of is refused with :class:`NotAllowed` (it may know that
such records exist, not which); one record by id with :class:`NotVisible`, as a missing one.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select

from dronefab.storage import schema
from dronefab.storage.access.paging import DEFAULT_LIMIT, Page, check_limit, cut, page_of
from dronefab.storage.access.rules import NotAllowed, NotVisible, Principal, Reach
from dronefab.storage.access.scope import Scope, scope_of
from dronefab.storage.access.sites import order_record
from dronefab.storage.bulk import chunks
from dronefab.storage.orders import OrderRow, order_table

Who = Principal | Scope

DATA_OF_KIND = {
    "work": "site_records",
    "transfer": "site_records",
    "purchase": "purchase_orders",
    "delivery": "deliveries",
}
"""Which row of ACCESS.md's table each kind of order is read under."""


def _partners(scope: Scope, kind: str) -> frozenset[str]:
    """A supplier's or a customer's own partners for ``kind`` orders."""
    if kind == "purchase":
        return frozenset({scope.supplier}) if scope.supplier is not None else frozenset()
    return scope.customers


def _rows(scope: Scope, connection: Connection, kind: str, reach: Reach) -> list[OrderRow]:
    """The ``kind`` orders within the principal's reach (TOTALS: every one, to add up)."""
    if reach in (Reach.ALL, Reach.TOTALS):
        return order_table(connection, kind=kind)
    if reach is Reach.OWN_SITES:
        return order_table(connection, kind=kind, sites=scope.own_sites)
    return order_table(connection, kind=kind, partners=_partners(scope, kind))


def _order_list(who: Who, connection: Connection, kind: str, limit: int, after: str | None) -> Page:
    scope = scope_of(connection, who)
    data = DATA_OF_KIND[kind]
    reach = scope.require(data)
    if reach is Reach.TOTALS:
        raise NotAllowed(f"reading {kind} order lines (totals only)")
    check_limit(limit)
    rows = [order_record(row) for row in _rows(scope, connection, kind, reach)]
    return page_of(rows, lambda row: str(row["order"]), limit, after)


def purchase_orders(
    who: Who, connection: Connection, *, limit: int = DEFAULT_LIMIT, after: str | None = None
) -> Page:
    """The purchase order lines the principal sees, by order id: the programme's all, an
    operator's at its own sites, a supplier's addressed to it.

    Raises
    ------
    NotAllowed
        For the design authority and customers, and for the funder (it sees their totals:
        :func:`order_totals`).
    """
    return _order_list(who, connection, "purchase", limit, after)


def delivery_orders(
    who: Who, connection: Connection, *, limit: int = DEFAULT_LIMIT, after: str | None = None
) -> Page:
    """The delivery orders the principal sees, by order id: the programme's and the design
    authority's all, an operator's of its own sites, a customer's its own.

    Raises
    ------
    NotAllowed
        For suppliers, and for the funder (it sees their totals: :func:`order_totals`).
    """
    return _order_list(who, connection, "delivery", limit, after)


def order_totals(who: Who, connection: Connection, kind: str) -> dict[str, Any]:
    """Totals of the ``kind`` (``purchase`` or ``delivery``) orders the principal sees: how
    many, their quantity, what is done and open, the count by status.

    Raises
    ------
    NotVisible
        For a kind that is not ``purchase`` or ``delivery``.
    NotAllowed
        For an organisation that sees none of them.
    """
    if kind not in ("purchase", "delivery"):
        raise NotVisible("order kind")
    scope = scope_of(connection, who)
    reach = scope.require(DATA_OF_KIND[kind])
    rows = _rows(scope, connection, kind, reach)
    statuses: dict[str, int] = defaultdict(int)
    for row in rows:
        statuses[row.status] += 1
    return {
        "kind": kind,
        "orders": len(rows),
        "quantity": sum(row.quantity for row in rows),
        "done": sum(row.done for row in rows),
        "open": sum(row.open_quantity for row in rows),
        "by_status": dict(sorted(statuses.items())),
    }


def order(who: Who, connection: Connection, order_id: str) -> dict[str, Any]:
    """One order of any kind, if the principal sees it: a work or transfer order as a record of
    its site, a purchase or delivery order as ACCESS.md's rows for them say.

    Raises
    ------
    NotVisible
        For an order it may not know of, and alike for one that does not exist.
    """
    o = schema.orders.c
    scope = scope_of(connection, who)
    row = connection.execute(
        select(o.kind, o.site, o.supplier, o.customer).where(o.id == order_id)
    ).first()
    if row is None:
        raise NotVisible("order")
    reach = scope.reach(DATA_OF_KIND[row.kind])
    if reach is Reach.ALL:
        visible = True
    elif reach is Reach.OWN_SITES:
        visible = row.site in scope.own_sites
    elif reach is Reach.ITS_OWN:
        visible = (row.supplier or row.customer) in _partners(scope, row.kind)
    else:
        visible = False
    if not visible:
        raise NotVisible("order")
    found = order_table(connection, kind=row.kind, sites={row.site})
    return next(order_record(r) for r in found if r.order == order_id)


# -- shipments --------------------------------------------------------------------------------
def shipments(
    who: Who, connection: Connection, *, limit: int = DEFAULT_LIMIT, after: str | None = None
) -> Page:
    """The shipments the principal sees, by shipment id, each with its acceptance (a customer's
    without the lots shipped: it sees no lot).

    Raises
    ------
    NotAllowed
        For an organisation that sees none (or only totals).
    """
    scope = scope_of(connection, who)
    reach = scope.require("deliveries")
    if reach is Reach.TOTALS:
        raise NotAllowed("reading shipments (totals only)")
    check_limit(limit)
    e = schema.events.c
    query = select(e.id, e.at, e.site, e.partner, e.item, e.quantity, e.order_ref, e.body).where(
        e.type == "shipment"
    )
    if reach is Reach.OWN_SITES:
        query = query.where(e.site.in_(sorted(scope.own_sites)))
    elif reach is Reach.ITS_OWN:
        query = query.where(e.partner.in_(sorted(scope.customers)))
    if after is not None:
        query = query.where(e.id > after)
    rows = connection.execute(query.order_by(e.id).limit(limit + 1)).all()
    accepted = _acceptances(connection, [row.id for row in rows])
    items = []
    for row in rows:
        body = json.loads(row.body)
        item: dict[str, Any] = {
            "shipment": row.id,
            "at": row.at,
            "site": row.site,
            "customer": row.partner,
            "item": row.item,
            "quantity": row.quantity,
            "order": row.order_ref,
            "serials": body.get("serials") or [],
            "acceptance": accepted.get(row.id, []),
        }
        if reach is not Reach.ITS_OWN:
            item["lots"] = body.get("lots") or []
        items.append(item)
    return cut(items, lambda item: str(item["shipment"]), limit)


def _acceptances(connection: Connection, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    e = schema.events.c
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for part in chunks(ids):
        rows = connection.execute(
            select(e.id, e.at, e.ref, e.body)
            .where(e.type == "acceptance", e.ref.in_(part))
            .order_by(e.at, e.id)
        )
        for row in rows:
            body = json.loads(row.body)
            out[row.ref].append(
                {
                    "event": row.id,
                    "at": row.at,
                    "accepted": body.get("accepted"),
                    "rejected": body.get("rejected") or [],
                }
            )
    return out


# -- KPIs -------------------------------------------------------------------------------------
def network_kpis(who: Who, connection: Connection) -> dict[str, Any]:
    """Output (good units completed per product), and by customer: demand, shipped, shipped on
    time (shipments fill the dues oldest first; a unit shipped on or before its due date is on
    time), fill rate (shipped / demand) and on-time rate (on time / demand). A customer gets
    its own customers' rows and no output.

    Raises
    ------
    NotAllowed
        For an organisation that sees no KPIs (a supplier).
    """
    scope = scope_of(connection, who)
    reach = scope.require("kpis")
    scenario = scope.master.scenario
    customers = sorted(scope.customers if reach is Reach.ITS_OWN else scenario.customer_by_id)
    e = schema.events.c
    shipped: dict[tuple[str, str], list[tuple[date, float]]] = defaultdict(list)
    rows = connection.execute(
        select(e.partner, e.item, e.at, e.quantity)
        .where(e.type == "shipment", e.partner.in_(customers))
        .order_by(e.at, e.id)
    )
    for row in rows:
        shipped[(row.partner, row.item)].append((date.fromisoformat(row.at[:10]), row.quantity))
    dues: dict[tuple[str, str], list[tuple[date, float]]] = defaultdict(list)
    for line in scenario.demand:
        if line.customer in customers:
            dues[(line.customer, line.item)].append((line.due, line.quantity))
    by_customer = [_customer_kpis(c, dues, shipped) for c in customers]
    out: dict[str, Any] = {"customers": by_customer}
    if reach is not Reach.ITS_OWN:
        out["output"] = _output(connection, scenario)
    return out


def _customer_kpis(
    customer: str,
    dues: dict[tuple[str, str], list[tuple[date, float]]],
    shipped: dict[tuple[str, str], list[tuple[date, float]]],
) -> dict[str, Any]:
    demand = sent = on_time = 0.0
    keys = {key for key in (*dues, *shipped) if key[0] == customer}
    for key in keys:
        owed = sorted(dues.get(key, []))
        demand += sum(q for _, q in owed)
        for day, quantity in shipped.get(key, []):
            sent += quantity
            on_time += _fill(owed, day, quantity)
    return {
        "customer": customer,
        "demand": demand,
        "shipped": sent,
        "on_time": on_time,
        "fill_rate": min(sent, demand) / demand if demand > 0 else 1.0,
        "on_time_rate": on_time / demand if demand > 0 else 1.0,
    }


def _fill(owed: list[tuple[date, float]], day: date, quantity: float) -> float:
    """Fill the oldest dues in ``owed`` (changed in place) with ``quantity`` shipped on ``day``;
    the part that filled dues on or after ``day``."""
    on_time = 0.0
    while quantity > 0 and owed:
        due, left = owed[0]
        taken = min(left, quantity)
        if due >= day:
            on_time += taken
        quantity -= taken
        if taken >= left:
            owed.pop(0)
        else:
            owed[0] = (due, left - taken)
    return on_time


def _output(connection: Connection, scenario: Any) -> dict[str, float]:
    """Good units completed, per product (the network's, not a site's)."""
    products = sorted(item.id for item in scenario.items if item.kind == "product")
    e = schema.events.c
    totals: dict[str, float] = dict.fromkeys(products, 0.0)
    rows = connection.execute(
        select(e.item, func.sum(e.quantity))
        .where(e.type == "completion", e.item.in_(products))
        .group_by(e.item)
    )
    for item, quantity in rows:
        totals[item] = float(quantity or 0.0)
    return totals
