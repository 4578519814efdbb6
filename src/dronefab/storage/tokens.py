"""The API's bearer tokens (ACCESS.md, "The API"): issued at sign-in, checked on every call,
revoked at sign-out.

A token is 32 random bytes (``secrets.token_urlsafe``) handed to the client once; the store keeps
only its sha256, with its user, when it was issued, when it expires and when it was revoked, so
that reading the database (or a backup of it) gives no token that works. Random tokens rather
than signed ones: a revocation takes effect at the next call, and there is no signing key to
keep secret, rotate or leak.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, and_, insert, select, update

from dronefab.storage import schema
from dronefab.storage.audit import Actor, append
from dronefab.storage.events import utc_stamp

TOKEN_HOURS = 12.0
"""How long a token works after it is issued (a working day and its night shift)."""

MAX_TOKEN = 200
"""Characters a token may have: a longer text is refused before it is hashed."""


@dataclass(frozen=True)
class TokenUser:
    """The user a working token belongs to: their name, organisation and roles."""

    name: str
    organization: str
    roles: frozenset[str]


def token_digest(token: str) -> str:
    """The sha256 (hexadecimal) the store keeps of ``token``."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue_token(
    connection: Connection, user: str, *, hours: float = TOKEN_HOURS, now: datetime | None = None
) -> str:
    """A new token for ``user``, stored as its digest, in the caller's write transaction (that
    of the sign-in, whose ``login`` entry the audit log has already).

    Returns
    -------
    str
        The token, to hand to the client once: the store cannot give it again.
    """
    moment = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    connection.execute(
        insert(schema.api_tokens).values(
            digest=token_digest(token),
            user=user,
            issued_at=utc_stamp(moment),
            expires_at=utc_stamp(moment + timedelta(hours=hours)),
            revoked_at=None,
        )
    )
    return token


def token_user(
    connection: Connection, token: str, *, now: datetime | None = None
) -> TokenUser | None:
    """The user of ``token`` if it works: issued here, not expired, not revoked, its user not
    disabled (None otherwise, whichever the reason: the caller answers 401 alike)."""
    if not token or len(token) > MAX_TOKEN:
        return None
    t, u = schema.api_tokens.c, schema.users.c
    stamp = utc_stamp(now or datetime.now(UTC))
    row = connection.execute(
        select(u.name, u.organization, u.roles)
        .join_from(schema.api_tokens, schema.users, u.name == t.user)
        .where(
            and_(
                t.digest == token_digest(token),
                t.expires_at > stamp,
                t.revoked_at.is_(None),
                u.disabled.is_(False),
            )
        )
    ).first()
    if row is None:
        return None
    roles = frozenset(row.roles.split(",")) if row.roles else frozenset()
    return TokenUser(row.name, row.organization, roles)


def revoke_token(connection: Connection, token: str, actor: Actor) -> bool:
    """Revoke ``token`` (sign-out), with its ``token.revoke`` audit entry, in the caller's write
    transaction; False if it was not a working token."""
    t = schema.api_tokens.c
    done = connection.execute(
        update(schema.api_tokens)
        .where(t.digest == token_digest(token), t.revoked_at.is_(None))
        .values(revoked_at=utc_stamp(datetime.now(UTC)))
    )
    if not done.rowcount:
        return False
    append(connection, actor, "token.revoke", actor.name)
    return True


def batch_event_ids(connection: Connection, batch: int) -> set[str]:
    """The ids of the events that batch ``batch`` recorded (the API's answer names them)."""
    e = schema.events.c
    return set(connection.execute(select(e.id).where(e.batch == batch)).scalars())
