"""Redis as a rate limiter: one Lua script per hit, so increment and expiry are one atomic
round trip (a crash between an ``INCR`` and its ``EXPIRE`` can never leave a key that never
expires, and two workers never both start a window)."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import redis

from oncegov.config import settings
from oncegov.errors import OnceGovError
from oncegov.ratelimit.limiter import Usage
from oncegov.translatable import N_

# KEYS[1] the counter; ARGV[1] hits to add, ARGV[2] window in ms. Returns {count, ms left}.
_HIT = """
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  left = tonumber(ARGV[2])
end
return {count, left}
"""


class RateLimiterUnavailable(OnceGovError):
    """Redis does not answer: refuse rather than let every request through unlimited (a
    sign-in budget that fails open is no budget), and say when to come back."""

    status = 503
    code = "service_unavailable"

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": "5"}


@lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    # One connection pool per process and URL; the client is thread-safe.
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


LOCAL_REDIS = "redis://127.0.0.1:6379/0"  # when ONCEGOV_REDIS_URL is unset


class RedisRateLimiter:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.prefix = prefix
        self._hit: Any = client.register_script(_HIT)

    @classmethod
    def from_settings(cls) -> RedisRateLimiter:
        url = settings.redis_url.get_secret_value() if settings.redis_url else LOCAL_REDIS
        return cls(_client(url), settings.redis_key_prefix)

    def hit(self, key: str, *, limit: int, window_seconds: int, amount: int = 1) -> Usage:
        try:
            count, left_ms = self._hit(
                keys=[self.prefix + key], args=[amount, window_seconds * 1000]
            )
        except redis.RedisError as exc:
            raise RateLimiterUnavailable(
                N_("The service is briefly unavailable; try again in a few seconds")
            ) from exc
        return Usage(int(count), amount, limit, max(1, math.ceil(int(left_ms) / 1000)))
