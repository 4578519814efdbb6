"""Fixtures for the store's tests: a fresh, empty database per test, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from dronefab.storage.database import Store, open_store
from dronefab.storage.migrate import upgrade
from postgres import create_database, drop_database

_databases = itertools.count(1)
"""Numbers the PostgreSQL databases of this session (with the pid: a shared server is safe)."""


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
    ids=["sqlite", "postgresql"],
)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database (no schema), dropped after the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/store.db"
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    name = f"dronefab_test_{os.getpid()}_{next(_databases)}"
    url = create_database(admin_url, name)
    try:
        yield url
    finally:
        drop_database(admin_url, name)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A store with the current schema, made by the migrations, opened as dronefab opens it."""
    empty = open_store(store_url, check_schema=False)
    try:
        upgrade(empty)
    finally:
        empty.engine.dispose()
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.engine.dispose()
