"""Durability of submission: 1,000 concurrent idempotent submissions through the portal API,
the server killed with SIGKILL mid-way and started again, the clients retrying every
submission they have no answer for with the same Idempotency-Key. Afterwards: exactly one
dossier per key, every answer for a key naming the same dossier, and each dossier's
notifications queued exactly once — and, delivered by the outbox worker, texted exactly once.

The server is uvicorn in a subprocess on a database of its own (a file for SQLite), as
deployed; the kill lands while dozens of submissions are in flight.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from oncegov.db import make_engine
from oncegov.integrations import outbox
from oncegov.integrations.models import OutboxMessage, SmsOutboxMessage
from oncegov.migrate import upgrade
from oncegov.procedures.dossiers.models import Dossier
from tests.dbsetup import drop_database, new_database_url
from tests.fixtures import make_citizen, portal_access_token
from tests.procedures.dossier_helpers import TEMPORARY_RESIDENCE, TYPED, load
from tests.procedures.portal_live import base_url, free_port, start_server

SUBMISSIONS = 1_000
CITIZENS = 50
CLIENTS = 32  # submissions in flight at once
KILL_AFTER = 300  # answers received before the server is killed
VALUES = json.dumps(TYPED)


@dataclass
class Outcome:
    """What the clients saw: every answer per key, and how many calls failed outright."""

    answers: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    connection_failures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answered(self) -> int:
        with self.lock:
            return sum(len(v) for v in self.answers.values())


def _seed(url: str) -> list[str]:
    engine = make_engine(url)
    with Session(engine) as db:
        load(db)
        tokens = [
            portal_access_token(db, make_citizen(db, phone=f"09120{n:05d}"))
            for n in range(CITIZENS)
        ]
        db.commit()
    engine.dispose()
    return tokens


def _start(url: str, port: int, files: Path, log: IO[bytes]) -> subprocess.Popen[bytes]:
    return start_server(url, port, log, env={"ONCEGOV_FILE_STORE_DIR": str(files)})


@pytest.fixture
def database() -> Iterator[str]:
    url = new_database_url("crash")
    upgrade(url)
    try:
        yield url
    finally:
        drop_database(url)


def _submit_until_answered(
    base: str, token: str, key: str, outcome: Outcome, stop: threading.Event
) -> None:
    """One citizen's app: submit, and on no answer (the server is gone) submit again with the
    same key, until an answer comes."""
    data = {"procedure": TEMPORARY_RESIDENCE, "values": VALUES}
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    with httpx.Client(base_url=base, timeout=30) as client:
        while not stop.is_set():
            try:
                response = client.post("/api/v1/portal/dossiers", data=data, headers=headers)
            except httpx.TransportError:
                with outcome.lock:
                    outcome.connection_failures += 1
                time.sleep(0.2)
                continue
            if response.status_code == 503:  # the database briefly unavailable: retry
                time.sleep(0.2)
                continue
            code = response.json().get("code", "") if response.status_code < 300 else response.text
            with outcome.lock:
                outcome.answers.setdefault(key, []).append((response.status_code, code))
            return


# Timed waits on threads (future results, polling): hour-independent, so left out of the
# libfaketime runs (see the marker).
@pytest.mark.real_monotonic
def test_a_killed_server_loses_and_doubles_no_submission(database: str, tmp_path: Path) -> None:
    tokens = _seed(database)
    port = free_port()
    base = base_url(port)
    log = (tmp_path / "server.log").open("wb")
    server = _start(database, port, tmp_path, log)
    outcome = Outcome()
    stop = threading.Event()
    keys = [f"crash-test-{n:04d}" for n in range(SUBMISSIONS)]
    try:
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            futures = [
                pool.submit(_submit_until_answered, base, tokens[n % CITIZENS], key, outcome, stop)
                for n, key in enumerate(keys)
            ]
            deadline = time.monotonic() + 300
            while outcome.answered() < KILL_AFTER and time.monotonic() < deadline:
                time.sleep(0.01)
            server.send_signal(signal.SIGKILL)
            server.wait(timeout=30)
            answered_before_restart = outcome.answered()
            server = _start(database, port, tmp_path, log)
            for future in futures:
                future.result(timeout=600)
    finally:
        stop.set()
        server.kill()
        server.wait(timeout=30)
        log.close()

    assert KILL_AFTER <= answered_before_restart < SUBMISSIONS  # killed mid-way
    assert outcome.connection_failures > 0  # some calls were cut off by the kill
    assert sorted(outcome.answers) == keys
    for key, answers in outcome.answers.items():
        assert len(answers) == 1, (key, answers)
        status, code = answers[0]
        assert status in (200, 201), (key, status, code)

    engine = make_engine(database)
    try:
        with Session(engine) as db:
            dossiers = db.execute(select(Dossier.idempotency_key, Dossier.code, Dossier.id)).all()
            assert len(dossiers) == SUBMISSIONS
            assert {k: c for k, c, _ in dossiers} == {
                k: a[0][1] for k, a in outcome.answers.items()
            }
            queued = Counter(
                db.scalars(select(OutboxMessage.key).where(OutboxMessage.key.like("dossier:%")))
            )
            # One text per dossier's receipt (the citizens have a phone and no e-mail address).
            assert set(queued) == {f"dossier:{i}:event:1:sms" for _, _, i in dossiers}
            assert set(queued.values()) == {1}
        factory = sessionmaker(bind=engine, expire_on_commit=False)
        delivered = 0
        while (report := outbox.deliver_pending(factory, batch=500)).claimed:
            delivered += report.sent
        assert delivered == SUBMISSIONS
        with Session(engine) as db:
            texts = db.scalar(select(func.count()).select_from(SmsOutboxMessage))
            assert texts == SUBMISSIONS
    finally:
        engine.dispose()
