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


def upgrade() -> None:
    _ = (sa, op)  # filled in by the chip_id_cards work


def downgrade() -> None:
    pass
