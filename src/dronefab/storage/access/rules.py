"""Who sees what and who may do what: ACCESS.md's two tables, as data, and the refusals.

``SEES`` is the table "Organisations and what each sees" (one row per kind of data, one column
per organisation role); ``MAY`` is "Users and what each may do" (one row per action). Every reader
of :mod:`dronefab.storage.access` and every write check asks these two tables, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import get_args

from sqlalchemy import Connection

from dronefab.errors import DronefabError, UsageError
from dronefab.model.schema import OrganizationRole
from dronefab.storage.master import read_revision
from dronefab.storage.users import ROLES

ORGANIZATION_ROLES: tuple[str, ...] = get_args(OrganizationRole)
"""The roles an organisation may have (SCENARIO.md, organizations)."""

USER_ROLES = ROLES
"""The roles a user may have (ACCESS.md, users)."""


class Reach(StrEnum):
    """How much of one kind of data an organisation sees."""

    ALL = "all"
    OWN_SITES = "own sites"  # the sites it operates
    TOTALS = "totals"  # sums, never a row
    ITS_OWN = "its own"  # a customer's or a supplier's own part (see each reader)
    NONE = "none"  # nothing: not the rows, their count or their existence


ALL, OWN, TOT, ITS = Reach.ALL, Reach.OWN_SITES, Reach.TOTALS, Reach.ITS_OWN
PROG, FUND, MAKER, OPER, DA, CUST, SUPP = (
    "programme", "funder", "manufacturer", "operator", "design-authority", "customer", "supplier"
)  # fmt: skip

SEES: dict[str, dict[str, Reach]] = {
    # data             programme funder manufacturer operator design-authority customer supplier
    "sites":           {PROG: ALL, FUND: ALL, MAKER: ALL, OPER: ALL, DA: ALL, CUST: ITS, SUPP: ITS},
    "site_detail":     {PROG: ALL, MAKER: OWN, OPER: OWN},
    "site_records":    {PROG: ALL, MAKER: OWN, OPER: OWN, DA: ALL},
    "genealogy":       {PROG: ALL, MAKER: OWN, OPER: OWN, DA: ALL, CUST: ITS, SUPP: ITS},
    "recall":          {PROG: ALL, MAKER: OWN, OPER: OWN, DA: ALL, SUPP: ITS},
    "purchase_orders": {PROG: ALL, FUND: TOT, MAKER: OWN, OPER: OWN, SUPP: ITS},
    "deliveries":      {PROG: ALL, FUND: TOT, MAKER: OWN, OPER: OWN, DA: ALL, CUST: ITS},
    "costs":           {PROG: ALL, FUND: ALL, MAKER: OWN, OPER: OWN},
    "kpis":            {PROG: ALL, FUND: ALL, MAKER: ALL, OPER: ALL, DA: ALL, CUST: ITS},
    "plans":           {PROG: ALL, MAKER: ITS},
}  # fmt: skip
"""ACCESS.md's "Organisations and what each sees"; a role left out of a row sees nothing.

``ITS_OWN`` reads: sites that shipped to a customer (shipments, delivery orders) or that a
supplier delivers to (purchase orders, receipts); a customer's serials (shipped to it, redacted)
and deliveries; a supplier's lots (their receipts, their recall) and purchase order lines.
The users and the audit log are :func:`sees_organization`'s. ``plans`` are the service's plan
jobs (storage/plans.py): a manufacturer sees those its own users started (``ITS_OWN``).
"""


@dataclass(frozen=True)
class Permission:
    """An action: the user role it takes, and where an organisation's users may do it
    (organisation role -> reach; ``default`` for the roles not named; NONE: nowhere)."""

    user_role: str
    reach: dict[str, Reach]
    default: Reach


MAY: dict[str, Permission] = {
    # record events at the organisation's own sites
    "record": Permission("supervisor", {}, OWN),
    # tests, quarantine and release, nonconformances: own sites; the design authority: all
    "inspect": Permission("inspector", {DA: ALL}, OWN),
    # load scenario revisions, plan, release: programme and manufacturer organisations only
    "plan": Permission("planner", {PROG: ALL, MAKER: ALL}, Reach.NONE),
    # acceptance of a shipment addressed to the organisation's customers (issue 13, an
    # extension of ACCESS.md: storage/access/acceptance.py); customers' supervisors only
    "accept": Permission("supervisor", {CUST: ITS}, Reach.NONE),
    # manage users: the organisation's own; the programme's admins: every organisation
    "administer": Permission("admin", {PROG: ALL}, ITS),
}
"""ACCESS.md's "Users and what each may do"."""


