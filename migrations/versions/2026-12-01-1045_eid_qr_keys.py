"""Signing keys for the check-in QR on the citizen's eID page.

Revision ID: d0450ec00006
Revises: c0440ec00005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d0450ec00006"
down_revision: str | Sequence[str] | None = "c0440ec00005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "eid_qr_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("alg", sa.String(length=10), nullable=False),
        sa.Column("private_key_encrypted", sa.String(length=2000), nullable=False),
        sa.Column("public_jwk", sa.String(length=2000), nullable=False),
        sa.Column("active_slot", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kid"),
        sa.UniqueConstraint("active_slot"),
    )


def downgrade() -> None:
    op.drop_table("eid_qr_keys")
