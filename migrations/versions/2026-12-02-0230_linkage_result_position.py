"""Linkage results keep their record's position in the extract, so the write-back file follows
the extract's order (docs/data-formats.md) although records with review candidates are
inserted after the others. Runs stored before have no position and keep insertion order.

Revision ID: e0675d1294a4
Revises: 4aac6bf2fb3d
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e0675d1294a4"
down_revision: str | Sequence[str] | None = "4aac6bf2fb3d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("linkage_results", sa.Column("position", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("linkage_results") as batch:
        batch.drop_column("position")
