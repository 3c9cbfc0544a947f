"""Fast bulk SQL for loading the registry: COPY on PostgreSQL, executemany on SQLite.

Used by the demo loader and the bulk import; everything else goes through
``oncegov.registry.repository``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from oncegov.registry.models import Citizen, Household, RegistryChange


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
        batch = [dict(zip(columns, row, strict=True)) for row in rows]
        if batch:
            self.session.execute(insert(table), batch)
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
