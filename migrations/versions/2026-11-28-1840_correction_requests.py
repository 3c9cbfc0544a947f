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
    _ = (sa, op)  # filled in by the correction_requests work


def downgrade() -> None:
    pass
