"""Medical facilities, health-insurance cards and check-ins.

Revision ID: d0460ec00007
Revises: d0450ec00006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d0460ec00007"
down_revision: str | Sequence[str] | None = "d0450ec00006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEVELS = "'provincial_hospital', 'regional_health_centre', 'commune_health_station'"


def upgrade() -> None:
    op.create_table(
        "medical_facilities",
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=30), nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"level IN ({LEVELS})", name="level_known"),
        sa.ForeignKeyConstraint(["commune_code"], ["communes.code"]),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index(
        "ix_medical_facilities_commune_code", "medical_facilities", ["commune_code"], unique=False
    )
    op.create_table(
        "insurance_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("personal_id", sa.String(length=12), nullable=False),
        sa.Column("social_insurance_code", sa.String(length=10), nullable=False),
        sa.Column("beneficiary_group", sa.String(length=2), nullable=False),
        sa.Column("benefit_level", sa.Integer(), nullable=False),
        sa.Column("initial_care_facility_code", sa.String(length=5), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("five_years_from", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("locked_reason", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("benefit_level IN (80, 95, 100)", name="benefit_known"),
        sa.CheckConstraint("status IN ('active', 'locked')", name="card_status_known"),
        sa.CheckConstraint("valid_to >= valid_from", name="validity_ordered"),
        sa.ForeignKeyConstraint(["initial_care_facility_code"], ["medical_facilities.code"]),
        sa.ForeignKeyConstraint(["personal_id"], ["citizens.personal_id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("personal_id"),
        sa.UniqueConstraint("social_insurance_code"),
    )
    op.create_table(
        "health_checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("facility_code", sa.String(length=5), nullable=False),
        sa.Column("personal_id", sa.String(length=12), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=12), nullable=False),
        sa.Column("benefit_level", sa.Integer(), nullable=True),
        sa.Column("initial_care_here", sa.Boolean(), nullable=False),
        sa.Column("warnings", sa.String(length=300), nullable=False),
        sa.Column("audit_seq", sa.Integer(), nullable=False),
        sa.CheckConstraint("method IN ('personal_id', 'chip_qr', 'eid_qr')", name="method_known"),
        sa.ForeignKeyConstraint(["facility_code"], ["medical_facilities.code"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("facility_code", "personal_id", "day", name="uq_checkin_per_day"),
    )
    op.create_index(
        "ix_health_checkins_person_day", "health_checkins", ["personal_id", "day"], unique=False
    )
    op.create_index(
        "ix_health_checkins_day_facility", "health_checkins", ["day", "facility_code"], unique=False
    )


def downgrade() -> None:
    op.drop_table("health_checkins")
    op.drop_table("insurance_cards")
    op.drop_table("medical_facilities")
