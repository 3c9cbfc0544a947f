"""Background jobs on Huey: the queue from settings, and how domains declare their tasks.

A domain declares its jobs in its own ``tasks.py``::

    from oncegov import jobs

    @jobs.task()
    def render_receipt(session: Session, dossier_id: int) -> None:
        ...  # runs in its own transaction: committed on return, rolled back on raise

    @jobs.periodic_task(jobs.crontab(minute="*/5"))
    def scan_deadlines(session: Session) -> None:
        ...

and ``oncegov/tasks.py`` (the composition layer) lists every such module, which ``oncegov
worker`` and the app import. See docs/architecture.md, "Background jobs".
"""

from __future__ import annotations

from huey import crontab

from oncegov.jobs.queue import (
    enqueue_after_commit,
    huey,
    make_huey,
    periodic_task,
    run_in_transaction,
    session_factory,
    task,
    use_sessions,
)

__all__ = [
    "crontab",
    "enqueue_after_commit",
    "huey",
    "make_huey",
    "periodic_task",
    "run_in_transaction",
    "session_factory",
    "task",
    "use_sessions",
]
