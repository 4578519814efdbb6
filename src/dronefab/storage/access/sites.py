"""Sites and what happens at them, each reader applying ACCESS.md's table.

A site's id, name and operator: every organisation but customers (the sites that shipped to it)
and suppliers (the sites it delivers to). Its distance to the front, capacity, stock and risks:
the programme, and the operator for its own sites. Its orders, events, stock and exceptions:
the programme, the operator for its own sites, and the design authority (read only).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from dronefab.model.scenario import Scenario
from dronefab.simulation.history_setup import strike_rate
from dronefab.storage import schema
from dronefab.storage.access.paging import DEFAULT_LIMIT, Page, check_limit, cut, page_of
from dronefab.storage.access.rules import Principal
from dronefab.storage.access.scope import Scope, scope_of
from dronefab.storage.exceptions import find_exceptions
from dronefab.storage.orders import OrderRow, order_table
from dronefab.storage.queries import stock
from dronefab.storage.timepoint import AsOf

Who = Principal | Scope


def list_sites(
    who: Who, connection: Connection, *, limit: int = DEFAULT_LIMIT, after: str | None = None
) -> Page:
    """The sites the principal may know of: ``site``, ``name``, ``operator``, by site id."""
    scope = scope_of(connection, who)
    rows = [
        {"site": site.id, "name": site.name, "operator": site.operator}
        for site in scope.master.scenario.sites
        if site.id in scope.listed_sites
    ]
    return page_of(rows, _site_key, limit, after)


def _site_key(row: dict[str, Any]) -> str:
    return str(row["site"])


def site_detail(who: Who, connection: Connection, site: str) -> dict[str, Any]:
    """A site's distance to the front, capacity (work centers, working days), stock and risks.

    Raises
    ------
    NotVisible
        For a site the principal may not know of, or that does not exist.
    NotAllowed
        For a site it knows of but whose detail it does not see.
    """
    scope = scope_of(connection, who)
    found = scope.require_site_data("site_detail", site)
    return {
        "site": found.id,
        "name": found.name,
        "operator": found.operator,
        "distance_to_front_km": found.distance_to_front_km,
        "opens": None if found.opens is None else found.opens.isoformat(),
        "closes": None if found.closes is None else found.closes.isoformat(),
        "days_per_week": found.days_per_week,
        "makes": list(found.makes),
        "work_centers": [wc.model_dump(mode="json") for wc in found.work_centers],
        "stock": [asdict(row) for row in stock(connection, site=site)],
        "risks": _site_risks(scope.master.scenario, found),
    }


def _site_risks(scenario: Scenario, site: Any) -> dict[str, Any]:
    """The strike rate and alert hours that apply to a site (its override, else its band)."""
    risks = scenario.risks
    own = risks.sites.get(site.id)
    strikes = strike_rate(scenario, site)  # as the stress test draws them
    alerts = risks.alerts.hours_per_day_mean
    if own is not None and own.alert_hours_per_day_mean is not None:
        alerts = own.alert_hours_per_day_mean
    return {"strikes_per_year": strikes, "alert_hours_per_day_mean": alerts}


# -- a site's records -------------------------------------------------------------------------
def records_scope(who: Who, connection: Connection, site: str) -> Scope:
    """The principal's scope, if it may read the records (orders, events, stock, exceptions) of
    ``site``: every reader of a site's records refuses as this does.

    Raises
    ------
    NotVisible
        For a site it may not know of, or that does not exist.
    NotAllowed
        For a site it knows of, whose records it does not see.
    """
    scope = scope_of(connection, who)
    scope.require_site_data("site_records", site)
    return scope


def site_orders(
    who: Who,
    connection: Connection,
    site: str,
    *,
    kind: str | None = None,
    statuses: frozenset[str] | None = None,
    limit: int = DEFAULT_LIMIT,
    after: str | None = None,
) -> Page:
    """The orders of a site (every kind, or ``kind``; every status, or those of ``statuses``),
    by order id.

    Raises
    ------
    UsageError
        For a kind that is not an order kind (refused as every site record is: see
        :func:`records_scope`).
    """
    records_scope(who, connection, site)
    rows = order_table(connection, kind=kind, sites={site})
    records = [order_record(row) for row in rows]
    if statuses is not None:  # before the page is cut: a page of closed orders hides none open
        records = [r for r in records if r["status"] in statuses]
    return page_of(records, _order_key, limit, after)


def order_record(row: OrderRow) -> dict[str, Any]:
    """An order as the readers answer it (``site`` and, where they apply, ``supplier``,
    ``to_site``, ``customer``)."""
    return {
        "order": row.order,
        "kind": row.kind,
        "site": row.site,
        "item": row.item,
        "quantity": row.quantity,
        "done": row.done,
        "due": row.due,
        "arrival": row.arrival,
        "status": row.status,
        "release": row.release,
        "supplier": row.supplier,
        "to_site": row.to_site,
        "customer": row.customer,
    }


def _order_key(row: dict[str, Any]) -> str:
    return str(row["order"])


def site_events(
    who: Who,
    connection: Connection,
    site: str,
    *,
    limit: int = DEFAULT_LIMIT,
    after: str | None = None,
) -> Page:
    """The events recorded at a site, in (``at``, ``id``) order; ``after``: an event id (the
    page starts after that event; an id not among the site's events starts nowhere).
    """
    records_scope(who, connection, site)
    check_limit(limit)
    e = schema.events.c
    query = select(e.id, e.type, e.at, e.site, e.body).where(e.site == site)
    if after is not None:
        mark = connection.execute(select(e.at).where(e.id == after, e.site == site)).scalar()
        if mark is None:
            return Page([], None)
        query = query.where(or_(e.at > mark, and_(e.at == mark, e.id > after)))
    rows = connection.execute(query.order_by(e.at, e.id).limit(limit + 1))
    items = [
        {"event": r.id, "type": r.type, "at": r.at, "site": r.site, "body": json.loads(r.body)}
        for r in rows
    ]
    return cut(items, lambda item: str(item["event"]), limit)


def site_stock(
    who: Who, connection: Connection, site: str, *, as_of: AsOf | None = None
) -> list[dict[str, Any]]:
    """Stock on hand at a site by (item, lot), as ``dronefab stock --site`` lists it."""
    records_scope(who, connection, site)
    return [asdict(row) for row in stock(connection, site=site, as_of=as_of)]


def site_exceptions(
    who: Who, connection: Connection, site: str, *, as_of: AsOf | None = None
) -> list[dict[str, Any]]:
    """The exceptions naming an event recorded at the site, oldest first.

    Exceptions are found over the whole record (negative stock, holds and overdue dispatches
    need it); only those with an event of this site are answered.
    """
    scope = records_scope(who, connection, site)
    found = find_exceptions(connection, as_of)
    named = {event for row in found for event in row.events}
    e = schema.events.c
    here = (
        set(
            connection.execute(
                select(e.id).where(e.site == site, e.id.in_(sorted(named)))
            ).scalars()
        )
        if named
        else set()
    )
    everywhere = scope.sites_for("site_records") is None
    return [
        {
            "kind": row.kind,
            "site": site,
            # another site's events are named only to those who see every site's records
            "events": list(row.events) if everywhere else [e for e in row.events if e in here],
            "detail": row.detail,
            "at": row.at,
        }
        for row in found
        if here.intersection(row.events)
    ]
