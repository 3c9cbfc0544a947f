"""The ``throttles`` table as a rate limiter, in the caller's transaction."""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy.orm import Session

from oncegov.kit import clock
from oncegov.ratelimit import Usage
from oncegov.ratelimit.repository import ThrottleRepository


class DatabaseRateLimiter:
    def __init__(self, session: Session) -> None:
        self.repository = ThrottleRepository(session)

    def hit(self, key: str, *, limit: int, window_seconds: int, amount: int = 1) -> Usage:
        moment = clock.now()
        window = dt.timedelta(seconds=window_seconds)
        start, count = self.repository.add_hits(key, amount, now=moment, window=window)
        remaining = (clock.aware(start) + window - moment).total_seconds()
        return Usage(count, amount, limit, max(1, math.ceil(remaining)))
