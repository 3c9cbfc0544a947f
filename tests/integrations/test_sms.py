"""The local SMS gateway behaves like an operator's: numbers checked, failures, an outbox."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from oncegov.errors import ValidationFailed
from oncegov.integrations.sms import (
    LocalSmsGateway,
    SmsNotDelivered,
    normalise_phone,
    sms_gateway,
)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0912345678", "0912345678"),
        ("0912 345 678", "0912345678"),
        ("+84912345678", "0912345678"),
        ("84-912-345-678", "0912345678"),
        ("(039) 123.4567", "0391234567"),
    ],
)
def test_mobile_numbers_are_normalised(typed: str, stored: str) -> None:
    assert normalise_phone(typed) == stored


@pytest.mark.parametrize("typed", ["", "12345", "0212345678", "091234567", "+1 415 555 0100"])
def test_other_numbers_are_refused_naming_the_field(typed: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        normalise_phone(typed)
    assert caught.value.field == "phone"


def test_a_sent_message_is_in_the_outbox_newest_first(db: Session) -> None:
    gateway = sms_gateway(db)
    first = gateway.send("0912 345 678", "first", purpose="test")
    second = gateway.send("+84912345678", "second", purpose="test")
    assert first.phone == second.phone == "0912345678"
    assert first.message_id != second.message_id
    messages = LocalSmsGateway(db).messages_to("0912345678")
    assert [m.body for m in messages] == ["second", "first"]
    assert {m.status for m in messages} == {"delivered"}
    assert LocalSmsGateway(db).messages_to("0987654321") == []


def test_an_undeliverable_number_fails_and_is_recorded_as_such(db: Session) -> None:
    with pytest.raises(SmsNotDelivered) as caught:
        sms_gateway(db).send("0999123456", "code", purpose="test")
    assert caught.value.status == 502
    (message,) = LocalSmsGateway(db).messages_to("0999123456")
    assert message.status == "undeliverable"


def test_a_message_sent_again_with_its_key_is_not_delivered_twice(db: Session) -> None:
    gateway = LocalSmsGateway(db)
    first = gateway.send("0912345678", "status", purpose="notification", key="k:sms:1")
    again = gateway.send("0912345678", "status", purpose="notification", key="k:sms:1")
    other = gateway.send("0912345678", "status", purpose="notification", key="k:sms:2")
    assert again == first and other.message_id != first.message_id
    assert [m.idempotency_key for m in gateway.messages_to("0912345678")] == ["k:sms:2", "k:sms:1"]


def test_a_refused_message_keeps_no_key_so_it_can_be_sent_again(db: Session) -> None:
    gateway = LocalSmsGateway(db)
    for _ in range(2):
        with pytest.raises(SmsNotDelivered):
            gateway.send("0999123456", "status", purpose="notification", key="k:sms:refused")
    assert [m.idempotency_key for m in gateway.messages_to("0999123456")] == [None, None]
