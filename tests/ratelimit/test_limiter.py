"""The RateLimiter contract, run against both backends (database and Redis)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import redis
from sqlalchemy.orm import Session

from oncegov.kit import clock
from oncegov.ratelimit import RateLimiter, rate_limiter
from oncegov.ratelimit.database import DatabaseRateLimiter
from oncegov.ratelimit.redis_backend import RateLimiterUnavailable, RedisRateLimiter
from tests.procedures.portal_live import free_port
from tests.ratelimit.conftest import REDIS_URL


def test_the_settings_choose_the_backend(backend: str, db: Session) -> None:
    expected = RedisRateLimiter if backend == "redis" else DatabaseRateLimiter
    assert isinstance(rate_limiter(db), expected)


def test_hits_up_to_the_limit_pass_and_the_next_is_refused(limiter: RateLimiter) -> None:
    usages = [limiter.hit("t:limit", limit=3, window_seconds=60) for _ in range(4)]
    assert [u.count for u in usages] == [1, 2, 3, 4]
    assert [u.exceeded for u in usages] == [False, False, False, True]
    assert all(1 <= u.reset_after <= 60 for u in usages)


def test_keys_are_counted_apart(limiter: RateLimiter) -> None:
    limiter.hit("t:one", limit=1, window_seconds=60)
    assert not limiter.hit("t:two", limit=1, window_seconds=60).exceeded
    assert limiter.hit("t:one", limit=1, window_seconds=60).exceeded


def test_a_batch_gets_what_fits_under_the_limit(limiter: RateLimiter) -> None:
    allowed = [limiter.hit("t:batch", limit=5, window_seconds=60, amount=3).allowed for _ in "abc"]
    assert allowed == [3, 2, 0]


def test_a_peek_counts_nothing_and_sees_a_used_up_budget(limiter: RateLimiter) -> None:
    assert not limiter.hit("t:peek", limit=2, window_seconds=60, amount=0).exceeded
    limiter.hit("t:peek", limit=2, window_seconds=60)
    assert not limiter.hit("t:peek", limit=2, window_seconds=60, amount=0).exceeded
    limiter.hit("t:peek", limit=2, window_seconds=60)
    peek = limiter.hit("t:peek", limit=2, window_seconds=60, amount=0)
    assert (peek.count, peek.exceeded) == (2, True)


def test_the_window_length_bounds_the_wait(limiter: RateLimiter) -> None:
    usage = limiter.hit("t:hour", limit=1, window_seconds=3600)
    assert 3590 <= usage.reset_after <= 3600


# --- what each backend does with concurrency and time (the database backend's concurrency
# needs connections of their own that commit: test_concurrency.py) ----------------------------


def test_redis_counts_concurrent_hits_from_threads_exactly(redis_limiter: RedisRateLimiter) -> None:
    threads, hits = 8, 50
    start = threading.Barrier(threads)
    limiter = redis_limiter
    errors: list[BaseException] = []

    def work() -> None:
        start.wait()
        for _ in range(hits):
            try:
                limiter.hit("t:threads", limit=10**6, window_seconds=60)
            except BaseException as exc:  # every error is the finding
                errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert limiter.hit("t:threads", limit=10**6, window_seconds=60, amount=0).count == 400


def test_database_window_starts_again_after_its_length(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    limiter = DatabaseRateLimiter(db)
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start)
    assert limiter.hit("t:again", limit=1, window_seconds=60).count == 1
    assert limiter.hit("t:again", limit=1, window_seconds=60).exceeded
    monkeypatch.setattr(clock, "now", lambda: start + dt.timedelta(seconds=59))
    assert limiter.hit("t:again", limit=1, window_seconds=60).reset_after == 1
    monkeypatch.setattr(clock, "now", lambda: start + dt.timedelta(seconds=60))
    peek = limiter.hit("t:again", limit=1, window_seconds=60, amount=0)
    assert (peek.count, peek.exceeded) == (0, False)  # the ended window no longer counts
    fresh = limiter.hit("t:again", limit=1, window_seconds=60)
    assert (fresh.count, fresh.exceeded, fresh.reset_after) == (1, False, 60)


def test_redis_counter_expires_with_its_window(redis_limiter: RedisRateLimiter) -> None:
    redis_limiter.hit("t:ttl", limit=1, window_seconds=60)
    client = redis.Redis.from_url(REDIS_URL)
    left = client.pttl(f"{redis_limiter.prefix}t:ttl")
    assert 0 < int(left) <= 60_000


def test_an_unreachable_redis_refuses_with_503_and_retry_after() -> None:
    port = free_port()  # nothing listens there
    limiter = RedisRateLimiter(redis.Redis(port=port, socket_connect_timeout=1), "t:")
    with pytest.raises(RateLimiterUnavailable) as refused:
        limiter.hit("t:down", limit=1, window_seconds=60)
    assert refused.value.status == 503
    assert refused.value.headers == {"Retry-After": "5"}
