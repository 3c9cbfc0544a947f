"""The Huey instance of this process and the decorators that make a function a job.

Every job runs in its own database transaction (``run_in_transaction``, as a CLI command's
``cli.common.transaction``: the schema is checked first, commit on return, roll back on raise),
unless it is declared with ``own_transactions=True``: it then receives the session factory and
commits what it does piece by piece (the outbox drain: each message's delivery is its own
transaction, so a crash loses at most the one in flight).

Huey keeps the queue only: what must never be lost (a notification, a deadline) is a row in the
database, and the job that acts on it finds it there. A task Huey loses (a worker killed after
dequeuing it) is therefore redone by the next run of its periodic task.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from huey import Huey, MemoryHuey, RedisHuey
from huey.api import TaskWrapper
from huey.storage import SqliteStorage
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from oncegov.config import Settings, settings
from oncegov.db import get_sessionmaker
from oncegov.migrate import require_current_schema

_log = logging.getLogger(__name__)

LOCAL_REDIS = "redis://127.0.0.1:6379/0"  # when ONCEGOV_REDIS_URL is unset
HUEY_NAME = "oncegov"

T = TypeVar("T")


class _SqliteStorage(SqliteStorage):  # type: ignore[misc]  # huey has no type hints
    """Huey's SQLite store with the main database's durability: WAL with ``synchronous=NORMAL``
    (a commit survives the process being killed; the last ones before a power cut may not,
    as in the main database). Huey offers only FULL or OFF; FULL syncs the disk on every
    enqueue, which cost a submission more than its own transaction. A lost drain job is
    harmless (the outbox it drains is in the main database and its periodic run takes it up)."""

    def _create_connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection = super()._create_connection()
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection


def make_huey(config: Settings) -> Huey:
    """The queue the settings ask for (``ONCEGOV_JOBS_BACKEND``)."""
    common: dict[str, Any] = {"results": False, "utc": True}
    backend = config.jobs_backend
    if backend == "sqlite":
        path = config.jobs_sqlite_path
        path.parent.mkdir(parents=True, exist_ok=True)
        return Huey(HUEY_NAME, storage_class=_SqliteStorage, filename=str(path), **common)
    if backend == "redis":
        url = config.redis_url.get_secret_value() if config.redis_url else LOCAL_REDIS
        return RedisHuey(HUEY_NAME, url=url, **common)
    if backend == "immediate":
        return MemoryHuey(HUEY_NAME, immediate=True, **common)
    return MemoryHuey(HUEY_NAME, **common)


huey: Huey = make_huey(settings)

# Tasks by name, so code below the task's own module can ask for it to run after a commit
# without importing it (``enqueue_after_commit``).
_declared: dict[str, TaskWrapper] = {}

_sessions: sessionmaker[Session] | None = None
_schema_checked = False


def session_factory() -> sessionmaker[Session]:
    """The sessions jobs run in: the application's, unless ``use_sessions`` set others."""
    return _sessions if _sessions is not None else get_sessionmaker()


def use_sessions(factory: sessionmaker[Session] | None) -> None:
    """Run jobs on ``factory``'s sessions (tests); ``None`` goes back to the application's."""
    global _sessions, _schema_checked  # noqa: PLW0603 - the process's one setting
    _sessions = factory
    _schema_checked = False


def _check_schema(session: Session) -> None:
    global _schema_checked  # noqa: PLW0603 - checked once per process
    if not _schema_checked:
        require_current_schema(session.connection())
        _schema_checked = True


@contextmanager
def _transaction() -> Iterator[Session]:
    with session_factory()() as session:
        try:
            _check_schema(session)
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def run_in_transaction(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``function(session, *args, **kwargs)`` in a transaction of its own."""
    with _transaction() as session:
        return function(session, *args, **kwargs)


def _runner(function: Callable[..., Any], own_transactions: bool) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        if own_transactions:
            factory = session_factory()
            with factory() as session:
                _check_schema(session)
            return function(factory, *args, **kwargs)
        return run_in_transaction(function, *args, **kwargs)

    run.__name__ = function.__name__
    run.__qualname__ = function.__qualname__
    run.__module__ = function.__module__
    run.__doc__ = function.__doc__
    return run


def _name_of(function: Callable[..., Any], name: str | None) -> str:
    return name or f"{function.__module__.removeprefix('oncegov.')}.{function.__name__}"


def task(
    *,
    name: str | None = None,
    retries: int = 0,
    retry_delay: int = 0,
    own_transactions: bool = False,
) -> Callable[[Callable[..., Any]], TaskWrapper]:
    """Declare a job. The function takes the job's session first (or, with
    ``own_transactions``, the session factory), then the job's own arguments, which must be
    plain values (Huey pickles them): ids, never ORM rows. Calling the result enqueues it."""

    def declare(function: Callable[..., Any]) -> TaskWrapper:
        full_name = _name_of(function, name)
        wrapper = huey.task(retries=retries, retry_delay=retry_delay, name=full_name)(
            _runner(function, own_transactions)
        )
        _declared[full_name] = wrapper
        return wrapper

    return declare


def periodic_task(
    schedule: Callable[[Any], bool],
    *,
    name: str | None = None,
    own_transactions: bool = False,
) -> Callable[[Callable[..., Any]], TaskWrapper]:
    """Declare a job the worker runs on ``schedule`` (``jobs.crontab(...)``: Huey checks it
    once a minute). The function takes only the session (or the factory)."""

    def declare(function: Callable[..., Any]) -> TaskWrapper:
        full_name = _name_of(function, name)
        wrapper = huey.periodic_task(schedule, name=full_name)(_runner(function, own_transactions))
        _declared[full_name] = wrapper
        return wrapper

    return declare


def declared() -> dict[str, TaskWrapper]:
    """Every job declared in this process, by name."""
    return dict(_declared)


_AFTER_COMMIT = "oncegov.jobs.after_commit"


def enqueue_after_commit(session: Session, name: str) -> None:
    """Enqueue the job ``name`` (no arguments) once ``session`` commits; nothing if it rolls
    back. Several calls in one transaction enqueue it once. A job not declared in this process
    (its ``tasks`` module not imported) is left to its periodic run, as is one whose enqueueing
    fails (the queue's store unreachable): the work it does is in the database."""
    session.info.setdefault(_AFTER_COMMIT, set()).add(name)


@event.listens_for(Session, "after_commit")
def _enqueue_pending(session: Session) -> None:
    for name in sorted(session.info.pop(_AFTER_COMMIT, ())):
        wrapper = _declared.get(name)
        if wrapper is None:
            continue
        try:
            wrapper()
        except Exception:
            _log.warning("could not enqueue job %s; its periodic run will do it", name)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)
