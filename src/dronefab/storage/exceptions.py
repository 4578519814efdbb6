"""Exceptions: what a shop floor does and a supervisor must resolve (EXECUTION.md).

Each is found from the set of events, so two stores with the same events list the same ones:

``negative_stock``
    on-hand stock of a (site, item, lot) below zero at some moment, the ledger folded in
    (``at``, ``id``) order;
``consumption_off_bom``
    a completion consuming other than the bill of materials times (good + scrap);
``completed_twice``
    a serial made by more than one completion;
``quarantined_used``
    a held lot or serial consumed, dispatched or shipped while held;
``untested_shipment``
    a serial shipped without a passing test, before the shipment, of every test its item requires;
``dispatch_overdue``
    a dispatch not arrived within twice its lane's transit (at least a day): by now (the clock,
    or the latest event if the record runs ahead of it), or it arrived later.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select, text

from dronefab.storage import schema
from dronefab.storage.bulk import chunks
from dronefab.storage.events import utc_stamp
from dronefab.storage.master import Master, read_revision
from dronefab.storage.queries import unit_names
from dronefab.storage.timepoint import AsOf

NEGATIVE = -1e-9

KINDS = (
    "negative_stock",
    "consumption_off_bom",
    "completed_twice",
    "quarantined_used",
    "untested_shipment",
    "dispatch_overdue",
)


@dataclass(frozen=True)
class ExceptionRow:
    """One exception: its kind, the events it names (ids), and what happened."""

    kind: str
    events: tuple[str, ...]
    detail: str
    at: str


def find_exceptions(connection: Connection, as_of: AsOf | None = None) -> list[ExceptionRow]:
    """Every exception in the record (at ``as_of``; default now), oldest first."""
    master = read_revision(connection)
    found = [
        *_negative_stock(connection, as_of),
        *_flagged(connection, as_of),
        *_completed_twice(connection, as_of),
        *_quarantined_used(connection, as_of),
        *_untested_shipments(connection, master, as_of),
        *_overdue_dispatches(connection, master, as_of),
    ]
    return sorted(found, key=lambda x: (x.at, KINDS.index(x.kind), x.events))


def _within(as_of: AsOf | None, column: Any) -> Any:
    return True if as_of is None else as_of.includes(column)


NEGATIVE_SQL = """
SELECT unit, site, id, at, running FROM (
    SELECT m.unit, m.site, e.id, e.at,
           SUM(m.quantity) OVER (PARTITION BY m.unit, m.site ORDER BY e.at, e.id
                                 ROWS UNBOUNDED PRECEDING) AS running
    FROM moves m JOIN events e ON e.seq = m.event
    WHERE NOT m.in_transit {until}
) ledger
WHERE running < :negative
ORDER BY unit, site, at, id
"""


def _negative_stock(connection: Connection, as_of: AsOf | None) -> list[ExceptionRow]:
    """The first moment each (unit, site) goes below zero, and the event that took it there."""
    until = "" if as_of is None else "AND e.at < :until"
    params: dict[str, Any] = {"negative": NEGATIVE}
    if as_of is not None:
        params["until"] = as_of.until
    rows = connection.execute(text(NEGATIVE_SQL.format(until=until)), params).all()
    first: dict[tuple[int, str], Any] = {}
    for row in rows:
        first.setdefault((row.unit, row.site), row)
    names = unit_names(connection, {unit for unit, _ in first})
    out = []
    for (unit, site), row in first.items():
        item, lot = names[unit]
        what = f"'{item}'" + (f" lot '{lot}'" if lot else "")
        detail = f"stock of {what} at '{site}' fell to {row.running:g}"
        out.append(ExceptionRow("negative_stock", (row.id,), detail, row.at))
    return out


def _flagged(connection: Connection, as_of: AsOf | None) -> list[ExceptionRow]:
    f, e = schema.flags.c, schema.events.c
    rows = connection.execute(
        select(f.kind, f.detail, e.id, e.at)
        .join_from(schema.flags, schema.events, e.seq == f.event)
        .where(_within(as_of, e.at))
    )
    return [ExceptionRow(row.kind, (row.id,), row.detail, row.at) for row in rows]


def _completed_twice(connection: Connection, as_of: AsOf | None) -> list[ExceptionRow]:
    md, e, u = schema.made.c, schema.events.c, schema.units.c
    twice = (
        select(md.unit)
        .join_from(schema.made, schema.events, e.seq == md.event)
        .join(schema.units, u.id == md.unit)
        .where(u.serial.is_not(None), _within(as_of, e.at))
        .group_by(md.unit)
        .having(func.count() > 1)
        .subquery()
    )
    rows = connection.execute(
        select(u.serial, e.id, e.at)
        .join_from(schema.made, schema.events, e.seq == md.event)
        .join(schema.units, u.id == md.unit)
        .where(md.unit.in_(select(twice.c.unit)), _within(as_of, e.at))
        .order_by(u.serial, e.at, e.id)
    )
    events: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in rows:
        events[row.serial].append((row.at, row.id))
    return [
        ExceptionRow(
            "completed_twice",
            tuple(i for _, i in made),
            f"serial '{serial}' was completed {len(made)} times",
            made[1][0],
        )
        for serial, made in events.items()
    ]


def _hold_intervals(
    connection: Connection, as_of: AsOf | None
) -> dict[tuple[str, ...], list[tuple[str, str | None, str]]]:
    """Held lot ("l", item, lot) or serial ("s", serial) -> [(from "at|id", to "at|id" or None,
    the quarantine's id)]."""
    e = schema.events.c
    rows = connection.execute(
        select(e.id, e.type, e.at, e.body)
        .where(e.type.in_(("quarantine", "release")), _within(as_of, e.at))
        .order_by(e.at, e.id)
    )
    open_since: dict[tuple[str, ...], tuple[str, str]] = {}
    out: dict[tuple[str, ...], list[tuple[str, str | None, str]]] = defaultdict(list)
    for row in rows:
        body = json.loads(row.body)
        key: tuple[str, ...] = (
            ("s", body["serial"]) if body.get("serial") else ("l", body["item"], body["lot"])
        )
        moment = f"{row.at}|{row.id}"
        if row.type == "quarantine":
            open_since.setdefault(key, (moment, row.id))
        elif key in open_since:
            since, hold = open_since.pop(key)
            out[key].append((since, moment, hold))
    for key, (since, hold) in open_since.items():
        out[key].append((since, None, hold))
    return out


def _quarantined_used(connection: Connection, as_of: AsOf | None) -> list[ExceptionRow]:
    out = []
    for key, spans in _hold_intervals(connection, as_of).items():
        what = f"serial '{key[1]}'" if key[0] == "s" else f"lot '{key[2]}' of '{key[1]}'"
        for row in _uses(connection, key, as_of):
            moment = f"{row.at}|{row.id}"
            for since, until, hold in spans:
                if since < moment and (until is None or moment < until):
                    verb = {"completion": "consumed", "dispatch": "dispatched"}.get(
                        row.type, "shipped"
                    )
                    detail = f"{what}, held by '{hold}', was {verb} at '{row.site}'"
                    out.append(ExceptionRow("quarantined_used", (hold, row.id), detail, row.at))
    return out


USES = ("completion", "dispatch", "shipment")


def _uses(connection: Connection, key: tuple[str, ...], as_of: AsOf | None) -> list[Any]:
    """Events that consumed, dispatched or shipped a lot ("l", item, lot) or serial ("s", serial).

    A serial's are among its own events. A lot's completions are found through genealogy (the
    completions that made what the lot is linked to), then checked by what they consumed;
    its dispatches and shipments are those of its item that list it.
    """
    u, e, md, lk, ue = (
        schema.units.c, schema.events.c, schema.made.c, schema.links.c, schema.unit_events.c
    )  # fmt: skip
    columns = (e.id, e.type, e.at, e.site, e.body)
    if key[0] == "s":
        unit = connection.execute(select(u.id).where(u.serial == key[1])).scalar()
        rows = connection.execute(
            select(*columns)
            .join_from(schema.unit_events, schema.events, e.seq == ue.event)
            .where(ue.unit == unit, e.type.in_(USES), _within(as_of, e.at))
        ).all()
        return [r for r in rows if r.type != "completion" or key[1] not in _made(r.body)]
    item, lot = key[1], key[2]
    unit = connection.execute(
        select(u.id).where(u.item == item, u.lot == lot)  # a lot: serials have no lot
    ).scalar()
    completions = connection.execute(
        select(*columns)
        .join_from(schema.links, schema.made, md.unit == lk.parent)
        .join(schema.events, e.seq == md.event)
        .where(lk.child == unit, _within(as_of, e.at))
        .distinct()
    ).all()
    moved = connection.execute(
        select(*columns).where(
            e.type.in_(("dispatch", "shipment")), e.item == item, _within(as_of, e.at)
        )
    ).all()
    used = [r for r in completions if _consumes(r.body, item, lot)]
    return used + [r for r in moved if _lists_lot(r.body, lot)]


def _made(body: str) -> set[str]:
    return set(json.loads(body).get("serials") or ())


def _consumes(body: str, item: str, lot: str) -> bool:
    return any(
        p["item"] == item and p.get("lot") == lot for p in json.loads(body).get("consumed", ())
    )


def _lists_lot(body: str, lot: str) -> bool:
    return any(p["lot"] == lot for p in json.loads(body).get("lots") or ())


def _untested_shipments(
    connection: Connection, master: Master, as_of: AsOf | None
) -> list[ExceptionRow]:
    required: dict[str, set[str]] = defaultdict(set)
    for row in master.scenario.required_tests:
        required[row.item].add(row.test)
    if not required:
        return []
    e = schema.events.c
    shipments = connection.execute(
        select(e.seq, e.id, e.at, e.item, e.body)
        .where(e.type == "shipment", e.item.in_(sorted(required)), _within(as_of, e.at))
        .order_by(e.at, e.id)
    ).all()
    out = []
    for shipment in shipments:
        serials = json.loads(shipment.body).get("serials") or []
        passed = _passed_tests(connection, serials, f"{shipment.at}|{shipment.id}")
        for serial in serials:
            missing = sorted(required[shipment.item] - passed.get(serial, set()))
            if missing:
                detail = (
                    f"serial '{serial}' was shipped without a passing {', '.join(missing)} test"
                )
                out.append(ExceptionRow("untested_shipment", (shipment.id,), detail, shipment.at))
    return out


def _passed_tests(connection: Connection, serials: list[str], before: str) -> dict[str, set[str]]:
    """Serial -> the tests it passed before the moment ``before`` ("at|id")."""
    e = schema.events.c
    out: dict[str, set[str]] = defaultdict(set)
    for part in chunks(serials):
        rows = connection.execute(
            select(e.id, e.at, e.body).where(e.type == "test", e.ref.in_(part))
        )
        for row in rows:
            body = json.loads(row.body)
            if body["result"] == "pass" and f"{row.at}|{row.id}" < before:
                out[body["serial"]].add(body["test"])
    return out


def _overdue_dispatches(
    connection: Connection, master: Master, as_of: AsOf | None
) -> list[ExceptionRow]:
    e = schema.events.c
    dispatches = connection.execute(
        select(e.id, e.at, e.site, e.partner).where(e.type == "dispatch", _within(as_of, e.at))
    ).all()
    arrivals = {
        row.ref: row
        for row in connection.execute(
            select(e.ref, e.id, e.at).where(e.type == "arrival", _within(as_of, e.at))
        )
    }
    now = as_of.until if as_of is not None else _now(connection)
    out = []
    for dispatch in dispatches:
        transit = master.lanes.get((dispatch.site, dispatch.partner), 0.0)
        due = _plus_days(dispatch.at, max(2 * transit, 1.0))
        arrival = arrivals.get(dispatch.id)
        if arrival is None and now > due:
            detail = (
                f"dispatch from '{dispatch.site}' to '{dispatch.partner}' has not arrived; "
                f"the lane takes {transit:g} days"
            )
            out.append(ExceptionRow("dispatch_overdue", (dispatch.id,), detail, due))
        elif arrival is not None and arrival.at > due:
            detail = (
                f"dispatch from '{dispatch.site}' to '{dispatch.partner}' arrived after more than "
                f"twice the lane's {transit:g} days"
            )
            out.append(ExceptionRow("dispatch_overdue", (dispatch.id, arrival.id), detail, due))
    return out


def _now(connection: Connection) -> str:
    """The clock, or the latest event if the record runs ahead of it (a generated history)."""
    latest = connection.execute(select(func.max(schema.events.c.at))).scalar()
    clock = utc_stamp(datetime.now(UTC))
    return max(clock, latest) if latest is not None else clock


def _plus_days(stamp: str, days: float) -> str:
    moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return utc_stamp(moment + timedelta(days=days))
