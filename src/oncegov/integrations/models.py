"""Tables of the local stand-ins for outside systems."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, String, Text
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
