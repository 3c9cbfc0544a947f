"""eID one-time codes, pending two-step sign-ins and the citizens' login history; the SMS
outbox's status column widened to hold "undeliverable".

Revision ID: e1d0a0c00003
Revises: c1d0ca4d0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e1d0a0c00003"
down_revision: str | Sequence[str] | None = "c1d0ca4d0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # "undeliverable" (13 characters) did not fit the outbox's status column (12); SQLite never
    # noticed, PostgreSQL refuses it.
    with op.batch_alter_table("sms_outbox", schema=None) as batch_op:
        batch_op.alter_column(
            "status",
            existing_type=sa.String(length=12),
            type_=sa.String(length=16),
            existing_nullable=False,
        )
    op.create_table(
        "eid_one_time_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "purpose IN ('activate', 'login', 'reset', 'level2')", name="purpose_known"
        ),
        sa.ForeignKeyConstraint(["account_id"], ["eid_accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_eid_one_time_codes_account_purpose",
        "eid_one_time_codes",
        ["account_id", "purpose"],
        unique=False,
    )
    op.create_table(
        "eid_pending_logins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("next_path", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["eid_accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "eid_login_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("personal_id", sa.String(length=12), nullable=False),
        sa.Column("event", sa.String(length=30), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("client_id", sa.String(length=100), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["eid_accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_eid_login_events_account_time",
        "eid_login_events",
        ["account_id", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_eid_login_events_created_at"), "eid_login_events", ["created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_eid_login_events_created_at"), table_name="eid_login_events")
    op.drop_index("ix_eid_login_events_account_time", table_name="eid_login_events")
    op.drop_table("eid_login_events")
    op.drop_table("eid_pending_logins")
    op.drop_index("ix_eid_one_time_codes_account_purpose", table_name="eid_one_time_codes")
    op.drop_table("eid_one_time_codes")
    with op.batch_alter_table("sms_outbox", schema=None) as batch_op:
        batch_op.alter_column(
            "status",
            existing_type=sa.String(length=16),
            type_=sa.String(length=12),
            existing_nullable=False,
        )
