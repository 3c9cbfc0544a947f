"""The portal's tables: sign-ins under way (one per authorization request) and its sessions.

Both keep only keyed hashes of what the browser holds (``kit.crypto.hash_token``): the state
and the browser-binding cookie of a sign-in, the session cookie's token.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from oncegov.db import Base
from oncegov.kit import clock


class PortalLoginRequest(Base):
    """One authorization request sent to the provider, until its callback comes back.

    ``code_verifier`` (PKCE, RFC 7636) and ``nonce`` are kept in clear: the portal needs them
    back at the callback, and neither is of use without the one-time code, which only the
    browser and the provider see. The row is spent (``used_at``) by the first callback."""

    __tablename__ = "portal_login_requests"
    __table_args__ = (CheckConstraint("level IN (1, 2)", name="portal_login_level_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    binding_hash: Mapped[str] = mapped_column(String(64))  # of the browser's sign-in cookie
    code_verifier: Mapped[str] = mapped_column(String(128))
    nonce: Mapped[str] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(Integer)
    next_path: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class PortalSession(Base):
    """A citizen's portal session, started from a verified ID token. ``acr`` is the eID level
    the provider asserted (1 or 2); ``sub`` the provider's subject identifier."""

    __tablename__ = "portal_sessions"
    __table_args__ = (CheckConstraint("acr IN (1, 2)", name="portal_session_acr_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    personal_id: Mapped[str] = mapped_column(String(12), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    sub: Mapped[str] = mapped_column(String(64))
    acr: Mapped[int] = mapped_column(Integer)
    auth_time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
