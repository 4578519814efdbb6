"""``POST /events``: a JSON array of EXECUTION.md events, recorded as ``dronefab record``
records a file: whole or nothing, idempotent by ``id``.

Before anything is recorded, the caller must be allowed to record every event at its site
(ACCESS.md): tests take an inspector of that site, quarantines and releases one of every site
(a hold stops its lot or serial everywhere), every other event a supervisor of it. An event naming
an order, dispatch or shipment of a site whose records the caller does not see is answered 404,
as one naming none that exists. One event the caller may not
record refuses the whole batch: 404 if it names a site they may not know of (or none that
exists), else 403. A customer's supervisor records acceptances of its own shipments and nothing
else (:mod:`dronefab.storage.access.acceptance`, an extension of ACCESS.md). The audit entry of
the batch names the caller.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Request
from sqlalchemy import Connection, select

from dronefab.api.auth import CallerDep, read_as, settings_of, store_of
from dronefab.api.paging import described
from dronefab.storage import schema
from dronefab.storage.access import NotAllowed, NotVisible, Scope, acceptance
from dronefab.storage.bulk import chunks
from dronefab.storage.ingest import record_events
from dronefab.storage.tokens import batch_event_ids

router = APIRouter(tags=["events"])

INSPECTIONS = frozenset({"test", "quarantine", "release"})
"""The event types an inspector records (ACCESS.md); a supervisor records the others."""


def check_allowed(scope: Scope, events: list[dict[str, Any]]) -> None:
    """Refuse the batch unless the caller may record every event in it at its site.

    An event without a text ``site`` (other than a hold's) is left to the door, which refuses
    it, and so the batch, with the line and field.

    Raises
    ------
    NotVisible
        If an event names a site the caller may not know of, or one that does not exist.
    NotAllowed
        If an event is at a site the caller knows of but may not record this at.
    """
    refused: NotAllowed | None = None
    for event in events:
        kind, site = event.get("type"), event.get("site")
        action = "inspect" if kind in INSPECTIONS else "record"
        try:
            # A hold stops the lot or serial everywhere, whatever site it names: it takes an
            # inspector of every site (the design authority's).
            if kind in ("quarantine", "release"):
                if not scope.may_inspect_at(None):
                    raise NotAllowed(f"{kind} of a lot or serial at every site")
            elif isinstance(site, str):
                scope.require_may(action, site)
        except NotAllowed as exc:
            refused = refused or exc
    if refused is not None:
        raise refused


REFERENCES = (
    ("order", schema.orders.c),
    ("dispatch", schema.events.c),
    ("shipment", schema.events.c),
)
"""The fields by which an event names an order or an earlier event, and the table it is in."""


def check_references(connection: Connection, scope: Scope, events: list[dict[str, Any]]) -> None:
    """Refuse an event naming an order, dispatch or shipment of a site whose records the caller
    does not see, exactly as one naming none that exists: the door's messages about it would
    tell what it is and where.

    Raises
    ------
    NotVisible
        For the first such reference (404, the same for a hidden and a missing one).
    """
    seen = scope.sites_for("site_records")
    if seen is None:  # every site's records: the door says what is wrong with a reference
        return
    in_batch = {event.get("id") for event in events}
    for field, table in REFERENCES:
        named = {e[field] for e in events if isinstance(e.get(field), str)} - in_batch
        found: dict[str, str] = {}
        for part in chunks(sorted(named)):
            rows = connection.execute(select(table.id, table.site).where(table.id.in_(part)))
            found.update({row.id: row.site for row in rows})
        if any(found.get(name) not in seen for name in named):
            raise NotVisible(field)


def checked_batch(connection: Connection, scope: Scope, events: list[dict[str, Any]]) -> None:
    """Refuse the batch unless the caller may record every event of it: a customer's
    acceptances by :mod:`dronefab.storage.access.acceptance`, the rest by :func:`check_allowed`
    and :func:`check_references` (NotVisible 404, NotAllowed 403)."""
    accepted, others = acceptance.split(scope, events)
    check_allowed(scope, others)
    check_references(connection, scope, others)
    acceptance.check(scope, connection, accepted)


def _check_by(events: list[dict[str, Any]], name: str) -> None:
    """An event's ``by`` is the caller (or absent): nobody records in another's name."""
    wrong = [
        {
            "loc": ["body", str(i), "by"],
            "msg": f"expected '{name}' (you) or no by",
            "type": "value_error",
        }
        for i, event in enumerate(events)
        if "by" in event and event["by"] != name
    ]
    if wrong:
        raise HTTPException(422, wrong)


@router.post(
    "/events",
    summary="Record events",
    responses=described(
        {
            403: "You may not record one of the events at its site",
            404: "An event names a site you may not know of",
            422: "Refused at the door: every problem named; nothing recorded",
        }
    ),
)
def post_events(
    request: Request,
    caller: CallerDep,
    events: Annotated[list[dict[str, Any]], Body(description="EXECUTION.md events")],
) -> dict[str, Any]:
    """Record a batch whole or not at all: ``batch`` (its number; null when every event was
    there already), ``recorded`` (the ids it recorded) and ``already`` (ids recorded before
    with the same content, acknowledged and unchanged)."""
    limit = settings_of(request).max_events
    if len(events) > limit:
        detail = [
            {
                "loc": ["body"],
                "msg": f"{len(events):,} events; at most {limit:,} a request: send them in parts",
                "type": "too_long",
            }
        ]
        raise HTTPException(422, detail)
    _check_by(events, caller.name)
    store = store_of(request)
    with read_as(store, caller) as session:
        checked_batch(session.connection, session.scope, events)
    result = record_events(store, events, source="api", by=caller.name, actor=caller.actor)
    recorded: set[str] = set()
    if result.batch is not None:
        with store.reading() as connection:
            recorded = batch_event_ids(connection, result.batch)
    given = {str(event.get("id")) for event in events}
    return {
        "batch": result.batch,
        "recorded": sorted(recorded),
        "already": sorted(given - recorded),
    }
