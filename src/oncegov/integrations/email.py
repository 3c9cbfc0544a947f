"""E-mail (status notifications). One Protocol, and the local outbox used here.

The province would use its mail relay or an e-mail provider's HTTP API; neither can be reached
from this machine, so the only implementation is ``LocalEmailOutbox``: it behaves like one
(addresses are checked, some are undeliverable, delivery can be slow, a message sent again
with a key already delivered is recognised) and keeps every message in the ``email_outbox``
table, its address encrypted.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from oncegov.config import settings
from oncegov.errors import OnceGovError, ValidationFailed
from oncegov.integrations.models import EmailOutboxMessage
from oncegov.integrations.repository import DeliveryRepository
from oncegov.kit import clock
from oncegov.kit.crypto import decrypt_field, encrypt_field
from oncegov.translatable import N_

# One @, something before it, a dotted domain after it; no spaces. Deliberately loose: the
# provider is the judge of an address, this only refuses what cannot be one.
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class EmailNotDelivered(OnceGovError):
    status = 502
    code = "email_not_delivered"


@dataclass(frozen=True)
class EmailReceipt:
    message_id: str


@dataclass(frozen=True)
class DeliveredEmail:
    """A message of the local outbox as a reader sees it (address decrypted)."""

    id: int
    recipient: str
    subject: str
    body: str
    status: str
    key: str | None


class EmailGateway(Protocol):
    def send(
        self, recipient: str, subject: str, body: str, *, key: str | None = None
    ) -> EmailReceipt:
        """Deliver the message; raises EmailNotDelivered if the provider refuses it. ``key`` is
        the sender's idempotency key: a message sent again with the key of one already
        delivered is not delivered twice, and its first receipt is returned.
        # assumption: the province's e-mail provider accepts such a key (an API provider's
        # idempotency key; a plain SMTP relay has none, and would need the Message-ID kept).
        """
        ...


def normalise_address(address: str) -> str:
    compact = (address or "").strip()
    if len(compact) > 254 or not _ADDRESS.match(compact):  # RFC 5321 §4.5.3.1.3: 254 at most
        raise ValidationFailed(N_("Enter an e-mail address, e.g. ten@example.vn"), field="email")
    local, domain = compact.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


class LocalEmailOutbox:
    """Stores messages in the ``email_outbox`` table within the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.deliveries = DeliveryRepository(session)

    def send(
        self, recipient: str, subject: str, body: str, *, key: str | None = None
    ) -> EmailReceipt:
        address = normalise_address(recipient)
        if key is not None and (earlier := self.deliveries.email_with_key(key)) is not None:
            return EmailReceipt(message_id=f"local-email-{earlier.id}")
        if settings.email_local_delay_ms:
            time.sleep(settings.email_local_delay_ms / 1000)
        suffix = settings.email_local_undeliverable_suffix
        undeliverable = bool(suffix) and address.endswith(suffix)
        message = EmailOutboxMessage(
            recipient_encrypted=encrypt_field(address),
            sender=settings.email_sender,
            subject=subject,
            body=body,
            status="undeliverable" if undeliverable else "delivered",
            created_at=clock.now(),
            # A refusal keeps no key: sending again is a new attempt, as with a provider.
            idempotency_key=None if undeliverable else key,
        )
        if message.idempotency_key is None:
            self.deliveries.add(message)
        else:
            winner = self.deliveries.add_once(message, self.deliveries.email_with_key)
            message = winner
        if undeliverable:
            raise EmailNotDelivered(
                N_("The e-mail could not be delivered; try again later"), field="email"
            )
        return EmailReceipt(message_id=f"local-email-{message.id}")

    def latest(self, limit: int = 20) -> Sequence[DeliveredEmail]:
        """Newest first (developers and tests read the messages here)."""
        return [
            DeliveredEmail(
                id=row.id,
                recipient=decrypt_field(row.recipient_encrypted),
                subject=row.subject,
                body=row.body,
                status=row.status,
                key=row.idempotency_key,
            )
            for row in self.deliveries.latest_emails(limit)
        ]


def email_gateway(session: Session) -> EmailGateway:
    """The configured gateway. Only ``local`` exists on this machine."""
    if settings.email_backend == "local":
        return LocalEmailOutbox(session)
    raise RuntimeError(f"Unknown e-mail backend {settings.email_backend!r}")
