"""The procedure catalogue: one row per published (code, version) of a procedure.

Revision ID: 5a7c2e91d310
Revises: 3b8d2c6e41f7
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5a7c2e91d310"
down_revision: str | Sequence[str] | None = "3b8d2c6e41f7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "procedure_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("name_vi", sa.String(length=500), nullable=False),
        sa.Column("name_en", sa.String(length=500), nullable=False),
        sa.Column("search_text", sa.String(length=2000), nullable=False),
        sa.Column("field", sa.String(length=30), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("online_level", sa.String(length=10), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("source_file", sa.String(length=200), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("level IN ('commune', 'province')", name="procedure_level_known"),
        sa.CheckConstraint(
            "online_level IN ('full', 'partial', 'none')", name="online_level_known"
        ),
        sa.CheckConstraint("version >= 1", name="procedure_version_positive"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code", "version", name="uq_procedure_version"),
        sa.UniqueConstraint("code", "effective_from", name="uq_procedure_effective_from"),
    )
    op.create_index(
        "ix_procedure_versions_field_level", "procedure_versions", ["field", "level"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_procedure_versions_field_level", table_name="procedure_versions")
    op.drop_table("procedure_versions")
