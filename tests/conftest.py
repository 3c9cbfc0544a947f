"""Fixtures: a migrated database per run, a transaction rolled back per test, an app client."""

from __future__ import annotations

import os
from collections.abc import Iterator

# Settings are read at import; point them at the run's database before oncegov is imported.
from tests.dbsetup import drop_database, new_database_url, rolled_back_session

TEST_DATABASE_URL = new_database_url("main")
os.environ["ONCEGOV_DATABASE_URL"] = TEST_DATABASE_URL
os.environ.setdefault("ONCEGOV_SECRET_KEY", "test-secret-key-0123456789abcdef")
# Jobs are enqueued in memory and nothing consumes them unless a test runs them.
os.environ.setdefault("ONCEGOV_JOBS_BACKEND", "memory")

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from oncegov import db as oncegov_db
from oncegov.app import create_app
from oncegov.db import get_db, get_engine, make_engine
from oncegov.migrate import upgrade

pytest_plugins = ["tests.fixtures"]


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    upgrade(TEST_DATABASE_URL)
    engine = get_engine()
    yield engine
    engine.dispose()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # The database was created at import; drop it even when no test used the engine fixture.
    get_engine().dispose()
    drop_database(TEST_DATABASE_URL)


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session inside an outer transaction rolled back after the test; commits made by the
    code under test become SAVEPOINT releases."""
    with rolled_back_session(engine) as session:
        yield session


@pytest.fixture
def app(db: Session) -> Iterator[object]:
    application = create_app()

    def test_db() -> Iterator[Session]:
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise

    application.dependency_overrides[get_db] = test_db
    yield application


@pytest.fixture
def client(app: object) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as test_client:  # type: ignore[arg-type]
        yield test_client


@pytest.fixture(scope="module")
def cli_database() -> Iterator[str]:
    """A migrated database of its own for one test module that drives the CLI, whose
    commands commit (the rolled-back session cannot hold them)."""
    url = new_database_url("cli")
    upgrade(url)
    yield url
    drop_database(url)


@pytest.fixture
def cli_sessions(
    cli_database: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[sessionmaker[Session]]:
    """The CLI's sessions, pointed at ``cli_database``."""
    engine = make_engine(cli_database)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    monkeypatch.setattr(oncegov_db, "get_sessionmaker", lambda: factory)
    monkeypatch.setattr("oncegov.cli.common.get_sessionmaker", lambda: factory)
    yield factory
    engine.dispose()
