"""Concurrent authenticated requests against a real server (``oncegov serve`` in a process of
its own, on a free loopback port): every answer is right, none is a 500 or "database is
locked", however the requests interleave. And an unexpected error closes its connection with
``Connection: close``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oncegov.auth import service as auth
from oncegov.config import settings
from oncegov.db import make_engine
from oncegov.identity.accounts import service as accounts
from oncegov.identity.accounts import signin
from oncegov.identity.accounts.models import EidAccount
from oncegov.kit.actor import Actor
from oncegov.registry import service as registry
from oncegov.registry.models import Citizen, RegistryChange
from oncegov.registry.repository import RegistryRepository
from tests.fixtures import (
    CAO_BANG,
    COMMUNE_A,
    OfficerLogin,
    make_citizen,
    make_eid_account,
    make_officer,
)

ROOT = Path(__file__).resolve().parents[1]
NAMES = ("An", "Bình", "Cường", "Dũng", "Em", "Giang", "Hà", "Khoa")
ROUNDS = 6  # each worker's requests
WORKERS = 16
CARD_STEPS = ("checked", "sent_for_production", "produced")


@dataclass(frozen=True)
class Seeded:
    citizens: dict[str, str]  # personal ID -> full name
    births: dict[str, tuple[str, str]]  # personal ID -> (d/m/yyyy, sex)
    registry_officer: OfficerLogin
    card_officer: OfficerLogin
    bearer: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _seed(url: str) -> Seeded:
    engine = make_engine(url)
    try:
        with Session(engine) as db:
            people: list[Citizen] = [
                make_citizen(db, full_name=f"Nông Văn {name}", birth_year=1980 + i)
                for i, name in enumerate(
                    ["An", "Bình", "Cường", "Dũng", "Em", "Giang", "Hà", "Khoa"]
                )
            ]
            registry_officer = make_officer(
                db, "xa.dongthoi", ("commune_officer", "commune", COMMUNE_A)
            )
            card_officer = make_officer(
                db, "cccd.dongthoi", ("id_card_officer", "commune", COMMUNE_A)
            )
            bearer = auth.create_service_token(
                db,
                name="concurrency-test",
                permissions=["registry.read"],
                scope_kind="province",
                scope_code=CAO_BANG,
            )
            db.commit()
            return Seeded(
                citizens={c.personal_id: c.full_name for c in people},
                births={
                    c.personal_id: (f"{c.birth_day}/{c.birth_month}/{c.birth_year}", c.sex)
                    for c in people
                },
                registry_officer=registry_officer,
                card_officer=card_officer,
                bearer=bearer,
            )
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def server(cli_database: str) -> Iterator[tuple[str, Seeded]]:
    seeded = _seed(cli_database)
    port = _free_port()
    env = {
        **os.environ,
        "ONCEGOV_DATABASE_URL": cli_database,
        "ONCEGOV_LOOKUP_LIMIT_PER_MINUTE": "100000",
    }
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "oncegov.cli.main", "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_until_up(base, process)
            yield base, seeded
        finally:
            process.terminate()
            process.wait(timeout=30)
            out.seek(0)
            log = out.read().decode(errors="replace")
    # The server's own log: no request failed on its side either.
    assert "database is locked" not in log
    assert "Traceback" not in log


def _wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("the server did not start within 60 s")


def _signed_in(base: str, officer: OfficerLogin) -> tuple[httpx.Client, str]:
    """A client with the officer's session cookie (through the real login form) and its CSRF
    token."""
    import re

    client = httpx.Client(base_url=base, timeout=60, follow_redirects=True)
    page = client.get("/login")
    login_csrf = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
    assert login_csrf, page.text
    answer = client.post(
        "/login",
        data={
            "username": officer.username,
            "password": officer.password,
            "otp": officer.otp(),
            "login_csrf": login_csrf[1],
            "next": "/",
        },
    )
    assert answer.status_code == 200, answer.text  # redirected to the home page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', answer.text)
    assert csrf, answer.text
    return client, csrf[1]


def _read_by_bearer(base: str, seeded: Seeded, personal_id: str) -> Callable[[], None]:
    def read() -> None:
        answer = httpx.get(
            f"{base}/api/v1/registry/citizens/{personal_id}",
            params={"purpose": "concurrency test"},
            headers={"Authorization": f"Bearer {seeded.bearer}"},
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["full_name"] == seeded.citizens[personal_id]

    return read


def test_concurrent_reads_and_writes_all_answer_correctly(server: tuple[str, Seeded]) -> None:
    base, seeded = server
    registry, _ = _signed_in(base, seeded.registry_officer)
    cards, cards_csrf = _signed_in(base, seeded.card_officer)
    ids = sorted(seeded.citizens)

    def officer_read(personal_id: str) -> None:
        answer = registry.get(
            f"/api/v1/registry/citizens/{personal_id}", params={"purpose": "concurrency test"}
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["personal_id"] == personal_id

    def card_application(personal_id: str) -> None:
        """Intake, then every step of its pipeline in order: each answer is the next status."""
        birth, sex = seeded.births[personal_id]
        created = cards.post(
            "/api/v1/identity/cards/applications",
            json={
                "personal_id": personal_id,
                "kind": "first_issue",
                "full_name": seeded.citizens[personal_id],
                "date_of_birth": birth,
                "sex": sex,
                "portrait_captured": True,
                "fingerprints_captured": True,
                "delivery": "station",
            },
            headers={"X-CSRF-Token": cards_csrf, "Idempotency-Key": f"conc-{personal_id}"},
        )
        assert created.status_code == 201, created.text
        application = created.json()["id"]
        for step in CARD_STEPS:
            moved = cards.post(
                f"/api/v1/identity/cards/applications/{application}/steps",
                json={"to": step},
                headers={"X-CSRF-Token": cards_csrf},
            )
            assert moved.status_code == 200, moved.text
            assert moved.json()["status"] == step

    # One sequential read each first: the callers' rate-limit rows exist before the crowd
    # arrives (their creation is the rate limiter's own business, tested with it).
    _read_by_bearer(base, seeded, ids[0])()
    officer_read(ids[0])
    work: list[Callable[[], None]] = []
    for round_ in range(ROUNDS):
        for i, personal_id in enumerate(ids):
            work.append(_read_by_bearer(base, seeded, personal_id))
            work.append(lambda pid=personal_id: officer_read(pid))
            if round_ == 0 and i % 2 == 0:
                work.append(lambda pid=personal_id: card_application(pid))
    with ThreadPoolExecutor(WORKERS) as pool:
        for future in [pool.submit(job) for job in work]:
            future.result()  # re-raises the first wrong answer

    # Everything written is there: each application went through all its steps once.
    listed = cards.get("/api/v1/identity/cards/applications", params={"status": "produced"})
    assert listed.status_code == 200
    assert sorted(row["personal_id"] for row in listed.json()["rows"]) == ids[::2]
    registry.close()
    cards.close()


def test_an_unexpected_error_closes_the_connection(app: FastAPI) -> None:
    def boom() -> None:
        raise RuntimeError("an unexpected fault")

    app.add_api_route("/api/v1/boom", boom)
    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        for path in ("/api/v1/boom", "/boom"):
            answer = client.get(path)
            assert answer.status_code == 500
            assert answer.headers["connection"] == "close"
        assert "connection" not in client.get("/healthz").headers


# --- transactions of many threads at once (no server) -----------------------------------------

THREADS = 8


def _in_threads(url: str, job: Callable[[Session, int], object], count: int) -> list[object]:
    """``job(session, i)`` for ``i < count`` from THREADS threads, each in a transaction of its
    own that commits; the results in order (an exception is re-raised)."""
    engine = make_engine(url)
    together = min(THREADS, count)
    start = threading.Barrier(together)

    def one(i: int) -> object:
        if i < together:
            start.wait()  # the first ones really start together
        with Session(engine) as session:
            result = job(session, i)
            session.commit()
            return result

    try:
        with ThreadPoolExecutor(THREADS) as pool:
            return list(pool.map(one, range(count)))
    finally:
        engine.dispose()


def test_concurrent_first_claims_of_a_sequence_each_get_their_own_number(
    cli_database: str,
) -> None:
    prefix = "004326"  # no citizen holds a number of it: every claim is a fresh row or step
    numbers = _in_threads(
        cli_database,
        lambda session, _i: RegistryRepository(session).claim_sequence(prefix, start=1),
        THREADS * 4,
    )
    assert sorted(numbers) == list(range(1, THREADS * 4 + 1))  # type: ignore[type-var]


def test_concurrent_changes_of_one_citizen_are_serialised_not_lost(cli_database: str) -> None:
    """Each change reads the record (and something else first, so its snapshot is older than
    the other writers' commits), then writes the next version: none fails, none is lost."""
    engine = make_engine(cli_database)
    with Session(engine) as session:
        citizen = make_citizen(session, full_name="Nông Thị Đồng", birth_year=1970)
        personal_id = citizen.personal_id
        session.commit()
    engine.dispose()
    actor = Actor("system", "concurrency-test", "Concurrency test")

    def change(session: Session, i: int) -> int:
        session.execute(select(func.count()).select_from(Citizen)).scalar_one()
        time.sleep(0.01)  # others commit meanwhile
        out = registry.record_change(
            session,
            actor,
            personal_id,
            {"current_address": f"Tổ {i + 10}"},
            reason="concurrency test",
        )
        return out.version

    versions = _in_threads(cli_database, change, THREADS * 2)
    assert sorted(versions) == list(range(2, THREADS * 2 + 2))  # type: ignore[type-var]
    engine = make_engine(cli_database)
    with Session(engine) as session:
        history = session.scalars(
            select(RegistryChange.version).where(RegistryChange.entity_key == personal_id)
        ).all()
    engine.dispose()
    assert sorted(history) == list(range(1, THREADS * 2 + 2))


def test_concurrent_wrong_passcodes_all_count_towards_the_lockout(cli_database: str) -> None:
    engine = make_engine(cli_database)
    with Session(engine) as session:
        citizen = make_citizen(session, full_name="Nông Văn Khóa", birth_year=1975)
        account = make_eid_account(session, citizen, level=1)
        personal_id, account_id = citizen.personal_id, account.id
        session.commit()
    engine.dispose()
    tries = settings.passcode_max_failures_before_lock - 1  # all count, none is locked out yet

    def wrong(session: Session, i: int) -> None:
        with pytest.raises(accounts.LoginFailed):
            signin.check_passcode_login(
                session, personal_id=personal_id, passcode="000000", ip=f"10.0.0.{i}"
            )

    _in_threads(cli_database, wrong, tries)
    engine = make_engine(cli_database)
    with Session(engine) as session:
        assert session.get(EidAccount, account_id).failed_logins == tries  # type: ignore[union-attr]
    engine.dispose()
