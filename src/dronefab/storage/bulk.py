"""Set-based writes: many rows in one statement, inside the caller's transaction.

SQLite gets ``executemany`` of one prepared INSERT; PostgreSQL gets ``COPY ... FROM STDIN``
(psycopg 3). Both run on the DBAPI connection beneath SQLAlchemy's, so they join its
transaction: a batch is written whole or not at all. Per-row ORM objects are what make the
ERPs of STYLE.md slow; nothing here makes one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Table, text

CHUNK = 5_000
"""Ids per ``IN (...)`` lookup: well below SQLite's and PostgreSQL's parameter limits."""


def insert_rows(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    ignore: bool = False,
    plain: bool = False,
) -> None:
    """Insert ``rows`` (tuples in the order of ``columns``) into ``table``.

    ``ignore``: rows whose key is already in the table are left out instead of failing.
    ``plain``: the rows hold only numbers, booleans and ids (no None, no tab or line break, as
    the events' id pattern and the scenario's ids guarantee), so PostgreSQL's COPY text is
    built by joining them, several times faster than psycopg's row by row.
    """
    if not rows:
        return
    raw: Any = connection.connection.driver_connection
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        target = table.name
        if ignore:  # COPY cannot skip conflicts: copy into a scratch table, then insert from it
            target = f"incoming_{table.name}"
            connection.exec_driver_sql(
                f"CREATE TEMP TABLE IF NOT EXISTS {target} (LIKE {table.name}) ON COMMIT DELETE ROWS"
            )
        with raw.cursor() as cursor, cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
            if plain:
                for part in chunks(rows, 50_000):
                    text_rows = "\n".join("\t".join(map(str, row)) for row in part) + "\n"
                    copy.write(text_rows.replace("\\", "\\\\").encode())
            else:
                for row in rows:
                    copy.write_row(row)
        if ignore:
            connection.exec_driver_sql(
                f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {target} "
                "ON CONFLICT DO NOTHING"
            )
            connection.exec_driver_sql(f"DELETE FROM {target}")
    else:
        marks = ", ".join("?" for _ in columns)
        verb = "INSERT OR IGNORE" if ignore else "INSERT"
        raw.executemany(f"{verb} INTO {table.name} ({names}) VALUES ({marks})", rows)


def execute_many(connection: Connection, sql: str, rows: Sequence[dict[str, Any]]) -> None:
    """Run one parameterised statement (an UPDATE, an upsert) once per row."""
    if rows:
        connection.execute(text(sql), list(rows))


def chunks(values: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    """``values`` in lists of at most ``size``."""
    batch: list[Any] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
