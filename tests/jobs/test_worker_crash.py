"""THE crash test: a real ``oncegov worker`` killed with SIGKILL in the middle of delivering a
backlog, then started again. Every message is delivered exactly once (counted by key in the
local gateways' tables) and every outbox row ends sent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from oncegov import jobs
from oncegov.db import make_engine
from oncegov.integrations.models import EmailOutboxMessage, OutboxMessage, SmsOutboxMessage
from oncegov.integrations.outbox import queue_message
from oncegov.migrate import upgrade
from tests.dbsetup import drop_database, new_database_url

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 300
KILL_AFTER = 60  # sent messages before the SIGKILL


@pytest.fixture
def database() -> Iterator[Engine]:
    url = new_database_url("crash")
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()
    drop_database(url)


def _start(url: str, tmp_path: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ONCEGOV_DATABASE_URL": url,
        "ONCEGOV_JOBS_BACKEND": "sqlite",
        "ONCEGOV_JOBS_SQLITE_PATH": str(tmp_path / "jobs.db"),
        "ONCEGOV_SMS_LOCAL_DELAY_MS": "10",
        "ONCEGOV_EMAIL_LOCAL_DELAY_MS": "10",
        "ONCEGOV_OUTBOX_BATCH_SIZE": "20",
        "ONCEGOV_OUTBOX_LEASE_SECONDS": "2",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            # ``oncegov worker``'s own module: the same command, without importing every other
            # command's domains first (seconds of start-up on a loaded machine).
            [sys.executable, "-m", "oncegov.cli.worker", "--workers", "2"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _sent(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).where(OutboxMessage.status == "sent")) or 0)


def _wait_for(
    sessions: sessionmaker[Session],
    count: int,
    process: subprocess.Popen[bytes],
    log: Path,
    seconds: float,
) -> None:
    deadline = time.monotonic() + seconds
    while _sent(sessions) < count:
        if process.poll() is not None:
            raise AssertionError(f"the worker exited: {log.read_text(errors='replace')}")
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{_sent(sessions)} of {count} sent in {seconds} s: "
                f"{log.read_text(errors='replace')[-3000:]}"
            )
        time.sleep(0.05)


def _per_key(
    session: Session, model: type[SmsOutboxMessage] | type[EmailOutboxMessage]
) -> dict[str, int]:
    rows = session.execute(
        select(model.idempotency_key, func.count())
        .where(model.idempotency_key.is_not(None))
        .group_by(model.idempotency_key)
    ).all()
    return {str(key): int(count) for key, count in rows}


@pytest.mark.real_monotonic
def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(
    database: Engine, tmp_path: Path
) -> None:
    sessions = sessionmaker(bind=database, expire_on_commit=False)
    keys = {"sms": set(), "email": set()}
    with sessions() as session:
        for n in range(MESSAGES):
            channel = "sms" if n % 2 == 0 else "email"
            key = f"dossier:{n}:event:1:{channel}"
            keys[channel].add(key)
            queue_message(
                session,
                channel=channel,  # type: ignore[arg-type]
                recipient=f"09123{n:05d}" if channel == "sms" else f"citizen{n}@example.vn",
                subject=None if channel == "sms" else "Hồ sơ đã được tiếp nhận",
                body=f"Hồ sơ {n} đã được tiếp nhận",
                key=key,
            )
        session.commit()
    jobs.huey.flush()  # this process's own (memory) queue: not the worker's
    url = database.url.render_as_string(hide_password=False)
    log = tmp_path / "worker.log"

    first = _start(url, tmp_path, log)
    try:
        _wait_for(sessions, KILL_AFTER, first, log, seconds=20)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    sent_at_kill = _sent(sessions)
    assert sent_at_kill < MESSAGES, "killed too late to be mid-batch"

    second = _start(url, tmp_path, log)
    try:
        _wait_for(sessions, MESSAGES, second, log, seconds=25)
    finally:
        second.terminate()
        try:
            second.wait(timeout=10)
        except subprocess.TimeoutExpired:
            second.kill()
            second.wait()

    with sessions() as session:
        statuses = session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
        assert dict(statuses) == {"sent": MESSAGES}
        sms, email = _per_key(session, SmsOutboxMessage), _per_key(session, EmailOutboxMessage)
        assert set(sms) == keys["sms"] and set(email) == keys["email"]
        assert set(sms.values()) == {1} and set(email.values()) == {1}
        # The killed worker held claimed messages it never finished: they were sent again
        # (a second attempt) by the restarted worker.
        resent = session.scalar(select(func.count()).where(OutboxMessage.attempts > 1))
        assert resent and resent >= 1
    assert "Traceback" not in log.read_text(errors="replace")
