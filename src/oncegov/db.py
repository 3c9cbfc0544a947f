"""Database engines and the request-owned transaction.

SQLite (the embedded default) runs in WAL mode with foreign keys on. pysqlite's own transaction
handling is switched off and SQLAlchemy emits BEGIN itself, so SAVEPOINTs work (the tests roll
every test back with one). PostgreSQL goes through psycopg 3.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, MappedAsDataclass, Session, sessionmaker

from oncegov.config import settings


class Base(DeclarativeBase):
    """Declarative base for every domain's models."""


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see module doc)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front: almost every request writes (reads of
        # citizens are audited), and a deferred transaction that reads first and writes later
        # fails outright (SQLITE_BUSY_SNAPSHOT) when another writer committed in between.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    url = url or settings.database_url
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    return make_engine()


@lru_cache(maxsize=1)
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def get_db() -> Iterator[Session]:
    """Per-request session: commits when the route returns, rolls back when it raises."""
    with get_sessionmaker()() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# scope="function": commit happens before the response is sent, so a client never sees
# success for a write that then failed to commit.
DbSession = Annotated[Session, Depends(get_db, scope="function")]

__all__ = ["Base", "DbSession", "MappedAsDataclass", "get_db", "get_engine", "make_engine"]
