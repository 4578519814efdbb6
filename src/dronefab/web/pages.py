"""The pages: sign-in and out, the language chooser, the dashboard, a site (with the completion
form), trace and recall, deliveries. Every page reads through :mod:`dronefab.storage.access`
as the API does (:func:`dronefab.api.auth.read_as`): a record the user may not know of answers
404, one they know of but may not read 403, both as pages (see :mod:`dronefab.web.app`).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Connection, select
from starlette.concurrency import run_in_threadpool

from dronefab.api.auth import Caller, issue_for, read_as, store_of
from dronefab.api.events import check_allowed
from dronefab.storage import access, schema
from dronefab.storage.access import NotAllowed, NotVisible, Scope
from dronefab.storage.access.admin import set_language
from dronefab.storage.ingest import RefusedError, record_events
from dronefab.storage.tokens import revoke_token, token_user
from dronefab.storage.users import MAX_PASSWORD
from dronefab.web import completion, i18n
from dronefab.web.charts import customer_figure, output_figure, preempted_styles
from dronefab.web.render import language_of, render
from dronefab.web.session import (
    COOKIE,
    LOGIN_COOKIE,
    PageCaller,
    PostingCaller,
    local_path,
    login_csrf,
    same,
    set_cookie,
    start_session,
)

router = APIRouter(include_in_schema=False)

Text = Annotated[str | None, Query(max_length=100)]
OPEN = frozenset({"released", "in_progress"})


def words(request: Request) -> i18n.Translator:
    """The request's translations."""
    return i18n.translator(language_of(request))


# -- signing in and out, the language ---------------------------------------------------------
@router.get("/login")
def login_page(
    request: Request, next: Annotated[str | None, Query(max_length=2000)] = None
) -> Response:
    """The sign-in form."""
    return _login_form(request, local_path(next))


def _login_form(
    request: Request,
    next_path: str,
    error: str | None = None,
    username: str = "",
    status: int = 200,
) -> Response:
    token = login_csrf(request)
    context = {"login_csrf": token, "next_path": next_path, "error": error, "username": username}
    response = render(request, "login.html", context, status=status)
    set_cookie(request, response, LOGIN_COOKIE, token, 3600)
    return response


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=MAX_PASSWORD)] = "",
    csrf: Annotated[str | None, Form()] = None,
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Sign in: the session cookie, and on to ``next`` (a path of this site)."""
    _ = words(request).gettext
    if not same(csrf, request.cookies.get(LOGIN_COOKIE) or "\0"):
        raise HTTPException(
            403, "the sign-in form's CSRF token is missing or wrong: reload the page"
        )
    try:
        token = issue_for(request, username, password)
    except HTTPException as exc:
        if exc.status_code == 429:
            wait = (exc.headers or {}).get("Retry-After", "60")
            message = _("Too many failed sign-ins: try again in %(seconds)s seconds.") % {
                "seconds": wait
            }
        else:
            message = _("Wrong user name or password.")
        return _login_form(request, local_path(next), message, username[:200], exc.status_code)
    response = RedirectResponse(local_path(next), status_code=303)
    start_session(request, response, token)
    return response


@router.post("/logout")
def logout(request: Request, caller: PostingCaller) -> Response:
    """Sign out: the session is revoked."""
    with store_of(request).writing() as connection:
        revoke_token(connection, caller.token, caller.actor)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/language")
def language(
    request: Request,
    lang: Annotated[str, Query(max_length=10)],
    next: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    """Choose the pages' language (kept in a cookie for a year, and on the signed-in user, whose
    every page then speaks it), and back to ``next``."""
    response = RedirectResponse(local_path(next), status_code=303)
    if lang in i18n.LANGUAGES:
        set_cookie(request, response, i18n.COOKIE, lang, 365 * 86400)
        session = request.cookies.get(COOKIE)
        if session:
            with store_of(request).writing() as connection:
                user = token_user(connection, session)
                if user is not None:
                    set_language(connection, user.name, lang)
    return response


# -- reading ----------------------------------------------------------------------------------
def _or_none(reader: Any, *args: Any, **kwargs: Any) -> Any:
    """What ``reader`` answers, or None where the organisation sees none of it."""
    try:
        return reader(*args, **kwargs)
    except NotAllowed:
        return None


@router.get("/")
def dashboard(request: Request, caller: PageCaller) -> Response:
    """The network's KPIs with their charts, and the sites the user may know of."""
    _ = words(request).gettext
    with read_as(store_of(request), caller) as session:
        kpis = _or_none(access.network_kpis, session.scope, session.connection)
        sites = access.list_sites(session.scope, session.connection, limit=access.MAX_LIMIT).items
    context: dict[str, Any] = {"kpis": kpis, "sites": sites}
    if kpis is not None:
        context["output_figure"] = output_figure(kpis.get("output", {}), _)
        context["customer_figure"] = customer_figure(kpis["customers"], _)
        context["preempted_styles"] = preempted_styles()
    return render(request, "dashboard.html", context, caller=caller)


