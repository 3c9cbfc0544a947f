"""OpenID Connect provider tables: relying parties, signing keys, codes, tokens, consents.

Secrets are never stored in clear: client secrets, codes, access and refresh tokens are kept as
keyed hashes (``kit.crypto.hash_token``); signing keys' private halves are field-encrypted.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from oncegov.db import Base
from oncegov.kit import clock

AUTH_METHODS = ("client_secret_basic", "private_key_jwt")


class OidcClient(Base):
    """A relying party registered by an administrator.

    ``redirect_uris`` / ``post_logout_redirect_uris`` / ``scopes`` are whitespace-separated and
    matched exactly. ``max_level`` is the highest eID level the client may ask for.
    """

    __tablename__ = "oidc_clients"
    __table_args__ = (
        CheckConstraint("max_level IN (1, 2)", name="max_level_known"),
        CheckConstraint(
            "auth_method IN ('client_secret_basic', 'private_key_jwt')", name="auth_method_known"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    agency: Mapped[str] = mapped_column(String(200))
    redirect_uris: Mapped[str] = mapped_column(Text)
    post_logout_redirect_uris: Mapped[str] = mapped_column(Text, default="")
    scopes: Mapped[str] = mapped_column(String(300))
    max_level: Mapped[int] = mapped_column(Integer, default=2)
    auth_method: Mapped[str] = mapped_column(String(30))
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    jwks: Mapped[str | None] = mapped_column(Text)  # the client's public JWKS (JSON)
    require_nonce: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)


class OidcSigningKey(Base):
    """An ID-token signing key. ``active_slot`` is 1 on the single active key and NULL on
    retired ones: its unique index makes concurrent first-key creation safe on both databases
    (the loser's insert fails and it reads the winner's key)."""

    __tablename__ = "oidc_signing_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    alg: Mapped[str] = mapped_column(String(10))
    private_key_encrypted: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[str] = mapped_column(Text)
    active_slot: Mapped[int | None] = mapped_column(Integer, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class OidcSubject(Base):
    """The stable random ``sub`` of a citizen (never the personal ID), one per personal ID."""

    __tablename__ = "oidc_subjects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    personal_id: Mapped[str] = mapped_column(
        ForeignKey("citizens.personal_id", ondelete="RESTRICT"), unique=True
    )
    sub: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)


class OidcAuthorizationCode(Base):
    """A single-use code. Kept after use (``used_at``) so a second use is recognised and the
    tokens issued from it are revoked."""

    __tablename__ = "oidc_authorization_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("oidc_clients.client_id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("eid_accounts.id", ondelete="CASCADE"))
    personal_id: Mapped[str] = mapped_column(String(12))
    web_session_id: Mapped[int | None] = mapped_column(Integer)
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    scope: Mapped[str] = mapped_column(String(300))
    nonce: Mapped[str | None] = mapped_column(String(300))
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(10))
    acr: Mapped[str] = mapped_column(String(40))
    amr: Mapped[str] = mapped_column(String(60))
    auth_time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class OidcToken(Base):
    """An opaque access token and (optionally) its refresh token, both hashed.

    ``family`` is shared by every token rotated from the same code: reusing a rotated refresh
    token revokes the whole family. ``refresh_used_at`` marks a refresh token already rotated.
    """

    __tablename__ = "oidc_tokens"
    __table_args__ = (
        Index("ix_oidc_tokens_account", "account_id"),
        Index("ix_oidc_tokens_web_session", "web_session_id"),
        Index("ix_oidc_tokens_family", "family"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    access_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("oidc_clients.client_id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int] = mapped_column(ForeignKey("eid_accounts.id", ondelete="CASCADE"))
    personal_id: Mapped[str] = mapped_column(String(12))
    web_session_id: Mapped[int | None] = mapped_column(Integer)
    code_id: Mapped[int | None] = mapped_column(
        ForeignKey("oidc_authorization_codes.id", ondelete="SET NULL"), index=True
    )
    family: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(300))
    acr: Mapped[str] = mapped_column(String(40))
    amr: Mapped[str] = mapped_column(String(60))
    auth_time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    access_expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    refresh_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    refresh_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoke_reason: Mapped[str | None] = mapped_column(String(60))


class OidcConsent(Base):
    """What a citizen allowed a client to receive; asked again when the scopes grow."""

    __tablename__ = "oidc_consents"
    __table_args__ = (UniqueConstraint("account_id", "client_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("eid_accounts.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(ForeignKey("oidc_clients.client_id", ondelete="CASCADE"))
    scopes: Mapped[str] = mapped_column(String(300))
    granted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)


class OidcAssertionJti(Base):
    """``jti`` of private_key_jwt client assertions seen, refused if replayed before expiry."""

    __tablename__ = "oidc_assertion_jtis"
    __table_args__ = (UniqueConstraint("client_id", "jti"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    jti: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
