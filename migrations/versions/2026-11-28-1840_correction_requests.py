"""Citizens' reports of errors in their registry data.

Revision ID: c0440ec00005
Revises: 0dc0000d0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c0440ec00005"
down_revision: str | Sequence[str] | None = "0dc0000d0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "correction_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("personal_id", sa.String(length=12), nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("proposed_value", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filed_by_account_id", sa.Integer(), nullable=True),
        sa.Column("handled_by", sa.String(length=120), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_note", sa.String(length=500), nullable=True),
        sa.Column("registry_version", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'in_review', 'resolved_corrected', 'rejected')",
            name="correction_status_known",
        ),
        sa.CheckConstraint(
            "status != 'resolved_corrected' OR registry_version IS NOT NULL",
            name="corrected_has_version",
        ),
        sa.CheckConstraint(
            "status != 'rejected' OR resolution_note IS NOT NULL", name="rejected_has_note"
        ),
        sa.ForeignKeyConstraint(["commune_code"], ["communes.code"]),
        sa.ForeignKeyConstraint(["filed_by_account_id"], ["eid_accounts.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["personal_id"], ["citizens.personal_id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_correction_requests_citizen_status",
        "correction_requests",
        ["personal_id", "status"],
        unique=False,
    )
    op.create_index(
        "ix_correction_requests_status_commune",
        "correction_requests",
        ["status", "commune_code"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_correction_requests_status_commune", table_name="correction_requests")
    op.drop_index("ix_correction_requests_citizen_status", table_name="correction_requests")
    op.drop_table("correction_requests")
