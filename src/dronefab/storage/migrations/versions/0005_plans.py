"""Plan jobs of the service (issue 13, the plan page): a plan of a revision run in the
background, its progress, and the programme's approval of its release.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.String(100)
STAMP = sa.String(27)


def upgrade() -> None:
    """Create ``plan_jobs``: one row a plan started from the service (storage/plans.py)."""
    op.create_table(
        "plan_jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("revision", sa.Integer, sa.ForeignKey("revisions.number"), nullable=False),
        sa.Column("organization", ID, nullable=False),
        sa.Column("started_by", ID, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("phase", sa.Text, nullable=True),
        sa.Column("progress", sa.Float, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("queued_at", STAMP, nullable=False),
        sa.Column("started_at", STAMP, nullable=True),
        sa.Column("finished_at", STAMP, nullable=True),
        sa.Column("folder", sa.Text, nullable=True),
        sa.Column("release_status", sa.String(10), nullable=True),
        sa.Column("requested_by", ID, nullable=True),
        sa.Column("requested_at", STAMP, nullable=True),
        sa.Column("decided_by", ID, nullable=True),
        sa.Column("decided_at", STAMP, nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("release", sa.Integer, sa.ForeignKey("releases.number"), nullable=True),
    )
    op.create_index("plan_jobs_by_organization", "plan_jobs", ["organization", "id"])


def downgrade() -> None:
    """Drop the plan jobs (their folders stay on disk)."""
    op.drop_table("plan_jobs")
