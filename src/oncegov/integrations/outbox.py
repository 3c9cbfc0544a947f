"""The notification outbox: status messages by SMS and e-mail, none lost, none sent twice.

A service that changes a state calls ``queue_message`` in the same transaction: the message is
a row of ``notification_outbox`` that commits, or rolls back, with the change it announces. The
worker's drain (``integrations.tasks.drain_outbox``) calls ``deliver_pending``:

1. claim a batch of due messages in one short transaction (their next attempt moves a lease
   ahead and the attempt is counted), so no other worker takes them meanwhile;
2. hand each message to its gateway with the message's key as the gateway's idempotency key,
   in a transaction of the gateway's own (the provider's side: once it returns, the provider
   has the message);
3. record the outcome (sent; or retry later with exponential backoff; or failed for good) in
   a third transaction.

A worker killed anywhere in there leaves the message pending: its claim runs out after
``outbox_lease_seconds`` and another run sends it again. That is at-least-once delivery to the
gateway; the gateway recognises the key it already delivered and does not deliver again, so the
effect is exactly once. # assumption: the real SMS operator and e-mail provider honour an
idempotency key as the local gateways do (see docs/architecture.md, "The notification outbox").
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Literal

from cryptography.fernet import InvalidToken
from sqlalchemy.orm import Session, sessionmaker

from oncegov import jobs
from oncegov.config import settings
from oncegov.errors import OnceGovError, ValidationFailed
from oncegov.integrations.email import email_gateway
from oncegov.integrations.models import OutboxMessage
from oncegov.integrations.repository import OutboxRepository
from oncegov.integrations.sms import sms_gateway
from oncegov.kit import clock
from oncegov.kit.crypto import decrypt_field, encrypt_field

_log = logging.getLogger(__name__)

Channel = Literal["sms", "email"]
DRAIN_TASK = "integrations.drain_outbox"  # integrations.tasks declares it
MAX_KEY_LENGTH = 200
SMS_PURPOSE = "notification"


def queue_message(
    session: Session,
    *,
    channel: Channel,
    recipient: str,
    subject: str | None,
    body: str,
    key: str,
) -> None:
    """Add a message to the outbox in the caller's transaction. ``key`` is its idempotency key
    (e.g. ``"dossier:123:event:7:sms"``): a second call with a key already queued adds nothing,
    whatever its other arguments. The recipient is stored encrypted. The address is checked
    when the message is delivered, not here: a citizen's wrong number must not stop the change
    that the message announces (it ends as a failed message). The worker is asked to drain the
    outbox once the transaction commits; its periodic run catches anything else."""
    if channel not in ("sms", "email"):
        raise ValueError(f"unknown channel {channel!r}")
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"the key must have 1 to {MAX_KEY_LENGTH} characters")
    if not recipient.strip() or not body:
        raise ValueError("a message needs a recipient and a body")
    now = clock.now()
    OutboxRepository(session).insert_once(
        {
            "key": key,
            "channel": channel,
            "recipient_encrypted": encrypt_field(recipient.strip()),
            "subject": subject,
            "body": body,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
    )
    jobs.enqueue_after_commit(session, DRAIN_TASK)


@dataclass(frozen=True)
class DeliveryReport:
    """One ``deliver_pending`` run: messages claimed, and how each ended."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0


class _Permanent(Exception):
    """A refusal that sending again cannot change (a malformed address)."""


def deliver_pending(
    session_factory: sessionmaker[Session], *, batch: int | None = None
) -> DeliveryReport:
    """Deliver one batch of due messages (``outbox_batch_size`` by default); see the module's
    description for the three transactions of each message."""
    limit = batch or settings.outbox_batch_size
    now = clock.now()
    with session_factory() as session:
        claimed = OutboxRepository(session).claim_due(
            now=now, until=now + dt.timedelta(seconds=settings.outbox_lease_seconds), limit=limit
        )
        session.commit()
    sent = retried = failed = 0
    for message in claimed:
        outcome = _deliver_one(session_factory, message)
        sent += outcome == "sent"
        retried += outcome == "retried"
        failed += outcome == "failed"
    return DeliveryReport(claimed=len(claimed), sent=sent, retried=retried, failed=failed)


def _deliver_one(session_factory: sessionmaker[Session], message: OutboxMessage) -> str:
    error: str | None = None
    permanent = False
    provider_id: str | None = None
    if message.attempts > settings.outbox_max_attempts:
        # Claimed again after its last attempt: a worker died with it each time.
        error, permanent = "attempts_exhausted", True
    else:
        try:
            provider_id = _send(session_factory, message)
        except _Permanent as exc:
            error, permanent = str(exc), True
        except OnceGovError as exc:
            error = f"{type(exc).__name__}: {exc.code}"
        except Exception as exc:
            error = type(exc).__name__  # the class only: a driver's text may quote values
            _log.warning("outbox message %s: delivery raised %s", message.id, error)
    now = clock.now()
    with session_factory() as session:
        repository = OutboxRepository(session)
        if error is None:
            repository.finish(
                message.id,
                status="sent",
                sent_at=now,
                provider_message_id=provider_id,
                last_error=None,
            )
            outcome = "sent"
        elif permanent or message.attempts >= settings.outbox_max_attempts:
            repository.finish(message.id, status="failed", last_error=error[:200])
            outcome = "failed"
        else:
            repository.finish(
                message.id, next_attempt_at=now + backoff(message.attempts), last_error=error[:200]
            )
            outcome = "retried"
        session.commit()
    return outcome


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed attempt: base, 2 × base, 4 × base, … capped."""
    seconds = settings.outbox_retry_base_seconds * 2 ** max(0, attempts - 1)
    return dt.timedelta(seconds=min(seconds, settings.outbox_retry_max_seconds))


def _send(session_factory: sessionmaker[Session], message: OutboxMessage) -> str:
    """Hand the message to its gateway in the gateway's own transaction; the provider's id."""
    try:
        recipient = decrypt_field(message.recipient_encrypted)
    except InvalidToken:
        raise _Permanent("undecryptable_recipient") from None
    with session_factory() as session:
        try:
            if message.channel == "sms":
                receipt_id = (
                    sms_gateway(session)
                    .send(recipient, message.body, purpose=SMS_PURPOSE, key=message.key)
                    .message_id
                )
            else:
                receipt_id = (
                    email_gateway(session)
                    .send(recipient, message.subject or "", message.body, key=message.key)
                    .message_id
                )
        except ValidationFailed as exc:
            session.rollback()
            raise _Permanent(f"invalid_recipient: {exc.field}") from None
        except OnceGovError:
            session.commit()  # the provider's record of its refusal stays, as a real one's does
            raise
        except BaseException:
            session.rollback()
            raise
        session.commit()
    return receipt_id


def outbox_counts(session: Session) -> dict[str, int]:
    """Messages by status (operators, tests)."""
    return OutboxRepository(session).count_by_status()


def pending_due(session: Session) -> int:
    """Pending messages due now."""
    return OutboxRepository(session).pending_due(clock.now())


def next_attempt(session: Session) -> dt.datetime | None:
    """When the earliest pending message is next due (None: nothing pending)."""
    moment = OutboxRepository(session).next_attempt()
    return clock.aware(moment) if moment is not None else None
