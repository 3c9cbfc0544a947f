"""The working-day calendar's adjustments: dates administrators declare off or working.

Revision ID: 3b8d2c6e41f7
Revises: 7c1f0e5a9b21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3b8d2c6e41f7"
down_revision: str | Sequence[str] | None = "7c1f0e5a9b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("legal_reference", sa.String(length=300), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('off', 'work')", name="calendar_day_kind_known"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day"),
    )


def downgrade() -> None:
    op.drop_table("calendar_days")
