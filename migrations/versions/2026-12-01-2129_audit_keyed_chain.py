"""Keyed audit chain: a key id per entry, signed checkpoints of the head.

Entries already in the log keep their unkeyed SHA-256 links and a NULL key id: they are the
chain's legacy prefix, verified as before and reported as such (docs/operations.md). Columns
are added without rebuilding ``audit_entries``, so its append-only triggers stay in place; the
checkpoints table gets the same protection.

Revision ID: 4aac6bf2fb3d
Revises: d0470ec00008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4aac6bf2fb3d"
down_revision: str | Sequence[str] | None = "d0470ec00008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_MESSAGE = "audit_checkpoints is append-only"


def upgrade() -> None:
    op.add_column("audit_entries", sa.Column("key_id", sa.String(length=16), nullable=True))
    op.add_column(
        "audit_head",
        sa.Column("checkpoint_number", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column(
        "audit_head",
        sa.Column("checkpoint_seq", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column(
        "audit_head", sa.Column("checkpoint_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("link", sa.String(length=64), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=43), nullable=False),
        sa.Column("signature", sa.String(length=86), nullable=False),
        sa.PrimaryKeyConstraint("number"),
    )
    _protect_checkpoints()


def _protect_checkpoints() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION audit_checkpoints_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE "
            "ON audit_checkpoints FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_append_only()"
        )
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_checkpoints_no_{event.lower()} BEFORE {event} "
            f"ON audit_checkpoints BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_checkpoints_append_only ON audit_checkpoints")
        op.execute("DROP FUNCTION audit_checkpoints_append_only()")
    op.drop_table("audit_checkpoints")
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+) keeps audit_entries' triggers.
    op.drop_column("audit_head", "checkpoint_at")
    op.drop_column("audit_head", "checkpoint_seq")
    op.drop_column("audit_head", "checkpoint_number")
    op.drop_column("audit_entries", "key_id")
