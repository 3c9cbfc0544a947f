"""The public-service portal's relying-party tables: sign-ins under way and portal sessions.

Revision ID: 7d4e1f0a9b21
Revises: 5a7c2e91d310
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d4e1f0a9b21"
down_revision: str | Sequence[str] | None = "5a7c2e91d310"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portal_login_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("binding_hash", sa.String(length=64), nullable=False),
        sa.Column("code_verifier", sa.String(length=128), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("next_path", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("level IN (1, 2)", name="portal_login_level_known"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("state_hash"),
    )
    op.create_index("ix_portal_login_requests_expires_at", "portal_login_requests", ["expires_at"])
    op.create_table(
        "portal_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("personal_id", sa.String(length=12), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("sub", sa.String(length=64), nullable=False),
        sa.Column("acr", sa.Integer(), nullable=False),
        sa.Column("auth_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("acr IN (1, 2)", name="portal_session_acr_known"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_portal_sessions_personal_id", "portal_sessions", ["personal_id"])


def downgrade() -> None:
    op.drop_index("ix_portal_sessions_personal_id", table_name="portal_sessions")
    op.drop_table("portal_sessions")
    op.drop_index("ix_portal_login_requests_expires_at", table_name="portal_login_requests")
    op.drop_table("portal_login_requests")
