"""Opening the store: the URL, the engine, the schema's version, transactions that write.

``--db URL`` (an SQLAlchemy URL) names the store; without it, the environment variable
``DRONEFAB_DB``, else ``sqlite:///dronefab.db`` in the working directory (EXECUTION.md).

SQLite runs in WAL mode with ``synchronous=FULL``: a commit returns only once it is on disk, so an
acknowledged batch survives a crash or ``kill -9``; a write transaction takes the write lock at its
start (``BEGIN IMMEDIATE``), so two writers queue instead of failing half-way.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError

from dronefab.errors import UsageError

DEFAULT_URL = "sqlite:///dronefab.db"
ENVIRONMENT = "DRONEFAB_DB"
SQLITE_BUSY_SECONDS = 60.0
"""How long a writer waits for another's transaction to end before giving up."""

SQLITE_CACHE_KB = 256 * 1024
"""Page cache per connection (memory is used only as the store grows into it)."""


class StoreUnavailableError(UsageError):
    """The store cannot be used as it is: unreachable, empty, or of another schema version."""


def store_url(url: str | None = None) -> str:
    """The store's URL: ``url``, else ``$DRONEFAB_DB``, else ``sqlite:///dronefab.db``.

    A value without ``://`` that names an existing file or ends in ``.db``, ``.sqlite`` or
    ``.sqlite3`` is the path of an SQLite file (``dronefab-demo/dronefab.db``); anything else is
    left to be refused as a URL."""
    value = url or os.environ.get(ENVIRONMENT) or DEFAULT_URL
    path = Path(value).expanduser()
    if "://" not in value and (path.suffix in SQLITE_SUFFIXES or path.is_file()):
        return f"sqlite:///{path.absolute()}"
    return value


SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")


@dataclass(frozen=True)
class Store:
    """An open store: its engine and the URL as the user gave it (password hidden)."""

    engine: Engine
    url: str

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A transaction that commits when the block ends and rolls back if it raises."""
        with self.engine.begin() as connection:
            if self.dialect == "sqlite":
                # pysqlite began nothing yet (see _sqlite_events); take the write lock now.
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            yield connection

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads, in one transaction (one consistent snapshot)."""
        with self.engine.connect() as connection:
            if self.dialect == "sqlite":
                connection.exec_driver_sql("BEGIN")
            else:  # every query of a report sees the same record, not one per statement
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            yield connection


def _sqlite_events(engine: Engine) -> None:
    """SQLite pragmas, and transactions begun by the store itself (:meth:`Store.writing`).

    pysqlite would otherwise begin a transaction lazily before the first write, so a batch's
    reads would not be isolated from another writer (the recipe of SQLAlchemy's SQLite notes).
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_SECONDS * 1000)}")
        # SQLite's default page cache is 2 MB: a store of millions of serials would then read
        # its indexes from disk on every insert (ingest fell from 6,000 to 1,000 a second).
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KB}")
        cursor.close()


def open_store(url: str | None = None, *, check_schema: bool = True) -> Store:
    """Open the store at ``url`` (see :func:`store_url`).

    Parameters
    ----------
    url
        An SQLAlchemy URL; None: ``$DRONEFAB_DB`` or ``sqlite:///dronefab.db``.
    check_schema
        Refuse a store whose schema is missing or not the one this dronefab needs (False for
        ``dronefab db upgrade`` itself).

    Raises
    ------
    StoreUnavailableError
        When the URL is malformed, the database cannot be reached, or its schema is not current;
        the message says what to run.
    """
    given = store_url(url)
    try:
        parsed = make_url(given)
    except ArgumentError:
        message = (
            f"'{given}' is not a database URL; expected e.g. sqlite:///dronefab.db or "
            "postgresql://user@host/dronefab"
        )
        raise StoreUnavailableError(message) from None
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
        message = f"{shown}: dronefab stores its record in SQLite or PostgreSQL only"
        raise StoreUnavailableError(message)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3, not psycopg2
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        folder = Path(parsed.database).resolve().parent
        if not folder.is_dir():
            message = f"{shown}: the folder {folder} does not exist"
            raise StoreUnavailableError(message)
    try:
        engine = create_engine(parsed)
    except (NoSuchModuleError, ImportError) as exc:
        message = f"{shown}: cannot load the database driver ({exc})"
        raise StoreUnavailableError(message) from None
    if engine.dialect.name == "sqlite":
        _sqlite_events(engine)
    store = Store(engine, shown)
    if check_schema:
        ensure_current(store)
    return store


def schema_revision(store: Store) -> str | None:
    """The store's migration revision (None: no dronefab schema yet).

    Raises
    ------
    StoreUnavailableError
        If the database cannot be reached.
    """
    try:
        with store.engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
    except (OperationalError, DBAPIError) as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        message = f"cannot open the store {store.url}: {reason}"
        raise StoreUnavailableError(message) from None
    return None if row is None else str(row[0])


def ensure_current(store: Store) -> None:
    """Refuse a store without dronefab's schema, or with an older or newer one.

    Raises
    ------
    StoreUnavailableError
        Naming the store, what its schema is, and the command to run.
    """
    from dronefab.storage.migrate import head_revision

    found = schema_revision(store)
    head = head_revision()
    if found == head:
        return
    command = f"dronefab db upgrade --db {store.url}"
    if found is None:
        message = f"the store {store.url} has no dronefab schema yet; create it with: {command}"
    elif found in _known_revisions():
        message = (
            f"the store {store.url} has an older schema ({found}; this dronefab needs {head}); "
            f"upgrade it with: {command}"
        )
    else:
        message = (
            f"the store {store.url} has schema {found}, unknown to this dronefab (needs {head}): "
            "it was made by a newer dronefab; use that version"
        )
    raise StoreUnavailableError(message)


def _known_revisions() -> set[str]:
    from dronefab.storage.migrate import all_revisions

    return set(all_revisions())
