"""The API's bearer tokens (ACCESS.md, "The API"), each kept as its sha256, never in clear.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.String(100)
STAMP = sa.String(27)


def upgrade() -> None:
    """Create ``api_tokens``: digest, user, when issued, when it expires, when revoked."""
    op.create_table(
        "api_tokens",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("user", ID, sa.ForeignKey("users.name"), nullable=False),
        sa.Column("issued_at", STAMP, nullable=False),
        sa.Column("expires_at", STAMP, nullable=False),
        sa.Column("revoked_at", STAMP, nullable=True),
    )
    op.create_index("api_tokens_by_user", "api_tokens", ["user"])


def downgrade() -> None:
    """Drop the tokens (every user must sign in again)."""
    op.drop_table("api_tokens")
