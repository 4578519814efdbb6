"""The events of EXECUTION.md as pydantic models: what one line of an events file may hold.

Parsing checks each event on its own (types, required fields, ranges, the shapes of lists);
what needs the master data or the store (unknown sites, tracked items without lots, a dispatch
that does not exist) is checked at the door (:mod:`dronefab.storage.door`).

>>> event = parse_event('{"id": "e1", "type": "downtime", "at": "2026-01-05T10:00:00+02:00", '
...     '"site": "ws-n1", "start": "2026-01-05T10:00:00+02:00", "end": "2026-01-05T12:00:00+02:00", '
...     '"cause": "alert"}')
>>> event.type, utc_stamp(event.at)
('downtime', '2026-01-05T08:00:00.000000Z')
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

MAX_QUANTITY = 1e9
"""The most units one event may move: a typo of a few orders of magnitude is refused at the door."""

MAX_LIST = 100_000
"""The most serials or lots one event may list."""


PRINTABLE = r"[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]"
"""Any character but control and formatting ones (bidirectional overrides among them)."""

ID_PATTERN = rf"^[^\p{{Cc}}\p{{Cf}}\p{{Zl}}\p{{Zp}}\s](?:{PRINTABLE}*[^\p{{Cc}}\p{{Cf}}\p{{Zl}}\p{{Zp}}\s])?$"
"""An id: printable characters, no space at either end (checked by pydantic's own regex engine)."""

Id = Annotated[str, Field(min_length=1, max_length=100, pattern=ID_PATTERN)]
"""An id: 1 to 100 characters, no leading or trailing space, nothing that is not printable."""

Quantity = Annotated[float, Field(ge=0, le=MAX_QUANTITY, allow_inf_nan=False)]
PositiveQuantity = Annotated[float, Field(gt=0, le=MAX_QUANTITY, allow_inf_nan=False)]
SignedQuantity = Annotated[float, Field(ge=-MAX_QUANTITY, le=MAX_QUANTITY, allow_inf_nan=False)]
Serials = Annotated[list[Id], Field(max_length=MAX_LIST)]

EVENT_TYPES = (
    "receipt",
    "completion",
    "test",
    "dispatch",
    "arrival",
    "shipment",
    "acceptance",
    "downtime",
    "strike",
    "scrap",
    "adjustment",
    "quarantine",
    "release",
)


class Part(BaseModel):
    """Strict base of every event and part of one: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


class Component(Part):
    """A component consumed: ``{item, quantity, lot}`` or ``{item, serial}``.

    Which of the two it must be depends on the item's tracking, so the door checks it
    (:mod:`dronefab.storage.door`); a serial stands for one unit.
    """

    item: Id
    quantity: PositiveQuantity | None = None
    lot: Id | None = None
    serial: Id | None = None

    @property
    def units(self) -> float:
        """Units it stands for."""
        return 1.0 if self.serial is not None else float(self.quantity or 0.0)


class Destroyed(Part):
    """Stock destroyed by a strike: ``{item, quantity, lot}`` or ``{serial}``."""

    item: Id | None = None
    quantity: PositiveQuantity | None = None
    lot: Id | None = None
    serial: Id | None = None

    @model_validator(mode="after")
    def _what(self) -> Destroyed:
        if self.serial is None and (self.item is None or self.quantity is None):
            message = "give {item, quantity, lot} or {serial}"
            raise ValueError(message)
        if self.serial is not None and (self.lot is not None or self.quantity not in (None, 1.0)):
            message = "a destroyed serial is one unit: give the serial alone (and its item)"
            raise ValueError(message)
        return self


class LotQuantity(Part):
    """Part of a dispatch or shipment taken from one lot."""

    lot: Id
    quantity: PositiveQuantity


class Rejected(Part):
    """A serial the customer refused, and why."""

    serial: Id
    reason: str = Field(min_length=1, max_length=2000)


class EventBase(Part):
    """Fields every event has."""

    id: Id
    at: AwareDatetime
    site: Id
    by: Id | None = None


class Receipt(EventBase):
    """Purchased units arriving from a supplier: stock in at ``site``."""

    type: Literal["receipt"]
    supplier: Id
    item: Id
    quantity: PositiveQuantity
    lot: Id | None = None
    serials: Serials | None = None
    order: Id | None = None
    origin: str | None = Field(None, max_length=200)
    licence: str | None = Field(None, max_length=200)


class Completion(EventBase):
    """Units made: good ones into stock, their components out of it."""

    type: Literal["completion"]
    item: Id
    good: Quantity
    scrap: Quantity = 0.0
    order: Id | None = None
    serials: Serials | None = None
    lot: Id | None = None
    consumed: Annotated[list[Component], Field(max_length=MAX_LIST)]
    firmware: str | None = Field(None, max_length=200)


class Test(EventBase):
    """A test of one unit and its result."""

    type: Literal["test"]
    serial: Id
    test: Id
    result: Literal["pass", "fail"]
    measurements: dict[Id, Annotated[float, Field(allow_inf_nan=False)]] = Field(
        default_factory=dict
    )


class Dispatch(EventBase):
    """Units leaving ``site`` for another site: stock out, in transit."""

    type: Literal["dispatch"]
    to_site: Id
    item: Id
    quantity: PositiveQuantity
    lots: Annotated[list[LotQuantity], Field(max_length=MAX_LIST)] | None = None
    serials: Serials | None = None
    order: Id | None = None


class Arrival(EventBase):
    """A dispatch arriving at its destination."""

    type: Literal["arrival"]
    dispatch: Id


class Shipment(EventBase):
    """Units leaving ``site`` for a customer."""

    type: Literal["shipment"]
    customer: Id
    item: Id
    quantity: PositiveQuantity
    serials: Serials | None = None
    lots: Annotated[list[LotQuantity], Field(max_length=MAX_LIST)] | None = None
    order: Id | None = None


class Acceptance(EventBase):
    """The customer's receipt of a shipment."""

    type: Literal["acceptance"]
    shipment: Id
    accepted: Serials | Quantity | None = None
    rejected: Annotated[list[Rejected], Field(max_length=MAX_LIST)] = Field(default_factory=list)


class Downtime(EventBase):
    """Hours lost at the site (or one work center): an alert, a strike, maintenance..."""

    type: Literal["downtime"]
    start: AwareDatetime
    end: AwareDatetime
    cause: Literal["alert", "strike", "maintenance", "material", "power", "other"]
    work_center: Id | None = None

    @model_validator(mode="after")
    def _ends_after_start(self) -> Downtime:
        if self.end <= self.start:
            message = f"end ({self.end.isoformat()}) must be after start ({self.start.isoformat()})"
            raise ValueError(message)
        return self


class Strike(EventBase):
    """A strike on the site: down until repaired, some stock destroyed."""

    type: Literal["strike"]
    repair_days: Annotated[float, Field(ge=0, le=3650, allow_inf_nan=False)]
    destroyed: Annotated[list[Destroyed], Field(max_length=MAX_LIST)] = Field(default_factory=list)


class Scrap(EventBase):
    """Units scrapped: an item's quantity (and lot), or one serial."""

    type: Literal["scrap"]
    item: Id | None = None
    quantity: PositiveQuantity | None = None
    lot: Id | None = None
    serial: Id | None = None
    reason: str = Field(min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _what(self) -> Scrap:
        if self.serial is None and (self.item is None or self.quantity is None):
            message = "give item and quantity (and lot), or serial"
            raise ValueError(message)
        return self


class Adjustment(EventBase):
    """A stock count correction (signed)."""

    type: Literal["adjustment"]
    item: Id
    quantity: SignedQuantity
    lot: Id | None = None
    reason: str = Field(min_length=1, max_length=2000)


class Hold(EventBase):
    """A suspect lot or unit held (quarantine) or freed (release) everywhere."""

    type: Literal["quarantine", "release"]
    site: Id | None = None  # type: ignore[assignment]  # decided for every site at once
    item: Id | None = None
    lot: Id | None = None
    serial: Id | None = None
    reason: str = Field(min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _what(self) -> Hold:
        if self.serial is None and (self.item is None or self.lot is None):
            message = "give item and lot, or serial"
            raise ValueError(message)
        return self


Event = Annotated[
    Receipt
    | Completion
    | Test
    | Dispatch
    | Arrival
    | Shipment
    | Acceptance
    | Downtime
    | Strike
    | Scrap
    | Adjustment
    | Hold,
    Field(discriminator="type"),
]
"""One event, told apart by its ``type``."""

_EVENT = TypeAdapter(Event)


def parse_event(source: str | bytes | dict[str, Any]) -> Event:
    """Validate one event from a JSON text or an already-decoded object.

    Raises
    ------
    pydantic.ValidationError
        Naming each bad field (see :func:`describe_errors`).
    """
    if isinstance(source, dict):
        return _EVENT.validate_python(source)
    return _EVENT.validate_json(source)


def describe_errors(error: ValidationError) -> list[tuple[str, str]]:
    """(field path, what is wrong and expected) for each problem pydantic found in an event."""
    out = []
    for problem in error.errors(include_url=False):
        location = [part for part in problem["loc"] if part not in EVENT_TYPES]
        path = ""
        for part in location:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        out.append((path, _message(problem)))
    return out


def _message(problem: Any) -> str:
    kind = problem["type"]
    if kind == "union_tag_invalid" or kind == "union_tag_not_found":
        return f"type must be one of: {', '.join(EVENT_TYPES)}"
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a field of this event type"
    if kind == "timezone_aware":
        return "needs a UTC offset, e.g. 2026-01-05T08:00:00+02:00"
    if kind == "string_pattern_mismatch":
        return (
            "must be printable characters with no space at either end "
            "(no control or text-direction characters)"
        )
    if kind == "json_invalid":
        return f"the line is not valid JSON ({problem['ctx'].get('error', 'syntax error')})"
    if kind in {"model_type", "model_attributes_type"}:
        return "must be a JSON object"
    message: str = problem["msg"]
    return message.removeprefix("Value error, ")


def utc_stamp(moment: datetime) -> str:
    """The store's timestamp text: UTC, fixed width, sortable as text."""
    utc = moment.astimezone(UTC)
    if utc.year < 1000:  # isoformat pads the year to 4 digits; strftime's is the stored form
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return utc.isoformat(timespec="microseconds")[:26] + "Z"  # the same text, 3x faster


def canonical(event: Event) -> str:
    """The event as the store keeps it: JSON, fields in a fixed order, absent ones left out."""
    return event.model_dump_json(exclude_none=True)


def digest(body: str) -> str:
    """A short fingerprint of an event's content: the same id twice must carry the same one."""
    return hashlib.blake2b(body.encode(), digest_size=16).hexdigest()
