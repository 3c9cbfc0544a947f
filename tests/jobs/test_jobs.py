"""The queue from settings, jobs in their own transactions, enqueueing after a commit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from huey import MemoryHuey, RedisHuey
from huey.storage import SqliteStorage
from pydantic import SecretStr
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from oncegov import jobs
from oncegov.config import Settings
from oncegov.db import make_engine
from oncegov.integrations.models import OutboxMessage, SmsOutboxMessage
from oncegov.integrations.outbox import DRAIN_TASK, queue_message
from oncegov.integrations.sms import LocalSmsGateway
from oncegov.integrations.tasks import drain_outbox
from oncegov.migrate import SchemaNotReady


def test_the_default_queue_is_a_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "var" / "jobs.db"
    queue = jobs.make_huey(Settings(jobs_backend="sqlite", jobs_sqlite_path=path))
    assert isinstance(queue.storage, SqliteStorage) and not queue.immediate
    assert path.exists()
    # WAL with synchronous=NORMAL (1), as the main database: no disk sync per enqueue.
    assert queue.storage.conn.execute("PRAGMA synchronous").fetchone() == (1,)
    assert queue.storage.conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_production_queues_are_on_redis_at_the_configured_url() -> None:
    url = "redis://queue.internal:6380/2"
    queue = jobs.make_huey(Settings(jobs_backend="redis", redis_url=SecretStr(url)))
    assert isinstance(queue, RedisHuey)
    kwargs = queue.storage.pool.connection_kwargs
    assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("queue.internal", 6380, 2)


def test_memory_and_immediate_queues_for_tests() -> None:
    assert not jobs.make_huey(Settings(jobs_backend="memory")).immediate
    immediate = jobs.make_huey(Settings(jobs_backend="immediate"))
    assert isinstance(immediate, MemoryHuey) and immediate.immediate


@jobs.task(name="tests.send_code")
def send_code(session: Session, key: str, fail: bool) -> int:
    LocalSmsGateway(session).send("0912345678", "code", purpose="test", key=key)
    if fail:
        raise RuntimeError("the job failed after writing")
    return 7


@pytest.fixture
def sessions(cli_sessions: sessionmaker[Session]) -> Iterator[sessionmaker[Session]]:
    with cli_sessions() as session:
        session.execute(delete(SmsOutboxMessage))
        session.execute(delete(OutboxMessage))
        session.commit()
    jobs.use_sessions(cli_sessions)
    jobs.huey.flush()
    yield cli_sessions
    jobs.use_sessions(None)
    jobs.huey.flush()


def _texts(sessions: sessionmaker[Session], key: str) -> int:
    with sessions() as session:
        return int(
            session.scalar(select(func.count()).where(SmsOutboxMessage.idempotency_key == key)) or 0
        )


def test_a_job_commits_when_it_returns_and_rolls_back_when_it_raises(
    sessions: sessionmaker[Session],
) -> None:
    assert send_code.call_local("k:job:ok", False) == 7
    with pytest.raises(RuntimeError):
        send_code.call_local("k:job:fails", True)
    assert _texts(sessions, "k:job:ok") == 1
    assert _texts(sessions, "k:job:fails") == 0


def test_calling_a_job_enqueues_it_and_the_consumer_runs_it(
    sessions: sessionmaker[Session],
) -> None:
    send_code("k:job:queued", False)
    assert _texts(sessions, "k:job:queued") == 0  # only queued
    (message,) = jobs.huey.pending()
    assert message.name == "tests.send_code"
    jobs.huey.execute(jobs.huey.dequeue())
    assert _texts(sessions, "k:job:queued") == 1


def test_an_immediate_queue_runs_jobs_at_once(sessions: sessionmaker[Session]) -> None:
    jobs.huey.immediate = True
    try:
        send_code("k:job:immediate", False)
        assert jobs.huey.pending_count() == 0
    finally:
        jobs.huey.immediate = False
    assert _texts(sessions, "k:job:immediate") == 1


def test_a_job_refuses_to_run_on_a_database_without_the_schema(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    jobs.use_sessions(sessionmaker(bind=engine))
    try:
        with pytest.raises(SchemaNotReady):
            send_code.call_local("k:job:no-schema", False)
    finally:
        jobs.use_sessions(None)
        engine.dispose()


def test_the_jobs_are_declared_by_name() -> None:
    declared = jobs.queue.declared()
    assert declared[DRAIN_TASK] is drain_outbox
    assert declared["tests.send_code"] is send_code


def test_a_drain_is_scheduled_for_a_claim_that_runs_out_soon(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    from oncegov.config import settings
    from oncegov.integrations import outbox

    with sessions() as session:
        queue_message(
            session, channel="sms", recipient="0912345678", subject=None, body="b", key="k:x"
        )
        session.commit()
    jobs.huey.flush()
    monkeypatch.setattr(settings, "outbox_lease_seconds", 5)
    # A worker claims the message and dies: the claim runs out in 5 s.
    monkeypatch.setattr(outbox, "_deliver_one", lambda *_: "killed")
    report = drain_outbox.call_local()
    assert report.claimed == 1
    (scheduled,) = jobs.huey.pending()  # the consumer holds it back until its moment
    assert scheduled.name == DRAIN_TASK and scheduled.eta is not None


def test_oncegov_worker_is_a_command_and_refuses_an_in_process_queue() -> None:
    from typer.testing import CliRunner

    from oncegov.cli.main import app

    runner = CliRunner()
    assert "--workers" in runner.invoke(app, ["worker", "--help"]).output
    refused = runner.invoke(app, ["worker"])  # the tests' queue is in memory
    assert refused.exit_code == 1
    assert "ONCEGOV_JOBS_BACKEND=memory" in refused.output
