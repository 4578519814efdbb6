"""A customer records the acceptance of its own shipments (an extension of ACCESS.md, issue 13:
docs/access.md): a supervisor of a customer organisation may record an ``acceptance`` event of a
shipment addressed to one of its customers, at the shipment's site, and nothing else.

:func:`split` takes those acceptances out of a batch (the others go through the API's usual
checks, which refuse a customer any other event); :func:`check` refuses an acceptance of a
shipment that is not the customer's, or that does not exist, alike (404, ``shipment not found``),
and one whose site is not the shipment's (the door would take it: the record would say the
customer accepted at another site).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from dronefab.storage import schema
from dronefab.storage.access.rules import NotVisible, Reach, permission_reach
from dronefab.storage.access.scope import Scope
from dronefab.storage.bulk import chunks


def may_accept(scope: Scope) -> bool:
    """The principal records acceptances of its organisation's customers' shipments."""
    return bool(scope.customers) and permission_reach(scope.principal, "accept") is Reach.ITS_OWN


def split(
    scope: Scope, events: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The batch's acceptances the customer records (checked by :func:`check`), and the rest."""
    if not may_accept(scope):
        return [], events
    mine = [event for event in events if event.get("type") == "acceptance"]
    return mine, [event for event in events if event.get("type") != "acceptance"]


def check(scope: Scope, connection: Connection, acceptances: list[dict[str, Any]]) -> None:
    """Each acceptance names a shipment addressed to one of the principal's customers, at the
    shipment's site.

    Raises
    ------
    NotVisible
        For the first that does not (the same answer for a shipment of another customer and
        for none that exists).
    """
    named = sorted({a["shipment"] for a in acceptances if isinstance(a.get("shipment"), str)})
    e = schema.events.c
    found: dict[str, tuple[str, str]] = {}
    for part in chunks(named):
        rows = connection.execute(
            select(e.id, e.site, e.partner).where(e.type == "shipment", e.id.in_(part))
        )
        found.update({row.id: (row.site, row.partner) for row in rows})
    for acceptance in acceptances:
        site, customer = found.get(acceptance.get("shipment"), (None, None))  # type: ignore[arg-type]
        if customer not in scope.customers or acceptance.get("site") != site:
            raise NotVisible("shipment")


def shipment_site(scope: Scope, connection: Connection, shipment: str) -> str:
    """The site of ``shipment``, one of the principal's customers' (the page's form asks it).

    Raises
    ------
    NotVisible
        For a shipment that is not the principal's customers', or none of that id.
    """
    e = schema.events.c
    row = connection.execute(
        select(e.site, e.partner).where(e.type == "shipment", e.id == shipment)
    ).first()
    if row is None or row.partner not in scope.customers:
        raise NotVisible("shipment")
    return str(row.site)
