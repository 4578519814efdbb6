"""Recording events: ``dronefab record EVENTS.jsonl`` and :func:`record_events`.

A batch (a file, or a list through the API) is recorded whole or not at all, in one transaction:
every line is parsed and checked at the door, and one refusal refuses the batch with every
problem named (line, field, what is expected). An event whose id is already recorded with the
same content is acknowledged and changes nothing; with other content it is refused.

Memory stays bounded whatever the batch's size: a first pass reads every line and keeps only
what the door needs of the whole batch (ids and digests, dispatches and shipments that other
events name, the items of the serials made); then the lines are read again, :data:`CHUNK` at a
time, checked, and written (:mod:`dronefab.storage.write`) in the same transaction. A batch of
at most :data:`CHUNK` events is parsed once.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, select

from dronefab.errors import DronefabError, Location, Problem
from dronefab.storage import schema
from dronefab.storage.bulk import chunks
from dronefab.storage.database import Store
from dronefab.storage.door import Known, OrderRef, check_event
from dronefab.storage.events import (
    Acceptance,
    Arrival,
    Completion,
    Dispatch,
    Event,
    Receipt,
    Shipment,
    canonical,
    describe_errors,
    digest,
    parse_event,
)
from dronefab.storage.master import Master, now_stamp, read_revision
from dronefab.storage.write import Line, next_number, prepare_chunk, write_chunk

MAX_REFUSALS_SHOWN = 200
"""Refusals kept in full; a file with more says how many it left out."""

CHUNK = 10_000
"""Events parsed, checked and written at a time (about 9 KB each while held)."""

Raw = str | bytes | dict[str, Any]
Lines = Callable[[], Iterable[Raw]]
"""Reads the batch's lines from the start, each time it is called."""


class RefusedError(DronefabError):
    """A batch was refused: nothing of it was recorded. ``problems`` names every reason."""

    def __init__(self, source: str, problems: list[Problem], total: int) -> None:
        self.source = source
        self.problems = problems
        self.total = total
        lines = [str(p) for p in problems[:20]]
        if total > 20:
            lines.append(f"... and {total - 20} more")
        super().__init__(
            f"{source}: {total} problem{'s' if total != 1 else ''}, nothing recorded:\n"
            + "\n".join(lines)
        )


@dataclass
class RecordResult:
    """What a batch did: its number (None when every event was there already), the events
    recorded and those acknowledged as already recorded."""

    batch: int | None
    recorded: int
    already: int
    seconds: float = 0.0


@dataclass
class _Refusals:
    source: str
    problems: list[Problem] = field(default_factory=list)
    total: int = 0

    def refuse(self, line: int | None, path: str, message: str) -> None:
        self.total += 1
        if len(self.problems) < MAX_REFUSALS_SHOWN:
            self.problems.append(Problem(Location(self.source, line), path, message))


@dataclass
class _Scan:
    """What the first pass keeps of a whole batch."""

    first_line: dict[str, int] = field(default_factory=dict)  # id -> the line it is first on
    digests: dict[str, str] = field(default_factory=dict)
    orders: set[str] = field(default_factory=set)
    dispatches: dict[str, Dispatch] = field(default_factory=dict)
    shipments: dict[str, Shipment] = field(default_factory=dict)
    wanted: set[str] = field(default_factory=set)  # dispatches and shipments named by others
    serial_items: dict[str, str] = field(default_factory=dict)  # serials made or received
    alone: set[str] = field(default_factory=set)  # serials scrapped or destroyed without item
    lines: list[Line] | None = field(default_factory=list)  # kept while the batch is small


def record_file(store: Store, path: str | os.PathLike[str], by: str | None = None) -> RecordResult:
    """Record the events of a JSON Lines file (one event a line; blank lines are skipped).

    Raises
    ------
    RefusedError
        If any line is refused; nothing is recorded then.
    OSError
        If the file cannot be read.
    """
    source = Path(path)
    source.open("rb").close()  # a file that cannot be read fails here, before the store is locked

    def lines() -> Iterator[bytes]:
        with source.open("rb") as handle:
            yield from handle

    return _timed(store, lines, str(path), by)


def record_events(
    store: Store,
    events: Iterable[Raw],
    *,
    source: str = "events",
    by: str | None = None,
) -> RecordResult:
    """Record a batch of events, whole or not at all.

    Parameters
    ----------
    store
        The open store.
    events
        JSON texts (lines of a file) or decoded objects, in the batch's order.
    source
        How refusals name the batch (a file name).
    by
        Who records it (kept with the batch).

    Raises
    ------
    RefusedError
        Naming every refused event (line, field, what is expected); nothing is recorded.
    """
    batch = events if isinstance(events, list | tuple) else list(events)
    return _timed(store, lambda: batch, source, by)


