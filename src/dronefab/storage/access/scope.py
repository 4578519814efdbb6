"""A principal's part of the record, computed once per request: its sites, customers, supplier.

Every reader takes a :class:`Scope` or a :class:`~dronefab.storage.access.rules.Principal` (whose
scope it then computes); a request that reads several things computes the scope once and passes
it. The sets are small (sites, customers) and go into the readers' SQL as ``IN`` lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, select, union

from dronefab.storage import schema
from dronefab.storage.access.rules import (
    CUST,
    SUPP,
    NotAllowed,
    NotVisible,
    Principal,
    Reach,
    permission_reach,
    reach,
)
from dronefab.storage.master import Master, read_revision


@dataclass(frozen=True)
class Scope:
    """What one principal may know of the store's record.

    Attributes
    ----------
    principal
        Who asks.
    master
        The store's latest scenario revision (sites, their operators, customers...).
    own_sites
        The sites the principal's organisation operates.
    listed_sites
        The sites whose id, name and operator it may know.
    customers
        The customers that belong to its organisation (a customer organisation's).
    supplier
        The supplier linked to its organisation (a supplier organisation of the same id).
    """

    principal: Principal
    master: Master
    own_sites: frozenset[str]
    listed_sites: frozenset[str]
    customers: frozenset[str]
    supplier: str | None

    def reach(self, data: str) -> Reach:
        """How much of ``data`` (a row of ACCESS.md's table) the principal sees."""
        return reach(self.principal, data)

    def sites_for(self, data: str) -> frozenset[str] | None:
        """The sites whose ``data`` the principal sees: None for all, else a set (empty: none).
        ``ITS_OWN`` and ``TOTALS`` name no sites: their readers filter by customer or supplier,
        or add up."""
        found = self.reach(data)
        if found is Reach.ALL:
            return None
        if found is Reach.OWN_SITES:
            return self.own_sites
        return frozenset()

    def sees_site_data(self, data: str, site: str) -> bool:
        """The principal sees ``data`` of ``site`` (a site it may know of)."""
        sites = self.sites_for(data)
        return sites is None or site in sites

    def require_site(self, site: str) -> Any:
        """The scenario's site ``site``, if the principal may know of it.

        Raises
        ------
        NotVisible
            For a site it may not know of, or that does not exist.
        """
        found = self.master.scenario.site_by_id.get(site)
        if found is None or site not in self.listed_sites:
            raise NotVisible("site")
        return found

    def require_site_data(self, data: str, site: str) -> Any:
        """The scenario's site ``site``, if the principal sees its ``data``.

        Raises
        ------
        NotVisible
            For a site it may not know of, or that does not exist.
        NotAllowed
            For a site it knows of, whose ``data`` it does not see.
        """
        found = self.require_site(site)
        if not self.sees_site_data(data, site):
            raise NotAllowed(f"reading the {data.replace('_', ' ')} of site '{site}'")
        return found

    def require(self, data: str) -> Reach:
        """The principal's reach on ``data``, refusing nothing at all.

        Raises
        ------
        NotAllowed
            If it sees none of ``data``.
        """
        found = self.reach(data)
        if found is Reach.NONE:
            raise NotAllowed(f"reading {data.replace('_', ' ')}")
        return found

    # -- writes -------------------------------------------------------------------------------
    def may_record_at(self, site: str) -> bool:
        """The principal may record events at ``site``."""
        return self._may("record", site)

    def may_inspect_at(self, site: str | None) -> bool:
        """The principal may record tests, quarantine, release and nonconformances at ``site``
        (None: a hold of a lot or serial everywhere, which only an inspector of every site may
        record)."""
        return self._may("inspect", site)

    def require_may(self, action: str, site: str) -> None:
        """Refuse ``action`` (``record`` or ``inspect``) at ``site`` unless the principal may:
        NotVisible (as :meth:`require_site`) for a site it may not know of, else NotAllowed
        (:class:`~dronefab.storage.access.rules.NotAllowed`) where it may not do this."""
        self.require_site(site)
        if not self._may(action, site):
            raise NotAllowed(f"{action} at site '{site}'")

    def _may(self, action: str, site: str | None) -> bool:
        where = permission_reach(self.principal, action)
        if where is Reach.ALL:
            return site is None or site in self.master.sites
        return where is Reach.OWN_SITES and site is not None and site in self.own_sites


def scope_of(connection: Connection, who: Principal | Scope) -> Scope:
    """The principal's :class:`Scope` (a scope is returned as it is)."""
    if isinstance(who, Scope):
        return who
    master = read_revision(connection)
    scenario = master.scenario
    org = who.organization
    own = frozenset(site.id for site in scenario.sites if site.operator == org)
    customers = frozenset(c.id for c in scenario.customers if c.organization == org)
    is_supplier = who.organization_role == SUPP and org in scenario.supplier_by_id
    supplier = org if is_supplier else None
    listed: frozenset[str]
    if reach(who, "sites") is Reach.ALL:
        listed = frozenset(master.sites)
    elif who.organization_role == CUST:
        listed = _sites_shipping_to(connection, customers) & master.sites
    elif supplier is not None:
        listed = _sites_supplied_by(connection, supplier) & master.sites
    else:
        listed = frozenset()
    return Scope(who, master, own, listed | own, customers, supplier)


def _sites_shipping_to(connection: Connection, customers: frozenset[str]) -> frozenset[str]:
    """Sites that shipped to one of ``customers``, or hold a delivery order to one."""
    if not customers:
        return frozenset()
    e, o = schema.events.c, schema.orders.c
    names = sorted(customers)
    query = union(
        select(e.site).where(and_(e.type == "shipment", e.partner.in_(names))),
        select(o.site).where(and_(o.kind == "delivery", o.customer.in_(names))),
    )
    return frozenset(row[0] for row in connection.execute(query) if row[0] is not None)


def _sites_supplied_by(connection: Connection, supplier: str) -> frozenset[str]:
    """Sites ``supplier`` delivers to: its purchase order lines' and its receipts' sites."""
    e, o = schema.events.c, schema.orders.c
    query = union(
        select(e.site).where(and_(e.type == "receipt", e.partner == supplier)),
        select(o.site).where(and_(o.kind == "purchase", o.supplier == supplier)),
    )
    return frozenset(row[0] for row in connection.execute(query) if row[0] is not None)
