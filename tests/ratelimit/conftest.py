"""Both rate-limit backends behind one fixture, so one suite tests both. The Redis one uses a
key prefix of its own per test run (and removes its keys), so parallel runs never collide."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis
from pydantic import SecretStr
from sqlalchemy.orm import Session

from oncegov.config import settings
from oncegov.ratelimit import RateLimiter
from oncegov.ratelimit.database import DatabaseRateLimiter
from oncegov.ratelimit.redis_backend import RedisRateLimiter

# Database 15 and a prefix per run: never the keys of a development server or of another run.
REDIS_URL = os.environ.get("ONCEGOV_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
BACKENDS = ["database", "redis"]


@pytest.fixture(scope="session")
def redis_prefix() -> Iterator[str]:
    prefix = f"oncegov-test:{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)
    client.close()


@pytest.fixture(params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> str:
    """Selects the backend through the settings, as a deployment does."""
    monkeypatch.setattr(settings, "rate_limit_backend", request.param)
    monkeypatch.setattr(settings, "redis_url", SecretStr(REDIS_URL))
    monkeypatch.setattr(settings, "redis_key_prefix", f"{redis_prefix}{uuid.uuid4().hex[:8]}:")
    return str(request.param)


@pytest.fixture
def limiter(backend: str, db: Session) -> RateLimiter:
    if backend == "redis":
        return RedisRateLimiter.from_settings()
    return DatabaseRateLimiter(db)


@pytest.fixture
def redis_limiter(redis_prefix: str) -> RedisRateLimiter:
    client = redis.Redis.from_url(REDIS_URL)
    return RedisRateLimiter(client, f"{redis_prefix}{uuid.uuid4().hex[:8]}:")
