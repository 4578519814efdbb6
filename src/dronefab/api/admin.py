"""Users and the audit log for admins (``/users``, ``/audit``), and the caller's own settings
(``PATCH /me``), each answered by :mod:`dronefab.storage.access.admin`.

Non-admins are answered 403 (these routes are public knowledge), a user of an organisation the
admin does not administer 404, as one that does not exist. A password is taken, never answered
nor logged; a refused one is named by its field only.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection

from dronefab.api.auth import Caller, CallerDep, ReadingDep, _refuse, store_of
from dronefab.api.paging import Paging, PagingDep, answer, described
from dronefab.storage.access import Principal, UnknownOrganizationError, principal_for
from dronefab.storage.access import admin as readers
from dronefab.storage.users import MAX_PASSWORD, UserRefusedError

router = APIRouter(tags=["users and audit"])

Name = Annotated[str, Path(max_length=100)]
ADMIN = described(
    {403: "Admins only", 404: "No such user (or of an organisation you do not administer)"}
)
REFUSED = described({403: "Admins only", 422: "Refused: every bad field named"})


class NewUser(BaseModel):
    """A user to add: the checks of ``dronefab users add``."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=100)
    organization: str = Field(max_length=100)
    roles: list[str] = Field(min_length=1, max_length=5)
    password: str = Field(max_length=MAX_PASSWORD)


class UserChange(BaseModel):
    """What to change of a user: disable or enable, and their roles."""

    model_config = ConfigDict(extra="forbid")
    disabled: bool | None = None
    roles: list[str] | None = Field(None, min_length=1, max_length=5)


class NewPassword(BaseModel):
    """A user's new password (never answered)."""

    model_config = ConfigDict(extra="forbid")
    password: str = Field(max_length=MAX_PASSWORD)


class MyChange(BaseModel):
    """The caller's own settings: the pages' language (null: the browser's preference)."""

    model_config = ConfigDict(extra="forbid")
    language: Literal["en", "fr", "uk"] | None = Field(
        description="en, fr or uk; null: the browser's preference"
    )


@contextlib.contextmanager
def principal_writing(request: Request, caller: Caller) -> Iterator[tuple[Connection, Principal]]:
    """A write transaction on ``caller``'s behalf, their principal read in it (the pages' too).

    Raises
    ------
    HTTPException
        401 if the caller's organisation left the scenario.
    """
    with store_of(request).writing() as connection:
        try:
            principal = principal_for(connection, caller.organization, caller.roles, caller.name)
        except UnknownOrganizationError:
            raise _refuse("the user's organisation is not in the scenario any more") from None
        yield connection, principal


@contextlib.contextmanager
def write_as(request: Request, caller: Caller) -> Iterator[tuple[Connection, Principal]]:
    """:func:`principal_writing`, a refused user change answering 422 naming each field
    (``body.FIELD``).

    Raises
    ------
    HTTPException
        401 as :func:`principal_writing`; 422 for a refused change.
    """
    with principal_writing(request, caller) as (connection, principal):
        try:
            yield connection, principal
        except UserRefusedError as exc:
            detail = [
                {"loc": ["body", field], "msg": message, "type": "value_error"}
                for field, message in exc.problems
            ]
            raise HTTPException(422, detail) from None


@router.get("/users", summary="Users you administer", responses=ADMIN)
def users(session: ReadingDep, paging: PagingDep) -> dict[str, Any]:
    """Name, organisation, roles, when created, disabled, language; by name."""
    page = readers.list_users(
        session.principal, session.connection, limit=paging.limit, after=paging.after
    )
    return answer(page)


@router.post("/users", status_code=201, summary="Add a user", responses=REFUSED)
def add(request: Request, caller: CallerDep, user: NewUser) -> dict[str, Any]:
    """Add a user to an organisation you administer (audited as ``user.add``)."""
    with write_as(request, caller) as (connection, principal):
        return readers.create_user(
            principal, connection, user.name, user.organization, user.roles, user.password
        )


@router.get("/users/{name}", summary="One user", responses=ADMIN)
def user(session: ReadingDep, name: Name) -> dict[str, Any]:
    """One user you administer."""
    return readers.get_user(session.principal, session.connection, name)


@router.patch("/users/{name}", summary="Disable, enable or re-role a user", responses=ADMIN)
def change(request: Request, caller: CallerDep, name: Name, change: UserChange) -> dict[str, Any]:
    """Disable (every session of theirs stops at once) or enable a user, or give them other
    roles; each change audited."""
    with write_as(request, caller) as (connection, principal):
        found = readers.get_user(principal, connection, name)
        if change.roles is not None:
            found = readers.set_roles(principal, connection, name, change.roles)
        if change.disabled is not None:
            found = readers.set_disabled(principal, connection, name, change.disabled)
        return found


@router.put("/users/{name}/password", status_code=204, summary="Reset a password", responses=ADMIN)
def password(request: Request, caller: CallerDep, name: Name, new: NewPassword) -> Response:
    """Give a user a new password; every token and session of theirs is revoked."""
    with write_as(request, caller) as (connection, principal):
        readers.reset_password(principal, connection, name, new.password)
    return Response(status_code=204)


@router.get("/audit", summary="The audit log", responses=described({403: "Admins only"}))
def audit(
    session: ReadingDep,
    paging: PagingDep,
    action: Annotated[str | None, Query(max_length=100)] = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[datetime | None, Query(alias="from", description="inclusive")] = None,
    until: Annotated[datetime | None, Query(alias="to", description="exclusive")] = None,
) -> dict[str, Any]:
    """Entries newest first: seq, at, actor, organization, action, target, detail (the
    programme's admins: every entry; other admins: their organisation's)."""
    wanted = readers.AuditFilter(action, actor, since, until)
    page = readers.audit_entries(
        session.principal, session.connection, wanted, limit=paging.limit, after=seq_of(paging)
    )
    return answer(page)


def seq_of(paging: Paging) -> int | None:
    """The audit page's cursor as the ``seq`` it stands for.

    Raises
    ------
    HTTPException
        422 naming ``cursor`` for one this API did not give.
    """
    if paging.after is None:
        return None
    if not paging.after.isdigit() or len(paging.after) > 18:
        msg = "not a cursor this API gave: pass a list's `next` as it is"
        raise HTTPException(422, [{"loc": ["query", "cursor"], "msg": msg, "type": "value_error"}])
    return int(paging.after)


@router.get(
    "/audit/chain",
    summary="Whether the audit chain verifies",
    responses=described({403: "The programme's admins only"}),
)
def chain(session: ReadingDep) -> dict[str, Any]:
    """``{"ok": true, "count", "head"}``, or ``{"ok": false, "seq", "message"}`` naming the
    first entry altered, removed or reordered."""
    return readers.chain_state(session.principal, session.connection)


@router.patch("/me", summary="My settings")
def change_me(request: Request, caller: CallerDep, change: MyChange) -> dict[str, Any]:
    """Set the pages' language (``en``, ``fr``, ``uk``; null: the browser's preference)."""
    with store_of(request).writing() as connection:
        readers.set_language(connection, caller.name, change.language)
    return {"name": caller.name, "language": change.language}
