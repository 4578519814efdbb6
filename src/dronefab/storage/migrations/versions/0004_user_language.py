"""Each user's language for the pages (issue 13): ``users.language``, null until they choose.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``users.language`` (``en``, ``fr``, ``uk``; null: the browser's preference)."""
    # A plain ADD COLUMN (SQLite and PostgreSQL alike): no copy of the table, whose name the
    # tokens reference.
    op.add_column("users", sa.Column("language", sa.String(10), nullable=True))


def downgrade() -> None:
    """Drop ``users.language`` (every user back to the browser's preference)."""
    op.drop_column("users", "language")  # SQLite 3.35 and later drop a column in place