def record_in(
    connection: Connection,
    events: Iterable[Raw],
    *,
    source: str = "events",
    by: str | None = None,
) -> RecordResult:
    """Record a batch inside the caller's write transaction (``dronefab db load`` records the
    opening stock with its revision, whole or not at all).

    Raises
    ------
    RefusedError
        As :func:`record_events`; the caller's transaction must then roll back.
    """
    batch = events if isinstance(events, list | tuple) else list(events)
    with _collector_paused():
        return _record(connection, lambda: batch, source, by)


def _timed(store: Store, lines: Lines, source: str, by: str | None) -> RecordResult:
    started = time.perf_counter()
    with _collector_paused(), store.writing() as connection:
        result = _record(connection, lines, source, by)
    result.seconds = time.perf_counter() - started
    return result


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch is built: its hundreds of thousands of small
    rows would trigger it over and over (about 15 % of a large batch) and none of them is a
    cycle."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _record(connection: Connection, lines: Lines, source: str, by: str | None) -> RecordResult:
    _lock(connection)
    master = read_revision(connection)
    refusals = _Refusals(source)
    scan = _scan(lines(), refusals)
    already = _already(connection, scan, refusals)
    known = _known(connection, scan)
    fresh = [i for i in scan.first_line if i not in already]
    batch: int | None = None
    seq = next_number(connection, schema.events.c.seq)
    # The database writes one chunk (releasing the GIL while SQLite or PostgreSQL work) while
    # this thread reads, checks and derives the next: one writer thread, one chunk ahead.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="dronefab-write") as writer:
        pending: Future[None] | None = None
        for lines_ in _chunks(scan, lines, already):
            _check(lines_, master, known, refusals)
            if refusals.total:
                continue  # go on checking, to name every problem; nothing will be written
            if batch is None:
                batch = _open_batch(connection, master, source, by, len(fresh))
            chunk = prepare_chunk(lines_, batch, seq, master, known)
            seq += len(lines_)
            if pending is not None:
                pending.result()  # raises what the writer raised
            pending = writer.submit(write_chunk, connection, chunk)
        if pending is not None:
            pending.result()
    if refusals.total:
        raise RefusedError(source, refusals.problems, refusals.total)
    return RecordResult(batch, len(fresh), len(already))


