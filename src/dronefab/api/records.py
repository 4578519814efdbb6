"""Serials, lots, orders, shipments and the network's KPIs, each answered by the matching reader
of :mod:`dronefab.storage.access`.

A lot is named by its item and its id (EXECUTION.md): ``/lots/{lot}/receipts?item=ITEM``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from dronefab.api.auth import ReadingDep
from dronefab.api.paging import PagingDep, described, json_key
from dronefab.storage import access

router = APIRouter(tags=["records"])

Id = Annotated[str, Path(max_length=100)]
ItemQuery = Annotated[str, Query(max_length=100, description="The lot's item.")]
HIDDEN = described({404: "Not found (or not yours to know of)"})
LIST_REFUSED = described({403: "Your organisation sees none of these (or only their totals)"})


@router.get("/serials/{serial}/trace", summary="A serial's trace", responses=HIDDEN)
def trace(session: ReadingDep, serial: Id) -> dict[str, Any]:
    """The unit's item, completion, firmware, tests, components and where it is now (the part
    your organisation may see)."""
    return access.trace_serial(session.scope, session.connection, serial)


@router.get("/lots/{lot}/receipts", summary="A lot's receipts", responses=HIDDEN)
def lot_receipts(
    session: ReadingDep, lot: Id, item: ItemQuery, paging: PagingDep
) -> dict[str, Any]:
    """The receipts of lot ``lot`` of ``item``: supplier, origin, licence, site, quantity."""
    rows = access.lot_receipts(session.scope, session.connection, item, lot)
    return paging.list(rows, json_key("event"))


@router.get("/lots/{lot}/recall", summary="A lot's recall", responses=HIDDEN)
def lot_recall(session: ReadingDep, lot: Id, item: ItemQuery, paging: PagingDep) -> dict[str, Any]:
    """Every serial containing the lot: serial, item, status, site, customer."""
    rows = access.recall_lot(session.scope, session.connection, item, lot)
    return paging.list(rows, json_key("serial"))


@router.get("/purchase-orders", summary="Purchase order lines", responses=LIST_REFUSED)
def purchase_orders(session: ReadingDep, paging: PagingDep) -> dict[str, Any]:
    """The purchase order lines your organisation sees, by order id."""
    return paging.read(access.purchase_orders, session.scope, session.connection)


@router.get("/delivery-orders", summary="Delivery orders", responses=LIST_REFUSED)
def delivery_orders(session: ReadingDep, paging: PagingDep) -> dict[str, Any]:
    """The delivery orders your organisation sees, by order id."""
    return paging.read(access.delivery_orders, session.scope, session.connection)


# Before /orders/{order}: a route's path is matched in the order the routes are declared.
@router.get(
    "/orders/totals", summary="Totals of purchase or delivery orders", responses=LIST_REFUSED
)
def order_totals(
    session: ReadingDep, kind: Annotated[Literal["purchase", "delivery"], Query()]
) -> dict[str, Any]:
    """How many orders of ``kind``, their quantity, what is done and open, the count by status."""
    return access.order_totals(session.scope, session.connection, kind)


@router.get("/orders/{order}", summary="One order", responses=HIDDEN)
def order(session: ReadingDep, order: Id) -> dict[str, Any]:
    """One order of any kind."""
    return access.order(session.scope, session.connection, order)


@router.get("/shipments", summary="Shipments and their acceptance", responses=LIST_REFUSED)
def shipments(session: ReadingDep, paging: PagingDep) -> dict[str, Any]:
    """The shipments your organisation sees, by shipment id, each with its acceptance."""
    return paging.read(access.shipments, session.scope, session.connection)


@router.get("/kpis", summary="The network's KPIs", responses=LIST_REFUSED)
def kpis(session: ReadingDep) -> dict[str, Any]:
    """Output by product, and by customer: demand, shipped, on time, fill and on-time rates."""
    return access.network_kpis(session.scope, session.connection)
