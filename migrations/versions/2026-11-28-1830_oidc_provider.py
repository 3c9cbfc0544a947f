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
    op.create_table(
        "oidc_assertion_jtis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("jti", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id", "jti"),
    )
    op.create_index(
        op.f("ix_oidc_assertion_jtis_expires_at"),
        "oidc_assertion_jtis",
        ["expires_at"],
        unique=False,
    )
    op.create_table(
        "oidc_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("agency", sa.String(length=200), nullable=False),
        sa.Column("redirect_uris", sa.Text(), nullable=False),
        sa.Column("post_logout_redirect_uris", sa.Text(), nullable=False),
        sa.Column("scopes", sa.String(length=300), nullable=False),
        sa.Column("max_level", sa.Integer(), nullable=False),
        sa.Column("auth_method", sa.String(length=30), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=True),
        sa.Column("jwks", sa.Text(), nullable=True),
        sa.Column("require_nonce", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "auth_method IN ('client_secret_basic', 'private_key_jwt')", name="auth_method_known"
        ),
        sa.CheckConstraint("max_level IN (1, 2)", name="max_level_known"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id"),
    )
    op.create_table(
        "oidc_signing_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("alg", sa.String(length=10), nullable=False),
        sa.Column("private_key_encrypted", sa.Text(), nullable=False),
        sa.Column("public_jwk", sa.Text(), nullable=False),
        sa.Column("active_slot", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("active_slot"),
        sa.UniqueConstraint("kid"),
    )
    op.create_table(
        "oidc_subjects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("personal_id", sa.String(length=12), nullable=False),
        sa.Column("sub", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["personal_id"], ["citizens.personal_id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("personal_id"),
        sa.UniqueConstraint("sub"),
    )
    op.create_table(
        "oidc_authorization_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("personal_id", sa.String(length=12), nullable=False),
        sa.Column("web_session_id", sa.Integer(), nullable=True),
        sa.Column("redirect_uri", sa.String(length=2000), nullable=False),
        sa.Column("scope", sa.String(length=300), nullable=False),
        sa.Column("nonce", sa.String(length=300), nullable=True),
        sa.Column("code_challenge", sa.String(length=128), nullable=False),
        sa.Column("code_challenge_method", sa.String(length=10), nullable=False),
        sa.Column("acr", sa.String(length=40), nullable=False),
        sa.Column("amr", sa.String(length=60), nullable=False),
        sa.Column("auth_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["eid_accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["client_id"], ["oidc_clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_hash"),
    )
    op.create_index(
        op.f("ix_oidc_authorization_codes_client_id"),
        "oidc_authorization_codes",
        ["client_id"],
        unique=False,
    )
    op.create_table(
        "oidc_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=300), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["eid_accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["client_id"], ["oidc_clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "client_id"),
    )
    op.create_table(
        "oidc_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("access_token_hash", sa.String(length=64), nullable=False),
        sa.Column("refresh_token_hash", sa.String(length=64), nullable=True),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("personal_id", sa.String(length=12), nullable=False),
        sa.Column("web_session_id", sa.Integer(), nullable=True),
        sa.Column("code_id", sa.Integer(), nullable=True),
        sa.Column("family", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=300), nullable=False),
        sa.Column("acr", sa.String(length=40), nullable=False),
        sa.Column("amr", sa.String(length=60), nullable=False),
        sa.Column("auth_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refresh_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refresh_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoke_reason", sa.String(length=60), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["eid_accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["client_id"], ["oidc_clients.client_id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["code_id"], ["oidc_authorization_codes.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("access_token_hash"),
        sa.UniqueConstraint("refresh_token_hash"),
    )
    op.create_index("ix_oidc_tokens_account", "oidc_tokens", ["account_id"], unique=False)
    op.create_index(op.f("ix_oidc_tokens_client_id"), "oidc_tokens", ["client_id"], unique=False)
    op.create_index(op.f("ix_oidc_tokens_code_id"), "oidc_tokens", ["code_id"], unique=False)
    op.create_index("ix_oidc_tokens_family", "oidc_tokens", ["family"], unique=False)
    op.create_index("ix_oidc_tokens_web_session", "oidc_tokens", ["web_session_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_oidc_tokens_web_session", table_name="oidc_tokens")
    op.drop_index("ix_oidc_tokens_family", table_name="oidc_tokens")
    op.drop_index(op.f("ix_oidc_tokens_code_id"), table_name="oidc_tokens")
    op.drop_index(op.f("ix_oidc_tokens_client_id"), table_name="oidc_tokens")
    op.drop_index("ix_oidc_tokens_account", table_name="oidc_tokens")
    op.drop_table("oidc_tokens")
    op.drop_table("oidc_consents")
    op.drop_index(
        op.f("ix_oidc_authorization_codes_client_id"), table_name="oidc_authorization_codes"
    )
    op.drop_table("oidc_authorization_codes")
    op.drop_table("oidc_subjects")
    op.drop_table("oidc_signing_keys")
    op.drop_table("oidc_clients")
    op.drop_index(op.f("ix_oidc_assertion_jtis_expires_at"), table_name="oidc_assertion_jtis")
    op.drop_table("oidc_assertion_jtis")
