"""Users (ACCESS.md, "Users and what each may do"): who they are, their organisation and roles,
their argon2 password hashes, and signing in.

A user belongs to one organisation of the store's latest scenario revision and has one or more
of :data:`ROLES`; ``planner`` only in a programme or manufacturer organisation. Passwords are
hashed with argon2id (argon2-cffi's :class:`~argon2.PasswordHasher`, whose parameters travel in
each hash): a user whose hash was made with other parameters is rehashed at the next sign-in.
Nothing here returns, logs or prints a password or a hash.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, insert, select, update

from dronefab.errors import DronefabError, UsageError
from dronefab.storage import schema
from dronefab.storage.audit import Actor, append, writer_lock
from dronefab.storage.master import latest_revision, now_stamp, read_revision

ROLES = ("viewer", "supervisor", "inspector", "planner", "admin")
"""Every role, in the order ACCESS.md lists them (and the store keeps them)."""

PLANNING_ORGANIZATIONS = ("programme", "manufacturer")
"""The organisation roles whose users may be planners."""

MIN_PASSWORD = 12
MAX_PASSWORD = 1024
"""Characters a password may have (the upper bound keeps a sign-in's hashing cheap)."""

NAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,99}")
NAME_EXPECTED = (
    "expected 1 to 100 lower-case letters, digits and . _ @ -, starting with a letter or digit"
)

_hasher = PasswordHasher()


