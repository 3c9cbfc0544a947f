"""Redis as a rate limiter: one Lua script per hit, so increment and expiry are one atomic
round trip (a crash between an ``INCR`` and its ``EXPIRE`` can never leave a key that never
expires, and two workers never both start a window)."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import redis

from oncegov.config import settings
from oncegov.ratelimit import Usage

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


@lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    # One connection pool per process and URL; the client is thread-safe.
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


class RedisRateLimiter:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.prefix = prefix
        self._hit: Any = client.register_script(_HIT)

    @classmethod
    def from_settings(cls) -> RedisRateLimiter:
        return cls(_client(settings.redis_url.get_secret_value()), settings.redis_key_prefix)

    def hit(self, key: str, *, limit: int, window_seconds: int, amount: int = 1) -> Usage:
        count, left_ms = self._hit(keys=[self.prefix + key], args=[amount, window_seconds * 1000])
        return Usage(int(count), amount, limit, max(1, math.ceil(int(left_ms) / 1000)))
