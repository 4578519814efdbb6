"""What each event adds to the derived tables: stock moves, genealogy, a serial's whereabouts.

Every contribution is a function of the event alone (and, for an arrival, of its dispatch), so a
batch's rows are the union of its events' rows and the tables stay a function of the set of
events. A serial's location is the only value that one event can overwrite; it carries the
event's ``at|id`` and the store keeps the greatest (:mod:`dronefab.storage.ingest`).

Units are named by key until the store gives them ids: ``("s", serial)`` or ``("l", item, lot)``.
A batch numbers its units as it first names them (:meth:`BatchRows.unit`) and its rows carry
those numbers: the store's ids are then one list lookup away, not a hash of a tuple key per row
(a completion of 12 lots names 25 units).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from dronefab.storage.events import (
    Acceptance,
    Arrival,
    Completion,
    Destroyed,
    Dispatch,
    Event,
    Receipt,
    Scrap,
    Shipment,
    Strike,
    Test,
)
from dronefab.storage.master import Master

UnitKey = tuple[str, ...]
"""``("s", serial)`` or ``("l", item, lot)``."""

BOM_TOLERANCE = 1e-6
"""Relative difference between consumption and the bill of materials taken as equal."""


def serial_key(serial: str) -> UnitKey:
    return ("s", serial)


def lot_key(item: str, lot: str) -> UnitKey:
    return ("l", item, lot)


class Position(NamedTuple):
    """Where an event leaves a serial: its ``at|id``, status, site and customer (a tuple:
    made once per serial an event moves, several times faster than a frozen dataclass)."""

    key: str
    status: str
    site: str | None
    customer: str | None = None


@dataclass
class BatchRows:
    """The derived rows of a batch's new events; units by their number in :attr:`units`."""

    units: dict[UnitKey, int] = field(default_factory=dict)  # key -> number, in naming order
    moves: list[tuple[int, int, str, bool, float]] = field(default_factory=list)
    # child -> its parents, an ordered set: the links come out a child at a time, parents in
    # the order they were made, close to the order of the links' key (the insert runs faster).
    links: dict[int, dict[int, None]] = field(default_factory=dict)
    made: set[tuple[int, int]] = field(default_factory=set)  # (unit, event)
    touched: set[tuple[int, int]] = field(default_factory=set)  # (unit, event)
    items: dict[str, str] = field(default_factory=dict)  # serial -> item, where an event tells
    positions: dict[str, Position] = field(default_factory=dict)
    flags: list[tuple[int, str, str]] = field(default_factory=list)

    def unit(self, key: UnitKey) -> int:
        """The number of the unit ``key`` in these rows (the next one when it is new)."""
        number = self.units.get(key)
        if number is None:
            number = self.units[key] = len(self.units)
        return number

    def keys(self) -> list[UnitKey]:
        """Every unit the rows name, by number (``keys()[n]`` is unit ``n``)."""
        return list(self.units)


