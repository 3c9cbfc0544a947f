"""Text messages (one-time codes). One Protocol, and the local gateway used here.

The province would use a brand-name SMS operator's HTTP API; it cannot be reached from this
machine, so the only implementation is ``LocalSmsGateway``: it behaves like the real one
(numbers are normalised and checked, some numbers are undeliverable, delivery can be slow),
and keeps every message in the ``sms_outbox`` table, where developers, tests and the demo
page (``/eid/sms``) read them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from oncegov.config import settings
from oncegov.errors import OnceGovError, ValidationFailed
from oncegov.integrations.models import SmsOutboxMessage
from oncegov.integrations.repository import DeliveryRepository
from oncegov.kit import clock
from oncegov.translatable import N_

# Vietnamese mobile numbers: 0 or +84 followed by nine digits starting with 3, 5, 7, 8 or 9.
_MOBILE = re.compile(r"^(?:\+84|84|0)([35789]\d{8})$")


class SmsNotDelivered(OnceGovError):
    status = 502
    code = "sms_not_delivered"


@dataclass(frozen=True)
class SmsReceipt:
    message_id: str
    phone: str


class SmsGateway(Protocol):
    def send(self, phone: str, text: str, *, purpose: str, key: str | None = None) -> SmsReceipt:
        """Deliver ``text`` to ``phone``; raises SmsNotDelivered if the operator refuses it.
        ``key`` is the sender's idempotency key: a message sent again with the key of one
        already delivered is not delivered twice, and its first receipt is returned.
        # assumption: the province's SMS operator accepts such a key (as e-mail and payment
        # providers' HTTP APIs do); the notification outbox relies on it for exactly-once.
        """
        ...


def normalise_phone(phone: str) -> str:
    """``0912 345 678``, ``+84912345678`` → ``0912345678``; anything else is refused."""
    compact = re.sub(r"[\s.\-()]", "", phone or "")
    match = _MOBILE.match(compact)
    if not match:
        raise ValidationFailed(
            N_("Enter a Vietnamese mobile number, e.g. 0912345678"), field="phone"
        )
    return "0" + match[1]


class LocalSmsGateway:
    """Stores messages in the outbox table within the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def send(self, phone: str, text: str, *, purpose: str, key: str | None = None) -> SmsReceipt:
        number = normalise_phone(phone)
        if key is not None and (earlier := self._delivered(key)) is not None:
            return SmsReceipt(message_id=f"local-{earlier.id}", phone=earlier.phone)
        if settings.sms_local_delay_ms:
            time.sleep(settings.sms_local_delay_ms / 1000)
        undeliverable = bool(settings.sms_local_undeliverable_prefix) and number.startswith(
            settings.sms_local_undeliverable_prefix
        )
        message = SmsOutboxMessage(
            phone=number,
            sender=settings.sms_sender,
            body=text,
            purpose=purpose,
            status="undeliverable" if undeliverable else "delivered",
            created_at=clock.now(),
            # A refusal keeps no key: sending again is a new attempt, as with an operator.
            idempotency_key=None if undeliverable else key,
        )
        if message.idempotency_key is None:
            DeliveryRepository(self.session).add(message)
        else:
            winner = DeliveryRepository(self.session).add_once(message, self._delivered)
            if winner is not message:  # another sender delivered this key meanwhile
                return SmsReceipt(message_id=f"local-{winner.id}", phone=winner.phone)
        if undeliverable:
            raise SmsNotDelivered(
                N_("The text message could not be delivered; try again later"), field="phone"
            )
        return SmsReceipt(message_id=f"local-{message.id}", phone=number)

    def _delivered(self, key: str) -> SmsOutboxMessage | None:
        return DeliveryRepository(self.session).sms_with_key(key)

    def messages_to(self, phone: str, limit: int = 20) -> Sequence[SmsOutboxMessage]:
        """Newest first (the demo page and tests read codes from here)."""
        return self.session.scalars(
            select(SmsOutboxMessage)
            .where(SmsOutboxMessage.phone == normalise_phone(phone))
            .order_by(SmsOutboxMessage.id.desc())
            .limit(limit)
        ).all()


def sms_gateway(session: Session) -> SmsGateway:
    """The configured gateway. Only ``local`` exists on this machine."""
    if settings.sms_backend == "local":
        return LocalSmsGateway(session)
    raise RuntimeError(f"Unknown SMS backend {settings.sms_backend!r}")
