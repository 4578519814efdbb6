"""Need-to-know: every read of the record on behalf of a user, and every write check, in one
place below the routes (ACCESS.md).

Build a :class:`Principal` with :func:`principal_for`, compute its :class:`Scope` once per request
with :func:`scope_of`, and pass either to the readers. A reader answers plain data (dicts, pages
of dicts, each record carrying its ``site``, ``customer`` or ``supplier``) or raises
:class:`NotVisible` (404: a hidden record is refused as a missing one, with the same message) or
:class:`NotAllowed` (403). The rules are the two tables of :mod:`.rules`.
"""

from dronefab.storage.access.deliveries import (
    delivery_orders,
    network_kpis,
    order,
    order_totals,
    purchase_orders,
    shipments,
)
from dronefab.storage.access.genealogy import lot_receipts, recall_lot, trace_serial
from dronefab.storage.access.paging import DEFAULT_LIMIT, MAX_LIMIT, Page
from dronefab.storage.access.rules import (
    MAY,
    ORGANIZATION_ROLES,
    SEES,
    USER_ROLES,
    NotAllowed,
    NotVisible,
    Principal,
    Reach,
    RefusedError,
    UnknownOrganizationError,
    may_administer,
    may_approve,
    may_plan,
    principal_for,
    sees_organization,
    visible_organizations,
)
from dronefab.storage.access.scope import Scope, scope_of
from dronefab.storage.access.sites import (
    list_sites,
    site_detail,
    site_events,
    site_exceptions,
    site_orders,
    site_stock,
)

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "MAY",
    "ORGANIZATION_ROLES",
    "SEES",
    "USER_ROLES",
    "NotAllowed",
    "NotVisible",
    "Page",
    "Principal",
    "Reach",
    "RefusedError",
    "Scope",
    "UnknownOrganizationError",
    "delivery_orders",
    "list_sites",
    "lot_receipts",
    "may_administer",
    "may_approve",
    "may_plan",
    "network_kpis",
    "order",
    "order_totals",
    "principal_for",
    "purchase_orders",
    "recall_lot",
    "scope_of",
    "sees_organization",
    "shipments",
    "site_detail",
    "site_events",
    "site_exceptions",
    "site_orders",
    "site_stock",
    "trace_serial",
    "visible_organizations",
]
