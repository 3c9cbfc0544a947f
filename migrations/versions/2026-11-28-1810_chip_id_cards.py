"""Chip ID-card applications and their status steps.

Revision ID: c1d0ca4d0002
Revises: e1d0c0re0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c1d0ca4d0002"
down_revision: str | Sequence[str] | None = "e1d0c0re0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = (
    "'received', 'checked', 'sent_for_production', 'produced', 'returned', 'delivered', 'rejected'"
)
KINDS = (
    "'first_issue', 'renewal_25', 'renewal_40', 'renewal_60', 'reissue_loss', 'reissue_damage',"
    " 'change_of_information'"
)
# One application in progress per citizen: a partial unique index (SQLite and PostgreSQL).
IN_PROGRESS = "status IN ('received', 'checked', 'sent_for_production', 'produced')"
# Idempotency of the intake form: unique per officer, only for rows that carry a token.
IDEMPOTENT_ROWS = "client_token IS NOT NULL"


def upgrade() -> None:
    op.create_table(
        "id_card_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("personal_id", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("fee_vnd", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=120), nullable=False),
        sa.Column("date_of_birth", sa.String(length=10), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.Column("station_kind", sa.String(length=10), nullable=False),
        sa.Column("station_commune_code", sa.String(length=5), nullable=True),
        sa.Column("portrait_captured", sa.Boolean(), nullable=False),
        sa.Column("fingerprints_captured", sa.Boolean(), nullable=False),
        sa.Column("delivery", sa.String(length=10), nullable=False),
        sa.Column("delivery_address_source", sa.String(length=10), nullable=True),
        sa.Column("delivery_commune_code", sa.String(length=5), nullable=True),
        sa.Column("delivery_address", sa.String(length=200), nullable=True),
        sa.Column("eid_level2_requested", sa.Boolean(), nullable=False),
        sa.Column("eid_phone", sa.String(length=20), nullable=True),
        sa.Column("eid_account_id", sa.Integer(), nullable=True),
        sa.Column("client_token", sa.String(length=64), nullable=True),
        sa.Column("received_by", sa.String(length=60), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_for_production_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("produced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejected_from", sa.String(length=24), nullable=True),
        sa.Column("rejection_reason", sa.String(length=300), nullable=True),
        sa.CheckConstraint(
            "delivery = 'station' OR (delivery_address IS NOT NULL"
            " AND delivery_address_source IS NOT NULL)",
            name="post_has_address",
        ),
        sa.CheckConstraint("delivery IN ('station', 'post')", name="delivery_known"),
        sa.CheckConstraint(f"kind IN ({KINDS})", name="kind_known"),
        sa.CheckConstraint("station_kind IN ('commune', 'province')", name="station_known"),
        sa.CheckConstraint(f"status IN ({STATUSES})", name="status_known"),
        sa.CheckConstraint("fee_vnd >= 0", name="fee_not_negative"),
        sa.ForeignKeyConstraint(["commune_code"], ["communes.code"]),
        sa.ForeignKeyConstraint(["delivery_commune_code"], ["communes.code"]),
        sa.ForeignKeyConstraint(["eid_account_id"], ["eid_accounts.id"]),
        sa.ForeignKeyConstraint(["personal_id"], ["citizens.personal_id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["station_commune_code"], ["communes.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("id_card_applications", schema=None) as batch_op:
        batch_op.create_index(
            "uq_id_card_applications_token",
            ["received_by", "client_token"],
            unique=True,
            sqlite_where=sa.text(IDEMPOTENT_ROWS),
            postgresql_where=sa.text(IDEMPOTENT_ROWS),
        )
        batch_op.create_index(
            batch_op.f("ix_id_card_applications_personal_id"), ["personal_id"], unique=False
        )
        batch_op.create_index(
            "ix_id_card_applications_received", ["received_at", "commune_code"], unique=False
        )
        batch_op.create_index(
            "uq_id_card_applications_in_progress",
            ["personal_id"],
            unique=True,
            sqlite_where=sa.text(IN_PROGRESS),
            postgresql_where=sa.text(IN_PROGRESS),
        )

    op.create_table(
        "id_card_application_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=24), nullable=True),
        sa.Column("to_status", sa.String(length=24), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.CheckConstraint(f"to_status IN ({STATUSES})", name="to_status_known"),
        sa.ForeignKeyConstraint(
            ["application_id"], ["id_card_applications.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("id_card_application_steps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_id_card_application_steps_application_id"),
            ["application_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("id_card_application_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_id_card_application_steps_application_id"))
    op.drop_table("id_card_application_steps")
    with op.batch_alter_table("id_card_applications", schema=None) as batch_op:
        batch_op.drop_index("uq_id_card_applications_in_progress")
        batch_op.drop_index("ix_id_card_applications_received")
        batch_op.drop_index(batch_op.f("ix_id_card_applications_personal_id"))
        batch_op.drop_index("uq_id_card_applications_token")
    op.drop_table("id_card_applications")
