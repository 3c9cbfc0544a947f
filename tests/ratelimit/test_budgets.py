"""The rate limits as a client meets them, on both backends: budgets per address and per
account that no header resets, failed client authentication counted per source, and
``Retry-After`` on every 429, HTML and JSON."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from oncegov.config import settings
from oncegov.registry.models import Citizen
from tests.auth.test_login import _attempt
from tests.fixtures import OfficerLogin, login, make_citizen, make_eid_account
from tests.identity.accounts.test_pages import form_token, sign_in
from tests.identity.oidc.conftest import RelyingParty, register

LIMIT = 3
WRONG_CODE = "000000"


ClientFrom = Callable[[str], TestClient]


@pytest.fixture
def client_from(app: FastAPI) -> Iterator[ClientFrom]:
    """Test clients connecting from distinct addresses (no proxy in between)."""
    with ExitStack() as opened:
        by_address: dict[str, TestClient] = {}

        def open_one(address: str) -> TestClient:
            if address not in by_address:
                client = TestClient(app, client=(address, 50000))
                by_address[address] = opened.enter_context(client)
            return by_address[address]

        yield open_one


def _address(number: int) -> str:
    return f"198.51.100.{number + 1}"


# --- sign-in budgets --------------------------------------------------------------------------


def test_rotating_forwarded_for_keeps_one_address_budget(
    backend: str, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "ip_login_limit_per_minute", LIMIT)
    statuses = []
    for number in range(LIMIT + 2):
        client.headers["X-Forwarded-For"] = _address(number)
        statuses.append(_attempt(client, f"spray{number}", "a guessed password", WRONG_CODE)[0])
    assert statuses == [401] * LIMIT + [429, 429]


def test_an_officer_account_has_a_budget_whatever_the_address(
    backend: str,
    client_from: ClientFrom,
    commune_officer: OfficerLogin,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "account_login_limit_per_minute", LIMIT)
    statuses = [
        _attempt(client_from(_address(n)), commune_officer.username, "wrong", WRONG_CODE)[0]
        for n in range(LIMIT + 2)
    ]
    assert statuses == [401] * LIMIT + [429, 429]
    # Unknown usernames are budgeted the same way, so a refusal reveals no account.
    unknown = [
        _attempt(client_from(_address(n)), "no.such.officer", "wrong", WRONG_CODE)[0]
        for n in range(LIMIT + 1)
    ]
    assert unknown == [401] * LIMIT + [429]


def test_an_eid_account_has_a_budget_whatever_the_address(
    backend: str, client_from: ClientFrom, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "account_login_limit_per_minute", LIMIT)
    monkeypatch.setattr(settings, "passcode_max_failures_before_lock", 100)  # budget, not lock
    citizen: Citizen = make_citizen(db)
    make_eid_account(db, citizen, level=1)
    statuses = [
        sign_in(client_from(_address(n)), citizen.personal_id, "999999")[0]
        for n in range(LIMIT + 1)
    ]
    assert statuses == [401] * LIMIT + [429]


# --- Retry-After on every 429 -----------------------------------------------------------------


def test_html_and_json_429_carry_retry_after(
    backend: str,
    client: TestClient,
    db: Session,
    commune_officer: OfficerLogin,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    login(client, commune_officer)
    monkeypatch.setattr(settings, "lookup_limit_per_minute", 1)
    citizen = make_citizen(db)
    params = {"purpose": "x"}
    assert (
        client.get(f"/api/v1/registry/citizens/{citizen.personal_id}", params=params).status_code
        == 200
    )
    as_json = client.get(f"/api/v1/registry/citizens/{citizen.personal_id}", params=params)
    as_html = client.get(f"/registry/citizens/{citizen.personal_id}", params=params)
    for refused in (as_json, as_html):
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert as_html.headers["content-type"].startswith("text/html")
    assert as_json.json()["error"]["params"]["retry_after"] == int(as_json.headers["Retry-After"])


def _eid_sign_in(client: TestClient) -> Response:
    data = {"personal_id": "001085000001", "passcode": "999999"}
    data["form_token"] = form_token(client, "/eid/login")
    return client.post("/eid/login", data=data, follow_redirects=False)


def _officer_sign_in(client: TestClient) -> Response:
    token = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/login").text)
    assert token
    data = {"username": "someone", "password": "w", "otp": WRONG_CODE, "login_csrf": token[1]}
    return client.post("/login", data=data, follow_redirects=False)


@pytest.mark.parametrize("sign_in_once", [_eid_sign_in, _officer_sign_in])
def test_a_sign_in_form_shown_again_with_a_429_says_when_to_retry(
    backend: str,
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    sign_in_once: Callable[[TestClient], Response],
) -> None:
    monkeypatch.setattr(settings, "ip_login_limit_per_minute", 1)
    assert sign_in_once(client).status_code == 401
    refused = sign_in_once(client)
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("text/html")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


# --- the OIDC token endpoint ------------------------------------------------------------------


def _token_request(client: TestClient, rp: RelyingParty, secret: str) -> int:
    answer = client.post(
        "/oidc/token",
        data={"grant_type": "authorization_code", "code": "not-a-code"},
        auth=(rp.client_id, secret),
    )
    if answer.status_code == 429:
        assert 1 <= int(answer.headers["Retry-After"]) <= 60
    return answer.status_code


def test_wrong_secrets_from_elsewhere_do_not_lock_the_relying_party_out(
    backend: str, client_from: ClientFrom, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "oidc_token_limit_per_minute", LIMIT)
    monkeypatch.setattr(settings, "oidc_token_failures_per_minute", LIMIT)
    rp = register(db)
    attacker, relying_party = client_from("203.0.113.66"), client_from("198.51.100.200")
    guesses = [_token_request(attacker, rp, "a wrong secret") for _ in range(LIMIT + 2)]
    assert guesses == [401] * LIMIT + [429, 429]
    # The real relying party authenticates (the made-up code is then refused: 400, not 429).
    assert _token_request(relying_party, rp, rp.secret or "") == 400


def test_an_authenticated_client_still_has_its_own_budget(
    backend: str, client_from: ClientFrom, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "oidc_token_limit_per_minute", LIMIT)
    rp = register(db)
    answers = [
        _token_request(client_from(_address(n)), rp, rp.secret or "") for n in range(LIMIT + 1)
    ]
    assert answers == [400] * LIMIT + [429]
