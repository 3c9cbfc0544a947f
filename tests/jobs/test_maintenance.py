"""The nightly refresh of the query planner's statistics."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from oncegov import db as database
from oncegov.jobs import queue
from oncegov.tasks import TASK_MODULES


def test_the_worker_refreshes_the_planners_statistics_every_night() -> None:
    assert TASK_MODULES  # importing them declares the jobs
    assert "jobs.maintenance.refresh_planner_statistics" in queue.declared()


def test_statistics_exist_after_a_refresh(db: Session) -> None:
    db.execute(text("CREATE TABLE stats_probe (id INTEGER PRIMARY KEY, kind VARCHAR(10))"))
    db.execute(text("CREATE INDEX ix_stats_probe_kind ON stats_probe (kind)"))
    db.execute(
        text("INSERT INTO stats_probe (id, kind) VALUES (:id, :kind)"),
        [{"id": n, "kind": "open" if n % 50 == 0 else "ended"} for n in range(1, 1001)],
    )
    database.refresh_planner_statistics(db)
    if database.is_postgres(db):
        rows = db.scalar(text("SELECT reltuples FROM pg_class WHERE relname = 'stats_probe'"))
        assert rows == 1000  # -1 until the table is first analysed
    else:
        stat = db.scalar(text("SELECT stat FROM sqlite_stat1 WHERE idx = 'ix_stats_probe_kind'"))
        assert stat is not None and stat.split()[0] == "1000"
