"""The programme's record, version 1: revisions, releases and orders, events and what they derive.

Revision ID: 0001
Revises:
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.String(100)
STAMP = sa.String(27)


def upgrade() -> None:
    """Create every table of the record."""
    op.create_table(
        "revisions",
        sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("loaded_at", STAMP, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("scenario", sa.Text, nullable=False),
        sa.Column("opening_stock", sa.Boolean, nullable=False),
    )
    op.create_table(
        "scenarios",
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("revision", sa.Integer, sa.ForeignKey("revisions.number"), nullable=False),
        sa.Column("as_of", STAMP, nullable=True),
        sa.Column("made_at", STAMP, nullable=False),
    )
    op.create_table(
        "releases",
        sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("revision", sa.Integer, sa.ForeignKey("revisions.number"), nullable=False),
        sa.Column(
            "scenario", sa.String(64), sa.ForeignKey("scenarios.fingerprint"), nullable=False
        ),
        sa.Column("starts", sa.String(10), nullable=False),
        sa.Column("released_at", STAMP, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("by", ID, nullable=True),
    )
    op.create_table(
        "orders",
        sa.Column("id", ID, primary_key=True),
        sa.Column("release", sa.Integer, sa.ForeignKey("releases.number"), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("site", ID, nullable=False),
        sa.Column("item", ID, nullable=False),
        sa.Column("supplier", ID, nullable=True),
        sa.Column("to_site", ID, nullable=True),
        sa.Column("customer", ID, nullable=True),
        sa.Column("quantity", sa.Float, nullable=False),
        sa.Column("due", sa.String(10), nullable=False),
        sa.Column("arrival", sa.String(10), nullable=True),
        sa.Column("period", sa.Integer, nullable=False),
        sa.Column("cancelled_by", sa.Integer, sa.ForeignKey("releases.number"), nullable=True),
    )
    op.create_index("orders_by_key", "orders", ["kind", "site", "item"])
    op.create_table(
        "batches",
        sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("recorded_at", STAMP, nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
        sa.Column("revision", sa.Integer, sa.ForeignKey("revisions.number"), nullable=False),
        sa.Column("by", ID, nullable=True),
    )
    op.create_table(
        "events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("id", ID, nullable=False, unique=True),
        sa.Column("type", sa.String(12), nullable=False),
        sa.Column("at", STAMP, nullable=False),
        sa.Column("site", ID, nullable=True),
        sa.Column("ref", ID, nullable=True),
        sa.Column("item", ID, nullable=True),
        sa.Column("quantity", sa.Float, nullable=True),  # units the event moves or makes (good)
        sa.Column("partner", ID, nullable=True),  # supplier, to_site or customer
        sa.Column("order_ref", ID, nullable=True),  # the order it names
        sa.Column("lot", ID, nullable=True),
        sa.Column("digest", sa.String(32), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("batch", sa.Integer, sa.ForeignKey("batches.number"), nullable=False),
    )
    op.create_index("events_by_type", "events", ["type", "at"])
    op.create_index("events_by_ref", "events", ["ref"])
    op.create_index("events_by_time", "events", ["at"])
    op.create_index("events_by_lot", "events", ["item", "lot"])
    op.create_table(
        "units",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("item", ID, nullable=True),
        sa.Column("lot", ID, nullable=True),
        sa.Column("serial", ID, nullable=True, unique=True),
        sa.Column("position", sa.String(128), nullable=True),
        sa.Column("status", sa.String(12), nullable=True),
        sa.Column("site", ID, nullable=True),
        sa.Column("customer", ID, nullable=True),
        sa.UniqueConstraint("item", "lot", name="units_lot"),
    )
    for name in ("links", "made", "unit_events"):
        first, second = ("child", "parent") if name == "links" else ("unit", "event")
        op.create_table(
            name,
            sa.Column(first, sa.Integer, primary_key=True, autoincrement=False),
            sa.Column(second, sa.Integer, primary_key=True, autoincrement=False),
            sqlite_with_rowid=False,
        )
    op.create_table(
        "moves",
        sa.Column("event", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("unit", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("site", ID, primary_key=True),
        sa.Column("in_transit", sa.Boolean, primary_key=True),
        sa.Column("quantity", sa.Float, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "balances",
        sa.Column("unit", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("site", ID, primary_key=True),
        sa.Column("in_transit", sa.Boolean, primary_key=True),
        sa.Column("quantity", sa.Float, nullable=False),
    )
    op.create_table(
        "flags",
        sa.Column("event", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("detail", sa.Text, nullable=False),
    )


def downgrade() -> None:
    """Drop every table of the record (children first)."""
    for name in (
        "flags",
        "balances",
        "moves",
        "unit_events",
        "made",
        "links",
        "units",
        "events",
        "batches",
        "orders",
        "releases",
        "scenarios",
        "revisions",
    ):
        op.drop_table(name)
