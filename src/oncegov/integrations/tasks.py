"""Jobs of the integrations: the notification outbox's drain (the example of a periodic job)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from oncegov import jobs
from oncegov.integrations.outbox import DRAIN_TASK, DeliveryReport, deliver_pending, next_attempt
from oncegov.kit import clock

# A drain handles this many batches, then enqueues itself again if the last one was full, so
# one long backlog never holds a worker thread for ever and other jobs get their turn.
BATCHES_PER_RUN = 20
# The periodic run comes every minute; a message due sooner (a retry, a crashed worker's
# claim running out) gets a drain scheduled for its moment.
PERIOD_SECONDS = 60


@jobs.periodic_task(jobs.crontab(minute="*"), name=DRAIN_TASK, own_transactions=True)
def drain_outbox(session_factory: sessionmaker[Session]) -> DeliveryReport:
    """Deliver what is due: every minute, after every commit that queued a message, and when
    the worker starts (what a killed worker left behind)."""
    total = DeliveryReport()
    for _ in range(BATCHES_PER_RUN):
        report = deliver_pending(session_factory)
        total = DeliveryReport(
            claimed=total.claimed + report.claimed,
            sent=total.sent + report.sent,
            retried=total.retried + report.retried,
            failed=total.failed + report.failed,
        )
        if report.claimed == 0:
            break
    else:
        drain_outbox()  # the backlog goes on: another run, queued behind the jobs waiting now
        return total
    with session_factory() as session:
        upcoming = next_attempt(session)
    if upcoming is not None:
        wait = (upcoming - clock.now()).total_seconds()
        if wait < PERIOD_SECONDS:
            drain_outbox.schedule(delay=max(wait, 0.0) + 0.1)
    return total
