"""Alembic's environment: migrations run on the connection :mod:`dronefab.storage.migrate` gives.

dronefab runs Alembic from code (``dronefab db upgrade``), never from an alembic.ini, so the
connection comes in ``config.attributes``. Developers write a new migration with
``python -m dronefab.storage.migrate revision -m "what changes"``.
"""

from __future__ import annotations

from alembic import context

from dronefab.storage.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
)
with context.begin_transaction():
    context.run_migrations()
