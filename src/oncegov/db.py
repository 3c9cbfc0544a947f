"""Database engines and the request-owned transaction.

SQLite (the embedded default) runs in WAL mode with foreign keys on. pysqlite's own transaction
handling is switched off and SQLAlchemy emits BEGIN itself, so SAVEPOINTs work (the tests roll
every test back with one). PostgreSQL goes through psycopg 3.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Generic, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, FastAPI
from sqlalchemy import Dialect, Engine, Table, create_engine, event, inspect, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, MappedAsDataclass, Session, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from oncegov import column_lengths  # noqa: F401 - registers the length check of every flush
from oncegov.config import settings
from oncegov.errors import is_outage


class Base(DeclarativeBase):
    """Declarative base for every domain's models."""


def _configure_sqlite(engine: Engine, gate: _WriteGate) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see module doc)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout_ms)}")
        if _checkpoints.running:
            # The background checkpointer copies the WAL back; commits never stop to do it.
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    writes = _SqliteWrites(gate)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Deferred: a transaction reads from its WAL snapshot without any lock; its first
        # write (or SAVEPOINT, or SELECT … FOR UPDATE) takes the write gate (_SqliteWrites).
        conn.connection.info[_TRANSACTION] = _Transaction(writes, gate.generation)
        conn.exec_driver_sql("BEGIN")

    event.listen(engine, "do_execute", writes.do_execute)
    event.listen(engine, "do_executemany", writes.do_executemany)
    event.listen(engine, "do_execute_no_params", writes.do_execute_no_params)
    # The gate is given back when the transaction ends, however it ends.
    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(connection: Any) -> None:
        try:
            commit(connection)
        finally:
            writes.finished(_info_of(connection), committed=True)

    def do_rollback(connection: Any) -> None:
        try:
            rollback(connection)
        finally:
            writes.finished(_info_of(connection), committed=False)

    dialect.do_commit = do_commit  # type: ignore[method-assign,assignment]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign,assignment]

    @event.listens_for(engine, "invalidate")
    def _on_invalidate(_dbapi: Any, record: Any, _exc: Any) -> None:
        writes.finished(record.info, committed=False)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi: Any, record: Any) -> None:
        writes.finished(record.info, committed=False)


_TRANSACTION = "oncegov_sqlite_transaction"
_SQLITE_BUSY_SNAPSHOT = 517  # SQLITE_BUSY | (2 << 8)
# Statements that write, or that must see the latest data (FOR UPDATE is detected separately:
# SQLite's compiler leaves it out of the text).
_WRITE_STATEMENT = re.compile(
    r"\s*(INSERT|UPDATE|DELETE|REPLACE|SAVEPOINT|CREATE|DROP|ALTER|WITH)\b", re.IGNORECASE
)


