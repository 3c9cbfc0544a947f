"""The ``throttles`` table as a rate limiter, in the caller's transaction."""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy.orm import Session

from oncegov.kit import clock
from oncegov.ratelimit.limiter import Usage
from oncegov.ratelimit.repository import ThrottleRepository


class DatabaseRateLimiter:
    def __init__(self, session: Session) -> None:
        self.repository = ThrottleRepository(session)

    def hit(self, key: str, *, limit: int, window_seconds: int, amount: int = 1) -> Usage:
        moment = clock.now()
        window = dt.timedelta(seconds=window_seconds)
        if amount == 0:
            return self._peek(key, limit, moment, window)
        start, count = self.repository.add_hits(key, amount, now=moment, window=window)
        return Usage(count, amount, limit, _seconds_left(start, window, moment))

    def _peek(self, key: str, limit: int, moment: dt.datetime, window: dt.timedelta) -> Usage:
        # A read, not an upsert: a peek must not create rows or queue requests on a row lock.
        stored = self.repository.window(key)
        if stored is None or clock.aware(stored[0]) + window <= moment:
            return Usage(0, 0, limit, math.ceil(window.total_seconds()))
        return Usage(stored[1], 0, limit, _seconds_left(stored[0], window, moment))


def _seconds_left(start: dt.datetime, window: dt.timedelta, moment: dt.datetime) -> int:
    return max(1, math.ceil((clock.aware(start) + window - moment).total_seconds()))
