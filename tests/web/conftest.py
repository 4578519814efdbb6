"""Fixtures of the web UI's tests: the API tests' world (tests/storage/access_world.py's
programme with a user of every organisation x user role, on SQLite and PostgreSQL) and a
browser-like client of the service's pages, signed in through the sign-in form."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from api.conftest import PASSWORD, World, api_world, user_name
from dronefab.api import ApiSettings
from dronefab.web import create_service

__all__ = ["PASSWORD", "World", "api_world", "browser", "csrf_of_page", "signed_in"]

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def browser(
    world: World, language: str | None = None, settings: ApiSettings | None = None
) -> TestClient:
    """A client of a new service over the world's store, not following redirects."""
    client = TestClient(
        create_service(world.store, settings), raise_server_exceptions=False, follow_redirects=False
    )
    if language is not None:
        client.headers["Accept-Language"] = language
    return client


def csrf_of_page(html: str) -> str:
    """The CSRF token in a page's form."""
    found = CSRF.search(html)
    assert found is not None, "no CSRF field on the page"
    return found.group(1)


def signed_in(world: World, org: str, role: str, language: str | None = None) -> TestClient:
    """A client signed in as the world's user of ``org`` with ``role``, through the form."""
    client = browser(world, language)
    form = client.get("/login")
    answer = client.post(
        "/login",
        data={
            "username": user_name(org, role),
            "password": PASSWORD,
            "csrf": csrf_of_page(form.text),
            "next": "/",
        },
    )
    assert answer.status_code == 303, answer.text
    return client
