"""Fixtures of the demo tests: a database of their own, so loads (and the CLI's commits) never
meet the citizens other tests create in the run's shared database.

``demo_db`` is rolled back after each test, like the shared ``db`` fixture; ``cli_engine`` is
a fresh database per test that the CLI commands open their sessions on.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from oncegov.cli import common
from oncegov.db import make_engine
from oncegov.demo import service
from oncegov.demo.generator import Population
from oncegov.migrate import upgrade
from tests.dbsetup import drop_database, new_database_url, rolled_back_session

SMALL = 0.002  # ≈1,100 people: loads in well under a second
MEDIUM = 0.02  # ≈11,000 people: enough for the distribution checks
SEED = 4242


def _fresh_engine(label: str) -> tuple[str, Engine]:
    url = new_database_url(label)
    upgrade(url)
    return url, make_engine(url)


@pytest.fixture(scope="session")
def demo_engine(engine: Engine) -> Iterator[Engine]:
    # Depends on the run's shared ``engine`` only so that its database, created when
    # tests/conftest.py is imported, is also dropped when the demo tests run on their own.
    url, demo = _fresh_engine("demo")
    yield demo
    demo.dispose()
    drop_database(url)


@pytest.fixture
def demo_db(demo_engine: Engine) -> Iterator[Session]:
    """A session in an outer transaction rolled back after the test."""
    with rolled_back_session(demo_engine) as session:
        yield session


@pytest.fixture(scope="session")
def medium_population(demo_engine: Engine) -> Population:
    """One generated (not loaded) population shared by the read-only distribution tests."""
    with Session(demo_engine) as session:
        return service.generate_population(session, scale=MEDIUM, seed=SEED)


@pytest.fixture
def cli_engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A fresh database the CLI commands commit to (instead of the run's shared one)."""
    url, engine = _fresh_engine("demo_cli")
    monkeypatch.setattr(
        common, "get_sessionmaker", lambda: sessionmaker(bind=engine, expire_on_commit=False)
    )
    yield engine
    engine.dispose()
    drop_database(url)
