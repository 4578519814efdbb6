"""The store's tables (SQLAlchemy Core). The migrations create them; this module describes them.

Events are the record; every other table is derived from them (``units``, ``links``, ``made``,
``moves``, ``balances``, ``unit_events``, ``flags``) or is master data and plans (``revisions``,
``scenarios``, ``releases``, ``orders``); ``users``, their ``api_tokens`` and the ``audit`` log
stand beside them.
Derived tables hold only what is a function of the *set* of events: sums (``moves``,
``balances``), sets (``links``, ``made``, ``unit_events``), and a unit's location decided by the
latest event by ``(at, id)`` that moved it (``units.position``), so that recording the same
events in another order or other batches gives the same tables.

Timestamps are text in UTC, fixed width (``2026-01-05T08:00:00.000000Z``): sorting them as text
sorts them in time, identically on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

ID = String(100)
"""Ids of events, sites, items, lots and serials (EXECUTION.md: up to 100 characters)."""

STAMP = String(27)
"""A UTC timestamp, fixed width (see the module docstring)."""

revisions = Table(
    "revisions",
    metadata,
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("name", Text, nullable=False),
    Column("loaded_at", STAMP, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("scenario", Text, nullable=False),  # the validated scenario, JSON
    Column("opening_stock", Boolean, nullable=False),
)

scenarios = Table(
    "scenarios",
    metadata,
    # Scenarios a plan may be released for: each revision, and each replan made from one.
    Column("fingerprint", String(64), primary_key=True),
    Column("revision", Integer, ForeignKey("revisions.number"), nullable=False),
    Column("as_of", STAMP, nullable=True),  # None: the revision itself
    Column("made_at", STAMP, nullable=False),
)

releases = Table(
    "releases",
    metadata,
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("revision", Integer, ForeignKey("revisions.number"), nullable=False),
    Column("scenario", String(64), ForeignKey("scenarios.fingerprint"), nullable=False),
    Column("starts", String(10), nullable=False),  # the plan's first day (ISO date)
    Column("released_at", STAMP, nullable=False),
    Column("source", Text, nullable=False),  # the plan folder as given
    Column("by", ID, nullable=True),
)

orders = Table(
    "orders",
    metadata,
    Column("id", ID, primary_key=True),
    Column("release", Integer, ForeignKey("releases.number"), nullable=False),
    Column("kind", String(10), nullable=False),  # work, purchase, transfer, delivery
    Column("site", ID, nullable=False),
    Column("item", ID, nullable=False),
    Column("supplier", ID, nullable=True),
    Column("to_site", ID, nullable=True),
    Column("customer", ID, nullable=True),
    Column("quantity", Float, nullable=False),
    Column("due", String(10), nullable=False),  # ISO date: the first day of the order's period
    Column("arrival", String(10), nullable=True),  # planned arrival (purchase, transfer, delivery)
    Column("period", Integer, nullable=False),  # the period of the plan it came from
    Column("cancelled_by", Integer, ForeignKey("releases.number"), nullable=True),
    Index("orders_by_key", "kind", "site", "item"),
)

batches = Table(
    "batches",
    metadata,
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("source", Text, nullable=False),
    Column("recorded_at", STAMP, nullable=False),
    Column("events", Integer, nullable=False),
    Column("revision", Integer, ForeignKey("revisions.number"), nullable=False),
    Column("by", ID, nullable=True),
)

events = Table(
    "events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("id", ID, nullable=False, unique=True),
    Column("type", String(12), nullable=False),
    Column("at", STAMP, nullable=False),
    Column("site", ID, nullable=True),
    Column("ref", ID, nullable=True),  # the event it refers to (an arrival's dispatch...)
    Column("item", ID, nullable=True),
    Column("quantity", Float, nullable=True),  # units the event moves or makes (good)
    Column("partner", ID, nullable=True),  # supplier, to_site or customer
    Column("order_ref", ID, nullable=True),  # the order it names
    Column("lot", ID, nullable=True),  # the lot received, made or counted
    Column("digest", String(32), nullable=False),  # of the event's content, for idempotency
    Column("body", Text, nullable=False),  # the event as validated, JSON
    Column("batch", Integer, ForeignKey("batches.number"), nullable=False),
    Index("events_by_type", "type", "at"),
    Index("events_by_ref", "ref"),
    Index("events_by_time", "at"),
    Index("events_by_lot", "item", "lot"),
)

units = Table(
    "units",
    metadata,
    # A serial, or a lot of an item ("" as lot: the counted stock of a serial or untracked item).
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("item", ID, nullable=True),  # None: a serial named (tested, say) before it was made
    Column("lot", ID, nullable=True),
    Column("serial", ID, nullable=True, unique=True),
    # Where a serial is: the effect of the latest event by (at, id) that moved it.
    Column("position", String(128), nullable=True),  # that event's "at|id"
    Column(
        "status", String(12), nullable=True
    ),  # at_site, in_transit, shipped, scrapped, destroyed
    Column("site", ID, nullable=True),
    Column("customer", ID, nullable=True),
    UniqueConstraint("item", "lot", name="units_lot"),
)

links = Table(
    "links",
    metadata,
    # Genealogy: the unit ``parent`` was made from (a part of) ``child``.
    Column("child", Integer, primary_key=True, autoincrement=False),
    Column("parent", Integer, primary_key=True, autoincrement=False),
    sqlite_with_rowid=False,
)

made = Table(
    "made",
    metadata,
    # The completions that made a unit (a serial once, unless completed twice; a lot, often).
    Column("unit", Integer, primary_key=True, autoincrement=False),
    Column("event", Integer, primary_key=True, autoincrement=False),
    sqlite_with_rowid=False,
)

unit_events = Table(
    "unit_events",
    metadata,
    # Every event that names a serial (its tests, moves, shipment): a unit's history.
    Column("unit", Integer, primary_key=True, autoincrement=False),
    Column("event", Integer, primary_key=True, autoincrement=False),
    sqlite_with_rowid=False,
)

moves = Table(
    "moves",
    metadata,
    # The stock ledger: one signed quantity per (event, unit, site); the unit is the lot of an
    # item ("" as lot for a serial or untracked item, whose units are counted). Keyed by event
    # first: a batch appends at the end of the tree, and the moves after a moment (for --as-of:
    # balances less what came later) are found from the events' time index.
    Column("event", Integer, primary_key=True, autoincrement=False),
    Column("unit", Integer, primary_key=True, autoincrement=False),
    Column("site", ID, primary_key=True),
    Column("in_transit", Boolean, primary_key=True),  # a dispatch's stock on its way to ``site``
    Column("quantity", Float, nullable=False),
    sqlite_with_rowid=False,
)

balances = Table(
    "balances",
    metadata,
    # The sum of ``moves`` per (unit, site): stock now, without adding up the ledger.
    Column("unit", Integer, primary_key=True, autoincrement=False),
    Column("site", ID, primary_key=True),
    Column("in_transit", Boolean, primary_key=True),
    Column("quantity", Float, nullable=False),
)

flags = Table(
    "flags",
    metadata,
    # Exceptions that depend on one event alone (a consumption other than the bill of materials).
    Column("event", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(32), primary_key=True),
    Column("detail", Text, nullable=False),
)

users = Table(
    "users",
    metadata,
    # Who may sign in (ACCESS.md): one organisation of the scenario, one or more roles.
    Column("name", ID, primary_key=True),  # the login name
    Column("organization", ID, nullable=False),
    Column("roles", String(100), nullable=False),  # comma-separated, in users.ROLES order
    Column("password_hash", String(200), nullable=False),  # argon2id, its parameters inside
    Column("created_at", STAMP, nullable=False),
    Column("disabled", Boolean, nullable=False),
    Column("language", String(10), nullable=True),  # the pages' language (None: the browser's)
)

audit = Table(
    "audit",
    metadata,
    # Append-only and hash-chained (storage/audit.py): the migration adds triggers refusing
    # UPDATE and DELETE, on SQLite and PostgreSQL alike.
    Column("seq", Integer, primary_key=True, autoincrement=False),  # dense: 1, 2, 3 ...
    Column("at", STAMP, nullable=False),
    Column("actor", String(200), nullable=False),  # a user's name, or cli:<OS user>
    Column("organization", ID, nullable=True),  # whose entry it is (None: the programme's)
    Column("action", String(32), nullable=False),  # user.add, login, events.record ...
    Column("target", Text, nullable=True),
    Column("detail", Text, nullable=False),  # canonical JSON
    Column("prev", String(64), nullable=False),  # the previous entry's hash
    Column("hash", String(64), nullable=False),  # sha256 of prev and the canonical entry
    Index("audit_by_organization", "organization", "seq"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    # The API's bearer tokens (storage/tokens.py), kept as their sha256: never the token itself.
    Column("digest", String(64), primary_key=True),
    Column("user", ID, ForeignKey("users.name"), nullable=False),
    Column("issued_at", STAMP, nullable=False),
    Column("expires_at", STAMP, nullable=False),
    Column("revoked_at", STAMP, nullable=True),
    Index("api_tokens_by_user", "user"),
)

plan_jobs = Table(
    "plan_jobs",
    metadata,
    # A plan of a revision started from the service (storage/plans.py), run in the background.
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("revision", Integer, ForeignKey("revisions.number"), nullable=False),
    Column("organization", ID, nullable=False),  # the organisation of who started it
    Column("started_by", ID, nullable=False),
    Column("status", String(10), nullable=False),  # queued, running, done, failed
    Column("phase", Text, nullable=True),  # the planner's current stage
    Column("progress", Float, nullable=False),  # 0 to 1
    Column("error", Text, nullable=True),  # why it failed, in words
    Column("queued_at", STAMP, nullable=False),
    Column("started_at", STAMP, nullable=True),
    Column("finished_at", STAMP, nullable=True),
    Column("folder", Text, nullable=True),  # the plan folder, under the service's plans folder
    Column("release_status", String(10), nullable=True),  # requested, approved, rejected
    Column("requested_by", ID, nullable=True),
    Column("requested_at", STAMP, nullable=True),
    Column("decided_by", ID, nullable=True),
    Column("decided_at", STAMP, nullable=True),
    Column("note", Text, nullable=True),  # the approver's reason for a rejection
    Column("release", Integer, ForeignKey("releases.number"), nullable=True),
    Index("plan_jobs_by_organization", "organization", "id"),
)

TABLES = [table.name for table in metadata.sorted_tables]
"""Every table, parents before children."""
