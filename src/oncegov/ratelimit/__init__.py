"""Rate limits: one Protocol and two backends, chosen by ``settings.rate_limit_backend``.

A limiter counts hits on a key in fixed windows (``window_seconds`` long, starting at the
key's first hit after the previous window ended) and answers, in the same atomic step, how
many hits the window now holds. It knows nothing of logins or facilities: callers name their
keys (``login-ip:…``, ``health:…``) and decide what a refusal means.

- ``database`` (default): the ``throttles`` table, one ``INSERT … ON CONFLICT DO UPDATE …
  RETURNING`` per hit inside the caller's transaction, so the counter is exact under any
  number of workers and concurrent requests, and no second store is needed.
- ``redis``: ``INCRBY`` and ``PEXPIRE`` in one Lua script (one round trip, atomic on the
  server), for deployments that run many web workers and want the counters off the database.
  Counts are kept even when the request's transaction rolls back.

It sits beside ``kit/`` and ``integrations/`` (below ``auth/``): it is domain-free
infrastructure that ``auth`` and the domains use through ``auth.service``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from oncegov.config import settings


@dataclass(frozen=True, slots=True)
class Usage:
    """A key's window after a hit of ``amount``: ``count`` hits in it, including these."""

    count: int
    amount: int
    limit: int
    reset_after: int  # whole seconds until the window ends (at least 1)

    @property
    def allowed(self) -> int:
        """How many of this hit's ``amount`` fit under the limit."""
        before = self.count - self.amount
        return max(0, min(self.amount, self.limit - before))

    @property
    def exceeded(self) -> bool:
        """The hit went past the limit (for a peek, ``amount=0``: the budget is used up)."""
        return self.count > self.limit or (self.amount == 0 and self.count >= self.limit)


class RateLimiter(Protocol):
    def hit(self, key: str, *, limit: int, window_seconds: int, amount: int = 1) -> Usage:
        """Add ``amount`` hits to ``key``'s current window (``amount=0`` only reads it)."""
        ...


def rate_limiter(session: Session) -> RateLimiter:
    """The configured limiter; the database one works in ``session``'s transaction."""
    if settings.rate_limit_backend == "redis":
        from oncegov.ratelimit.redis_backend import RedisRateLimiter

        return RedisRateLimiter.from_settings()
    from oncegov.ratelimit.database import DatabaseRateLimiter

    return DatabaseRateLimiter(session)
