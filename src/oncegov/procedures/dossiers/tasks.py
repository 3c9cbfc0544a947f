"""The dossiers' jobs: the deadline scan (warn handlers one working day before a due date)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from oncegov import jobs
from oncegov.procedures.dossiers import service


@jobs.periodic_task(jobs.crontab(minute="*/5"))
def scan_deadlines(session: Session) -> int:
    """Mark the running dossiers due within one working day (the handler's queue shows the
    warning); every 5 minutes."""
    return service.warn_due_soon(session)
