"""Fixtures of the API's tests: tests/storage/access_world.py's programme in a store, on SQLite
and PostgreSQL, with a user of every organisation x user role, and a client of the app over it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dronefab.api import ApiSettings, create_app
from dronefab.storage.audit import Actor
from dronefab.storage.database import Store, open_store
from dronefab.storage.migrate import upgrade
from dronefab.storage.tokens import issue_token
from dronefab.storage.users import PLANNING_ORGANIZATIONS, add_user
from postgres import create_database, drop_database
from storage import access_world as world

USER_ROLES = ("viewer", "supervisor", "inspector", "planner", "admin")
PASSWORD = "correct horse battery staple"


def user_name(org: str, role: str) -> str:
    return f"{org}-{role}"


def users() -> list[tuple[str, str]]:
    """Every (organisation, user role) a user may have (planners: programme, manufacturer)."""
    return [
        (org, role)
        for org, org_role in world.ORGANIZATIONS.items()
        for role in USER_ROLES
        if role != "planner" or org_role in PLANNING_ORGANIZATIONS
    ]


@dataclass
class World:
    """The store, and a working token of every user (organisation, role)."""

    store: Store
    tokens: dict[tuple[str, str], str]

    def client(self, settings: ApiSettings | None = None) -> TestClient:
        """A client of a new app over the store (its own sign-in limiter)."""
        return TestClient(create_app(self.store, settings), raise_server_exceptions=False)

    def headers(self, org: str, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[(org, role)]}"}


def _store_url(request: pytest.FixtureRequest, folder: Path) -> tuple[str, str | None, str | None]:
    if request.param == "sqlite":
        return f"sqlite:///{folder}/store.db", None, None
    admin_url = request.getfixturevalue("postgres_admin_url")
    name = f"dronefab_api_{os.getpid()}_{folder.name}"
    return create_database(admin_url, name), admin_url, name


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
    ids=["sqlite", "postgresql"],
)
def api_world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """The access world with its users, one per module and database."""
    folder = tmp_path_factory.mktemp("api")
    url, admin_url, name = _store_url(request, folder)
    empty = open_store(url, check_schema=False)
    upgrade(empty)
    empty.engine.dispose()
    store = open_store(url)
    world.build(store, folder)
    tokens = {}
    with store.writing() as connection:
        for org, role in users():
            add_user(connection, user_name(org, role), org, [role], PASSWORD, actor=Actor("setup"))
            tokens[(org, role)] = issue_token(connection, user_name(org, role))
    try:
        yield World(store, tokens)
    finally:
        store.engine.dispose()
        if admin_url is not None and name is not None:
            drop_database(admin_url, name)