class UserRefusedError(DronefabError):
    """A user was not added: ``problems`` holds (field, what is wrong) for every reason."""

    def __init__(self, name: str, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {field}: {message}" for field, message in problems)
        super().__init__(f"user '{name}' not added:\n{lines}")


@dataclass(frozen=True)
class User:
    """A user as the rest of dronefab sees one: never with the password's hash."""

    name: str
    organization: str
    roles: tuple[str, ...]
    created_at: str
    disabled: bool


def parse_roles(values: Iterable[str]) -> tuple[str, ...]:
    """Roles given as repeated and comma-separated values, in :data:`ROLES` order.

    Raises
    ------
    UsageError
        Naming every unknown role and the known ones, or when none is given.
    """
    given = {part.strip() for value in values for part in value.split(",") if part.strip()}
    unknown = sorted(given - set(ROLES))
    if unknown:
        message = (
            f"--role: unknown role {', '.join(map(repr, unknown))}; expected {', '.join(ROLES)}"
        )
        raise UsageError(message)
    if not given:
        message = f"--role: give at least one of {', '.join(ROLES)}"
        raise UsageError(message)
    return tuple(role for role in ROLES if role in given)


def add_user(
    connection: Connection,
    name: str,
    organization: str,
    roles: Iterable[str],
    password: str,
    *,
    actor: Actor,
) -> User:
    """Add a user, and its ``user.add`` audit entry, in the caller's write transaction.

    Parameters
    ----------
    connection
        A connection in a write transaction (:meth:`Store.writing`).
    name
        The login name (:data:`NAME`).
    organization
        An organisation id of the store's latest scenario revision.
    roles
        One or more of :data:`ROLES`.
    password
        At least :data:`MIN_PASSWORD` characters, not the name.
    actor
        Who adds the user (logged).

    Raises
    ------
    UserRefusedError
        Naming every field that is wrong; nothing is written.
    """
    writer_lock(connection)  # the name is checked and taken by one writer at a time
    wanted = tuple(roles)
    problems = _name_problems(connection, name)
    org_role = organization_role(connection, organization, problems)
    problems += role_problems(wanted, organization, org_role)
    problems += password_problems(name, password)
    if problems:
        raise UserRefusedError(name, problems)
    user = User(name, organization, tuple(r for r in ROLES if r in wanted), now_stamp(), False)
    connection.execute(
        insert(schema.users).values(
            name=user.name,
            organization=user.organization,
            roles=",".join(user.roles),
            password_hash=hash_password(password),
            created_at=user.created_at,
            disabled=False,
        )
    )
    detail = {"roles": list(user.roles)}
    append(connection, actor, "user.add", name, detail, organization=organization)
    return user


def _name_problems(connection: Connection, name: str) -> list[tuple[str, str]]:
    if not NAME.fullmatch(name):
        return [("name", f"'{name}' is not a login name: {NAME_EXPECTED}")]
    if _row(connection, name) is not None:
        return [("name", f"a user named '{name}' exists already")]
    return []


def organization_role(
    connection: Connection, organization: str, problems: list[tuple[str, str]]
) -> str | None:
    """The organisation's role in the latest revision (None, with a problem, when unknown)."""
    if latest_revision(connection) is None:
        message = (
            "the store holds no scenario, so no organisation is known: load a scenario first "
            "(dronefab db load SCENARIO)"
        )
        problems.append(("organization", message))
        return None
    master = read_revision(connection)
    known = {org.id: org.role for org in master.scenario.organizations}
    if organization in known:
        return known[organization]
    names = ", ".join(sorted(known)) or "none"
    message = (
        f"'{organization}' is not an organisation of revision {master.revision} "
        f"('{master.scenario.name}'); known: {names}"
    )
    problems.append(("organization", message))
    return None


def role_problems(
    roles: tuple[str, ...], organization: str, org_role: str | None
) -> list[tuple[str, str]]:
    """What is wrong with giving ``roles`` to a user of ``organization`` (its ``org_role``)."""
    unknown = [role for role in roles if role not in ROLES]
    if unknown:
        names = ", ".join(map(repr, unknown))
        return [("roles", f"unknown role {names}; expected {', '.join(ROLES)}")]
    if not roles:
        return [("roles", f"give at least one of {', '.join(ROLES)}")]
    if "planner" in roles and org_role is not None and org_role not in PLANNING_ORGANIZATIONS:
        message = (
            f"planner is for programme and manufacturer organisations; '{organization}' is "
            f"a {org_role}"
        )
        return [("roles", message)]
    return []


def password_problems(name: str, password: str) -> list[tuple[str, str]]:
    """What is wrong with a password, without ever repeating it."""
    if len(password) < MIN_PASSWORD:
        return [("password", f"too short: {len(password)} characters, at least {MIN_PASSWORD}")]
    if len(password) > MAX_PASSWORD:
        return [("password", f"too long: {len(password):,} characters, at most {MAX_PASSWORD}")]
    if password.strip().casefold() == name.casefold():
        return [("password", "it is the login name; choose another")]
    if not password.isprintable() and any(0xD800 <= ord(c) <= 0xDFFF for c in password):
        return [("password", "it holds a lone surrogate, which is not text; expected UTF-8 text")]
    return []


def hash_password(password: str) -> str:
    """``password``'s argon2 hash, with this module's parameters."""
    return _hasher.hash(password)


def authenticate(
    connection: Connection, name: str, password: str, *, client: str | None = None
) -> User | None:
    """The user ``name`` if ``password`` is theirs and they are not disabled, else None.

    A name that does not exist costs the same argon2 verification as one that does, so the time
    taken does not tell which names exist. The sign-in is logged (``login``, or ``login.failed``
    with the reason), and a hash made with older argon2 parameters is replaced.

    Parameters
    ----------
    connection
        A connection in a write transaction (the log entry, and a rehash, are written).
    client
        Where the attempt came from (an address), kept in the log.
    """
    row = _row(connection, name) if NAME.fullmatch(name) else None  # no NUL reaches a query
    stored = row.password_hash if row is not None else _dummy_hash()
    matches = _verify(stored, password)
    organization = row.organization if row is not None else None
    detail = {"client": client} if client else {}
    tried = name[:100]  # what the log keeps of a name typed
    if row is None or not matches or row.disabled:
        reason = "unknown user" if row is None else "disabled" if matches else "wrong password"
        append(
            connection,
            Actor(tried, organization),
            "login.failed",
            tried,
            {**detail, "reason": reason},
        )
        return None
    if _hasher.check_needs_rehash(stored):
        connection.execute(
            update(schema.users)
            .where(schema.users.c.name == name)
            .values(password_hash=_hasher.hash(password))
        )
    append(connection, Actor(name, organization), "login", name, detail)
    return _user(row)


def _verify(stored: str, password: str) -> bool:
    # As bytes: a lone surrogate (a client's JSON may send one) is verified, and fails, like any
    # other wrong password instead of raising before the work is done.
    try:
        return _hasher.verify(stored, password.encode("utf-8", "surrogatepass"))
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    """A hash no password is known for, with the current parameters (made once)."""
    return _hasher.hash("dronefab: no such user")


def get_user(connection: Connection, name: str) -> User | None:
    """The user ``name`` (None: no such user)."""
    row = _row(connection, name)
    return None if row is None else _user(row)


def list_users(connection: Connection, organization: str | None = None) -> list[User]:
    """Every user (of ``organization`` only, when given), by name."""
    u = schema.users.c
    query = select(u.name, u.organization, u.roles, u.created_at, u.disabled).order_by(u.name)
    if organization is not None:
        query = query.where(u.organization == organization)
    return [_user(row) for row in connection.execute(query)]


def _row(connection: Connection, name: str) -> Any:
    u = schema.users.c
    return connection.execute(select(schema.users).where(u.name == name)).first()


def _user(row: Any) -> User:
    roles = tuple(row.roles.split(",")) if row.roles else ()
    return User(row.name, row.organization, roles, row.created_at, bool(row.disabled))
