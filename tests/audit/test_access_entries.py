"""The audit side of the citizen's "Who accessed my data" (the page: ``tests/me``): local days
as UTC bounds, and the query over the subject index, newest first."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.orm import Session

from oncegov.audit import service as audit


def test_local_days_become_utc_bounds() -> None:
    since, until = audit.local_day_bounds(
        dt.date(2026, 1, 2), dt.date(2026, 1, 2), "Asia/Ho_Chi_Minh"
    )
    assert since == dt.datetime(2026, 1, 1, 17, 0, tzinfo=dt.UTC)
    assert until == dt.datetime(2026, 1, 2, 17, 0, tzinfo=dt.UTC)
    assert audit.local_day_bounds(None, None, "Asia/Ho_Chi_Minh") == (None, None)


def test_the_query_walks_the_subject_index_newest_first(db: Session) -> None:
    from oncegov.audit.repository import AuditRepository
    from oncegov.kit.repository import Page

    captured: list[str] = []
    dialect = db.get_bind().dialect
    repo = AuditRepository(db)
    original = db.scalars

    def capture(statement, *args, **kwargs):  # type: ignore[no-untyped-def]
        captured.append(
            str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        )
        return original(statement, *args, **kwargs)

    db.scalars = capture  # type: ignore[method-assign]
    try:
        repo.entries_about("004190000001", Page(25, before=1000))
    finally:
        db.scalars = original  # type: ignore[method-assign]
    (sql,) = captured
    assert "ORDER BY audit_entries.seq DESC" in sql
    if dialect.name == "sqlite":
        plan = " ".join(str(r[-1]) for r in db.execute(text("EXPLAIN QUERY PLAN " + sql)))
        assert "ix_audit_entries_subject_personal_id" in plan, plan
        assert "TEMP B-TREE" not in plan, plan  # the index already yields seq order
    else:
        db.execute(text("SET LOCAL enable_seqscan = off"))
        plan = " ".join(str(r[0]) for r in db.execute(text("EXPLAIN " + sql)))
        assert "ix_audit_entries_subject_personal_id" in plan, plan
