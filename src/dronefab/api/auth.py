"""Signing in and who asks: ``POST /token``, ``DELETE /token``, ``GET /me``, and the
dependencies every other route uses (:func:`current_user`, :func:`reading`).

A bearer token is checked on every call against the store (:mod:`dronefab.storage.tokens`); the
principal is built per request from the user's organisation and roles, so a change of either
takes effect at the next call. Missing, wrong, expired or revoked credentials answer 401 with
``WWW-Authenticate: Bearer``, alike. Sign-ins are rate-limited per user name and per client
address (:class:`~dronefab.api.limiter.LoginLimiter`): 429 with ``Retry-After``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import Connection

from dronefab.api.limiter import LoginLimiter
from dronefab.api.paging import described
from dronefab.api.settings import PREFIX, ApiSettings
from dronefab.storage.access import (
    Principal,
    Scope,
    UnknownOrganizationError,
    principal_for,
    scope_of,
)
from dronefab.storage.audit import Actor, append
from dronefab.storage.database import Store
from dronefab.storage.tokens import issue_token, revoke_token, token_user
from dronefab.storage.users import MAX_PASSWORD, authenticate

router = APIRouter(tags=["sign-in"])

bearer = OAuth2PasswordBearer(tokenUrl=f"{PREFIX}/token", auto_error=False)

UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True)
class Caller:
    """Who asks: their user name, organisation and roles, and the token they presented."""

    name: str
    organization: str
    roles: frozenset[str]
    token: str

    @property
    def actor(self) -> Actor:
        """The caller as the audit log names them."""
        return Actor(self.name, self.organization)


@dataclass(frozen=True)
class Reading:
    """One reading transaction on the caller's behalf: its connection, principal and scope."""

    connection: Connection
    principal: Principal
    scope: Scope


def store_of(request: Request) -> Store:
    """The app's store."""
    store: Store = request.app.state.store
    return store


def settings_of(request: Request) -> ApiSettings:
    """The app's settings."""
    settings: ApiSettings = request.app.state.settings
    return settings


def _refuse(message: str) -> HTTPException:
    return HTTPException(401, message, headers=UNAUTHORIZED)


def current_user(request: Request, token: Annotated[str | None, Depends(bearer)]) -> Caller:
    """The caller of a request, from its ``Authorization: Bearer TOKEN``.

    Raises
    ------
    HTTPException
        401 for a missing, wrong, expired or revoked token, or a disabled user.
    """
    if not token:
        raise _refuse("not signed in: send Authorization: Bearer TOKEN (POST /api/v1/token)")
    with store_of(request).reading() as connection:
        user = token_user(connection, token)
    if user is None:
        raise _refuse("the token is not valid (wrong, expired or revoked): sign in again")
    caller = Caller(user.name, user.organization, user.roles, token)
    request.state.caller = caller  # the refusal handler logs who was refused
    return caller


CallerDep = Annotated[Caller, Depends(current_user)]


@contextmanager
def read_as(store: Store, caller: Caller) -> Iterator[Reading]:
    """A reading transaction on ``caller``'s behalf, their principal and scope computed in it.

    Raises
    ------
    HTTPException
        401 if the user's organisation is no longer in the scenario.
    """
    with store.reading() as connection:
        try:
            principal = principal_for(connection, caller.organization, caller.roles, caller.name)
        except UnknownOrganizationError:
            # The user's organisation left the scenario: they may not sign in to anything.
            raise _refuse("the user's organisation is not in the scenario any more") from None
        yield Reading(connection, principal, scope_of(connection, principal))


def reading(request: Request, caller: CallerDep) -> Iterator[Reading]:
    """The dependency of the reading routes: :func:`read_as` for the request's caller."""
    with read_as(store_of(request), caller) as session:
        yield session


ReadingDep = Annotated[Reading, Depends(reading)]


@router.post(
    "/token",
    summary="Sign in: a bearer token for the other calls",
    responses=described(
        {401: "Wrong user name or password", 429: "Too many failed sign-ins; see Retry-After"}
    ),
)
def sign_in(
    request: Request,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=MAX_PASSWORD)],
) -> dict[str, str]:
    """``{"access_token": TOKEN, "token_type": "bearer"}`` for a user name and password."""
    return {"access_token": issue_for(request, username, password), "token_type": "bearer"}


def issue_for(request: Request, username: str, password: str) -> str:
    """A new token for a user name and password, rate-limited and logged (the web UI's sign-in
    uses it too, its session being such a token).

    Raises
    ------
    HTTPException
        429 (with ``Retry-After``) after too many failed sign-ins; 401 for a wrong user name or
        password.
    """
    settings = settings_of(request)
    limiter: LoginLimiter = request.app.state.limiter
    client = request.client.host if request.client is not None else "unknown"
    keys = (f"user:{username}", f"client:{client}")
    wait = limiter.retry_after(*keys)
    store = store_of(request)
    if wait is not None:
        with store.writing() as connection:
            detail = {"client": client, "retry_after": wait}
            append(connection, Actor(username[:100]), "login.limited", username[:100], detail)
        message = f"too many failed sign-ins: try again in {wait} seconds"
        raise HTTPException(429, message, headers={"Retry-After": str(wait)})
    with store.writing() as connection:
        user = authenticate(connection, username, password, client=client)
        token = (
            None if user is None else issue_token(connection, user.name, hours=settings.token_hours)
        )
    if token is None:
        limiter.failed(*keys)
        raise _refuse("wrong user name or password")
    limiter.succeeded(keys[0])
    return token


@router.delete("/token", status_code=204, summary="Sign out: revoke this token")
def sign_out(request: Request, caller: CallerDep) -> Response:
    """Revoke the token this call presents; it answers 401 from now on."""
    with store_of(request).writing() as connection:
        revoke_token(connection, caller.token, caller.actor)
    return Response(status_code=204)


@router.get("/me", summary="Who I am")
def me(session: ReadingDep) -> dict[str, Any]:
    """The caller's name, organisation, its role, and the user's roles."""
    principal = session.principal
    return {
        "name": principal.name,
        "organization": principal.organization,
        "organization_role": principal.organization_role,
        "roles": sorted(principal.roles),
        "sites": sorted(session.scope.own_sites),
    }
