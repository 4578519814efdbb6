"""The service with its pages: :func:`create_service` is the API's application
(:func:`dronefab.api.create_app`) with the web UI's routes, its static files and its answers to
what goes wrong on a page.

The API's exception handlers stay as they are for ``/api/v1`` (JSON, and the audit entry of a
refusal); on a page the same handler runs (so a refusal is logged alike) and its status is
answered as a page in the user's language: a page without a session sends to the sign-in page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from dronefab.api import ApiSettings, create_app
from dronefab.api.settings import PREFIX
from dronefab.storage.access import NotAllowed, NotVisible
from dronefab.storage.database import Store
from dronefab.web import admin_pages, charts, customer_pages, i18n, plan_pages
from dronefab.web.pages import router
from dronefab.web.render import language_of, render
from dronefab.web.session import SignInNeededError

STATIC = Path(__file__).parent / "static"

Handler = Callable[[Request, Any], Awaitable[Response]]
ApiHandler = Callable[[Request, Any], Any]


def create_service(
    store: Store | str | None = None, settings: ApiSettings | None = None
) -> FastAPI:
    """The API and the web UI over one store (parameters and errors as
    :func:`dronefab.api.create_app`)."""
    app = create_app(store, settings)
    app.include_router(router)
    app.include_router(plan_pages.router)
    app.include_router(admin_pages.router)
    app.include_router(customer_pages.router)
    app.add_api_route("/static/plotly.min.js", plotly_js, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for kind in (NotVisible, NotAllowed, StarletteHTTPException, RequestValidationError):
        app.add_exception_handler(kind, _as_page(app.exception_handlers[kind]))
    app.add_exception_handler(SignInNeededError, _sign_in)
    return app


def plotly_js() -> Response:
    """The installed plotly package's plotly.js, served from here (no CDN)."""
    headers = {"Cache-Control": "public, max-age=86400"}
    return Response(charts.plotly_js(), media_type="text/javascript", headers=headers)


async def _sign_in(request: Request, exc: Exception) -> Response:
    next_path = exc.next_path if isinstance(exc, SignInNeededError) else "/"
    return RedirectResponse(f"/login?next={quote(next_path, safe='')}", status_code=303)


def _as_page(api_handler: ApiHandler) -> Handler:
    """``api_handler`` for the API; for a page, its status answered as a page."""

    async def handle(request: Request, exc: Any) -> Response:
        answer: Response = await api_handler(request, exc)  # the API's are all async
        path = request.url.path
        if path.startswith((PREFIX, "/static/")) or answer.status_code < 400:
            return answer
        return error_page(request, answer.status_code)

    return handle


def error_page(request: Request, status: int) -> Response:
    """The page of an error status, in the request's language."""
    _ = i18n.translator(language_of(request)).gettext
    texts = {
        403: (_("Not allowed"), _("Your organisation may know of this, but you may not do this.")),
        404: (
            _("Not found"),
            _("There is nothing here, or nothing your organisation may know of."),
        ),
        422: (_("Not understood"), _("Part of the request is not valid: go back and correct it.")),
    }
    heading, explanation = texts.get(
        status, (_("Something went wrong"), _("Try again; if it goes on, tell your administrator."))
    )
    context = {"heading": heading, "explanation": explanation}
    caller = getattr(request.state, "caller", None)
    return render(request, "error.html", context, caller=caller, status=status)
