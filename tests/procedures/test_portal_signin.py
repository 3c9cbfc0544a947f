"""The portal's sign-in end to end: uvicorn on loopback with its own database, a cookie-holding
httpx browser walking the real pages (portal login → provider's authorize → eID sign-in,
passcode, SMS code from the local outbox → consent → portal callback), and the portal's Authlib
client exchanging the code with the provider over real HTTP (the server calls itself at
ONCEGOV_PORTAL_ISSUER_URL), checking the ID token against the JWKS and reading userinfo."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from oncegov.db import make_engine
from oncegov.identity.accounts.models import EidAccount
from oncegov.kit import clock
from oncegov.kit.crypto import hash_token
from oncegov.migrate import upgrade
from oncegov.procedures.portal import service as portal
from oncegov.procedures.portal.models import PortalLoginRequest, PortalSession
from tests.dbsetup import drop_database, new_database_url
from tests.fixtures import PASSCODE, make_citizen, make_eid_account
from tests.procedures.portal_live import base_url, free_port, latest_sms_code, live_server

PHONE_L1 = "0912000001"
PHONE_L2 = "0912000002"
PHONE_STEP = "0912000003"


@dataclass
class Live:
    base: str
    url: str
    level1: str  # personal ID of a level-1 account
    level2: str  # of a level-2 account
    stepper: str  # level 1 now, level 2 after the police desk verifies them (the test does)


def _seed(url: str, base: str) -> tuple[str, str, str]:
    engine = make_engine(url)
    with Session(engine) as db:
        one = make_citizen(db, full_name="Lò Văn Hùng", sex="M")
        make_eid_account(db, one, level=1, phone=PHONE_L1)
        two = make_citizen(db, full_name="Hoàng Thị Mai", sex="F")
        make_eid_account(db, two, level=2, phone=PHONE_L2)
        three = make_citizen(db, full_name="Nông Thị Lan", sex="F")
        make_eid_account(db, three, level=1, phone=PHONE_STEP)
        portal.ensure_portal_client(db, public_url=base)
        db.commit()
        seeded = (one.personal_id, two.personal_id, three.personal_id)
    engine.dispose()
    return seeded


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    url = new_database_url("portal")
    upgrade(url)
    port = free_port()
    try:
        level1, level2, stepper = _seed(url, base_url(port))
        with live_server(url, port) as base:
            yield Live(base, url, level1, level2, stepper)
    finally:
        drop_database(url)


def _hidden(page: str) -> list[tuple[str, str]]:
    return [
        (name, unescape(value))
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    ]


def _database(live: Live) -> Iterator[Session]:
    engine = make_engine(live.url)
    with Session(engine) as db:
        yield db
        db.commit()
    engine.dispose()


def _browser(live: Live) -> httpx.Client:
    client = httpx.Client(base_url=live.base, follow_redirects=False, timeout=60)
    client.cookies.set("oncegov_lang", "en")
    return client


def _to_callback(
    live: Live,
    browser: httpx.Client,
    start: str,
    personal_id: str,
    *,
    phone: str | None = None,
) -> str:
    """From a portal URL to the provider's redirect back to the portal's callback (not
    followed): eID sign-in (passcode; the SMS code when ``phone`` is given) and consent."""
    response = browser.get(start)
    assert response.status_code == 303
    authorize = response.headers["location"]
    assert authorize.startswith(live.base + "/oidc/authorize?")
    response = browser.get(authorize)
    assert response.status_code == 303, response.text[:300]
    if response.headers["location"].startswith("/eid/login?"):
        page = browser.get(response.headers["location"])
        assert page.status_code == 200
        response = browser.post(
            "/eid/login",
            data={**dict(_hidden(page.text)), "personal_id": personal_id, "passcode": PASSCODE},
        )
        assert response.status_code == 303
        if phone is not None:
            assert response.headers["location"] == "/eid/login/otp"
            page = browser.get("/eid/login/otp")
            response = browser.post(
                "/eid/login/otp",
                data={**dict(_hidden(page.text)), "code": latest_sms_code(live.url, phone)},
            )
            assert response.status_code == 303
        response = browser.get(response.headers["location"])  # back to /oidc/authorize
    if response.status_code == 200:  # consent, the first time for the portal
        assert 'action="/oidc/consent"' in response.text
        response = browser.post(
            "/oidc/consent",
            content=urlencode([*_hidden(response.text), ("decision", "allow")]),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert response.status_code == 303
    callback = response.headers["location"]
    assert callback.startswith(live.base + "/portal/callback?")
    return str(callback)


def _portal_session(live: Live, browser: httpx.Client) -> PortalSession | None:
    token = browser.cookies.get("portal_session")
    if not token:
        return None
    for db in _database(live):
        return db.scalar(select(PortalSession).where(PortalSession.token_hash == hash_token(token)))
    return None


def _failed(response: httpx.Response, code: str) -> None:
    assert response.status_code == 400, response.text[:500]
    assert f'data-code="{code}"' in response.text


def test_level_one_sign_in_then_replay_and_logout(live: Live) -> None:
    with _browser(live) as browser:
        callback = _to_callback(live, browser, "/portal/login?next=/procedures", live.level1)
        query = parse_qs(urlsplit(callback).query)
        assert query["iss"] == [live.base]  # RFC 9207
        response = browser.get(callback)
        assert response.status_code == 303, response.text[:500]
        assert response.headers["location"] == "/procedures"
        cookie = response.headers["set-cookie"]
        assert "portal_session=" in cookie and "HttpOnly" in cookie
        assert "samesite=lax" in cookie.lower()
        row = _portal_session(live, browser)
        assert row is not None and row.personal_id == live.level1 and row.acr == 1
        assert row.full_name == "Lò Văn Hùng" and row.sub and row.sub != live.level1
        home = browser.get("/portal")
        assert home.status_code == 200
        assert "Signed in as Lò Văn Hùng (level 1)" in home.text

        # The same answer again (a replayed callback): refused, no new session.
        replay = browser.get(callback)
        _failed(replay, "state_mismatch")  # the binding cookie went with the first use

        # Sign-out ends the portal session.
        csrf = dict(_hidden(home.text))["csrf_token"]
        out = browser.post("/portal/logout", data={"csrf_token": csrf})
        assert out.status_code == 303
        for db in _database(live):
            ended = db.get(PortalSession, row.id)
            assert ended is not None and ended.ended_at is not None
        assert browser.get("/portal").headers["location"] == "/portal/login?next=/portal"

        # ... and on to the provider (RP-initiated logout), which ends the eID session too
        # once the citizen confirms (the portal keeps no ID token to hint with).
        target = out.headers["location"]
        assert target.startswith(f"{live.base}/oidc/logout?client_id=oncegov-portal&")
        confirm = browser.get(target)
        assert confirm.status_code == 200 and 'name="confirm"' in confirm.text
        done = browser.post("/oidc/logout", data=dict(_hidden(confirm.text)))
        assert done.status_code == 303
        assert done.headers["location"] == f"{live.base}/portal/signed-out"
        assert "You are signed out" in browser.get("/portal/signed-out").text
        # The next sign-in on this device asks for the eID again.
        start = browser.get("/portal/login?next=/portal&level=1")
        authorize = browser.get(start.headers["location"])
        assert authorize.status_code == 303
        assert urlsplit(authorize.headers["location"]).path == "/eid/login"


def test_a_replayed_code_or_a_spent_state_is_refused(live: Live) -> None:
    with _browser(live) as browser:
        callback = _to_callback(live, browser, "/portal/login?next=/portal", live.level1)
        binding = next(c for c in browser.cookies.jar if c.name == "portal_login")
        assert browser.get(callback).status_code == 303
        # The very same callback with its binding cookie back: the sign-in is spent.
        browser.cookies.jar.set_cookie(binding)
        _failed(browser.get(callback), "login_replayed")
        # The spent code injected into a new sign-in of this browser: the provider refuses it.
        code = parse_qs(urlsplit(callback).query)["code"][0]
        browser.cookies.delete("portal_session")
        start = browser.get("/portal/login?next=/portal&level=1")
        state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
        injected = browser.get(f"/portal/callback?code={code}&state={state}&iss={live.base}")
        _failed(injected, "token_exchange_failed")


def test_a_nonce_that_is_not_this_sign_ins_is_refused(live: Live) -> None:
    with _browser(live) as browser:
        callback = _to_callback(live, browser, "/portal/login?next=/portal", live.level1)
        state = parse_qs(urlsplit(callback).query)["state"][0]
        # As if the ID token had been issued for another sign-in: this one expects another
        # nonce than the provider put in the token.
        for db in _database(live):
            db.execute(
                update(PortalLoginRequest)
                .where(PortalLoginRequest.state_hash == hash_token(state))
                .values(nonce="not-the-one-sent")
            )
        _failed(browser.get(callback), "id_token_invalid")
        assert browser.cookies.get("portal_session") is None


def test_a_level_two_account_signs_in_at_level_two_with_the_sms_code(live: Live) -> None:
    with _browser(live) as browser:
        callback = _to_callback(
            live, browser, "/portal/login?next=/portal&level=2", live.level2, phone=PHONE_L2
        )
        assert browser.get(callback).status_code == 303
        row = _portal_session(live, browser)
        assert row is not None and row.acr == 2 and row.personal_id == live.level2
        assert "(level 2)" in browser.get("/portal").text


def test_a_level_one_account_asked_for_level_two_is_told_so(live: Live) -> None:
    with _browser(live) as browser:
        # Signed in with the eID at level 1 (through the portal), then a level-2 procedure:
        # the provider answers unmet_authentication_requirements, the portal explains it.
        callback = _to_callback(live, browser, "/portal/login?next=/portal", live.level1)
        assert browser.get(callback).status_code == 303
        response = browser.get("/portal/login?next=/portal&level=2")
        authorize = response.headers["location"]
        assert "acr_values=urn%3Avn%3Aeid%3Alevel%3A2" in authorize
        refused = browser.get(authorize)
        assert refused.status_code == 303
        back = refused.headers["location"]
        assert back.startswith(live.base + "/portal/callback?")
        assert "error=unmet_authentication_requirements" in back
        page = browser.get(back)
        _failed(page, "provider_refused")
        assert "your account is level 1" in page.text
        # Without an eID session the provider's own sign-in page says level 2 is needed.
        browser.cookies.clear()
        browser.cookies.set("oncegov_lang", "en")
        response = browser.get("/portal/login?next=/portal&level=2")
        response = browser.get(response.headers["location"])
        page = browser.get(response.headers["location"])
        signed = browser.post(
            "/eid/login",
            data={**dict(_hidden(page.text)), "personal_id": live.level1, "passcode": PASSCODE},
        )
        assert signed.status_code == 403


def test_step_up_from_level_one_to_level_two(live: Live) -> None:
    with _browser(live) as browser:
        callback = _to_callback(live, browser, "/portal/login?next=/portal", live.stepper)
        assert browser.get(callback).status_code == 303
        first = _portal_session(live, browser)
        assert first is not None and first.acr == 1
        # The police desk verifies the citizen for level 2 meanwhile.
        for db in _database(live):
            db.execute(
                update(EidAccount)
                .where(EidAccount.personal_id == live.stepper)
                .values(level=2, level2_verified_at=clock.now(), level2_verified_by="test")
            )
        # A level-2 procedure sends the level-1 session to sign in again at level 2; the
        # provider steps the eID session up (passcode and SMS code), consent is remembered.
        callback = _to_callback(
            live, browser, "/portal/login?next=/portal&level=2", live.stepper, phone=PHONE_STEP
        )
        assert "acr_values" not in callback
        done = browser.get(callback)
        assert done.status_code == 303 and done.headers["location"] == "/portal"
        second = _portal_session(live, browser)
        assert second is not None and second.acr == 2 and second.id != first.id
        for db in _database(live):
            old = db.get(PortalSession, first.id)
            assert old is not None and old.ended_at is not None  # the old session ended
        assert "(level 2)" in browser.get("/portal").text


def test_an_unknown_state_at_the_live_callback_is_a_clear_error(live: Live) -> None:
    with _browser(live) as browser:
        response = browser.get("/portal/callback?code=x&state=y")
        _failed(response, "state_mismatch")
        assert "was not started in this browser" in response.text