class _WriteGate:
    """One writing transaction at a time per SQLite database and process.

    SQLite itself allows one writer; a second one waits in SQLite's busy handler, which polls
    with sleeps of up to 100 ms. Waiting here instead hands the write lock over the moment it
    is released. ``generation`` counts the commits of writing transactions in this process.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.generation = 0
        self.holder: object | None = None

    def acquire(self, holder: object) -> None:
        if not self._lock.acquire(timeout=settings.sqlite_busy_timeout_ms / 1000):
            # What SQLite itself raises past its busy timeout, so it is told apart from a bug
            # the same way (errors.is_outage: 503 with Retry-After, not 500).
            busy = sqlite3.OperationalError("database is locked")
            busy.sqlite_errorcode = 5  # SQLITE_BUSY
            busy.sqlite_errorname = "SQLITE_BUSY"
            raise busy
        self.holder = holder

    def release(self, holder: object, *, committed: bool) -> None:
        if self.holder is not holder:
            return
        if committed:
            self.generation += 1
        self.holder = None
        self._lock.release()


@dataclass(slots=True)
class _Transaction:
    writes: _SqliteWrites
    generation: int  # the gate's generation when the transaction began
    writing: bool = False


class _SqliteWrites:
    """Short write transactions on SQLite without SQLITE_BUSY_SNAPSHOT.

    A transaction begins deferred, so its reads never wait for a writer nor hold one up. Its
    first statement that writes takes the process's write gate, then the write lock:

    * if no writer committed since the transaction began, its snapshot is still the newest and
      SQLite upgrades it in place;
    * otherwise the write would fail outright with SQLITE_BUSY_SNAPSHOT (a snapshot older than
      the database cannot write), so the read-only transaction is rolled back and begun again
      with ``BEGIN IMMEDIATE`` before the statement runs. Nothing was written yet, so nothing
      is lost: what the transaction read before then may be older than what it writes, the
      same guarantee as PostgreSQL's READ COMMITTED. Read-modify-write code therefore reads
      with ``FOR UPDATE`` (which takes the gate here, as it takes a row lock there) or writes
      atomically (``UPDATE … RETURNING``, ``INSERT … ON CONFLICT``), as PostgreSQL needs
      anyway.

    A writer of another process (a CLI command) is not counted by the gate; SQLite reports
    SQLITE_BUSY_SNAPSHOT then, and the statement is retried the same way.
    """

    def __init__(self, gate: _WriteGate) -> None:
        self._gate = gate

    def do_execute(self, cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
        return self._run(context, statement, lambda: cursor.execute(statement, parameters))

    def do_executemany(self, cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
        return self._run(context, statement, lambda: cursor.executemany(statement, parameters))

    def do_execute_no_params(self, cursor: Any, statement: str, context: Any) -> bool:
        return self._run(context, statement, lambda: cursor.execute(statement))

    def _run(self, context: Any, statement: str, execute: Callable[[], object]) -> bool:
        """Runs ``execute`` itself (True) when it is a transaction's first write."""
        proxied = context.root_connection.connection
        transaction: _Transaction | None = proxied.info.get(_TRANSACTION)
        if transaction is None or transaction.writing or not _writes(statement, context):
            return False  # SQLAlchemy runs it as usual
        driver = proxied.driver_connection
        self.start_writing(proxied.info, driver)
        try:
            execute()
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", None) != _SQLITE_BUSY_SNAPSHOT:
                raise
            _restart_immediate(driver)  # another process committed since our snapshot
            execute()
        return True

    def start_writing(self, info: dict[str, Any], driver: Any) -> None:
        transaction: _Transaction | None = info.get(_TRANSACTION)
        if transaction is None or transaction.writing:
            return
        self._gate.acquire(info)
        transaction.writing = True
        if self._gate.generation != transaction.generation:
            _restart_immediate(driver)

    def finished(self, info: dict[str, Any] | None, *, committed: bool) -> None:
        transaction = info.pop(_TRANSACTION, None) if info is not None else None
        if transaction is not None and transaction.writing:
            self._gate.release(info, committed=committed)


def _info_of(connection: Any) -> dict[str, Any] | None:
    """The pool's per-connection dict (None for the bare connection of the first connect)."""
    try:
        return connection.info  # type: ignore[no-any-return]
    except NotImplementedError:
        return None


def _writes(statement: str, context: Any) -> bool:
    if _WRITE_STATEMENT.match(statement):
        return True
    compiled = getattr(context, "compiled", None)
    # SELECT … FOR UPDATE: the caller is about to write what it reads, so it reads the newest.
    return getattr(getattr(compiled, "statement", None), "_for_update_arg", None) is not None


def _restart_immediate(driver: Any) -> None:
    driver.execute("ROLLBACK")
    driver.execute("BEGIN IMMEDIATE")


def sqlite_write_intent(session: Session) -> None:
    """Take the write gate before writing through the driver connection directly (bulk
    ``executemany``, which SQLAlchemy's execution events do not see). Nothing on PostgreSQL."""
    proxied = session.connection().connection
    transaction: _Transaction | None = proxied.info.get(_TRANSACTION)
    if transaction is not None:
        transaction.writes.start_writing(proxied.info, proxied.driver_connection)


