"""The citizen's "Check-in QR" page (``/me/qr``) and the fragment it polls (``/me/qr/code``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from oncegov.identity.accounts import qr
from oncegov.identity.accounts.models import EidAccount
from oncegov.identity.accounts.qr import verify_checkin_token
from oncegov.kit import clock
from tests.fixtures import citizen_session, make_citizen, make_eid_account


@pytest.fixture(autouse=True)
def fresh_key_cache() -> Iterator[None]:
    # Each test's keys are rolled back with its transaction: the process cache must not keep them.
    qr.clear_key_cache()
    yield
    qr.clear_key_cache()


@pytest.fixture
def account(db: Session) -> EidAccount:
    return make_eid_account(db, make_citizen(db), level=2)


def test_the_page_shows_a_fresh_qr_that_renews_itself(
    client: TestClient,
    db: Session,
    account: EidAccount,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    issued: list[qr.IssuedQr] = []
    real_issue = qr.issue_checkin_token

    def recording_issue(session: Session, acc: EidAccount, now: Any = None) -> qr.IssuedQr:
        issued.append(real_issue(session, acc, now))
        return issued[-1]

    monkeypatch.setattr(qr, "issue_checkin_token", recording_issue)
    citizen_session(client, db, account)

    page = client.get("/me/qr")
    assert page.status_code == 200
    assert "<svg" in page.text and "Check-in QR" in page.text
    assert 'hx-get="/me/qr/code"' in page.text and "every 60s" in page.text
    assert "Valid until" in page.text and "2 minutes" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert issued[0].token not in page.text  # only the picture of it

    later = clock.now() + dt.timedelta(seconds=61)
    monkeypatch.setattr(clock, "now", lambda: later)
    fragment = client.get("/me/qr/code", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="eid-qr-code">')
    assert "<svg" in fragment.text and "<html" not in fragment.text
    assert len(issued) == 2 and issued[1].token != issued[0].token
    assert issued[1].expires_at > issued[0].expires_at
    assert verify_checkin_token(db, issued[1].token, now=later).personal_id == account.personal_id


def test_the_page_explains_why_there_is_no_qr(
    client: TestClient, db: Session, account: EidAccount
) -> None:
    citizen_session(client, db, account)
    account.status = "locked"  # e.g. locked by police while this session was still open
    db.flush()
    page = client.get("/me/qr")
    assert page.status_code == 403
    assert "<svg" not in page.text
    assert "Only an active eID account can show a check-in QR" in page.text


def test_the_account_page_links_to_the_qr(
    client: TestClient, db: Session, account: EidAccount
) -> None:
    citizen_session(client, db, account)
    assert 'href="/me/qr"' in client.get("/me/account").text


def test_signed_out_visitors_are_sent_to_sign_in(client: TestClient) -> None:
    for path in ("/me/qr", "/me/qr/code"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/eid/login")