def _lock(connection: Connection) -> None:
    """One writer at a time (SQLite's BEGIN IMMEDIATE does it there): numbers stay dense."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(20261207)")


# -- the first pass ---------------------------------------------------------------------------
def _parsed(raw: Raw, number: int, refusals: _Refusals | None) -> Line | None:
    """The line as an event (None when blank or refused; ``refusals`` hears why)."""
    if isinstance(raw, str | bytes) and not raw.strip():
        return None
    try:
        event = parse_event(raw)
    except ValidationError as error:
        if refusals is not None:
            for path, message in describe_errors(error):
                refusals.refuse(number, path, message)
        return None
    body = canonical(event)
    return Line(number, event, body, digest(body))


def _scan(raws: Iterable[Raw], refusals: _Refusals) -> _Scan:
    scan = _Scan()
    for number, raw in enumerate(raws, start=1):
        line = _parsed(raw, number, refusals)
        if line is None:
            continue
        e = line.event
        first = scan.first_line.get(e.id)
        if first is not None:
            if scan.digests[e.id] != line.digest:
                message = f"id '{e.id}' is also on line {first}, with other content"
                refusals.refuse(number, "id", message)
            continue
        scan.first_line[e.id] = number
        scan.digests[e.id] = line.digest
        _remember(scan, e)
        if scan.lines is not None:
            scan.lines.append(line)
            if len(scan.lines) > CHUNK:
                scan.lines = None  # a large batch: read again, a chunk at a time
    return scan


def _remember(scan: _Scan, e: Event) -> None:
    """What other events of the batch may need of ``e`` (kept for the whole batch)."""
    order = getattr(e, "order", None)
    if order is not None:
        scan.orders.add(order)
    if isinstance(e, Completion | Receipt):
        if e.serials:
            scan.serial_items.update(dict.fromkeys(e.serials, e.item))
    elif isinstance(e, Dispatch):
        scan.dispatches[e.id] = e
    elif isinstance(e, Shipment):
        scan.shipments[e.id] = e
    elif isinstance(e, Arrival):
        scan.wanted.add(e.dispatch)
    elif isinstance(e, Acceptance):
        scan.wanted.add(e.shipment)
    elif e.type == "strike":
        scan.alone.update(p.serial for p in e.destroyed if p.serial is not None and p.item is None)
    elif e.type == "scrap" and e.serial is not None and e.item is None:
        scan.alone.add(e.serial)


def _already(connection: Connection, scan: _Scan, refusals: _Refusals) -> set[str]:
    """Ids recorded before with the same content; the same id with other content is refused."""
    table = schema.events
    already = set()
    for ids in chunks(scan.first_line):
        rows = connection.execute(select(table.c.id, table.c.digest).where(table.c.id.in_(ids)))
        for row in rows:
            if row.digest == scan.digests[row.id]:
                already.add(row.id)
            else:
                message = f"id '{row.id}' is already recorded with other content"
                refusals.refuse(scan.first_line[row.id], "id", message)
                already.add(row.id)  # not written again; the batch is refused anyway
    return already


def _known(connection: Connection, scan: _Scan) -> Known:
    """What the store and the batch hold that the batch's events name."""
    orders: dict[str, OrderRef] = {}
    o = schema.orders.c
    for ids in chunks(scan.orders):
        for row in connection.execute(
            select(o.id, o.kind, o.site, o.item, o.supplier, o.to_site, o.customer).where(
                o.id.in_(ids)
            )
        ):
            partner = row.supplier or row.to_site or row.customer
            orders[row.id] = OrderRef(row.kind, row.site, row.item, partner)
    bodies = _events_by_id(connection, scan.wanted)
    dispatches = {
        i: Dispatch.model_validate_json(b) for i, (t, b) in bodies.items() if t == "dispatch"
    }
    shipments = {
        i: Shipment.model_validate_json(b) for i, (t, b) in bodies.items() if t == "shipment"
    }
    dispatches.update(scan.dispatches)
    shipments.update(scan.shipments)
    arrived: set[str] = set()
    e = schema.events.c
    for ids in chunks(scan.wanted):
        rows = connection.execute(select(e.ref).where(e.ref.in_(ids), e.type == "arrival"))
        arrived.update(row.ref for row in rows)
    serial_items = dict(scan.serial_items)
    serial_items.update(_serial_items(connection, scan.alone - serial_items.keys()))
    return Known(orders, dispatches, shipments, arrived, serial_items)


def _events_by_id(connection: Connection, ids: set[str]) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    e = schema.events.c
    for part in chunks(ids):
        for row in connection.execute(select(e.id, e.type, e.body).where(e.id.in_(part))):
            out[row.id] = (row.type, row.body)
    return out


def _serial_items(connection: Connection, serials: set[str]) -> dict[str, str]:
    u = schema.units.c
    out: dict[str, str] = {}
    for part in chunks(serials):
        rows = connection.execute(
            select(u.serial, u.item).where(u.serial.in_(part), u.item.is_not(None))
        )
        out.update({row.serial: row.item for row in rows})
    return out


# -- the second pass: check and write, a chunk at a time --------------------------------------
def _chunks(scan: _Scan, lines: Lines, already: set[str]) -> Iterator[list[Line]]:
    """The batch's new events, first occurrences only, at most :data:`CHUNK` at a time."""
    if scan.lines is not None:
        fresh = [line for line in scan.lines if line.event.id not in already]
        for start in range(0, len(fresh), CHUNK):
            yield fresh[start : start + CHUNK]
        return
    chunk: list[Line] = []
    for number, raw in enumerate(lines(), start=1):
        line = _parsed(raw, number, None)  # its refusals were heard in the first pass
        if line is None or line.event.id in already:
            continue
        if scan.first_line.get(line.event.id) != number:
            continue  # a repeat of an earlier line
        chunk.append(line)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _check(lines: list[Line], master: Master, known: Known, refusals: _Refusals) -> None:
    for line in lines:

        def report(path: str, message: str, number: int = line.number) -> None:
            refusals.refuse(number, path, message)

        check_event(line.event, master, known, report)
        if isinstance(line.event, Arrival):
            known.arrived.add(line.event.dispatch)  # a second arrival in the batch is refused


def _open_batch(
    connection: Connection, master: Master, source: str, by: str | None, events: int
) -> int:
    batch = next_number(connection, schema.batches.c.number)
    connection.execute(
        schema.batches.insert().values(
            number=batch,
            source=source,
            recorded_at=now_stamp(),
            events=events,
            revision=master.revision,
            by=by,
        )
    )
    return batch
