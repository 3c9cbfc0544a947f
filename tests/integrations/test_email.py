"""The local e-mail outbox behaves like a provider: addresses checked, refusals, idempotency
keys, addresses encrypted at rest."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from oncegov.config import settings
from oncegov.errors import ValidationFailed
from oncegov.integrations.email import (
    EmailNotDelivered,
    LocalEmailOutbox,
    email_gateway,
    normalise_address,
)
from oncegov.integrations.models import EmailOutboxMessage


@pytest.mark.parametrize(
    ("typed", "stored"),
    [(" ten@Example.VN ", "ten@example.vn"), ("A.B+c@mail.gov.vn", "A.B+c@mail.gov.vn")],
)
def test_addresses_are_normalised(typed: str, stored: str) -> None:
    assert normalise_address(typed) == stored


@pytest.mark.parametrize("typed", ["", "ten", "ten@", "@example.vn", "a b@example.vn", "a@b"])
def test_other_addresses_are_refused_naming_the_field(typed: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        normalise_address(typed)
    assert caught.value.field == "email"


def test_a_message_is_kept_once_per_key_with_its_address_encrypted(db: Session) -> None:
    gateway = email_gateway(db)
    first = gateway.send("ten@example.vn", "Hồ sơ", "Đã tiếp nhận", key="k:mail:1")
    assert gateway.send("ten@example.vn", "Hồ sơ", "Đã tiếp nhận", key="k:mail:1") == first
    rows = db.scalars(
        select(EmailOutboxMessage).where(EmailOutboxMessage.idempotency_key == "k:mail:1")
    ).all()
    assert len(rows) == 1 and "ten@" not in rows[0].recipient_encrypted
    (latest, *_) = LocalEmailOutbox(db).latest()
    assert (latest.recipient, latest.subject, latest.body, latest.status) == (
        "ten@example.vn",
        "Hồ sơ",
        "Đã tiếp nhận",
        "delivered",
    )


def test_an_undeliverable_address_is_refused_and_recorded(db: Session) -> None:
    address = "ten" + settings.email_local_undeliverable_suffix
    with pytest.raises(EmailNotDelivered) as caught:
        email_gateway(db).send(address, "S", "B", key="k:mail:refused")
    assert caught.value.status == 502
    (latest, *_) = LocalEmailOutbox(db).latest()
    assert (latest.recipient, latest.status, latest.key) == (address, "undeliverable", None)
