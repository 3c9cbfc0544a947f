"""db.GroupCommitter: one transaction per batch of concurrent requests, answers after commit,
one bad item never sinks the others."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.orm import Session

from oncegov.db import GroupCommitter
from oncegov.errors import NotFound


def _scope(db: Session, log: list[str]):  # type: ignore[no-untyped-def]
    @contextmanager
    def scope() -> Iterator[Session]:
        log.append("begin")
        try:
            yield db
            log.append("commit")
        except BaseException:
            log.append("rollback")
            raise

    return scope


def test_concurrent_submissions_share_one_transaction(db: Session) -> None:
    log: list[str] = []
    seen: list[list[int]] = []

    def work(session: Session, items: Sequence[int]) -> list[int | Exception]:
        seen.append(list(items))
        return [int(session.execute(text("SELECT :n * 2"), {"n": i}).scalar_one()) for i in items]

    committer: GroupCommitter[int, int] = GroupCommitter(work, _scope(db, log))

    async def many() -> list[int]:
        return await asyncio.gather(*(committer.submit(i) for i in range(10)))

    assert asyncio.run(many()) == [i * 2 for i in range(10)]
    assert seen == [list(range(10))]
    assert log == ["begin", "commit"]
    assert (committer.batches, committer.items) == (1, 10)


def test_an_item_error_is_raised_in_its_own_request_only(db: Session) -> None:
    def work(session: Session, items: Sequence[int]) -> list[int | Exception]:
        return [NotFound("no such thing") if i == 3 else i for i in items]

    committer: GroupCommitter[int, int] = GroupCommitter(work, _scope(db, []))

    async def many() -> list[object]:
        return await asyncio.gather(
            *(committer.submit(i) for i in range(5)), return_exceptions=True
        )

    results = asyncio.run(many())
    assert results[:3] == [0, 1, 2] and results[4] == 4
    assert isinstance(results[3], NotFound)


def test_a_crashing_batch_is_retried_item_by_item(db: Session) -> None:
    log: list[str] = []

    def work(session: Session, items: Sequence[int]) -> list[int | Exception]:
        if 2 in items:
            raise RuntimeError("boom")
        return list(items)

    committer: GroupCommitter[int, int] = GroupCommitter(work, _scope(db, log))

    async def many() -> list[object]:
        return await asyncio.gather(
            *(committer.submit(i) for i in range(4)), return_exceptions=True
        )

    results = asyncio.run(many())
    assert results[0] == 0 and results[1] == 1 and results[3] == 3
    assert isinstance(results[2], RuntimeError)
    # the batch rolled back, then four transactions of one: three committed, one rolled back
    assert log.count("rollback") == 2 and log.count("commit") == 3


def test_batches_are_capped(db: Session) -> None:
    sizes: list[int] = []

    def work(session: Session, items: Sequence[int]) -> list[int | Exception]:
        sizes.append(len(items))
        return list(items)

    committer: GroupCommitter[int, int] = GroupCommitter(work, _scope(db, []), max_batch=4)

    async def many() -> list[int]:
        return await asyncio.gather(*(committer.submit(i) for i in range(10)))

    assert asyncio.run(many()) == list(range(10))
    assert sizes == [4, 4, 2]


def test_the_answer_comes_after_the_commit(db: Session) -> None:
    log: list[str] = []

    def work(session: Session, items: Sequence[int]) -> list[int | Exception]:
        log.append("work")
        return list(items)

    committer: GroupCommitter[int, int] = GroupCommitter(work, _scope(db, log))

    async def one() -> None:
        await committer.submit(1)
        log.append("answered")

    asyncio.run(one())
    assert log == ["begin", "work", "commit", "answered"]
