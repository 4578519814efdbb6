"""Sites and their records: ``/sites``, ``/sites/{site}`` and its orders, events, stock and
exceptions, each answered by the matching reader of :mod:`dronefab.storage.access`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from dronefab.api.auth import ReadingDep
from dronefab.api.paging import PagingDep, answer, described, json_key
from dronefab.storage import access

router = APIRouter(tags=["sites"])

SiteId = Annotated[str, Path(max_length=100, description="A site's id.")]
OrderKind = Literal["work", "purchase", "transfer", "delivery"]
REFUSALS = described(
    {
        403: "The site is known to you, its records are not",
        404: "No such site (or one you may not know of)",
    }
)


@router.get("/sites", summary="The sites you may know of")
def sites(session: ReadingDep, paging: PagingDep) -> dict[str, Any]:
    """Each site's ``site``, ``name`` and ``operator``, by id."""
    return paging.read(access.list_sites, session.scope, session.connection)


@router.get("/sites/{site}", summary="A site's detail", responses=REFUSALS)
def site(session: ReadingDep, site: SiteId) -> dict[str, Any]:
    """Distance to the front, capacity, stock and risks of a site."""
    return access.site_detail(session.scope, session.connection, site)


@router.get("/sites/{site}/orders", summary="A site's orders", responses=REFUSALS)
def site_orders(
    session: ReadingDep,
    site: SiteId,
    paging: PagingDep,
    kind: Annotated[OrderKind | None, Query()] = None,
) -> dict[str, Any]:
    """The orders of a site (every kind, or ``kind``), by order id."""
    page = access.site_orders(
        session.scope, session.connection, site, kind=kind, limit=paging.limit, after=paging.after
    )
    return answer(page)


@router.get("/sites/{site}/events", summary="A site's events", responses=REFUSALS)
def site_events(session: ReadingDep, site: SiteId, paging: PagingDep) -> dict[str, Any]:
    """The events recorded at a site, in (``at``, ``id``) order."""
    return paging.read(access.site_events, session.scope, session.connection, site)


@router.get("/sites/{site}/stock", summary="A site's stock", responses=REFUSALS)
def site_stock(session: ReadingDep, site: SiteId, paging: PagingDep) -> dict[str, Any]:
    """Stock on hand at a site by (item, lot), as ``dronefab stock --site`` lists it."""
    rows = access.site_stock(session.scope, session.connection, site)
    return paging.list(rows, json_key("item", "lot"))


@router.get("/sites/{site}/exceptions", summary="A site's exceptions", responses=REFUSALS)
def site_exceptions(session: ReadingDep, site: SiteId, paging: PagingDep) -> dict[str, Any]:
    """The exceptions naming an event recorded at the site."""
    rows = access.site_exceptions(session.scope, session.connection, site)
    return paging.list(rows, json_key("at", "kind", "events", "detail"))
