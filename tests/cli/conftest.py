"""The store fixtures (a fresh database per test, on SQLite and PostgreSQL) for command tests."""

from storage.conftest import store, store_url

__all__ = ["store", "store_url"]
