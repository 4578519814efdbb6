"""The users and the audit log, read and changed on a principal's behalf (ACCESS.md: "users,
audit log: all (admins) for the programme, own org for the others"; "admin: manage the users of
the organisation (the programme's admins: every organisation)").

Only admins read or change users and read the audit log: anyone else is refused with
:class:`NotAllowed` (403: the routes are public knowledge). An admin of another organisation
than the programme sees its own organisation's users and entries only; a user of another
organisation is refused as one that does not exist (:class:`NotVisible`, 404). The filter is in
the SQL (``organization IN (...)``), so no count or page carries another organisation's row.

An audit entry belongs to the organisation stored with it (:func:`dronefab.storage.audit.append`:
the actor's organisation, or the organisation of the user a ``user.*`` entry changes). Entries of
no organisation (the command line's, a failed sign-in under an unknown name) are the
programme's alone. Every change here is audited in its own transaction; no password is ever
answered or logged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, select, update

from dronefab.errors import UsageError
from dronefab.storage import schema
from dronefab.storage.access.paging import Page, check_limit
from dronefab.storage.access.rules import (
    PROG,
    NotAllowed,
    NotVisible,
    Principal,
    may_administer,
    visible_organizations,
)
from dronefab.storage.audit import Actor, ChainBrokenError, append, verify
from dronefab.storage.events import utc_stamp
from dronefab.storage.users import (
    ROLES,
    UserRefusedError,
    add_user,
    hash_password,
    organization_role,
    password_problems,
    role_problems,
)

LANGUAGES = ("en", "fr", "uk")
"""The languages a user may choose for the pages (``web.i18n.LANGUAGES``' keys)."""


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to list: by action, by actor, from ``since`` (inclusive) to ``until``
    (exclusive); a time without an offset is UTC."""

    action: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _require_admin(principal: Principal) -> None:
    if not principal.has("admin"):
        raise NotAllowed("managing users and reading the audit log (admins only)")


def _admin_page(principal: Principal, limit: int) -> None:
    """Refuse a non-admin (NotAllowed) and a page size out of range (UsageError)."""
    _require_admin(principal)
    check_limit(limit)


def _organizations_filter(principal: Principal, column: Any) -> Any:
    seen = visible_organizations(principal)
    return None if seen is None else column.in_(sorted(seen))


def _answer(row: Any) -> dict[str, Any]:
    return {
        "name": row.name,
        "organization": row.organization,
        "roles": [role for role in row.roles.split(",") if role],
        "created_at": row.created_at,
        "disabled": bool(row.disabled),
        "language": row.language,
    }


def _users_query(principal: Principal) -> Select[Any]:
    u = schema.users.c
    query = select(u.name, u.organization, u.roles, u.created_at, u.disabled, u.language)
    where = _organizations_filter(principal, u.organization)
    return query if where is None else query.where(where)


def list_users(
    principal: Principal, connection: Connection, *, limit: int = 100, after: str | None = None
) -> Page:
    """The users the admin ``principal`` administers, by name, a page at a time (NotAllowed
    for a non-admin)."""
    _admin_page(principal, limit)
    query = _users_query(principal).order_by(schema.users.c.name).limit(limit + 1)
    if after is not None:
        query = query.where(schema.users.c.name > after)
    rows = [_answer(row) for row in connection.execute(query)]
    kept = rows[:limit]
    return Page(kept, kept[-1]["name"] if len(rows) > limit else None)


def get_user(principal: Principal, connection: Connection, name: str) -> dict[str, Any]:
    """One user the admin ``principal`` administers.

    Raises
    ------
    NotAllowed
        If the principal is not an admin.
    NotVisible
        For a user of another organisation (a programme admin: none), or none of that name.
    """
    _require_admin(principal)
    row = connection.execute(_users_query(principal).where(schema.users.c.name == name)).first()
    if row is None:
        raise NotVisible("user")
    return _answer(row)


def create_user(
    principal: Principal,
    connection: Connection,
    name: str,
    organization: str,
    roles: Iterable[str],
    password: str,
) -> dict[str, Any]:
    """Add a user (the checks of ``dronefab users add``), audited as ``user.add``.

    Raises
    ------
    NotAllowed
        If the principal is not an admin of ``organization``.
    UserRefusedError
        Naming every bad field; nothing is written.
    """
    _require_admin(principal)
    if not may_administer(principal, organization):
        raise NotAllowed("adding users to another organisation")
    add_user(connection, name, organization, roles, password, actor=_actor(principal))
    return get_user(principal, connection, name)


def set_disabled(
    principal: Principal, connection: Connection, name: str, disabled: bool
) -> dict[str, Any]:
    """Disable a user (their tokens and sessions stop working at once) or enable them again.

    Raises
    ------
    NotAllowed, NotVisible
        As :func:`get_user`.
    UserRefusedError
        For an admin disabling themselves (nobody would be left to enable them, maybe).
    """
    found = get_user(principal, connection, name)
    if disabled and name == principal.name:
        raise UserRefusedError(name, [("disabled", "you may not disable yourself")])
    _write(connection, name, disabled=disabled)
    action = "user.disable" if disabled else "user.enable"
    append(connection, _actor(principal), action, name, organization=found["organization"])
    return {**found, "disabled": disabled}


def set_roles(
    principal: Principal, connection: Connection, name: str, roles: Iterable[str]
) -> dict[str, Any]:
    """Give a user other roles (taking effect at their next request), audited.

    Raises
    ------
    UserRefusedError
        For an unknown role, none, a planner outside a programme or manufacturer, or an admin
        taking away their own admin role (NotAllowed, NotVisible: as :func:`get_user`).
    """
    found = get_user(principal, connection, name)
    wanted = tuple(dict.fromkeys(roles))
    problems: list[tuple[str, str]] = []
    org_role = organization_role(connection, found["organization"], problems)
    problems += role_problems(wanted, found["organization"], org_role)
    if name == principal.name and "admin" not in wanted:
        problems.append(("roles", "you may not take away your own admin role"))
    if problems:
        raise UserRefusedError(name, problems)
    ordered = [role for role in ROLES if role in wanted]
    _write(connection, name, roles=",".join(ordered))
    detail = {"roles": ordered, "before": found["roles"]}
    append(
        connection,
        _actor(principal),
        "user.roles",
        name,
        detail,
        organization=found["organization"],
    )
    return {**found, "roles": ordered}


def reset_password(principal: Principal, connection: Connection, name: str, password: str) -> None:
    """Give a user a new password (argon2id) and revoke every token and session of theirs.

    Raises
    ------
    NotAllowed, NotVisible
        As :func:`get_user`.
    UserRefusedError
        For a password too short, too long or equal to the name (never repeated back).
    """
    found = get_user(principal, connection, name)
    problems = password_problems(name, password)
    if problems:
        raise UserRefusedError(name, problems)
    _write(connection, name, password_hash=hash_password(password))
    t = schema.api_tokens.c
    connection.execute(
        update(schema.api_tokens)
        .where(and_(t.user == name, t.revoked_at.is_(None)))
        .values(revoked_at=utc_stamp_now())
    )
    append(connection, _actor(principal), "user.password", name, organization=found["organization"])


def set_language(connection: Connection, name: str, language: str | None) -> None:
    """The pages' language of user ``name`` (None: back to the browser's preference).

    Raises
    ------
    UsageError
        For a language that is not one of :data:`LANGUAGES`.
    """
    if language is not None and language not in LANGUAGES:
        message = f"language: got '{language[:20]}'; expected one of {', '.join(LANGUAGES)}"
        raise UsageError(message)
    _write(connection, name, language=language)


def language_of(connection: Connection, name: str) -> str | None:
    """The language user ``name`` chose (None: never chose, or no such user)."""
    u = schema.users.c
    found = connection.execute(select(u.language).where(u.name == name)).scalar()
    return found if found in LANGUAGES else None


def audit_entries(
    principal: Principal,
    connection: Connection,
    wanted: AuditFilter | None = None,
    *,
    limit: int = 100,
    after: int | None = None,
) -> Page:
    """The audit entries the admin ``principal`` reads, newest first, a page at a time
    (``after``: the ``seq`` of the previous page's last entry); NotAllowed for a non-admin."""
    _admin_page(principal, limit)
    wanted = wanted or AuditFilter()
    c = schema.audit.c
    where = [_organizations_filter(principal, c.organization)]
    where += [c.action == wanted.action if wanted.action else None]
    where += [c.actor == wanted.actor if wanted.actor else None]
    where += [c.at >= _stamp(wanted.since) if wanted.since else None]
    where += [c.at < _stamp(wanted.until) if wanted.until else None]
    where += [c.seq < after if after is not None else None]
    query = select(c.seq, c.at, c.actor, c.organization, c.action, c.target, c.detail)
    query = query.where(*(w for w in where if w is not None))
    rows = connection.execute(query.order_by(c.seq.desc()).limit(limit + 1)).all()
    items = [dict(row._mapping) for row in rows[:limit]]
    return Page(items, str(items[-1]["seq"]) if len(rows) > limit else None)


def chain_state(principal: Principal, connection: Connection) -> dict[str, Any]:
    """Whether the audit chain verifies (:func:`dronefab.storage.audit.verify`): ``ok``,
    ``count`` and ``head``, or ``ok`` false with the first bad entry's ``seq`` and ``message``.

    Raises
    ------
    NotAllowed
        For anyone but the programme's admins (the whole chain is theirs alone).
    """
    _require_admin(principal)
    if principal.organization_role != PROG:
        raise NotAllowed("checking the whole audit chain (the programme's admins only)")
    try:
        found = verify(connection)
    except ChainBrokenError as exc:
        return {"ok": False, "seq": exc.seq, "message": str(exc)}
    return {"ok": True, "count": found.count, "head": found.head}


def _stamp(moment: datetime) -> str:
    try:
        return utc_stamp(moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC))
    except OverflowError:  # year 1 or 9999 moved by its offset: before or after every entry
        return "0" if moment.year < 5000 else "9"


def _actor(principal: Principal) -> Actor:
    return Actor(principal.name, principal.organization)


def _write(connection: Connection, name: str, **values: Any) -> None:
    u = schema.users.c
    connection.execute(update(schema.users).where(u.name == name).values(**values))


def utc_stamp_now() -> str:
    """Now, as the store writes times."""
    return utc_stamp(datetime.now(UTC))