def _site_records(
    scope: Scope, connection: Connection, site: str, after: str | None
) -> dict[str, Any] | None:
    """A site's open orders, stock, exceptions and a page of events (None: not seen)."""
    try:
        orders = access.site_orders(
            scope, connection, site, statuses=OPEN, limit=access.MAX_LIMIT
        ).items
    except NotAllowed:
        return None
    events = access.site_events(scope, connection, site, after=after)
    return {
        "orders": sorted(orders, key=lambda o: (o["due"], o["order"])),
        "stock": access.site_stock(scope, connection, site),
        "exceptions": access.site_exceptions(scope, connection, site),
        "events": events.items,
        "events_next": events.next,
    }


def _site_page(
    request: Request,
    caller: Caller,
    site: str,
    form: completion.CompletionForm | None = None,
    status: int = 200,
    **notes: str | None,
) -> Response:
    _ = words(request).gettext
    after = request.query_params.get("events_after")
    with read_as(store_of(request), caller) as session:
        scope, connection = session.scope, session.connection
        found = scope.require_site(site)
        detail = _or_none(access.site_detail, scope, connection, site)
        records = _site_records(scope, connection, site, after[:100] if after else None)
        if form is None and scope.may_record_at(site):
            form = completion.new_form(_)
    context = {
        "site": {"site": found.id, "name": found.name, "operator": found.operator},
        "detail": detail,
        "records": records,
        "form": form,
        **notes,
    }
    return render(request, "site.html", context, caller=caller, status=status)


@router.get("/sites/{site}")
def site_page(
    request: Request,
    caller: PageCaller,
    site: str,
    recorded: Text = None,
    already: Text = None,
) -> Response:
    """A site: its detail, open orders, stock, exceptions, events, and the completion form
    (for a supervisor of the site)."""
    return _site_page(request, caller, site, recorded=recorded, already=already)


@router.post("/sites/{site}/completion")
async def record_completion(request: Request, caller: PostingCaller, site: str) -> Response:
    """Record the completion form's event, or show the form again with every problem."""
    raw = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
    return await run_in_threadpool(_record_now, request, caller, site, raw)


def _record_now(request: Request, caller: Caller, site: str, raw: dict[str, str]) -> Response:
    _ = words(request).gettext
    form = completion.read_form(raw, _)
    event = completion.to_event(form, site, caller.name, _)
    store = store_of(request)
    with read_as(store, caller) as session:
        check_allowed(session.scope, [event])  # 404 / 403 as POST /api/v1/events answers
        # A form sent again (a reload, a double click) names its event recorded already: its
        # `at` differs, which the door would refuse as other content under the same id.
        sent = _recorded_here(session.connection, form.event, site)
    back = f"/sites/{quote(site, safe='')}"
    if sent:
        return RedirectResponse(f"{back}?already={form.event}", status_code=303)
    if not form.problems:
        try:
            result = record_events(store, [event], source="web", by=caller.name, actor=caller.actor)
        except RefusedError as exc:
            for problem in exc.problems:
                form.refuse(completion.field_of(problem), problem.message)
        else:
            note = "recorded" if result.batch is not None else "already"
            return RedirectResponse(f"{back}?{note}={form.event}", status_code=303)
    return _site_page(request, caller, site, form, status=422)


def _recorded_here(connection: Connection, event: str, site: str) -> bool:
    """An event of id ``event`` is recorded at ``site`` (a site the caller may record at)."""
    e = schema.events.c
    found = connection.execute(select(e.id).where(e.id == event, e.site == site)).first()
    return found is not None


@router.get("/trace")
def trace_page(request: Request, caller: PageCaller, serial: Text = None) -> Response:
    """The trace form, and a serial's trace (what the user may see of it)."""
    _ = words(request).gettext
    context: dict[str, Any] = {"serial": serial, "recall": None}
    if serial:
        with read_as(store_of(request), caller) as session:
            try:
                context["trace"] = access.trace_serial(session.scope, session.connection, serial)
            except NotVisible:
                context["not_found"] = _("No serial %(serial)s that you may see.") % {
                    "serial": serial
                }
    return render(
        request, "trace.html", context, caller=caller, status=404 if "not_found" in context else 200
    )


@router.get("/recall")
def recall_page(
    request: Request, caller: PageCaller, item: Text = None, lot: Text = None
) -> Response:
    """A lot's where-used: every serial containing it, with where each is."""
    _ = words(request).gettext
    context: dict[str, Any] = {"item": item, "lot": lot, "recall": None}
    if item and lot:
        with read_as(store_of(request), caller) as session:
            try:
                context["recall"] = access.recall_lot(session.scope, session.connection, item, lot)
            except (NotVisible, NotAllowed):
                context["not_found"] = _("No lot %(lot)s of %(item)s that you may see.") % {
                    "lot": lot,
                    "item": item,
                }
    return render(
        request, "trace.html", context, caller=caller, status=404 if "not_found" in context else 200
    )


@router.get("/deliveries")
def deliveries_page(request: Request, caller: PageCaller) -> Response:
    """Delivery orders and shipments with their acceptance (a customer: its own)."""
    with read_as(store_of(request), caller) as session:
        scope, connection = session.scope, session.connection
        orders = _or_none(access.delivery_orders, scope, connection, limit=access.MAX_LIMIT)
        shipments = _or_none(access.shipments, scope, connection, limit=access.MAX_LIMIT)
    context = {
        "orders": None if orders is None else orders.items,
        "shipments": None if shipments is None else shipments.items,
    }
    return render(request, "deliveries.html", context, caller=caller)
