"""The admins' pages: the users they administer (add, disable or enable, change roles, reset a
password) and the audit log (filters, pages, and for the programme the chain's state).

Every read and change goes through :mod:`dronefab.storage.access.admin`, as the API's
(:mod:`dronefab.api.admin`): a non-admin is answered 403, a user of an organisation not
administered 404, as pages. A form refused names its fields; a password is never shown back.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from dronefab.api.admin import principal_writing
from dronefab.api.auth import Caller, read_as, store_of
from dronefab.storage.access import admin as readers
from dronefab.storage.access import may_administer
from dronefab.storage.master import read_revision
from dronefab.storage.users import MAX_PASSWORD, ROLES, UserRefusedError
from dronefab.web import i18n
from dronefab.web.render import language_of, render
from dronefab.web.session import PageCaller, PostingCaller

router = APIRouter(include_in_schema=False)

Text = Annotated[str | None, Query(max_length=200)]
Field = Annotated[str, Form(max_length=100)]
Password = Annotated[str, Form(max_length=MAX_PASSWORD)]
# None inside the Annotated: FastAPI 0.118 (the lowest allowed) loses a Form() marker wrapped
# in Optional (the field turns into a query parameter, so the checked boxes never arrive).
Roles = Annotated[list[str] | None, Form(max_length=len(ROLES))]


def _field_labels(_: Any) -> dict[str, str]:
    return {
        "name": _("Login name"),
        "organization": _("Organisation"),
        "roles": _("Roles"),
        "password": _("Password"),
        "disabled": _("Disabled"),
    }


def _users_page(
    request: Request,
    caller: Caller,
    problems: list[tuple[str, str]] | None = None,
    status: int = 200,
    done: str | None = None,
) -> Response:
    _ = i18n.translator(language_of(request)).gettext
    after = request.query_params.get("after")
    with read_as(store_of(request), caller) as session:
        page = readers.list_users(
            session.principal, session.connection, limit=100, after=after[:100] if after else None
        )
        organizations = [
            org.id
            for org in read_revision(session.connection).scenario.organizations
            if may_administer(session.principal, org.id)
        ]
    labels = _field_labels(_)
    context = {
        "users": page.items,
        "next": page.next,
        "organizations": organizations,
        "roles": ROLES,
        "problems": [(labels.get(field, field), message) for field, message in problems or []],
        "done": done,
    }
    return render(request, "admin_users.html", context, caller=caller, status=status)


@router.get("/admin/users")
def users_page(request: Request, caller: PageCaller, done: Text = None) -> Response:
    """The users the admin administers, the form to add one, each one's actions."""
    return _users_page(request, caller, done=done)


def _change(request: Request, caller: Caller, change: Any, done: str) -> Response:
    """Run ``change(principal, connection)``; back to the list, or the list with the problems."""
    try:
        with principal_writing(request, caller) as (connection, principal):
            change(principal, connection)
    except UserRefusedError as exc:
        return _users_page(request, caller, exc.problems, status=422)
    return RedirectResponse(f"/admin/users?done={quote(done, safe='')}", status_code=303)


@router.post("/admin/users")
def add_user(
    request: Request,
    caller: PostingCaller,
    name: Field = "",
    organization: Field = "",
    password: Password = "",
    roles: Roles = None,
) -> Response:
    """Add a user (the checks of ``dronefab users add``)."""

    def change(principal: Any, connection: Any) -> None:
        readers.create_user(principal, connection, name, organization, roles or [], password)

    return _change(request, caller, change, name)


@router.post("/admin/users/{name}/roles")
def change_roles(
    request: Request, caller: PostingCaller, name: str, roles: Roles = None
) -> Response:
    """Give a user other roles."""
    return _change(request, caller, lambda p, c: readers.set_roles(p, c, name, roles or []), name)


@router.post("/admin/users/{name}/disabled")
def change_disabled(
    request: Request, caller: PostingCaller, name: str, disabled: Annotated[bool, Form()]
) -> Response:
    """Disable a user (their sessions stop at once) or enable them again."""
    return _change(request, caller, lambda p, c: readers.set_disabled(p, c, name, disabled), name)


@router.post("/admin/users/{name}/password")
def reset_password(
    request: Request, caller: PostingCaller, name: str, password: Password = ""
) -> Response:
    """Give a user a new password (every session of theirs ends)."""
    return _change(request, caller, lambda p, c: readers.reset_password(p, c, name, password), name)


def _day(text: str | None, days: int = 0) -> datetime | None:
    """A date of the filter form (``YYYY-MM-DD``), ``days`` later; None if absent or not one."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text[:10]) + timedelta(days=days)
    except (ValueError, OverflowError):  # not a date, or 9999-12-31 and a day
        return None


@router.get("/admin/audit")
def audit_page(
    request: Request,
    caller: PageCaller,
    action: Text = None,
    actor: Text = None,
    since: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    until: Annotated[str | None, Query(alias="to", max_length=10)] = None,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    """The audit log, newest first, filtered; for the programme's admins the chain's state."""
    wanted = readers.AuditFilter(action or None, actor or None, _day(since), _day(until, 1))
    with read_as(store_of(request), caller) as session:
        page = readers.audit_entries(
            session.principal, session.connection, wanted, limit=100, after=before
        )
        chain = None
        if session.principal.organization_role == "programme":
            chain = readers.chain_state(session.principal, session.connection)
    filters = {"action": action or "", "actor": actor or "", "from": since or "", "to": until or ""}
    older = None
    if page.next is not None:
        query = "&".join(f"{k}={quote(v, safe='')}" for k, v in filters.items() if v)
        older = (
            f"/admin/audit?{query}&before={page.next}"
            if query
            else f"/admin/audit?before={page.next}"
        )
    context = {"entries": page.items, "older": older, "filters": filters, "chain": chain}
    return render(request, "admin_audit.html", context, caller=caller)
