"""The programme's record (EXECUTION.md): one database of master data, released plans and events.

SQLAlchemy Core over SQLite (the embedded default) or PostgreSQL; Alembic migrations create and
upgrade the schema (:mod:`dronefab.storage.migrate`). Events are the record; stock, genealogy and
whereabouts are derived from them (:mod:`dronefab.storage.ingest`) and queried
(:mod:`dronefab.storage.queries`). Nothing below this package imports a database library.
"""