class _BackgroundCheckpoints:
    """SQLite WAL checkpoints in a thread of their own, for the web server.

    By default SQLite checkpoints inside the commit that pushes the WAL past 1,000 pages, so
    every so often one request's commit (under group commit: a whole batch of check-ins) also
    copies the WAL back into the database and syncs it. Here the server's connections turn
    that off and this thread runs a PASSIVE checkpoint (never blocks writers or readers) every
    ``interval`` seconds; sqlite3 releases the GIL while it works. Commands (imports, demo)
    keep SQLite's own checkpoints.
    """

    def __init__(self) -> None:
        self.running = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0  # checkpoints done (observability, tests)

    def start(self, engine: Engine, interval: float) -> None:
        if self.running:
            return
        self.running = True
        self._stop.clear()
        engine.dispose()  # connections opened before now keep autocheckpoint: start afresh
        self._thread = threading.Thread(
            target=self._run, args=(engine, interval), name="sqlite-checkpoint", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if not self.running:
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.running = False

    def _run(self, engine: Engine, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                # On the driver connection: outside SQLAlchemy's transaction (inside one,
                # SQLite refuses to checkpoint).
                raw = engine.raw_connection()
                try:
                    raw.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")  # type: ignore[union-attr]
                finally:
                    raw.close()
                self.runs += 1
            except Exception:  # a busy or closing database: try again next time
                _log.warning("background WAL checkpoint failed", exc_info=True)


_checkpoints = _BackgroundCheckpoints()


def start_background_checkpoints(interval: float = 1.0) -> bool:
    """Move SQLite's WAL checkpoints out of commits (web server only); False on PostgreSQL."""
    engine = get_engine()
    if engine.dialect.name != "sqlite":
        return False
    _checkpoints.start(engine, interval)
    return True


def stop_background_checkpoints() -> None:
    _checkpoints.stop()


_gates: dict[str, _WriteGate] = {}
_gates_lock = threading.Lock()


def _gate_for(path: str) -> _WriteGate:
    """One gate per database file, shared by every engine of this process on it."""
    if not path or path == ":memory:":
        return _WriteGate()  # a memory database is private to its engine
    with _gates_lock:
        return _gates.setdefault(str(Path(path).resolve()), _WriteGate())


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    url = url or settings.database_url
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            # Connections are cheap here and a request holds one until it commits: enough of
            # them that readers never queue behind the pool.
            kwargs.setdefault("pool_size", 20)
            kwargs.setdefault("max_overflow", 200)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        _configure_sqlite(engine, _gate_for(path))
        return engine
    # pool_pre_ping: a connection the server dropped (restart, failover) is replaced on its
    # next checkout, so the app recovers from an outage without a restart.
    connect_args = {"connect_timeout": settings.database_connect_timeout_seconds}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


# SQLite's primary result codes that mean "the database cannot serve now" (locked past the busy
# timeout, file unreadable, disk full or failing) rather than a fault of the statement: those
# come as SQLITE_ERROR (1: no such table, syntax) and stay a 500 that someone must fix.
def database_answers(timeout: float) -> bool:
    """Readiness: the database answers a query within ``timeout`` seconds. On SQLite it must
    also grant the write lock in that time, since every request transaction takes it."""
    engine = get_engine()
    try:
        raw = engine.raw_connection()
    except Exception as error:
        if is_outage(error):
            return False
        raise
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
            try:
                cursor.execute("BEGIN IMMEDIATE")
                cursor.execute("SELECT count(*) FROM alembic_version").fetchall()
                cursor.execute("ROLLBACK")
            finally:
                cursor.execute(f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout_ms)}")
        else:
            # SET LOCAL ends with the transaction the pool rolls back on return.
            cursor.execute(f"SET LOCAL statement_timeout = {int(timeout * 1000)}")
            cursor.execute("SELECT count(*) FROM alembic_version").fetchall()
        cursor.close()
        return True
    except Exception:
        # Any failure here means "not ready"; the raw DB-API errors are not wrapped.
        _log.warning("readiness check: the database does not answer", exc_info=True)
        raw.invalidate()
        return False
    finally:
        raw.close()


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    return make_engine()


@lru_cache(maxsize=1)
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# Rows ANALYZE reads per index on SQLite: approximate statistics in milliseconds, even at
# millions of rows (SQLite's documentation suggests a few hundred to a few thousand).
SQLITE_ANALYSIS_LIMIT = 1000


def refresh_planner_statistics(session: Session) -> None:
    """Bring the query planner's statistics up to date (after a bulk load; nightly by the
    worker). SQLite keeps none unless asked: without them it cannot tell that ``ended_at IS
    NULL`` picks a few thousand of a million dossiers and reads a province's queue ~20 times
    slower. PostgreSQL's autovacuum analyses too, but only some time after a bulk load."""
    if is_postgres(session):
        session.execute(text("ANALYZE"))
        return
    session.execute(text(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}"))
    session.execute(text("ANALYZE"))


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


RowT = TypeVar("RowT")


def create_once(
    session: Session, find: Callable[[], RowT | None], make: Callable[[], RowT]
) -> RowT:
    """The row ``find`` returns, or a new one from ``make`` inserted in a savepoint. When two
    workers race to create it, a unique index lets only one insert succeed; the loser's
    savepoint rolls back and it returns the winner's row (e.g. the first signing key)."""
    found = find()
    if found is not None:
        return found
    try:
        with session.begin_nested():
            row = make()
            session.add(row)
        return row
    except IntegrityError:
        winner = find()
        if winner is None:  # pragma: no cover - the unique index guarantees a winner
            raise
        return winner


def session_scope(app: FastAPI) -> AbstractContextManager[Session]:
    """The request transaction (``get_db``, or the app's override of it) outside a request:
    commits on leaving, rolls back on an exception. Used by work that runs beside the request
    (group commit, cached credential loads) so tests' rolled-back session still applies."""
    provider = app.dependency_overrides.get(get_db, get_db)
    return contextmanager(provider)()


def increment(session: Session, row: object, column: str, by: int = 1) -> int:
    """Add ``by`` to a counter column of a loaded row in one statement (``UPDATE … RETURNING``)
    and return the new value. ``row.count += 1`` writes back what it read, so two concurrent
    increments count one (a failed sign-in that never counts towards the lockout); this one is
    serialised by the row lock (PostgreSQL) or the write lock (SQLite). The row is told the
    new value without being marked changed."""
    state = inspect(row)
    mapper = state.mapper
    table = mapper.local_table
    key = [c == value for c, value in zip(mapper.primary_key, state.identity or (), strict=True)]
    session.flush()  # the row's pending changes first
    counter = table.c[column]
    value = int(
        session.execute(
            update(table).where(*key).values({column: counter + by}).returning(counter)
        ).scalar_one()
    )
    set_committed_value(row, column, value)
    return value


ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")
_log = logging.getLogger(__name__)


class GroupCommitter(Generic[ItemT, ResultT]):
    """Group commit: requests hand their write to one writer, which handles everything that
    queued up meanwhile in one transaction, then answers each request. Every answer is sent
    only after its write is durable, and a busy desk costs one commit per batch rather than
    one per request.

    The writer works in a thread of its own, one batch at a time; the requests that arrive
    while a batch commits form the next one. It used to run on the event loop (measured a
    little faster: no GIL hand-over between the loop and a thread), but a transaction that
    waits on the loop can never be safe: SQLite's write lock or a PostgreSQL row lock (the
    audit head, a rate-limit row) held by a request in the thread pool is released only when
    that request commits, which needs the loop, so the loop would wait on itself until the
    busy timeout (SQLite) or for ever (PostgreSQL).

    ``work(session, items)`` returns one outcome per item: a result, or a domain exception for
    that item alone (rate limited, not found). If ``work`` itself raises, the batch rolls back
    and each item is retried in a transaction of its own, so one bad item cannot sink others.
    """

    def __init__(
        self,
        work: Callable[[Session, Sequence[ItemT]], list[ResultT | Exception]],
        scope: Callable[[], AbstractContextManager[Session]],
        *,
        max_batch: int = 256,
    ) -> None:
        self._work = work
        self._scope = scope
        self._max_batch = max_batch
        self._pending: list[tuple[ItemT, asyncio.Future[ResultT]]] = []
        self._writer: asyncio.Task[None] | None = None
        self.batches = 0  # observability: batches committed and items handled
        self.items = 0

    async def submit(self, item: ItemT) -> ResultT:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[ResultT] = loop.create_future()
        self._pending.append((item, future))
        if self._writer is None or self._writer.done():
            # Starts after the requests already parsed in this pass of the loop have queued.
            self._writer = loop.create_task(self._write_batches())
        return await future

    async def _write_batches(self) -> None:
        thread = anyio.CapacityLimiter(1)  # one writer: batches commit in arrival order
        while self._pending:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            items = [item for item, _ in batch]
            outcomes = await anyio.to_thread.run_sync(self._handle, items, limiter=thread)
            self.batches += 1
            self.items += len(batch)
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                _settle(future, outcome)

    def _handle(self, items: list[ItemT]) -> list[ResultT | Exception]:
        try:
            with self._scope() as session:
                return self._work(session, items)
        except Exception as exc:
            if is_outage(exc):
                # The database is down: every item would fail alike (and slowly) on its own.
                _log.warning("group commit: the database does not answer")
                return [_Failure(exc) for _ in items]
            if len(items) == 1:
                _log.exception("group commit: item failed")
                return [_Failure(exc)]
            return [self._alone(item) for item in items]

    def _alone(self, item: ItemT) -> ResultT | Exception:
        try:
            with self._scope() as session:
                return self._work(session, [item])[0]
        except Exception as exc:
            _log.exception("group commit: item failed")
            return _Failure(exc)


class _Failure(Exception):
    """An unexpected error of one item, re-raised in its request."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


def _settle(future: asyncio.Future[Any], outcome: Any) -> None:
    if future.done():  # the request was cancelled (client went away); its write stands
        return
    if isinstance(outcome, _Failure):
        future.set_exception(outcome.error)
    elif isinstance(outcome, Exception):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


__all__ = [
    "Base",
    "DbSession",
    "GroupCommitter",
    "MappedAsDataclass",
    "database_answers",
    "get_db",
    "get_engine",
    "is_outage",
    "make_engine",
    "session_scope",
]


# --- bulk inserts: COPY on PostgreSQL, the driver's executemany on SQLite ----------------------

_NOTHING = object()


def _sqlite_datetime(value: dt.datetime) -> str:
    # What SQLAlchemy's SQLite DateTime stores (``YYYY-MM-DD HH:MM:SS.ffffff``), at a fraction
    # of its processor's cost, which matters with millions of generated timestamps.
    return value.isoformat(" ", "microseconds")[:26]


def _bind_processor(table: Table, column: str, dialect: Dialect) -> Callable[[Any], Any] | None:
    """The processor SQLAlchemy itself applies to this column's values on this dialect (a
    cheaper equivalent for SQLite datetimes and booleans)."""
    column_type = table.c[column].type
    if dialect.name == "sqlite":
        try:
            python_type = column_type.python_type
        except NotImplementedError:
            python_type = None
        if python_type is dt.datetime:
            return _sqlite_datetime
        if python_type is bool:
            return int
    return column_type.dialect_impl(dialect).bind_processor(dialect)


def _remember_last(processor: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A bulk load stamps every row with the same timestamp object: convert it once."""
    last: list[Any] = [_NOTHING, None]

    def process(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, processor(value)
        return last[1]

    return process


def _processed(row: Sequence[Any], processors: list[tuple[int, Any]]) -> list[Any]:
    values = list(row)
    for index, processor in processors:
        value = values[index]
        if value is not None:
            values[index] = processor(value)
    return values


def bulk_insert(
    session: Session, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Insert tuples (in ``columns`` order) inside the session's transaction, the fastest way
    each database offers; values are stored exactly as the ORM stores them."""
    if session.get_bind().dialect.name == "postgresql":
        return _copy(session, table, columns, rows)
    return _executemany(session, table, columns, rows)


def _executemany(
    session: Session, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """pysqlite's ``executemany`` on the session's connection, with each column's own
    SQLAlchemy bind processor applied (dates, datetimes, JSON are stored exactly as the ORM
    stores them) but without building a parameter dict per row."""
    dialect = session.get_bind().dialect
    quote = dialect.identifier_preparer.quote
    processors = [
        (index, _remember_last(processor))
        for index, column in enumerate(columns)
        if (processor := _bind_processor(table, column, dialect)) is not None
    ]
    batch = [_processed(row, processors) for row in rows] if processors else list(rows)
    if not batch:
        return 0
    # Names come from our own table metadata (quoted); values are bound.
    names = ", ".join(quote(c) for c in columns)
    marks = ", ".join("?" for _ in columns)
    statement = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"  # noqa: S608
    sqlite_write_intent(session)
    dbapi = session.connection().connection.driver_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    try:
        cursor.executemany(statement, batch)
    finally:
        cursor.close()
    return len(batch)


def _copy(
    session: Session, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    # The ORM session's own connection, so COPY joins the surrounding transaction.
    dbapi = session.connection().connection.driver_connection
    assert dbapi is not None
    count = 0
    column_list = ", ".join(columns)
    statement = f"COPY {table.name} ({column_list}) FROM STDIN"
    with dbapi.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            # COPY's text format takes JSON as its text form.
            copy.write_row([json.dumps(v) if isinstance(v, dict | list) else v for v in row])
            count += 1
    return count


# SQLite page cache for one bulk statement (negative: KiB, SQLite's convention): the index pages
# of a province's half a million rows do not fit the default 2 MB; 256 MB halves the time.
BULK_CACHE_KIB = -262_144


@contextmanager
def larger_cache(session: Session) -> Iterator[None]:
    """A bigger SQLite page cache for the bulk statements inside (nothing on PostgreSQL)."""
    if is_postgres(session):
        yield
        return
    previous = int(session.execute(text("PRAGMA cache_size")).scalar_one())
    session.execute(text(f"PRAGMA cache_size = {BULK_CACHE_KIB}"))
    try:
        yield
    finally:
        session.execute(text(f"PRAGMA cache_size = {previous}"))


def advance_id_sequence(session: Session, table: Table) -> None:
    """After rows were inserted with their own ids, PostgreSQL's id sequence moves past the
    largest one (SQLite's rowid needs nothing)."""
    if is_postgres(session):
        # The table name comes from our own metadata, never from input.
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"
            )
        )
