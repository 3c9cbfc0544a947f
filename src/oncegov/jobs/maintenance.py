"""The database's own upkeep, as a job of the worker: the planner's statistics every night."""

from __future__ import annotations

from huey import crontab
from sqlalchemy.orm import Session

from oncegov import db
from oncegov.jobs.queue import periodic_task


# 19:30 UTC is 02:30 in Vietnam: the quietest hour of a province's public services.
@periodic_task(crontab(minute="30", hour="19"))
def refresh_planner_statistics(session: Session) -> None:
    """ANALYZE (approximate on SQLite: ``db.SQLITE_ANALYSIS_LIMIT`` rows per index)."""
    db.refresh_planner_statistics(session)
