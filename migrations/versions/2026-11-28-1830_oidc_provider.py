"""OpenID Connect provider: relying parties, signing keys, codes, tokens, consents.

Revision ID: 0dc0000d0004
Revises: e1d0a0c00003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0dc0000d0004"
down_revision: str | Sequence[str] | None = "e1d0a0c00003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _ = (sa, op)  # filled in by the oidc_provider work


def downgrade() -> None:
    pass
