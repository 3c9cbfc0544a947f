"""Linkage results remember whether the run drew them for the quality sample: the officer's
decision overwrites the reason, and only the sample is a random draw of the auto-link band
(the held-out precision is estimated from it).

Revision ID: 7c1f0e5a9b21
Revises: e0675d1294a4
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c1f0e5a9b21"
down_revision: str | Sequence[str] | None = "e0675d1294a4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "linkage_results",
        sa.Column("sampled", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("linkage_results") as batch:
        batch.drop_column("sampled")
