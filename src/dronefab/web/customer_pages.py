"""The customer's page: its delivery orders, its shipments with their acceptance, a plot of what
was delivered and accepted per week, and (for a customer's supervisor) the form recording the
acceptance of one of its shipments.

Reads go through :mod:`dronefab.storage.access` (a customer sees its own; the programme, the
design authority and the operators what they see of deliveries). An acceptance goes the way of
``POST /api/v1/events`` (:func:`dronefab.api.events.checked_batch`, then the door): a shipment
that is not the customer's is answered 404, as one that does not exist.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from dronefab.api.auth import Caller, read_as, store_of
from dronefab.api.events import checked_batch
from dronefab.storage import access, schema
from dronefab.storage.access import NotAllowed, acceptance
from dronefab.storage.ingest import RefusedError, record_events
from dronefab.web import i18n
from dronefab.web.charts import LAYOUT, Gettext, preempted_styles
from dronefab.web.render import language_of, render
from dronefab.web.session import PageCaller, PostingCaller

router = APIRouter(include_in_schema=False)

Long = Annotated[str, Form(max_length=20_000)]
Short = Annotated[str, Form(max_length=100)]
SEPARATORS = re.compile(r"[\s,;]+")


def week_of(stamp: str) -> str:
    """The ISO week (``2026-W02``) of a store timestamp."""
    year, week, _ = datetime.fromisoformat(stamp[:10]).isocalendar()
    return f"{year}-W{week:02d}"


def accepted_count(accepted: Any) -> float:
    """Units an acceptance accepts: its serials, or its quantity."""
    if isinstance(accepted, list):
        return float(len(accepted))
    return float(accepted or 0)


def acceptance_figure(shipments: list[dict[str, Any]], _: Gettext) -> dict[str, Any]:
    """Units delivered and accepted, a pair of bars per week of shipment."""
    delivered: dict[str, float] = defaultdict(float)
    accepted: dict[str, float] = defaultdict(float)
    for row in shipments:
        week = week_of(row["at"])
        delivered[week] += float(row["quantity"] or 0)
        accepted[week] += sum(accepted_count(a["accepted"]) for a in row["acceptance"])
    weeks = sorted(delivered)
    bars = [
        {"type": "bar", "x": weeks, "y": [series[w] for w in weeks], "name": label}
        for series, label in ((delivered, _("Delivered")), (accepted, _("Accepted")))
    ]
    layout = {**LAYOUT, "yaxis": {"title": {"text": _("Units")}}}
    return {"data": bars, "layout": layout}


def _or_none(reader: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return reader(*args, **kwargs)
    except NotAllowed:
        return None


def _page(
    request: Request,
    caller: Caller,
    problems: list[str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
    **notes: str | None,
) -> Response:
    _ = i18n.translator(language_of(request)).gettext
    with read_as(store_of(request), caller) as session:
        scope, connection = session.scope, session.connection
        orders = _or_none(access.delivery_orders, scope, connection, limit=access.MAX_LIMIT)
        shipments = _or_none(access.shipments, scope, connection, limit=access.MAX_LIMIT)
        may_accept = acceptance.may_accept(scope)
    rows = None if shipments is None else shipments.items
    context: dict[str, Any] = {
        "orders": None if orders is None else orders.items,
        "shipments": rows,
        "may_accept": may_accept,
        "problems": problems or [],
        "values": values or {"event": uuid.uuid4().hex},
        **notes,
    }
    if rows:
        context["figure"] = acceptance_figure(rows, _)
        context["preempted_styles"] = preempted_styles()
    return render(request, "customer.html", context, caller=caller, status=status)


@router.get("/customer")
def customer_page(
    request: Request,
    caller: PageCaller,
    recorded: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """Delivery orders, shipments and acceptance, with the weekly plot and the form."""
    return _page(request, caller, recorded=recorded)


def to_acceptance(
    values: dict[str, str], site: str, by: str, _: Gettext
) -> tuple[dict[str, Any], list[str]]:
    """The acceptance event of the form's values, and what is wrong with them (translated)."""
    problems: list[str] = []
    serials = [s for s in SEPARATORS.split(values["accepted"]) if s]
    quantity = values["quantity"].strip()
    accepted: list[str] | float | None = serials or None
    if quantity and serials:
        problems.append(_("Give accepted serials or a quantity, not both."))
    elif quantity:
        try:
            accepted = float(quantity)
        except ValueError:
            problems.append(_("Quantity accepted: expected a number, e.g. 5."))
    rejected = []
    for line in values["rejected"].splitlines():
        serial, _sep, reason = line.strip().partition(" ")
        if serial and not reason.strip():
            problems.append(_("Rejected: each line is a serial, a space, then the reason."))
        elif serial:
            rejected.append({"serial": serial, "reason": reason.strip()})
    event: dict[str, Any] = {
        "id": values["event"],
        "type": "acceptance",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "site": site,
        "by": by,
        "shipment": values["shipment"],
        "rejected": rejected,
    }
    if accepted is not None:
        event["accepted"] = accepted
    return event, problems


@router.post("/customer/acceptance")
def record_acceptance(
    request: Request,
    caller: PostingCaller,
    event: Short,
    shipment: Short,
    accepted: Long = "",
    quantity: Annotated[str, Form(max_length=30)] = "",
    rejected: Long = "",
) -> Response:
    """Record the form's acceptance, or show the page again with every problem."""
    _ = i18n.translator(language_of(request)).gettext
    values = {"event": event, "shipment": shipment, "accepted": accepted}
    values |= {"quantity": quantity, "rejected": rejected}
    store = store_of(request)
    with read_as(store, caller) as session:
        site = acceptance.shipment_site(session.scope, session.connection, shipment)
        built, problems = to_acceptance(values, site, caller.name, _)
        checked_batch(session.connection, session.scope, [built])
        e = schema.events.c
        mine = (e.id == event, e.type == "acceptance", e.ref == shipment)  # nobody else's ids
        sent = session.connection.execute(select(e.id).where(*mine)).first()
    if sent is not None:  # the form sent again (a reload): recorded already
        return RedirectResponse(f"/customer?recorded={event}", status_code=303)
    if not problems:
        try:
            record_events(store, [built], source="web", by=caller.name, actor=caller.actor)
        except RefusedError as exc:
            problems = [f"{p.path}: {p.message}" for p in exc.problems]
        else:
            return RedirectResponse(f"/customer?recorded={event}", status_code=303)
    return _page(request, caller, problems, values, status=422)
