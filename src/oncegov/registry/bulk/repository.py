"""Fast bulk SQL for loading the registry: COPY on PostgreSQL, executemany on SQLite.

Used by the demo loader and the bulk import (with the batched lookups, updates and the
export's keyset pages below); everything else goes through ``oncegov.registry.repository``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import Dialect, Table, bindparam, func, select, text, update
from sqlalchemy.orm import Session

from oncegov.auth.schemas import UnitScope
from oncegov.registry.models import Citizen, Household, RegistryChange
from oncegov.registry.repository import citizen_in_scope

_NOTHING = object()


# SQLite page cache for one bulk statement (negative: KiB, SQLite's convention): the index pages
# of a province's half a million rows do not fit the default 2 MB; 256 MB halves the time.
BULK_CACHE_KIB = -262_144


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


# Column order of version rows written in bulk (demo load, imports).
CHANGE_COLUMNS: tuple[str, ...] = (
    "entity",
    "entity_key",
    "version",
    "changed_at",
    "actor",
    "source",
    "reason",
    "legal_reference",
    "changes",
)


class BulkRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def is_postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    def insert_rows(
        self, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> int:
        """Insert tuples (in ``columns`` order) inside the session's transaction."""
        if self.is_postgres:
            return self._copy(table, columns, rows)
        return self._executemany(table, columns, rows)

    @contextmanager
    def larger_cache(self) -> Iterator[None]:
        """A bigger SQLite page cache for the statements inside (nothing on PostgreSQL)."""
        if self.is_postgres:
            yield
            return
        previous = int(self.session.execute(text("PRAGMA cache_size")).scalar_one())
        self.session.execute(text(f"PRAGMA cache_size = {BULK_CACHE_KIB}"))
        try:
            yield
        finally:
            self.session.execute(text(f"PRAGMA cache_size = {previous}"))

    def advance_sequence(self, table: Table) -> None:
        """After rows were inserted with their own ids, PostgreSQL's id sequence moves past the
        largest one (SQLite's rowid needs nothing)."""
        if self.is_postgres:
            # The table name comes from our own metadata, never from input.
            self.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                    f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"
                )
            )

    def _executemany(
        self, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> int:
        """pysqlite's ``executemany`` on the session's connection, with each column's own
        SQLAlchemy bind processor applied (dates, datetimes, JSON are stored exactly as the ORM
        stores them) but without building a parameter dict per row."""
        dialect = self.session.get_bind().dialect
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
        dbapi = self.session.connection().connection.driver_connection
        assert dbapi is not None
        cursor = dbapi.cursor()
        try:
            cursor.executemany(statement, batch)
        finally:
            cursor.close()
        return len(batch)

    def _copy(self, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        # The ORM session's own connection, so COPY joins the surrounding transaction.
        dbapi = self.session.connection().connection.driver_connection
        assert dbapi is not None
        count = 0
        column_list = ", ".join(columns)
        statement = f"COPY {table.name} ({column_list}) FROM STDIN"
        with dbapi.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                # COPY's text format takes JSON as its text form.
                copy.write_row([json.dumps(v) if isinstance(v, dict) else v for v in row])
                count += 1
        return count

    def insert_citizens(self, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        return self.insert_rows(Citizen.__table__, columns, rows)  # type: ignore[arg-type]

    def insert_households(self, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        return self.insert_rows(Household.__table__, columns, rows)  # type: ignore[arg-type]

    def insert_changes(self, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        return self.insert_rows(RegistryChange.__table__, columns, rows)  # type: ignore[arg-type]

    # --- lookups for the import (batched IN queries) -------------------------------------------

    @property
    def lookup_chunk(self) -> int:
        # SQLite's default limit on bound parameters is generous now, but 900 stays safe for
        # old builds; PostgreSQL takes far more per query.
        return 5000 if self.is_postgres else 900

    def _chunks(self, values: Sequence[str]) -> Iterator[Sequence[str]]:
        size = self.lookup_chunk
        for start in range(0, len(values), size):
            yield values[start : start + size]

    def has_citizens(self) -> bool:
        return self.session.scalar(select(Citizen.id).limit(1)) is not None

    def has_households(self) -> bool:
        return self.session.scalar(select(Household.id).limit(1)) is not None

    def citizens_by_personal_id(
        self, personal_ids: Sequence[str], columns: Sequence[str]
    ) -> dict[str, tuple[Any, ...]]:
        """For each personal ID held by a citizen: its ``columns`` values, then its version.
        ``columns`` must start with ``personal_id``."""
        table = cast(Table, Citizen.__table__)
        selected = [table.c[c] for c in columns] + [table.c.version]
        found: dict[str, tuple[Any, ...]] = {}
        for chunk in self._chunks(personal_ids):
            query = select(*selected).where(table.c.personal_id.in_(chunk))
            found.update((row[0], tuple(row)) for row in self.session.execute(query).all())
        return found

    def old_id_holders(self, old_ids: Sequence[str]) -> list[tuple[str, str]]:
        """``(old_id_number, personal_id)`` of every citizen holding one of these old IDs."""
        holders: list[tuple[str, str]] = []
        for chunk in self._chunks(old_ids):
            query = select(Citizen.old_id_number, Citizen.personal_id).where(
                Citizen.old_id_number.in_(chunk)
            )
            holders.extend((str(old), str(pid)) for old, pid in self.session.execute(query))
        return holders

    def existing_household_codes(self, codes: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in self._chunks(codes):
            found.update(
                self.session.scalars(select(Household.code).where(Household.code.in_(chunk)))
            )
        return found

    # --- writes for the import -----------------------------------------------------------------

    def update_citizens(self, columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
        """Set ``columns`` (plus version, updated_at) on each row's citizen, by personal ID."""
        if not rows:
            return
        table = cast(Table, Citizen.__table__)
        # Bound names must differ from column names in an UPDATE's SET clause: prefix them.
        names = [c for c in [*columns, "version", "updated_at"] if c != "personal_id"]
        statement = (
            update(table)
            .where(table.c.personal_id == bindparam("k_personal_id"))
            .values({c: bindparam(f"v_{c}") for c in names})
        )
        params = [
            {"k_personal_id": row["personal_id"], **{f"v_{c}": row[c] for c in names}}
            for row in rows
        ]
        self.session.execute(statement, params)

    def update_households(self, rows: Sequence[dict[str, Any]]) -> None:
        """Set head, commune and address of households created earlier in the same import.

        Each row: ``h_code``, ``h_head``, ``h_commune``, ``h_address``."""
        if not rows:
            return
        table = cast(Table, Household.__table__)
        statement = (
            update(table)
            .where(table.c.code == bindparam("h_code"))
            .values(
                head_personal_id=bindparam("h_head"),
                commune_code=bindparam("h_commune"),
                address=bindparam("h_address"),
            )
        )
        self.session.execute(statement, list(rows))

    def add(self, obj: object) -> None:
        self.session.add(obj)
        self.session.flush()

    # --- reads for the export ------------------------------------------------------------------

    def count_citizens(self, scope: UnitScope) -> int:
        query = select(func.count()).select_from(Citizen).where(citizen_in_scope(scope))
        return int(self.session.scalar(query) or 0)

    def citizen_batches(
        self, scope: UnitScope, columns: Sequence[str], size: int
    ) -> Iterator[list[dict[str, Any]]]:
        """Citizens in personal-ID order, ``size`` at a time (keyset pages: memory stays flat and
        every page is an index range scan)."""
        table = Citizen.__table__
        selected = [table.c[c] for c in columns]
        last = ""
        while True:
            query = (
                select(*selected)
                .where(citizen_in_scope(scope), table.c.personal_id > last)
                .order_by(table.c.personal_id)
                .limit(size)
            )
            page = [dict(row) for row in self.session.execute(query).mappings()]
            if not page:
                return
            yield page
            last = page[-1]["personal_id"]
