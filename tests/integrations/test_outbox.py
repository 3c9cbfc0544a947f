"""The notification outbox: queued in the caller's transaction, once per key, recipient
encrypted; delivered by ``deliver_pending`` once, retried with backoff, then failed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from oncegov import jobs
from oncegov.config import settings
from oncegov.integrations import outbox
from oncegov.integrations.email import LocalEmailOutbox
from oncegov.integrations.models import EmailOutboxMessage, OutboxMessage, SmsOutboxMessage
from oncegov.integrations.outbox import deliver_pending, queue_message
from oncegov.integrations.repository import OutboxRepository
from oncegov.integrations.sms import LocalSmsGateway
from oncegov.kit import clock
from oncegov.kit.crypto import decrypt_field

PHONE = "0912345678"


def _queue(session: Session, key: str, **overrides: str | None) -> None:
    values: dict[str, str | None] = {
        "channel": "sms",
        "recipient": PHONE,
        "subject": None,
        "body": "Hồ sơ của bạn đã được tiếp nhận",
    }
    values.update(overrides)
    queue_message(session, key=key, **values)  # type: ignore[arg-type]


def _row(session: Session, key: str) -> OutboxMessage:
    session.expire_all()
    row = session.scalars(select(OutboxMessage).where(OutboxMessage.key == key)).one()
    return row


# --- queued in the caller's transaction (rolled-back test session) ---------------------------


def test_a_second_message_with_the_same_key_adds_nothing(db: Session) -> None:
    _queue(db, "dossier:1:event:1:sms")
    _queue(db, "dossier:1:event:1:sms", body="another text", recipient="0987654321")
    rows = db.scalars(select(OutboxMessage).where(OutboxMessage.key.like("dossier:1:%"))).all()
    assert len(rows) == 1
    assert rows[0].body == "Hồ sơ của bạn đã được tiếp nhận"
    assert decrypt_field(rows[0].recipient_encrypted) == PHONE
    assert (rows[0].status, rows[0].attempts) == ("pending", 0)


def test_the_recipient_is_stored_encrypted(db: Session) -> None:
    _queue(db, "dossier:2:event:1:email", channel="email", recipient="an@example.vn", subject="S")
    stored = db.execute(
        text("SELECT recipient_encrypted FROM notification_outbox WHERE key = :key"),
        {"key": "dossier:2:event:1:email"},
    ).scalar_one()
    assert "an@example.vn" not in stored and "example" not in stored
    assert decrypt_field(stored) == "an@example.vn"


def test_a_message_rolled_back_with_its_change_is_gone(db: Session) -> None:
    with pytest.raises(RuntimeError), db.begin_nested():
        _queue(db, "dossier:3:event:1:sms")
        raise RuntimeError("the state change failed")
    assert db.scalar(select(func.count()).where(OutboxMessage.key == "dossier:3:event:1:sms")) == 0


@pytest.mark.parametrize(
    "bad",
    [{"key": ""}, {"key": "k" * 201}, {"recipient": " "}, {"body": ""}, {"channel": "fax"}],
)
def test_malformed_calls_are_refused(db: Session, bad: dict[str, str]) -> None:
    values = {"channel": "sms", "recipient": PHONE, "subject": None, "body": "b", "key": "k:1"}
    values.update(bad)
    with pytest.raises(ValueError):
        queue_message(db, **values)  # type: ignore[arg-type]


# --- delivered by the worker (a database of its own: deliveries commit) -----------------------


@pytest.fixture
def sessions(cli_sessions: sessionmaker[Session]) -> Iterator[sessionmaker[Session]]:
    with cli_sessions() as session:
        for model in (OutboxMessage, SmsOutboxMessage, EmailOutboxMessage):
            session.execute(delete(model))
        session.commit()
    jobs.huey.flush()
    yield cli_sessions
    jobs.huey.flush()


def test_commit_asks_the_worker_to_drain_and_rollback_does_not(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        _queue(session, "k:rolled-back")
        session.rollback()
    assert jobs.huey.pending_count() == 0
    with sessions() as session:
        _queue(session, "k:a")
        _queue(session, "k:b")
        session.commit()
    (queued,) = jobs.huey.pending()
    assert queued.name == outbox.DRAIN_TASK


def test_delivery_sends_each_message_once_and_marks_it_sent(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        _queue(session, "k:sms")
        _queue(session, "k:mail", channel="email", recipient="An@Example.VN", subject="Hồ sơ")
        session.commit()
    report = deliver_pending(sessions)
    assert (report.claimed, report.sent, report.retried, report.failed) == (2, 2, 0, 0)
    assert deliver_pending(sessions).claimed == 0
    with sessions() as session:
        sms = _row(session, "k:sms")
        mail = _row(session, "k:mail")
        assert (sms.status, sms.attempts, sms.last_error) == ("sent", 1, None)
        assert sms.sent_at is not None and sms.provider_message_id is not None
        assert mail.status == "sent"
        (texted,) = LocalSmsGateway(session).messages_to(PHONE)
        assert (texted.idempotency_key, texted.purpose, texted.body) == (
            "k:sms",
            "notification",
            "Hồ sơ của bạn đã được tiếp nhận",
        )
        (mailed,) = LocalEmailOutbox(session).latest()
        assert (mailed.recipient, mailed.subject, mailed.key) == (
            "An@example.vn",
            "Hồ sơ",
            "k:mail",
        )
        assert outbox.outbox_counts(session) == {"sent": 2}


def test_a_resend_after_a_crash_is_recognised_by_the_gateway(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The crash window: the gateway has the message, the outbox row is not yet marked sent."""
    with sessions() as session:
        _queue(session, "k:crash")
        session.commit()
    crashed = outbox._deliver_one

    def die_after_sending(factory: sessionmaker[Session], message: OutboxMessage) -> str:
        outbox._send(factory, message)
        raise SystemExit("killed")  # the worker dies before recording the outcome

    monkeypatch.setattr(outbox, "_deliver_one", die_after_sending)
    with pytest.raises(SystemExit):
        deliver_pending(sessions)
    monkeypatch.setattr(outbox, "_deliver_one", crashed)
    assert deliver_pending(sessions).claimed == 0  # claimed: nobody else takes it meanwhile
    later = clock.now() + dt.timedelta(seconds=settings.outbox_lease_seconds + 1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert deliver_pending(sessions).sent == 1
    with sessions() as session:
        row = _row(session, "k:crash")
        assert (row.status, row.attempts) == ("sent", 2)
        assert len(LocalSmsGateway(session).messages_to(PHONE)) == 1


def test_failures_back_off_then_give_up(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "outbox_max_attempts", 3)
    monkeypatch.setattr(settings, "outbox_retry_base_seconds", 30)
    undeliverable = settings.sms_local_undeliverable_prefix + "123456"
    with sessions() as session:
        _queue(session, "k:fails", recipient=undeliverable)
        session.commit()
    start = clock.now()
    moments = iter([start + dt.timedelta(seconds=s) for s in (0, 0, 31, 31, 92, 92)])
    current = {"now": start}

    def fake_now() -> dt.datetime:
        return current["now"]

    monkeypatch.setattr(clock, "now", fake_now)
    waits = []
    for attempt in (1, 2, 3):
        current["now"] = next(moments)
        report = deliver_pending(sessions)
        assert report.claimed == 1, attempt
        current["now"] = next(moments)
        assert deliver_pending(sessions).claimed == 0  # backing off: not due yet
        with sessions() as session:
            row = _row(session, "k:fails")
            assert row.attempts == attempt
            assert row.last_error == "SmsNotDelivered: sms_not_delivered"
            assert undeliverable not in (row.last_error or "")
            if attempt < 3:
                assert row.status == "pending" and report.retried == 1
                waits.append(clock.aware(row.next_attempt_at) - current["now"])
            else:
                assert row.status == "failed" and report.failed == 1
    assert waits == [dt.timedelta(seconds=30), dt.timedelta(seconds=60)]
    with sessions() as session:
        refusals = LocalSmsGateway(session).messages_to(undeliverable)
        assert [m.status for m in refusals] == ["undeliverable"] * 3


def test_an_address_that_cannot_be_one_fails_at_once(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        _queue(session, "k:bad-phone", recipient="12345")
        _queue(session, "k:bad-mail", channel="email", recipient="not an address", subject="S")
        session.commit()
    assert deliver_pending(sessions).failed == 2
    with sessions() as session:
        assert _row(session, "k:bad-phone").last_error == "invalid_recipient: phone"
        assert _row(session, "k:bad-mail").last_error == "invalid_recipient: email"


def test_backoff_doubles_up_to_its_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "outbox_retry_base_seconds", 30)
    monkeypatch.setattr(settings, "outbox_retry_max_seconds", 100)
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 100, 100]


def test_two_claimers_never_share_a_message(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        for n in range(5):
            _queue(session, f"k:claim:{n}")
        session.commit()
    now = clock.now()
    with sessions() as first, sessions() as second:
        a = OutboxRepository(first).claim_due(now=now, until=now + dt.timedelta(60), limit=3)
        first.commit()
        b = OutboxRepository(second).claim_due(now=now, until=now + dt.timedelta(60), limit=3)
        second.commit()
    assert len(a) == 3 and len(b) == 2
    assert not {m.key for m in a} & {m.key for m in b}