# -- who is asking ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Principal:
    """A user as the access rules see them: name, organisation, its role, the user's roles."""

    name: str
    organization: str
    organization_role: str
    roles: frozenset[str]

    def has(self, role: str) -> bool:
        """The user has ``role``."""
        return role in self.roles


class UnknownOrganizationError(UsageError):
    """A user names an organisation the store's latest scenario revision does not hold."""


def principal_for(
    connection: Connection, organization: str, roles: frozenset[str] | set[str], name: str
) -> Principal:
    """The principal of user ``name`` of ``organization`` with ``roles``, the organisation's role
    read from the store's latest scenario revision.

    Raises
    ------
    UnknownOrganizationError
        If the organisation is not in the latest revision (naming those that are).
    UsageError
        If no revision is loaded, or a role is not one of :data:`USER_ROLES` (or none is given).
    """
    unknown = sorted(set(roles) - set(USER_ROLES))
    if unknown or not roles:
        found = f"'{', '.join(unknown)}'" if unknown else "none"
        message = f"roles: got {found}; expected one or more of {', '.join(USER_ROLES)}"
        raise UsageError(message)
    master = read_revision(connection)
    by_id = {org.id: org for org in master.scenario.organizations}
    if organization not in by_id:
        known = ", ".join(sorted(by_id)) or "none"
        message = (
            f"organization '{organization}' is not in the scenario (revision {master.revision}); "
            f"expected one of: {known}"
        )
        raise UnknownOrganizationError(message)
    return Principal(name, organization, by_id[organization].role, frozenset(roles))


# -- refusals ---------------------------------------------------------------------------------
class RefusedError(DronefabError):
    """A request the access rules refuse."""


class NotVisible(RefusedError):  # noqa: N818 (the name the API and its tests use)
    """Not allowed to know the record exists (the API answers 404): raised alike for a hidden
    record and for one that does not exist, with the same message, which names only the kind
    of record (never the id asked for, nor anything near it)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        super().__init__(f"{kind} not found")


class NotAllowed(RefusedError):  # noqa: N818 (as NotVisible)
    """Allowed to know the record exists, not to do this (the API answers 403)."""

    def __init__(self, action: str) -> None:
        self.action = action
        super().__init__(f"not allowed: {action}")


def reach(principal: Principal, data: str) -> Reach:
    """How much of ``data`` (a row of :data:`SEES`) the principal's organisation sees."""
    return SEES[data].get(principal.organization_role, Reach.NONE)


def permission_reach(principal: Principal, action: str) -> Reach:
    """Where the principal may do ``action`` (a row of :data:`MAY`): NONE without its role."""
    rule = MAY[action]
    if not principal.has(rule.user_role):
        return Reach.NONE
    return rule.reach.get(principal.organization_role, rule.default)


def may_plan(principal: Principal) -> bool:
    """The principal may load scenario revisions, plan and release."""
    return permission_reach(principal, "plan") is Reach.ALL


APPROVERS = ("planner", "admin")
"""The user roles that approve a plan's release, in a programme organisation (ACCESS.md:
release is the programme's decision)."""


def may_approve(principal: Principal) -> bool:
    """The principal may approve or reject a plan's release (a programme planner or admin)."""
    return principal.organization_role == PROG and any(map(principal.has, APPROVERS))


def may_administer(principal: Principal, organization: str) -> bool:
    """The principal may manage the users of ``organization``."""
    where = permission_reach(principal, "administer")
    return where is Reach.ALL or (where is Reach.ITS_OWN and organization == principal.organization)


def sees_organization(principal: Principal, organization: str) -> bool:
    """The principal may read the users and the audit entries of ``organization``: its own
    organisation's; the programme's admins every organisation's."""
    return organization == principal.organization or _programme_admin(principal)


def visible_organizations(principal: Principal) -> frozenset[str] | None:
    """The organisations whose users and audit entries the principal reads (None: all), for
    the users and audit code to filter on in SQL."""
    return None if _programme_admin(principal) else frozenset({principal.organization})


def _programme_admin(principal: Principal) -> bool:
    return principal.organization_role == PROG and principal.has("admin")
