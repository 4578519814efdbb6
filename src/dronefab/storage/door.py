"""The door: what refuses an event before anything is recorded (EXECUTION.md, "At the door").

An event is refused, with every problem named, when it names something that does not exist
(site, item, supplier, customer, order, dispatch, shipment, work center), leaves out the lot or
serials of a tracked item, lists a number of serials other than its quantity, is completed at a
site that does not make the item, or moves units along a lane that does not exist. What a shop
floor does and a supervisor must resolve (stock below zero, a consumption off the bill of
materials...) is not refused: it becomes an exception (:mod:`dronefab.storage.exceptions`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from dronefab.model.messages import did_you_mean
from dronefab.storage.events import (
    Acceptance,
    Arrival,
    Completion,
    Dispatch,
    Downtime,
    Event,
    Hold,
    Receipt,
    Scrap,
    Shipment,
    Strike,
)
from dronefab.storage.master import Master

ORDER_KINDS = {
    "receipt": "purchase",
    "completion": "work",
    "dispatch": "transfer",
    "shipment": "delivery",
}
"""The kind of order each event type fills."""


@dataclass(frozen=True)
class OrderRef:
    """What an event needs to know of an order it names."""

    kind: str
    site: str
    item: str
    partner: str | None  # supplier, to_site or customer


@dataclass(frozen=True)
class Known:
    """What the store already holds that events of a batch refer to.

    ``orders`` by id; ``dispatches`` and ``shipments`` by event id, as their events; ``arrived``:
    dispatches that have an arrival already.
    """

    orders: dict[str, OrderRef] = field(default_factory=dict)
    dispatches: dict[str, Dispatch] = field(default_factory=dict)
    shipments: dict[str, Shipment] = field(default_factory=dict)
    arrived: set[str] = field(default_factory=set)
    serial_items: dict[str, str] = field(default_factory=dict)
    """Items of the serials that scrap and strike events name alone (the store's and the batch's)."""


Report = Callable[[str, str], None]
"""``report(field, message)`` for the event being checked."""


def check_event(event: Event, master: Master, known: Known, report: Report) -> None:
    """Report every reason to refuse ``event`` (nothing when it may be recorded)."""
    Door(master, known, lambda _line, path, message: report(path, message)).check(0, event)


class Door:
    """The checks of a batch's events, one after the other, against one master and one
    :class:`Known` (one checker for them all: a batch checks thousands).

    ``refuse(line, field, message)`` hears every problem of the event checked, with the line
    number given to :meth:`check`.
    """

    def __init__(self, master: Master, known: Known, refuse: Callable[[int, str, str], None]):
        self.line = 0
        self._refuse = refuse
        self._checker = _Checker(master, known, self._report)
        self._methods: dict[str, Callable[[Any], None] | None] = {}

    def _report(self, path: str, message: str) -> None:
        self._refuse(self.line, path, message)

    def check(self, line: int, event: Event) -> None:
        """Report every reason to refuse ``event``, on line ``line``."""
        self.line = line
        self._checker.common(event)
        kind = event.type
        if kind not in self._methods:
            self._methods[kind] = getattr(self._checker, f"check_{kind}", None)
        method = self._methods[kind]
        if method is not None:
            method(event)


class _Checker:
    """The checks of one event; each ``check_<type>`` reports through ``report``."""

    def __init__(self, master: Master, known: Known, report: Report) -> None:
        self.master = master
        self.known = known
        self.report = report

    # -- names ---------------------------------------------------------------------------------
    def _known(self, path: str, value: str | None, noun: str, ids: Iterable[str]) -> bool:
        if value is None:
            return True
        pool = ids if isinstance(ids, set | dict) else set(ids)
        if value in pool:
            return True
        hint = did_you_mean(value, pool)
        self.report(path, f"unknown {noun} '{value}'{hint}")
        return False

    def item(self, path: str, item: str | None) -> str | None:
        """The item's tracking, or None when the item is unknown (reported)."""
        if item is None:
            return None
        if self._known(path, item, "item", self.master.tracking):
            return self.master.tracking[item]
        return None

    def common(self, event: Event) -> None:
        if event.site is not None:
            self._known("site", event.site, "site", self.master.sites)

    def order(self, event: Any, partner: str | None) -> None:
        if event.order is None:
            return
        ref = self.known.orders.get(event.order)
        if ref is None:
            self.report("order", f"unknown order '{event.order}'")
            return
        kind = ORDER_KINDS[event.type]
        wanted = OrderRef(kind, event.site, event.item, partner)
        if ref.kind != kind:
            self.report(
                "order",
                f"order '{event.order}' is a {ref.kind} order; a {event.type} fills a {kind} order",
            )
        elif ref != wanted:
            self.report(
                "order",
                f"order '{event.order}' is for {_describe(ref)}, not {_describe(wanted)}",
            )

    def lane(self, origin: str, target: str, path: str) -> None:
        if origin in self.master.sites and (origin, target) not in self.master.lanes:
            self.report(path, f"there is no lane from '{origin}' to '{target}'")

    def units(self, event: Any, tracking: str | None, lots_field: str = "lots") -> None:
        """A dispatch's or shipment's units: serials of a serial item, lots of a lot item."""
        serials, lots = event.serials, getattr(event, lots_field)
        if tracking == "serial":
            if serials is None:
                self.report("serials", f"'{event.item}' is tracked by serial: list the serials")
            elif len(serials) != event.quantity:
                self.report(
                    "serials",
                    f"lists {len(serials)} serials for a quantity of {event.quantity:g}",
                )
            if lots is not None:
                self.report(lots_field, f"'{event.item}' is tracked by serial, not by lot")
        elif tracking == "lot":
            if lots is None:
                self.report(
                    lots_field,
                    f"'{event.item}' is tracked by lot: list the lots and their quantities",
                )
            elif abs(sum(part.quantity for part in lots) - event.quantity) > 1e-9 * max(
                1.0, event.quantity
            ):
                total = sum(part.quantity for part in lots)
                self.report(
                    lots_field, f"the lots add up to {total:g}, the quantity is {event.quantity:g}"
                )
            if serials is not None:
                self.report("serials", f"'{event.item}' is tracked by lot, not by serial")
        elif tracking == "none" and (serials is not None or lots is not None):
            self.report(
                "serials" if serials is not None else lots_field,
                f"'{event.item}' is not tracked: leave out lots and serials",
            )
        self._distinct(serials, "serials")

    def _distinct(self, serials: list[str] | None, path: str) -> None:
        if serials is not None and len(set(serials)) != len(serials):
            seen: set[str] = set()
            twice = [s for s in serials if s in seen or seen.add(s)]  # type: ignore[func-returns-value]
            self.report(path, f"lists serial '{twice[0]}' more than once")

    def lot_or_serial(
        self, path: str, item: str | None, tracking: str | None, lot: str | None, serial: str | None
    ) -> None:
        """One component or destroyed part: a lot for a lot item, a serial for a serial item."""
        if tracking == "lot" and lot is None:
            self.report(path, f"'{item}' is tracked by lot: give its lot")
        elif tracking == "serial" and serial is None:
            self.report(path, f"'{item}' is tracked by serial: give its serial")
        elif tracking in {"none", "lot"} and serial is not None:
            self.report(path, f"'{item}' is not tracked by serial")
        elif tracking in {"none", "serial"} and lot is not None:
            self.report(path, f"'{item}' is not tracked by lot")

    # -- one method per event type -------------------------------------------------------------
    def check_receipt(self, event: Receipt) -> None:
        tracking = self.item("item", event.item)
        supplier_known = self._known("supplier", event.supplier, "supplier", self.master.suppliers)
        if supplier_known and tracking and (event.supplier, event.item) not in self.master.supplies:
            self.report("item", f"supplier '{event.supplier}' does not supply '{event.item}'")
        if tracking == "lot" and event.lot is None:
            self.report("lot", f"'{event.item}' is tracked by lot: give the lot received")
        if tracking == "serial":
            if event.serials is None:
                self.report(
                    "serials", f"'{event.item}' is tracked by serial: list the serials received"
                )
            elif len(event.serials) != event.quantity:
                self.report(
                    "serials",
                    f"lists {len(event.serials)} serials for a quantity of {event.quantity:g}",
                )
        self._distinct(event.serials, "serials")
        self.order(event, event.supplier)

    def check_completion(self, event: Completion) -> None:
        tracking = self.item("item", event.item)
        site_makes = self.master.makes.get(event.site)
        if tracking and site_makes is not None and event.item not in site_makes:
            self.report("item", f"site '{event.site}' does not make '{event.item}'")
        if tracking == "serial":
            if event.serials is None:
                self.report(
                    "serials",
                    f"'{event.item}' is tracked by serial: list the {event.good:g} serials made",
                )
            elif len(event.serials) != event.good:
                self.report(
                    "serials", f"lists {len(event.serials)} serials for {event.good:g} good units"
                )
            if event.lot is not None:
                self.report("lot", f"'{event.item}' is tracked by serial, not by lot")
        elif tracking == "lot":
            if event.lot is None:
                self.report("lot", f"'{event.item}' is tracked by lot: give the lot made")
            if event.serials is not None:
                self.report("serials", f"'{event.item}' is tracked by lot, not by serial")
        self._distinct(event.serials, "serials")
        tracking_of = self.master.tracking.get
        for n, part in enumerate(event.consumed):
            if _well_formed(part, tracking_of(part.item)):
                continue  # the common case, checked without building a message path
            path = f"consumed[{n}]"
            part_tracking = self.item(f"{path}.item", part.item)
            self.lot_or_serial(path, part.item, part_tracking, part.lot, part.serial)
            if part.serial is None and part.quantity is None:
                self.report(f"{path}.quantity", "is required for a part not named by its serial")
            elif part.serial is not None and part.quantity not in (None, 1.0):
                self.report(f"{path}.quantity", "a serial is one unit: leave out the quantity")
        self.order(event, None)

    def check_dispatch(self, event: Dispatch) -> None:
        tracking = self.item("item", event.item)
        if self._known("to_site", event.to_site, "site", self.master.sites):
            if event.to_site == event.site:
                self.report("to_site", "a dispatch leads to another site")
            else:
                self.lane(event.site, event.to_site, "to_site")
        self.units(event, tracking)
        self.order(event, event.to_site)

    def check_arrival(self, event: Arrival) -> None:
        dispatch = self.known.dispatches.get(event.dispatch)
        if dispatch is None:
            self.report(
                "dispatch", f"unknown dispatch '{event.dispatch}' (no dispatch event has this id)"
            )
            return
        if dispatch.to_site != event.site:
            self.report(
                "site",
                f"dispatch '{event.dispatch}' goes to '{dispatch.to_site}', not '{event.site}'",
            )
        if event.dispatch in self.known.arrived:
            self.report("dispatch", f"dispatch '{event.dispatch}' has arrived already")

    def check_shipment(self, event: Shipment) -> None:
        tracking = self.item("item", event.item)
        if self._known("customer", event.customer, "customer", self.master.customers):
            self.lane(event.site, event.customer, "customer")
        self.units(event, tracking)
        self.order(event, event.customer)

    def check_acceptance(self, event: Acceptance) -> None:
        shipment = self.known.shipments.get(event.shipment)
        if shipment is None:
            self.report(
                "shipment", f"unknown shipment '{event.shipment}' (no shipment event has this id)"
            )
            return
        shipped = set(shipment.serials or ())
        named = list(event.accepted) if isinstance(event.accepted, list) else []
        named += [r.serial for r in event.rejected]
        strangers = [serial for serial in named if serial not in shipped]
        if strangers:
            self.report(
                "accepted", f"serial '{strangers[0]}' is not in shipment '{event.shipment}'"
            )
        if isinstance(event.accepted, float) and event.accepted > shipment.quantity:
            self.report(
                "accepted", f"accepts {event.accepted:g} of a shipment of {shipment.quantity:g}"
            )

    def check_downtime(self, event: Downtime) -> None:
        centers = self.master.work_centers.get(event.site)
        if event.work_center is not None and centers is not None:
            self._known(
                "work_center", event.work_center, f"work center of site '{event.site}'", centers
            )

    def check_strike(self, event: Strike) -> None:
        for n, part in enumerate(event.destroyed):
            tracking = self.item(f"destroyed[{n}].item", part.item)
            if part.item is not None:
                self.lot_or_serial(f"destroyed[{n}]", part.item, tracking, part.lot, part.serial)
            else:
                self.serial_known(f"destroyed[{n}].serial", part.serial)

    def check_scrap(self, event: Scrap) -> None:
        tracking = self.item("item", event.item)
        if event.item is not None:
            self.lot_or_serial("item", event.item, tracking, event.lot, event.serial)
        else:
            self.serial_known("serial", event.serial)

    def serial_known(self, path: str, serial: str | None) -> None:
        """A serial named without its item must be one the store or the batch has made or
        received: its stock is counted by item."""
        if serial is not None and serial not in self.known.serial_items:
            self.report(
                path, f"serial '{serial}' is not made or received yet: give its item as well"
            )

    def check_adjustment(self, event: Any) -> None:
        tracking = self.item("item", event.item)
        if tracking == "lot" and event.lot is None:
            self.report("lot", f"'{event.item}' is tracked by lot: give the lot counted")
        elif tracking in {"none", "serial"} and event.lot is not None:
            self.report("lot", f"'{event.item}' is not tracked by lot")

    def check_quarantine(self, event: Hold) -> None:
        self.item("item", event.item)

    check_release = check_quarantine


def _well_formed(part: Any, tracking: str | None) -> bool:
    """A consumed part that passes every check: named as its item's tracking wants."""
    if tracking == "lot":
        return part.lot is not None and part.serial is None and part.quantity is not None
    if tracking == "serial":
        return part.serial is not None and part.lot is None and part.quantity in (None, 1.0)
    if tracking == "none":
        return part.lot is None and part.serial is None and part.quantity is not None
    return False


def _describe(ref: OrderRef) -> str:
    partner = f" ({ref.partner})" if ref.partner else ""
    return f"'{ref.item}' at '{ref.site}'{partner}"
