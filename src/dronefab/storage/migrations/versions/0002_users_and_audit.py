"""Users and the append-only, hash-chained audit log (ACCESS.md).

The database itself refuses to change or remove an audit entry: triggers on UPDATE and DELETE
(and TRUNCATE on PostgreSQL) raise, whoever runs the statement. Someone who can drop the
triggers can still rewrite the table; ``dronefab audit verify`` is what detects that.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.String(100)
STAMP = sa.String(27)

REFUSAL = "the audit log is append-only: its entries cannot be changed or removed"

SQLITE_TRIGGERS = [
    f"CREATE TRIGGER audit_no_{verb.lower()} BEFORE {verb} ON audit "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
    for verb in ("UPDATE", "DELETE")
]

POSTGRES_TRIGGERS = [
    "CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN RAISE EXCEPTION '{REFUSAL} (% refused)', TG_OP; END $$",
    "CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit "
    "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
    "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
]


def upgrade() -> None:
    """Create ``users`` and ``audit``, and the triggers that keep ``audit`` append-only."""
    op.create_table(
        "users",
        sa.Column("name", ID, primary_key=True),
        sa.Column("organization", ID, nullable=False),
        sa.Column("roles", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
    )
    op.create_table(
        "audit",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", STAMP, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("organization", ID, nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.Text, nullable=True),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("prev", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("audit_by_organization", "audit", ["organization", "seq"])
    triggers = SQLITE_TRIGGERS if op.get_bind().dialect.name == "sqlite" else POSTGRES_TRIGGERS
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    """Drop the audit log (its triggers with it) and the users."""
    op.drop_table("audit")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_append_only()")
    op.drop_table("users")
