"""eID one-time codes and the citizens' login history.

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
    _ = (sa, op)  # filled in by the eid_login work


def downgrade() -> None:
    pass
