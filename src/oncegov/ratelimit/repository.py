"""All SQL of the database rate limiter."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import Table, case, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from oncegov.kit.repository import Repository
from oncegov.ratelimit.models import Throttle


class ThrottleRepository(Repository):
    def add_hits(
        self, key: str, amount: int, *, now: dt.datetime, window: dt.timedelta
    ) -> tuple[dt.datetime, int]:
        """Add ``amount`` to ``key``'s window (a new one if it has ended) in one statement and
        return (window start, count). Concurrent callers never both insert: the loser of the
        insert updates the winner's row, under its row lock (PostgreSQL) or the write lock
        (SQLite)."""
        table = cast(Table, Throttle.__table__)
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        column_type = table.c.window_start.type
        ended = table.c.window_start <= literal(now - window, column_type)
        statement: Any = dialect.insert(table).values(key=key, window_start=now, count=amount)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "window_start": case(
                    (ended, statement.excluded.window_start), else_=table.c.window_start
                ),
                "count": case(
                    (ended, statement.excluded["count"]), else_=table.c["count"] + amount
                ),
            },
        ).returning(table.c.window_start, table.c["count"])
        start, count = self.session.execute(statement).one()
        return start, int(count)

    def window(self, key: str) -> tuple[dt.datetime, int] | None:
        """(window start, count) of ``key`` as stored, without writing or locking."""
        row = self.session.execute(
            select(Throttle.window_start, Throttle.count).where(Throttle.key == key)
        ).one_or_none()
        return None if row is None else (row[0], int(row[1]))
