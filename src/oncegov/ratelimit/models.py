"""The database backend's counters."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from oncegov.db import Base


class Throttle(Base):
    """Fixed-window counters for rate limits (login per IP, lookups per actor, …)."""

    __tablename__ = "throttles"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    count: Mapped[int] = mapped_column(Integer, default=0)