class Deriver:
    """Adds each event's rows to a :class:`BatchRows`.

    Parameters
    ----------
    master
        The master data the batch is judged against (tracking, bills of materials).
    dispatches
        Dispatch events by id (the store's and the batch's), for arrivals.
    serial_items
        Items of serials the store knows, for events that name a serial alone.
    """

    def __init__(
        self, master: Master, dispatches: dict[str, Dispatch], serial_items: dict[str, str]
    ) -> None:
        self.master = master
        self.dispatches = dispatches
        self.serial_items = serial_items
        self.rows = BatchRows()
        # (item, units started) -> what the bill of materials consumes: most completions repeat one
        self._expected: dict[tuple[str, float], dict[str, float]] = {}

    def add(self, event: Event, seq: int, at: str) -> None:
        """Add the rows of ``event``, stored as event number ``seq`` at store time ``at``."""
        method = getattr(self, f"_{event.type}", None)
        if method is None:
            return
        self._delta: dict[tuple[UnitKey, str, bool], float] = {}
        method(event, seq, at, f"{at}|{event.id}")
        # One ledger row per (unit, site, transit) of the event, as the ledger's key wants; a
        # unit is numbered only when it moves (a net zero names nothing).
        unit = self.rows.unit
        self.rows.moves.extend(
            (seq, unit(key), site, moving, quantity)
            for (key, site, moving), quantity in self._delta.items()
            if quantity != 0.0
        )

    # -- helpers -------------------------------------------------------------------------------
    def _move(
        self, site: str, item: str, lot: str | None, quantity: float, moving: bool = False
    ) -> None:
        """A signed quantity of an item's lot at a site (lot "" where units are not lot-tracked)."""
        if lot is not None and self.master.tracking.get(item) != "lot":
            lot = None
        key = (("l", item, lot or ""), site, moving)
        self._delta[key] = self._delta.get(key, 0.0) + quantity

    def _serial(self, serial: str, item: str | None, seq: int) -> int:
        """The serial's number; the event ``seq`` is in its history."""
        if item is not None:
            self.rows.items.setdefault(serial, item)
        number = self.rows.unit(serial_key(serial))
        self.rows.touched.add((number, seq))
        return number

    def _place(self, serial: str, position: Position) -> None:
        current = self.rows.positions.get(serial)
        if current is None or current.key < position.key:
            self.rows.positions[serial] = position

    def item_of(self, serial: str) -> str | None:
        """A serial's item, from this batch or the store."""
        return self.rows.items.get(serial) or self.serial_items.get(serial)

    # -- one method per event type that changes something -------------------------------------
    def _receipt(self, e: Receipt, seq: int, at: str, key: str) -> None:
        self._move(e.site, e.item, e.lot, e.quantity)
        for serial in e.serials or ():
            self._serial(serial, e.item, seq)
            self._place(serial, Position(key, "at_site", e.site))

    def _completion(self, e: Completion, seq: int, at: str, key: str) -> None:
        tracking = self.master.tracking
        made_by = tracking[e.item]
        if e.good > 0:
            self._move(e.site, e.item, e.lot if made_by == "lot" else None, e.good)
        unit = self.rows.unit
        parents: list[int] = []
        if made_by == "serial":
            for serial in e.serials or ():
                parents.append(self._serial(serial, e.item, seq))
                self._place(serial, Position(key, "at_site", e.site))
        elif made_by == "lot" and e.lot is not None:
            parents.append(unit(lot_key(e.item, e.lot)))
        self.rows.made.update((parent, seq) for parent in parents)
        used: dict[str, float] = {}  # item -> units consumed, for the bill of materials
        parents_of = self.rows.links
        delta = self._delta
        site = e.site
        for part in e.consumed:
            item = part.item
            child: int | None = None
            if part.serial is not None:
                child = self._serial(part.serial, item, seq)
                self._place(part.serial, Position(key, "installed", site))
                units = 1.0
                counted: UnitKey = ("l", item, "")
            else:  # inlined _move: the loop runs once per part of every completion
                units, lot = part.quantity or 0.0, part.lot
                if lot is not None and tracking.get(item) == "lot":
                    counted = ("l", item, lot)
                    if parents:
                        child = unit(counted)
                else:
                    counted = ("l", item, "")
            ledger = (counted, site, False)
            delta[ledger] = delta.get(ledger, 0.0) - units
            used[item] = used.get(item, 0.0) + units
            if child is not None:
                linked = parents_of.get(child)
                if linked is None:
                    linked = parents_of[child] = {}
                for parent in parents:
                    linked[parent] = None
        self._check_bom(e, seq, used)

    def _check_bom(self, e: Completion, seq: int, consumed: dict[str, float]) -> None:
        bom = self.master.bom.get(e.item)
        if not bom:
            return
        started = e.good + e.scrap
        expected = self._expected.get((e.item, started))
        if expected is None:
            expected = {c: q * started for c, q in bom.items()}
            self._expected[(e.item, started)] = expected
        if consumed == expected:  # the common case, compared in one step
            return
        if consumed.keys() == bom.keys() and all(
            abs(consumed[c] - q) <= BOM_TOLERANCE * max(1.0, q) for c, q in expected.items()
        ):
            return
        notes = []
        for component in sorted(set(bom) | set(consumed)):
            need = bom.get(component, 0.0) * started
            used = consumed.get(component, 0.0)
            if abs(used - need) > BOM_TOLERANCE * max(1.0, need):
                notes.append(
                    f"{component}: consumed {used:g}, the bill of materials needs {need:g}"
                )
        if notes:
            detail = f"{started:g} '{e.item}' started at '{e.site}'; " + "; ".join(notes)
            self.rows.flags.append((seq, "consumption_off_bom", detail))

    def _dispatch(self, e: Dispatch, seq: int, at: str, key: str) -> None:
        for lot, quantity in _parts(e):
            self._move(e.site, e.item, lot, -quantity)
            self._move(e.to_site, e.item, lot, quantity, moving=True)
        for serial in e.serials or ():
            self._serial(serial, e.item, seq)
            self._place(serial, Position(key, "in_transit", e.site))

    def _arrival(self, e: Arrival, seq: int, at: str, key: str) -> None:
        dispatch = self.dispatches[e.dispatch]
        for lot, quantity in _parts(dispatch):
            self._move(dispatch.to_site, dispatch.item, lot, -quantity, moving=True)
            self._move(dispatch.to_site, dispatch.item, lot, quantity)
        for serial in dispatch.serials or ():
            self._serial(serial, dispatch.item, seq)
            self._place(serial, Position(key, "at_site", dispatch.to_site))

    def _shipment(self, e: Shipment, seq: int, at: str, key: str) -> None:
        for lot, quantity in _parts(e):
            self._move(e.site, e.item, lot, -quantity)
        for serial in e.serials or ():
            self._serial(serial, e.item, seq)
            self._place(serial, Position(key, "shipped", e.site, e.customer))

    def _acceptance(self, e: Acceptance, seq: int, at: str, key: str) -> None:
        named = list(e.accepted) if isinstance(e.accepted, list) else []
        for serial in named + [r.serial for r in e.rejected]:
            self._serial(serial, None, seq)

    def _test(self, e: Test, seq: int, at: str, key: str) -> None:
        self._serial(e.serial, None, seq)

    def _strike(self, e: Strike, seq: int, at: str, key: str) -> None:
        for part in e.destroyed:
            self._lose(e.site, part, "destroyed", seq, key)

    def _scrap(self, e: Scrap, seq: int, at: str, key: str) -> None:
        self._lose(e.site, e, "scrapped", seq, key)

    def _lose(self, site: str, what: Destroyed | Scrap, status: str, seq: int, key: str) -> None:
        """Stock out for good: one serial (its item from the event or the store), or a quantity
        of an item's lot."""
        if what.serial is not None:
            item = what.item or self.item_of(what.serial)
            self._serial(what.serial, item, seq)
            self._place(what.serial, Position(key, status, site))
            if item is not None:
                self._move(site, item, None, -1.0)
        elif what.item is not None and what.quantity is not None:
            self._move(site, what.item, what.lot, -what.quantity)

    def _adjustment(self, e: Any, seq: int, at: str, key: str) -> None:
        self._move(e.site, e.item, e.lot, e.quantity)


def _parts(event: Dispatch | Shipment) -> list[tuple[str | None, float]]:
    """(lot, quantity) of a dispatch's or shipment's units (one untracked part without lots)."""
    if event.lots:
        return [(part.lot, part.quantity) for part in event.lots]
    return [(None, event.quantity)]
