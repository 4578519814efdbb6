"""Signing in to the pages: a session cookie, CSRF tokens, signing out.

A session is a bearer token of :mod:`dronefab.storage.tokens` (issued by the API's sign-in,
rate-limited and logged alike), held in an HttpOnly, SameSite=Strict cookie (Secure when served
over https): the store keeps only its sha256, a sign-out revokes it, and a disabled user's
session stops working at their next request, as a token does.

Every POST carries a CSRF token in a hidden field, checked here: a signed-in user's is derived
from their session (a sha256 of it, so that the page shows nothing that would work as the
session), the sign-in form's is a random value also set in a cookie of its own. A POST without
the right one is refused, 403.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Form, HTTPException, Request, Response

from dronefab.api.auth import Caller, settings_of, store_of
from dronefab.storage.tokens import token_user

COOKIE = "dronefab_session"
"""The session cookie."""

LOGIN_COOKIE = "dronefab_login"
"""The sign-in form's CSRF cookie."""


class SignInNeededError(Exception):
    """A page asked for without a working session: the answer sends to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def csrf_of(session: str) -> str:
    """The CSRF token of the pages of ``session``."""
    return hashlib.sha256(b"dronefab csrf\0" + session.encode("utf-8", "surrogatepass")).hexdigest()


def local_path(value: str | None) -> str:
    """``value`` if it is a path of this site (``/...``, not ``//host`` nor ``/\\host``), else
    ``/``: a sign-in never sends elsewhere."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/"


def set_cookie(request: Request, response: Response, name: str, value: str, seconds: int) -> None:
    """Set an HttpOnly, SameSite=Strict cookie (Secure over https) on ``response``."""
    response.set_cookie(
        name,
        value,
        max_age=seconds,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def start_session(request: Request, response: Response, token: str) -> None:
    """Send the session cookie of ``token`` (a token just issued at sign-in)."""
    seconds = int(settings_of(request).token_hours * 3600)
    set_cookie(request, response, COOKIE, token, seconds)
    response.delete_cookie(LOGIN_COOKIE, path="/")


def login_csrf(request: Request) -> str:
    """The sign-in form's CSRF token: the browser's, or a new one (sent with the page)."""
    found = request.cookies.get(LOGIN_COOKIE)
    return found if found and len(found) <= 100 else secrets.token_urlsafe(24)


def same(given: str | None, expected: str) -> bool:
    """``given`` is ``expected``, compared in constant time."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def page_caller(request: Request) -> Caller:
    """The signed-in user of a page request.

    Raises
    ------
    SignInNeededError
        Without a working session (none, expired, revoked, or a disabled user).
    """
    token = request.cookies.get(COOKIE)
    user = None
    if token:
        with store_of(request).reading() as connection:
            user = token_user(connection, token)
    if user is None or token is None:
        query = f"?{request.url.query}" if request.url.query else ""
        raise SignInNeededError(request.url.path + query)
    caller = Caller(user.name, user.organization, user.roles, token)
    request.state.caller = caller  # the refusal handler logs who was refused
    return caller


PageCaller = Annotated[Caller, Depends(page_caller)]


def posting_caller(
    request: Request, caller: PageCaller, csrf: Annotated[str | None, Form()] = None
) -> Caller:
    """The signed-in user of a POST whose CSRF token is right.

    Raises
    ------
    HTTPException
        403 for a missing or wrong CSRF token.
    """
    if not same(csrf, csrf_of(caller.token)):
        raise HTTPException(403, "the form's CSRF token is missing or wrong: reload the page")
    return caller


PostingCaller = Annotated[Caller, Depends(posting_caller)]
