"""A database that does not answer: every request gets 503 with Retry-After (JSON under /api,
a translated page otherwise), never a 500; /healthz stays 200 and /readyz says 503; the group
committer fails the batch at once. The outage here is real: the app's engine points at a
database that cannot be reached (a closed PostgreSQL port; a SQLite file in a directory that
does not exist). tests/test_outage_live.py stops a real server under load."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from oncegov import db as oncegov_db
from oncegov.app import create_app
from oncegov.db import GroupCommitter, is_outage, make_engine
from oncegov.errors import DatabaseUnavailable
from tests.dbsetup import SERVER_URL, drop_database, new_database_url

API_READ = "/api/v1/registry/citizens?q=Nguyen&purpose=test"


def _unreachable_engine(tmp_path: Path) -> Engine:
    if SERVER_URL:
        # Port 1 on loopback: connection refused at once, as with a stopped server.
        return make_engine("postgresql+psycopg://postgres@127.0.0.1:1/oncegov")
    return create_engine(f"sqlite:///{tmp_path / 'no-such-directory' / 'oncegov.db'}")


def _client_on(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    monkeypatch.setattr(oncegov_db, "get_sessionmaker", lambda: factory)
    monkeypatch.setattr(oncegov_db, "get_engine", lambda: engine)
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        yield client
    engine.dispose()


@pytest.fixture
def down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The app with its database unreachable."""
    yield from _client_on(_unreachable_engine(tmp_path), monkeypatch)


def test_api_requests_answer_503_with_retry_after(down: TestClient) -> None:
    for method, path in (("GET", API_READ), ("PATCH", "/api/v1/registry/citizens/1")):
        answer = down.request(
            method, path, headers={"Authorization": "Bearer og_x"}, json={"reason": "x"}
        )
        assert answer.status_code == 503, (path, answer.text)
        assert answer.headers["retry-after"] == "5"
        error = answer.json()["error"]
        assert error["code"] == "service_unavailable"
        assert error["message"] == "Dịch vụ tạm thời gián đoạn. Vui lòng thử lại sau vài giây."
    english = down.get(API_READ + "&lang=en", headers={"Authorization": "Bearer og_x"})
    assert english.status_code == 503
    assert english.json()["error"]["message"].startswith("The service is briefly unavailable")


def test_pages_answer_a_translated_503_page(down: TestClient) -> None:
    down.cookies.set("oncegov_session", "some-session")
    page = down.get("/")
    assert page.status_code == 503
    assert page.headers["retry-after"] == "5"
    assert "text/html" in page.headers["content-type"]
    assert "Dịch vụ tạm thời gián đoạn" in page.text  # Vietnamese, the default language
    english = down.get("/?lang=en")
    assert english.status_code == 503
    assert "The service is briefly unavailable" in english.text


def test_liveness_stays_up_and_readiness_says_no(down: TestClient) -> None:
    assert down.get("/healthz").status_code == 200
    ready = down.get("/readyz")
    assert ready.status_code == 503
    assert ready.headers["retry-after"] == "5"
    assert ready.json() == {"status": "database unavailable"}


def test_readiness_answers_200_when_the_database_does(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The run's migrated database (the `engine` fixture migrates it).
    monkeypatch.setattr(oncegov_db, "get_engine", lambda: engine)
    with TestClient(create_app()) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


def test_a_database_bug_is_still_a_500_not_an_outage(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only unavailability is a 503: a missing table (an unmigrated database) is a fault to
    fix, answered as the internal error it is (``oncegov serve`` refuses to start on one)."""
    url = new_database_url("unmigrated")
    try:
        clients = _client_on(make_engine(url), monkeypatch)
        client = next(clients)
        answer = client.get(API_READ, headers={"Authorization": "Bearer og_x"})
        assert answer.status_code == 500
        assert answer.json()["error"]["code"] == "internal_error"
        assert client.get("/readyz").status_code == 503  # not migrated: not ready either
        clients.close()
    finally:
        drop_database(url)


def test_the_group_committer_fails_a_batch_at_once_on_an_outage(tmp_path: Path) -> None:
    """No item is retried alone when the database is down (each would fail again, slowly);
    every request gets the outage error, which the handler turns into a 503."""
    engine = _unreachable_engine(tmp_path)
    factory = sessionmaker(bind=engine)
    attempts: list[int] = []

    @contextmanager
    def scope() -> Iterator[Session]:
        attempts.append(1)
        with factory() as session:
            yield session
            session.commit()

    def work(session: Session, items: Sequence[int]) -> list[int | Exception]:
        session.connection()  # the first use of the database fails
        return list(items)

    committer: GroupCommitter[int, int] = GroupCommitter(work, scope)

    async def many() -> list[object]:
        submissions = (committer.submit(i) for i in range(4))
        return await asyncio.gather(*submissions, return_exceptions=True)

    outcomes = asyncio.run(many())
    assert len(attempts) == 1
    assert all(isinstance(o, Exception) and is_outage(o) for o in outcomes)
    engine.dispose()


def test_outage_errors_are_domain_errors_with_status_503() -> None:
    assert DatabaseUnavailable("x").status == 503
    assert not is_outage(ValueError("not a database error"))
