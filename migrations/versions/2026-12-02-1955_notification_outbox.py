"""The notification outbox, the local e-mail outbox, and the SMS outbox's idempotency key.

Revision ID: 7d3f1a9c5b20
Revises: 7d1e4b2a9c60
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d3f1a9c5b20"
down_revision: str | Sequence[str] | None = "7d1e4b2a9c60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("sms_outbox", sa.Column("idempotency_key", sa.String(length=200), nullable=True))
    op.create_index("ix_sms_outbox_idempotency_key", "sms_outbox", ["idempotency_key"], unique=True)
    op.create_table(
        "email_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_encrypted", sa.Text(), nullable=False),
        sa.Column("sender", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_email_outbox_idempotency_key", "email_outbox", ["idempotency_key"], unique=True
    )
    op.create_table(
        "notification_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("recipient_encrypted", sa.Text(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("provider_message_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("channel IN ('sms', 'email')", name="outbox_channel_known"),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name="outbox_status_known"),
        sa.CheckConstraint("attempts >= 0", name="outbox_attempts_not_negative"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", name="uq_notification_outbox_key"),
    )
    op.create_index(
        "ix_notification_outbox_due",
        "notification_outbox",
        ["status", "next_attempt_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_notification_outbox_due", table_name="notification_outbox")
    op.drop_table("notification_outbox")
    op.drop_index("ix_email_outbox_idempotency_key", table_name="email_outbox")
    op.drop_table("email_outbox")
    op.drop_index("ix_sms_outbox_idempotency_key", table_name="sms_outbox")
    with op.batch_alter_table("sms_outbox", schema=None) as batch_op:
        batch_op.drop_column("idempotency_key")
