"""Released plans and their orders: ``dronefab release PLAN_DIR`` and ``dronefab orders``.

A release turns a plan into open orders: a work order per production row, a purchase order line
per purchase, a transfer order per transfer and a delivery order per shipment. Its first period
starts on its scenario's horizon start (a replan's ``--as-of``); it cancels the open orders of
earlier releases due on or after that day.

What is done on each order is decided when it is read, from the set of events (so that it is a
function of that set): events folded in (``at``, ``id``) order; one that names its order counts
there; one that does not fills the open orders of its kind, site, item and partner, earliest due
first, spilling what is beyond one order's open quantity to the next.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, func, insert, select, update

from dronefab.errors import UsageError
from dronefab.planning.plan import read_plan
from dronefab.storage import schema
from dronefab.storage.audit import Actor, append
from dronefab.storage.bulk import chunks, insert_rows
from dronefab.storage.database import Store
from dronefab.storage.master import now_stamp, read_revision
from dronefab.storage.timepoint import AsOf

KINDS = ("work", "purchase", "transfer", "delivery")
PREFIX = {"work": "WO", "purchase": "PO", "transfer": "TO", "delivery": "DO"}
EVENT_KIND = {
    "completion": "work",
    "receipt": "purchase",
    "dispatch": "transfer",
    "shipment": "delivery",
}
"""The kind of order each event type fills."""

OPEN = ("released", "in_progress")
DONE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class ReleaseResult:
    """A release: its number, the orders it made by kind, and the orders it cancelled."""

    number: int
    revision: int
    starts: date
    orders: dict[str, int]
    cancelled: int


def release_plan(
    store: Store,
    plan_dir: str | os.PathLike[str],
    by: str | None = None,
    *,
    actor: Actor | None = None,
) -> ReleaseResult:
    """Release the plan in ``plan_dir`` (made for a scenario the store holds); ``actor`` is who
    the audit log names (default: the command line's OS user).

    Raises
    ------
    UsageError
        If the folder is not a plan, or the plan was made for a scenario the store does not hold.
    """
    planned = read_plan(Path(plan_dir))
    with store.writing() as connection:
        return release_read_plan(connection, planned, plan_dir, by, actor=actor)


def release_read_plan(
    connection: Connection,
    planned: Any,
    plan_dir: str | os.PathLike[str],
    by: str | None = None,
    *,
    actor: Actor | None = None,
) -> ReleaseResult:
    """:func:`release_plan` of a plan already read, inside the caller's write transaction (the
    service's approval records itself in the same one).

    Raises
    ------
    UsageError
        If the plan was made for a scenario the store does not hold.
    """
    folder = Path(plan_dir)
    fingerprint = planned.summary.get("scenario_fingerprint")
    found = _scenario(connection, fingerprint, folder)
    master = read_revision(connection, found["revision"])
    horizon = master.scenario.horizon
    starts = date.fromisoformat(found["as_of"][:10]) if found["as_of"] else horizon.start
    number = _next_number(connection)
    rows = _orders_of(planned, number, starts, horizon.period_days)
    connection.execute(
        insert(schema.releases).values(
            number=number,
            revision=found["revision"],
            scenario=fingerprint,
            starts=starts.isoformat(),
            released_at=now_stamp(),
            source=str(plan_dir),
            by=by,
        )
    )
    cancelled = _cancel_open(connection, starts, number)
    insert_rows(connection, schema.orders, ORDER_COLUMNS, rows)
    counts = {kind: sum(1 for row in rows if row[2] == kind) for kind in KINDS}
    detail = {
        "revision": found["revision"],
        "scenario": fingerprint,
        "starts": starts.isoformat(),
        "orders": counts,
        "cancelled": cancelled,
        "source": str(plan_dir),
        "by": by,
    }
    append(connection, actor or Actor.cli(), "plan.release", f"release {number}", detail)
    return ReleaseResult(number, found["revision"], starts, counts, cancelled)


ORDER_COLUMNS = (
    "id",
    "release",
    "kind",
    "site",
    "item",
    "supplier",
    "to_site",
    "customer",
    "quantity",
    "due",
    "arrival",
    "period",
    "cancelled_by",
)


def _scenario(connection: Connection, fingerprint: Any, folder: Path) -> dict[str, Any]:
    if not fingerprint:
        message = (
            f"{folder}/summary.json names no scenario fingerprint (a plan from an older dronefab): "
            "plan the scenario again"
        )
        raise UsageError(message)
    s = schema.scenarios.c
    row = connection.execute(
        select(s.revision, s.as_of).where(s.fingerprint == fingerprint)
    ).first()
    if row is None:
        message = (
            f"{folder} was planned for a scenario the store does not hold: load that scenario "
            "with 'dronefab db load SCENARIO', or plan a stored one (a replan's DIR/scenario)"
        )
        raise UsageError(message)
    return {"revision": row.revision, "as_of": row.as_of}


def _next_number(connection: Connection) -> int:
    top = connection.execute(select(func.max(schema.releases.c.number))).scalar()
    return 1 if top is None else int(top) + 1


def _orders_of(planned: Any, number: int, starts: date, period_days: int) -> list[tuple[Any, ...]]:
    def day(period: Any) -> str:
        return (starts + timedelta(days=(int(period) - 1) * period_days)).isoformat()

    rows: list[tuple[Any, ...]] = []

    def add(kind: str, frame: pd.DataFrame, make: Any) -> None:
        if frame.empty:
            return
        records = [r for r in frame.to_dict("records") if float(r["quantity"]) > DONE_TOLERANCE]
        for n, record in enumerate(records, start=1):
            rows.append((f"{PREFIX[kind]}{number}-{n:05d}", number, kind, *make(record), None))

    add(
        "work",
        planned.production,
        lambda r: (
            r["site"],
            r["item"],
            None,
            None,
            None,
            float(r["quantity"]),
            day(r["period"]),
            None,
            int(r["period"]),
        ),
    )
    add(
        "purchase",
        planned.purchases,
        lambda r: (
            r["site"],
            r["item"],
            r["supplier"],
            None,
            None,
            float(r["quantity"]),
            day(r["arrival_period"]),
            day(r["arrival_period"]),
            int(r["order_period"]),
        ),
    )
    add(
        "transfer",
        planned.transfers,
        lambda r: (
            r["from_site"],
            r["item"],
            None,
            r["to_site"],
            None,
            float(r["quantity"]),
            day(r["ship_period"]),
            day(r["arrival_period"]),
            int(r["ship_period"]),
        ),
    )
    add(
        "delivery",
        planned.shipments,
        lambda r: (
            r["site"],
            r["item"],
            None,
            None,
            r["customer"],
            float(r["quantity"]),
            day(r["ship_period"]),
            day(r["arrival_period"]),
            int(r["ship_period"]),
        ),
    )
    return rows


def _cancel_open(connection: Connection, starts: date, number: int) -> int:
    """Cancel the open orders of earlier releases due on or after ``starts``."""
    table = order_table(connection)
    ids = [
        row.order
        for row in table
        if row.status in OPEN and row.due >= starts.isoformat() and row.release < number
    ]
    o = schema.orders.c
    for part in chunks(ids):
        connection.execute(update(schema.orders).where(o.id.in_(part)).values(cancelled_by=number))
    return len(ids)


# -- what is done on each order ---------------------------------------------------------------
@dataclass
class OrderRow:
    """One order as ``dronefab orders`` lists it."""

    order: str
    kind: str
    site: str
    item: str
    quantity: float
    done: float
    due: str
    status: str
    release: int
    supplier: str | None = None
    to_site: str | None = None
    customer: str | None = None
    arrival: str | None = None
    events: list[str] = field(default_factory=list)

    @property
    def open_quantity(self) -> float:
        """What is still to do (0 for a cancelled order)."""
        if self.status == "cancelled":
            return 0.0
        return max(0.0, self.quantity - self.done)


def order_table(
    connection: Connection,
    *,
    site: str | None = None,
    kind: str | None = None,
    as_of: AsOf | None = None,
    sites: Collection[str] | None = None,
    partners: Collection[str] | None = None,
) -> list[OrderRow]:
    """Every order with what is done on it and its status (at ``as_of``; default now).

    ``sites`` and ``partners`` (suppliers, destinations or customers) keep the orders of those
    only, and read only their events (:mod:`dronefab.storage.access` reads a principal's part
    so): an order is filled only by events of its own site, item and partner (the door refuses
    an event naming another's order), so what is done on each is the same as when reading all.

    Raises
    ------
    UsageError
        For a kind that is not one of work, purchase, transfer, delivery.
    """
    if kind is not None and kind not in KINDS:
        message = f"--kind '{kind}': expected one of {', '.join(KINDS)}"
        raise UsageError(message)
    within = _Within(sites, partners)
    orders = _read_orders(connection, kind, within)
    _allocate(connection, orders, kind, as_of, within)
    _close(connection, orders, as_of)
    rows = [o for o in orders.values() if site is None or o.site == site]
    return sorted(rows, key=lambda o: (o.due, o.kind, o.order))


@dataclass(frozen=True)
class _Within:
    """The sites and partners an order listing is restricted to (None: every one)."""

    sites: Collection[str] | None
    partners: Collection[str] | None

    def where(self, site: Any, partner: Any) -> list[Any]:
        """SQL conditions on a site and a partner column."""
        out = []
        if self.sites is not None:
            out.append(site.in_(sorted(self.sites)))
        if self.partners is not None:
            out.append(partner.in_(sorted(self.partners)))
        return out


def _read_orders(
    connection: Connection, kind: str | None, within: _Within | None = None
) -> dict[str, OrderRow]:
    o = schema.orders.c
    query = select(schema.orders)
    if within is not None:
        partner = func.coalesce(o.supplier, o.to_site, o.customer)
        query = query.where(*within.where(o.site, partner))
    if kind is not None:
        query = query.where(o.kind == kind)
    out = {}
    for row in connection.execute(query):
        out[row.id] = OrderRow(
            order=row.id,
            kind=row.kind,
            site=row.site,
            item=row.item,
            quantity=row.quantity,
            done=0.0,
            due=row.due,
            status="cancelled" if row.cancelled_by is not None else "released",
            release=row.release,
            supplier=row.supplier,
            to_site=row.to_site,
            customer=row.customer,
            arrival=row.arrival,
        )
    return out


def _key(kind: str, site: str, item: str, partner: str | None) -> tuple[str, str, str, str | None]:
    return (kind, site, item, partner)


def _allocate(
    connection: Connection,
    orders: dict[str, OrderRow],
    kind: str | None,
    as_of: AsOf | None,
    within: _Within | None = None,
) -> None:
    queues: dict[tuple[str, str, str, str | None], list[OrderRow]] = defaultdict(list)
    for order in sorted(orders.values(), key=lambda o: (o.due, o.order)):
        if order.status != "cancelled":
            partner = order.supplier or order.to_site or order.customer
            queues[_key(order.kind, order.site, order.item, partner)].append(order)
    types = [t for t, k in EVENT_KIND.items() if kind is None or k == kind]
    e = schema.events.c
    query = select(e.id, e.type, e.site, e.item, e.quantity, e.partner, e.order_ref).where(
        e.type.in_(types)
    )
    if within is not None:
        query = query.where(*within.where(e.site, e.partner))
    if as_of is not None:
        query = query.where(as_of.includes(e.at))
    for event in connection.execute(query.order_by(e.at, e.id)):
        quantity = float(event.quantity or 0.0)
        if event.order_ref is not None:
            named = orders.get(event.order_ref)
            if named is not None:
                named.done += quantity
                named.events.append(event.id)
            continue
        partner = None if event.type == "completion" else event.partner
        for order in queues.get(_key(EVENT_KIND[event.type], event.site, event.item, partner), []):
            if quantity <= DONE_TOLERANCE:
                break
            room = order.quantity - order.done
            if room <= DONE_TOLERANCE:
                continue
            taken = min(room, quantity)
            order.done += taken
            order.events.append(event.id)
            quantity -= taken
    for order in orders.values():
        if order.status == "cancelled":
            continue
        if order.done >= order.quantity - DONE_TOLERANCE * max(1.0, order.quantity):
            order.status = "completed"
        elif order.done > DONE_TOLERANCE:
            order.status = "in_progress"


def _close(connection: Connection, orders: dict[str, OrderRow], as_of: AsOf | None) -> None:
    """A completed transfer is closed once all its dispatches arrived; a completed delivery
    once all its shipments were accepted."""
    follow = {"transfer": "arrival", "delivery": "acceptance"}
    waiting = [o for o in orders.values() if o.status == "completed" and o.kind in follow]
    refs = {event for o in waiting for event in o.events}
    if not refs:
        return
    e = schema.events.c
    answered: set[str] = set()
    for part in chunks(sorted(refs)):
        query = select(e.ref).where(e.ref.in_(part), e.type.in_(follow.values()))
        if as_of is not None:
            query = query.where(as_of.includes(e.at))
        answered.update(row.ref for row in connection.execute(query))
    for order in waiting:
        if all(event in answered for event in order.events):
            order.status = "closed"


ORDER_CSV_COLUMNS = (
    "order",
    "kind",
    "site",
    "item",
    "quantity",
    "done",
    "due",
    "status",
    "release",
    "supplier",
    "to_site",
    "customer",
    "arrival",
)


def orders_frame(rows: list[OrderRow]) -> pd.DataFrame:
    """The orders as ``orders.csv`` lists them."""
    return pd.DataFrame(
        [{column: getattr(row, column) for column in ORDER_CSV_COLUMNS} for row in rows],
        columns=list(ORDER_CSV_COLUMNS),
    )
