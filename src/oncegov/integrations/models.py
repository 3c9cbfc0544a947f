"""Tables of the local stand-ins for outside systems."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from oncegov.db import Base
from oncegov.kit import clock


class SmsOutboxMessage(Base):
    """A text message as the local SMS gateway "delivered" it. Kept in the same transaction as
    the work that sent it (a transactional outbox): a code is never texted for a change that
    rolled back."""

    __tablename__ = "sms_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    sender: Mapped[str] = mapped_column(String(11))
    body: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))  # delivered | undeliverable (13 chars)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    # The sender's idempotency key (the notification outbox's key): a message sent again with
    # a key already delivered is recognised and not delivered twice. NULL for the one-time
    # codes, which are sent once, inside their request.
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True, index=True)


class EmailOutboxMessage(Base):
    """An e-mail as the local e-mail outbox "delivered" it (``integrations.email``). The
    address is personal data: stored encrypted (``kit.crypto``)."""

    __tablename__ = "email_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient_encrypted: Mapped[str] = mapped_column(Text)
    sender: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # delivered | undeliverable
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True, index=True)


OUTBOX_CHANNELS = ("sms", "email")
OUTBOX_STATUSES = ("pending", "sent", "failed")


class OutboxMessage(Base):
    """A notification to deliver (``integrations.outbox``), written in the transaction of the
    change it announces and delivered by the worker. ``next_attempt_at`` is both the claim of
    the worker delivering it (until then no other worker takes it) and the retry backoff."""

    __tablename__ = "notification_outbox"
    __table_args__ = (
        CheckConstraint("channel IN ('sms', 'email')", name="outbox_channel_known"),
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="outbox_status_known"),
        CheckConstraint("attempts >= 0", name="outbox_attempts_not_negative"),
        UniqueConstraint("key", name="uq_notification_outbox_key"),
        Index("ix_notification_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(8))
    recipient_encrypted: Mapped[str] = mapped_column(Text)  # kit.crypto.encrypt_field
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # The error's class and code only: never the recipient or the message.
    last_error: Mapped[str | None] = mapped_column(String(200))
    provider_message_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
