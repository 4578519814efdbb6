"""Recording events: ``dronefab record EVENTS.jsonl`` and :func:`record_events`.

A batch (a file, or a list through the API) is recorded whole or not at all, in one transaction:
every line is parsed and checked at the door, and one refusal refuses the batch with every
problem named (line, field, what is expected). An event whose id is already recorded with the
same content is acknowledged and changes nothing; with other content it is refused.

Memory stays bounded whatever the batch's size: the lines are read once, :data:`CHUNK` at a
time, each chunk checked and written (:mod:`dronefab.storage.write`) in the batch's transaction,
and only what later events may name is kept of the whole batch (ids and digests, dispatches and
shipments, the items of the serials made). An event that names what comes later in the file (an
arrival before its dispatch, the scrap of a serial made further on) waits until the whole batch
is read; a refusal anywhere rolls the whole transaction back.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, select, update

from dronefab.errors import DronefabError, Location, Problem
from dronefab.storage import schema
from dronefab.storage.audit import Actor, append, writer_lock
from dronefab.storage.bulk import chunks
from dronefab.storage.database import Store
from dronefab.storage.door import Door, Known, OrderRef
from dronefab.storage.events import (
    Acceptance,
    Arrival,
    Completion,
    Dispatch,
    Event,
    Receipt,
    Scrap,
    Shipment,
    Strike,
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
class _Batch:
    """What one pass over a batch keeps of it while its chunks are checked and written."""

    first_line: dict[str, int] = field(default_factory=dict)  # id -> the line it is first on
    digests: dict[str, str] = field(default_factory=dict)
    already: set[str] = field(default_factory=set)  # ids the store holds with the same content
    recorded: int = 0
    orders: dict[str, OrderRef] = field(default_factory=dict)  # the store's, as looked up
    dispatches: dict[str, Dispatch] = field(default_factory=dict)  # the batch's and the store's
    shipments: dict[str, Shipment] = field(default_factory=dict)
    arrived: set[str] = field(default_factory=set)  # dispatches with an arrival
    serial_items: dict[str, str] = field(default_factory=dict)  # serials made or received
    looked_up: set[str] = field(default_factory=set)  # references sought in the store already
    waiting: list[Line] = field(default_factory=list)  # events naming what comes later


def record_file(
    store: Store,
    path: str | os.PathLike[str],
    by: str | None = None,
    *,
    actor: Actor | None = None,
) -> RecordResult:
    """Record the events of a JSON Lines file (one event a line; blank lines are skipped).

    ``actor`` is who the audit log names (default: the command line's OS user).

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

    return _timed(store, lines, str(path), by, actor)


def record_events(
    store: Store,
    events: Iterable[Raw],
    *,
    source: str = "events",
    by: str | None = None,
    actor: Actor | None = None,
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
    actor
        Who the audit log names (default: the command line's OS user).

    Raises
    ------
    RefusedError
        Naming every refused event (line, field, what is expected); nothing is recorded.
    """
    batch = events if isinstance(events, list | tuple) else list(events)
    return _timed(store, lambda: batch, source, by, actor)


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


def _timed(
    store: Store, lines: Lines, source: str, by: str | None, actor: Actor | None
) -> RecordResult:
    """Record a batch in its own transaction, with its audit entry; a refusal is logged in a
    transaction of its own once the batch's is rolled back."""
    started = time.perf_counter()
    actor = actor or Actor.cli()
    try:
        with _collector_paused(), store.writing() as connection:
            result = _record(connection, lines, source, by)
            counts = {"batch": result.batch, "recorded": result.recorded, "already": result.already}
            append(connection, actor, "events.record", source, {**counts, "by": by})
    except RefusedError as refused:
        with store.writing() as connection:
            detail = {"problems": refused.total, "first": str(refused.problems[0]), "by": by}
            append(connection, actor, "events.refused", source, detail)
        raise
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
    writer_lock(connection)  # one writer at a time: numbers stay dense
    master = read_revision(connection)
    refusals = _Refusals(source)
    state = _Batch()
    writes = _Writes(connection, master, source, by)
    for chunk in _chunks(lines(), state, refusals):
        fresh = _fresh(connection, chunk, state, refusals)
        known = _known(connection, fresh, state)
        ready: list[Line] = []
        for line in fresh:
            (state.waiting if _waits(line.event, known) else ready).append(line)
        _check(ready, master, known, refusals)
        if not refusals.total:
            writes.submit(ready, known)
    # Every event the waiting ones name is in the batch or the store now (or nowhere: refused).
    known = _known(connection, state.waiting, state)
    state.waiting.sort(key=lambda line: line.number)
    _check(state.waiting, master, known, refusals)
    if not refusals.total:
        writes.submit(state.waiting, known)
    if refusals.total:
        raise RefusedError(source, refusals.problems, refusals.total)
    if writes.batch is not None:
        connection.execute(
            update(schema.batches)
            .where(schema.batches.c.number == writes.batch)
            .values(events=writes.recorded)
        )
    return RecordResult(writes.batch, writes.recorded, len(state.already))


class _Writes:
    """The batch's chunks, written as they are ready; the batch's row opened at the first write.

    Writes run on the caller's thread: a connection carries one command at a time (psycopg
    refuses a second), and the reads that check the next chunk share this transaction."""

    def __init__(self, connection: Connection, master: Master, source: str, by: str | None):
        self.connection, self.master, self.source, self.by = connection, master, source, by
        self.batch: int | None = None
        self.recorded = 0
        self.seq = next_number(connection, schema.events.c.seq)

    def submit(self, lines: list[Line], known: Known) -> None:
        if not lines:
            return
        if self.batch is None:
            self.batch = _open_batch(self.connection, self.master, self.source, self.by)
        chunk = prepare_chunk(lines, self.batch, self.seq, self.master, known)
        self.seq += len(lines)
        self.recorded += len(lines)
        write_chunk(self.connection, chunk)


# -- reading: one pass, a chunk at a time -----------------------------------------------------
def _parsed(raw: Raw, number: int, refusals: _Refusals) -> Line | None:
    """The line as an event (None when blank or refused; ``refusals`` hears why)."""
    if isinstance(raw, str | bytes) and not raw.strip():
        return None
    try:
        event = parse_event(raw)
    except ValidationError as error:
        for path, message in describe_errors(error):
            refusals.refuse(number, path, message)
        return None
    body = canonical(event)
    return Line(number, event, body, digest(body))


def _chunks(raws: Iterable[Raw], state: _Batch, refusals: _Refusals) -> Iterator[list[Line]]:
    """The batch's events, first occurrences only, at most :data:`CHUNK` at a time; a repeat of
    an id with other content is refused."""
    chunk: list[Line] = []
    for number, raw in enumerate(raws, start=1):
        line = _parsed(raw, number, refusals)
        if line is None:
            continue
        e = line.event
        first = state.first_line.get(e.id)
        if first is not None:
            if state.digests[e.id] != line.digest:
                message = f"id '{e.id}' is also on line {first}, with other content"
                refusals.refuse(number, "id", message)
            continue
        state.first_line[e.id] = number
        state.digests[e.id] = line.digest
        chunk.append(line)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _fresh(
    connection: Connection, chunk: list[Line], state: _Batch, refusals: _Refusals
) -> list[Line]:
    """The chunk's events the store does not hold; the same id with other content is refused.
    What later events of the batch may name of them is remembered."""
    table = schema.events
    stored: set[str] = set()
    for ids in chunks(line.event.id for line in chunk):
        rows = connection.execute(select(table.c.id, table.c.digest).where(table.c.id.in_(ids)))
        for row in rows:
            stored.add(row.id)
            if row.digest == state.digests[row.id]:
                state.already.add(row.id)
            else:  # not written again; the batch is refused anyway
                message = f"id '{row.id}' is already recorded with other content"
                refusals.refuse(state.first_line[row.id], "id", message)
    fresh = [line for line in chunk if line.event.id not in stored] if stored else chunk
    for line in fresh:
        _remember(state, line.event)
    return fresh


def _remember(state: _Batch, e: Event) -> None:
    """What other events of the batch may need of ``e`` (kept for the whole batch)."""
    if isinstance(e, Completion | Receipt):
        if e.serials:
            state.serial_items.update(dict.fromkeys(e.serials, e.item))
    elif isinstance(e, Dispatch):
        state.dispatches[e.id] = e
    elif isinstance(e, Shipment):
        state.shipments[e.id] = e


def _waits(e: Event, known: Known) -> bool:
    """Whether ``e`` names an event or a serial the batch may hold further on (checked and
    written once the whole batch is read)."""
    if isinstance(e, Arrival):
        return e.dispatch not in known.dispatches
    if isinstance(e, Acceptance):
        return e.shipment not in known.shipments
    return any(serial not in known.serial_items for serial in _alone(e))


def _alone(e: Event) -> list[str]:
    """Serials that a strike or scrap names without their item."""
    if isinstance(e, Strike):
        return [p.serial for p in e.destroyed if p.serial is not None and p.item is None]
    if isinstance(e, Scrap) and e.serial is not None and e.item is None:
        return [e.serial]
    return []


def _known(connection: Connection, lines: list[Line], state: _Batch) -> Known:
    """What the store and the batch hold that ``lines`` name (the store's looked up once)."""
    orders = {o for line in lines if (o := getattr(line.event, "order", None)) is not None}
    _lookup_orders(connection, orders - state.orders.keys(), state)
    wanted: set[str] = set()
    alone: set[str] = set()
    for line in lines:
        e = line.event
        if isinstance(e, Arrival):
            wanted.add(e.dispatch)
        elif isinstance(e, Acceptance):
            wanted.add(e.shipment)
        else:
            alone.update(_alone(e))
    wanted -= state.looked_up
    alone -= state.serial_items.keys() | state.looked_up
    state.looked_up |= wanted | alone
    for i, (kind, body) in _events_by_id(connection, wanted).items():
        if kind == "dispatch":
            state.dispatches.setdefault(i, Dispatch.model_validate_json(body))
        elif kind == "shipment":
            state.shipments.setdefault(i, Shipment.model_validate_json(body))
    c = schema.events.c
    for ids in chunks(wanted):
        rows = connection.execute(select(c.ref).where(c.ref.in_(ids), c.type == "arrival"))
        state.arrived.update(row.ref for row in rows)
    state.serial_items.update(_serial_items(connection, alone))
    return Known(state.orders, state.dispatches, state.shipments, state.arrived, state.serial_items)


def _lookup_orders(connection: Connection, ids: set[str], state: _Batch) -> None:
    o = schema.orders.c
    for part in chunks(ids):
        for row in connection.execute(
            select(o.id, o.kind, o.site, o.item, o.supplier, o.to_site, o.customer).where(
                o.id.in_(part)
            )
        ):
            partner = row.supplier or row.to_site or row.customer
            state.orders[row.id] = OrderRef(row.kind, row.site, row.item, partner)


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


def _check(lines: list[Line], master: Master, known: Known, refusals: _Refusals) -> None:
    door = Door(master, known, refusals.refuse)
    for line in lines:
        door.check(line.number, line.event)
        if isinstance(line.event, Arrival):
            known.arrived.add(line.event.dispatch)  # a second arrival in the batch is refused


def _open_batch(connection: Connection, master: Master, source: str, by: str | None) -> int:
    """The batch's row (its count of events filled in when the batch is whole)."""
    batch = next_number(connection, schema.batches.c.number)
    connection.execute(
        schema.batches.insert().values(
            number=batch,
            source=source,
            recorded_at=now_stamp(),
            events=0,
            revision=master.revision,
            by=by,
        )
    )
    return batch
