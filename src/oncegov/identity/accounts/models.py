"""eID accounts: one per citizen, level 1 (self-registered) or level 2 (verified by police)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from oncegov.db import Base
from oncegov.kit import clock

ACCOUNT_STATUSES = ("pending", "active", "locked", "revoked")
ACTIVE_STATUS = "active"  # the one status whose account may sign in or hold tokens


class EidAccount(Base):
    """An electronic identity account.

    ``status``: pending (registered, not yet activated with the one-time code), active, locked
    (by the citizen or by police; ``locked_by``), revoked (citizen deceased, or by police).
    ``pending_level`` is set while a level-2 verification waits for the citizen's code.
    ``login_locked_until`` is the temporary lock after failed passcodes, not a status.
    """

    __tablename__ = "eid_accounts"
    __table_args__ = (
        CheckConstraint("level IN (1, 2)", name="level_known"),
        CheckConstraint(
            "status IN ('pending', 'active', 'locked', 'revoked')", name="status_known"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    personal_id: Mapped[str] = mapped_column(
        ForeignKey("citizens.personal_id", ondelete="RESTRICT"), unique=True
    )
    level: Mapped[int] = mapped_column(Integer)
    pending_level: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), index=True)
    phone: Mapped[str] = mapped_column(String(20))
    passcode_hash: Mapped[str | None] = mapped_column(String(200))
    portrait: Mapped[bytes | None] = mapped_column(LargeBinary)  # self-registration photo
    portrait_sha256: Mapped[str | None] = mapped_column(String(64))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    login_locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    locked_by: Mapped[str | None] = mapped_column(String(10))  # citizen | police
    lock_reason: Mapped[str | None] = mapped_column(String(300))
    registered_channel: Mapped[str] = mapped_column(String(10))  # web | api | station
    registered_commune_code: Mapped[str | None] = mapped_column(ForeignKey("communes.code"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    activated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    level2_verified_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    level2_verified_by: Mapped[str | None] = mapped_column(String(60))  # officer username
    locked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoke_reason: Mapped[str | None] = mapped_column(String(300))
    passcode_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


OTP_PURPOSES = ("activate", "login", "reset", "level2")


class OneTimeCode(Base):
    """A 6-digit code texted to the account's phone. Only its keyed hash is stored.

    Dead once ``used_at`` or ``dead_at`` is set (superseded by a newer code of the same purpose,
    or too many wrong tries) or after ``expires_at``.
    """

    __tablename__ = "eid_one_time_codes"
    __table_args__ = (
        CheckConstraint(
            "purpose IN ('activate', 'login', 'reset', 'level2')", name="purpose_known"
        ),
        Index("ix_eid_one_time_codes_account_purpose", "account_id", "purpose"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("eid_accounts.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(10))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    dead_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class PendingLogin(Base):
    """Between the passcode and the SMS code of a level-2 sign-in: a random token in an
    httponly cookie names this row (never a hidden form field), for a few minutes only."""

    __tablename__ = "eid_pending_logins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("eid_accounts.id", ondelete="CASCADE"))
    next_path: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class LoginEvent(Base):
    """One line of a citizen's login history (kept ``login_history_retention_days``).

    ``event``: login, login_failed, lockout, logout, passcode_reset, activated, locked,
    unlocked, revoked, level2_registered, token_issued, token_refreshed, …; ``detail`` is the
    internal reason code of a failure (the citizen sees only "failed").
    """

    __tablename__ = "eid_login_events"
    __table_args__ = (Index("ix_eid_login_events_account_time", "account_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("eid_accounts.id", ondelete="CASCADE"))
    personal_id: Mapped[str] = mapped_column(String(12))
    event: Mapped[str] = mapped_column(String(30))
    ip: Mapped[str | None] = mapped_column(String(45))
    client_id: Mapped[str | None] = mapped_column(String(100))
    detail: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=clock.now, index=True
    )


class EidQrKey(Base):
    """A signing key for the check-in QR shown on a citizen's eID page (Ed25519, joserfc).

    Facilities verify the QR offline with the published public keys. ``active_slot`` is 1 on the
    single active key and NULL on retired ones (its unique index makes concurrent first-key
    creation safe, as for the OIDC keys); a retired key stays published until every token it
    signed has expired.
    """

    __tablename__ = "eid_qr_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    alg: Mapped[str] = mapped_column(String(10))
    private_key_encrypted: Mapped[str] = mapped_column(String(2000))
    public_jwk: Mapped[str] = mapped_column(String(2000))
    active_slot: Mapped[int | None] = mapped_column(Integer, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
