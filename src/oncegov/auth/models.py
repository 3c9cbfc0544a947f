"""Officer accounts, role assignments scoped to units, sessions, service tokens."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from oncegov.db import Base
from oncegov.registry.models import utcnow


class Officer(Base):
    __tablename__ = "officers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret_encrypted: Mapped[str] = mapped_column(Text)  # kit.crypto.encrypt_field
    is_active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_totp_step: Mapped[int | None] = mapped_column(Integer)  # refuses a replayed TOTP code
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RoleAssignment(Base):
    """An officer holds a role within a scope: the province, one commune, or one agency."""

    __tablename__ = "role_assignments"
    __table_args__ = (
        UniqueConstraint("officer_id", "role", "scope_kind", "scope_code"),
        CheckConstraint("scope_kind IN ('province', 'commune', 'agency')", name="scope_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(40))
    scope_kind: Mapped[str] = mapped_column(String(10))
    scope_code: Mapped[str] = mapped_column(String(20))


class WebSession(Base):
    """Server-side session; the cookie holds a random token, the table only its keyed hash."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    subject_kind: Mapped[str] = mapped_column(String(10))  # officer | citizen
    subject_id: Mapped[int] = mapped_column(Integer, index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    # Citizens only: the eID level proven at this login (1 or 2) and how (RFC 8176 "amr"
    # values, space-separated). ``created_at`` is the OpenID Connect ``auth_time``.
    personal_id: Mapped[str | None] = mapped_column(String(12))
    auth_level: Mapped[int | None] = mapped_column(Integer)
    amr: Mapped[str | None] = mapped_column(String(60))


class ServiceToken(Base):
    """A bearer token for another system; carries its own permissions and scope."""

    __tablename__ = "service_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    permissions: Mapped[str] = mapped_column(Text)  # space-separated permission names
    scope_kind: Mapped[str] = mapped_column(String(10))
    scope_code: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
