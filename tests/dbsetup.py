"""Test databases: a freshly migrated database per test run, on SQLite or PostgreSQL.

``ONCEGOV_TEST_DATABASE_URL`` (a PostgreSQL server URL) selects PostgreSQL: each run creates its
own database on that server and drops it afterwards. Otherwise a temporary SQLite file is used.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

SERVER_URL = os.environ.get("ONCEGOV_TEST_DATABASE_URL")


def new_database_url(label: str) -> str:
    if SERVER_URL:
        name = f"oncegov_test_{label}_{uuid.uuid4().hex[:8]}"
        admin = create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
    directory = Path(tempfile.mkdtemp(prefix="oncegov-test-"))
    return f"sqlite:///{directory / f'{label}.db'}"


def drop_database(url: str) -> None:
    if not url.startswith("postgresql") or not SERVER_URL:
        return
    name = make_url(url).database
    admin = create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def rolled_back_session(engine: Engine) -> Iterator[Session]:
    """A session inside an outer transaction rolled back at the end; commits made by the code
    under test become SAVEPOINT releases."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()
