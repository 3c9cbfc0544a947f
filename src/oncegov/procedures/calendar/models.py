"""Dates an administrator declared off (nghỉ bù, nghỉ) or a working day (làm bù)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from oncegov.db import Base
from oncegov.kit import clock

KINDS = ("off", "work")
REASON_MAX = 500
REFERENCE_MAX = 300


class CalendarDay(Base):
    __tablename__ = "calendar_days"
    __table_args__ = (CheckConstraint("kind IN ('off', 'work')", name="calendar_day_kind_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(REASON_MAX))
    legal_reference: Mapped[str] = mapped_column(String(REFERENCE_MAX))
    created_by: Mapped[str] = mapped_column(String(200))  # the actor's label (kind:id)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
