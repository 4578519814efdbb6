"""How the API answers what goes wrong, and the security headers on every answer.

ACCESS.md: wrong or missing credentials 401; allowed to know the record exists but not to do
this 403; not allowed to know 404 (a hidden record answered exactly as a missing one); bad input
422 naming every bad field; never a 500 for a client's mistake. A refusal (403, 404) is written to
the audit log. A real bug answers 500 with nothing of its cause, which goes to the server's log
(never with a request's body, where a password may be).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dronefab.errors import DronefabError
from dronefab.storage.access import NotAllowed, NotVisible
from dronefab.storage.audit import append
from dronefab.storage.database import Store, StoreUnavailableError
from dronefab.storage.ingest import RefusedError as BatchRefusedError
from dronefab.storage.master import NoScenarioError

log = logging.getLogger("dronefab.api")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    # JSON only: nothing may run, load or frame what the API answers.
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}
"""Headers every answer of the API carries."""


class SecurityHeaders:
    """ASGI middleware adding :data:`SECURITY_HEADERS` to every HTTP answer (those already set
    by a route are kept: the web pages set their own policy)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.raw = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in self.raw if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def problem(status: int, detail: Any, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """A JSON answer ``{"detail": ...}`` with ``status``."""
    return JSONResponse({"detail": detail}, status_code=status, headers=dict(headers or {}))


def field_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validation errors as the API answers them: where (``loc``), what is wrong (``msg``) and
    its kind (``type``); never the input echoed back nor an exception's repr."""
    return [
        {
            "loc": [str(part) for part in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in errors
    ]


def install(app: FastAPI) -> None:
    """Register the API's exception handlers and its security headers on ``app``."""
    app.add_middleware(SecurityHeaders)
    handlers: dict[Any, Callable[[Request, Any], Awaitable[JSONResponse]]] = {
        RequestValidationError: _invalid,
        StarletteHTTPException: _http,
        NotVisible: _not_visible,
        NotAllowed: _not_allowed,
        BatchRefusedError: _batch_refused,
        StoreUnavailableError: _unavailable,
        NoScenarioError: _no_scenario,
        DronefabError: _mistake,
        Exception: _bug,
    }
    for kind, handler in handlers.items():
        app.add_exception_handler(kind, handler)


async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
    return problem(422, field_errors(list(exc.errors())))


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    detail = exc.detail if isinstance(exc.detail, str | list | dict) else str(exc.detail)
    return problem(exc.status_code, detail, exc.headers)


async def _not_visible(request: Request, exc: NotVisible) -> JSONResponse:
    await run_in_threadpool(_audit_refusal, request, 404, str(exc))
    return problem(404, str(exc))


async def _not_allowed(request: Request, exc: NotAllowed) -> JSONResponse:
    await run_in_threadpool(_audit_refusal, request, 403, str(exc))
    return problem(403, str(exc))


async def _batch_refused(request: Request, exc: BatchRefusedError) -> JSONResponse:
    refusals = [
        {
            "line": p.location.line if p.location is not None else None,
            "field": p.path,
            "message": p.message,
        }
        for p in exc.problems
    ]
    detail = f"{exc.total} problem{'s' if exc.total != 1 else ''}, nothing recorded"
    return JSONResponse(
        {"detail": detail, "refusals": refusals, "total": exc.total}, status_code=422
    )


async def _unavailable(request: Request, exc: StoreUnavailableError) -> JSONResponse:
    log.error("the store is unavailable: %s", exc)
    return problem(503, "the store is unavailable; try again later")


async def _no_scenario(request: Request, exc: NoScenarioError) -> JSONResponse:
    return problem(503, "the store holds no scenario yet: the programme must load one first")


async def _mistake(request: Request, exc: DronefabError) -> JSONResponse:
    return problem(422, [{"loc": [], "msg": str(exc), "type": "value_error"}])


async def _bug(request: Request, exc: Exception) -> JSONResponse:
    # The exception's type and place, not its message: a message may carry what a client sent.
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    response = problem(500, "internal server error")
    response.headers.update(SECURITY_HEADERS)  # this handler answers outside the middleware
    return response


def _audit_refusal(request: Request, status: int, reason: str) -> None:
    """Write an ``access.refused`` entry for the caller (set by the auth dependency)."""
    caller = getattr(request.state, "caller", None)
    store: Store | None = getattr(request.app.state, "store", None)
    if caller is None or store is None:
        return
    detail = {"status": status, "method": request.method, "reason": reason}
    with store.writing() as connection:
        append(
            connection,
            caller.actor,
            "access.refused",
            request.url.path[:500],
            detail,
        )
