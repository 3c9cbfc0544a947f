"""Concurrent hits on one counter, each in its own connection and transaction, as concurrent
requests of one client do: no error and an exact count (the counter row used to be created by
concurrent inserts, and all but one of them failed on PostgreSQL with a unique violation)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from oncegov.auth import service as auth
from oncegov.db import make_engine
from oncegov.ratelimit.models import Throttle

THREADS = 8
HITS_PER_THREAD = 25


@pytest.fixture
def committing_engine(cli_database: str) -> Iterator[Engine]:
    engine = make_engine(cli_database)
    yield engine
    engine.dispose()


def _hit_together(engine: Engine, key: str, hits_per_thread: int) -> list[BaseException]:
    factory = sessionmaker(bind=engine)
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def hits() -> None:
        start.wait()
        for _ in range(hits_per_thread):
            try:
                with factory.begin() as session:
                    auth.hit_rate_limit(session, key, limit=10**6)
            except BaseException as exc:  # every error is the finding
                errors.append(exc)

    threads = [threading.Thread(target=hits) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _count(engine: Engine, key: str) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(Throttle.count).where(Throttle.key == key)) or 0)


def test_first_hits_of_a_new_key_from_many_connections(committing_engine: Engine) -> None:
    errors = _hit_together(committing_engine, "test:first-hits", 1)
    assert errors == []
    assert _count(committing_engine, "test:first-hits") == THREADS


def test_many_concurrent_hits_are_counted_exactly(committing_engine: Engine) -> None:
    errors = _hit_together(committing_engine, "test:many-hits", HITS_PER_THREAD)
    assert errors == []
    assert _count(committing_engine, "test:many-hits") == THREADS * HITS_PER_THREAD


def test_concurrent_batches_share_keys_without_error(committing_engine: Engine) -> None:
    factory = sessionmaker(bind=committing_engine)
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []
    allowed: list[int] = []

    def batches() -> None:
        start.wait()
        try:
            with factory.begin() as session:
                taken = auth.take_hits(session, {"test:batch-b": 3, "test:batch-a": 2}, limit=30)
                allowed.append(taken["test:batch-a"])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=batches) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _count(committing_engine, "test:batch-a") == 2 * THREADS
    assert _count(committing_engine, "test:batch-b") == 3 * THREADS
    assert sum(allowed) == 2 * THREADS  # 16 of a budget of 30: all allowed
