"""The portal's relying party in-process: its registration, the authorization request it sends,
the callback's refusals before any token exchange, the ID-token checks, sessions, the step-up
redirect and sign-out. The whole flow against a live provider is test_portal_signin.py."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from oncegov.cli.main import app as cli_app
from oncegov.config import settings
from oncegov.identity.oidc import keys
from oncegov.identity.oidc import service as oidc
from oncegov.identity.oidc.protocol import discovery_document
from oncegov.kit import clock
from oncegov.kit.crypto import hash_token, new_token
from oncegov.procedures.portal import rp, service
from oncegov.procedures.portal.dependencies import CurrentPortalCitizen, portal_citizen_at
from oncegov.procedures.portal.models import PortalLoginRequest, PortalSession
from oncegov.procedures.portal.schemas import PortalCitizen
from tests.fixtures import run_cli_in

PERSONAL_ID = "001085000123"


def query_of(location: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(location).query)


def portal_session(
    client: TestClient, db: Session, *, acr: int = 1, idle_minutes: int = 0
) -> PortalSession:
    """A live portal session cookie for ``client`` (as after a sign-in)."""
    token = new_token()
    moment = clock.now()
    row = PortalSession(
        token_hash=hash_token(token),
        personal_id=PERSONAL_ID,
        full_name="Lò Thị Hoa",
        sub="sub-" + new_token(8),
        acr=acr,
        auth_time=moment,
        csrf_token=new_token(24),
        created_at=moment,
        last_seen_at=moment - dt.timedelta(minutes=idle_minutes),
        expires_at=moment + dt.timedelta(hours=settings.session_absolute_hours),
    )
    db.add(row)
    db.commit()  # a savepoint release: kept when a refused request rolls back
    client.cookies.set(settings.portal_session_cookie, token)
    return row


# --- the relying party's registration ------------------------------------------------------------


def test_the_portal_client_is_registered_once_and_kept_as_configured(db: Session) -> None:
    view, changed = service.ensure_portal_client(db)
    assert changed and view.client_id == "oncegov-portal"
    assert view.redirect_uris == [f"{settings.oidc_issuer}/portal/callback"]
    assert set(view.scopes) == {"openid", "profile", "personal_id"}
    assert view.max_level == 2 and view.require_nonce and view.auth_method == "client_secret_basic"
    client = oidc.enabled_client(db, "oncegov-portal")
    assert client is not None
    assert oidc.secret_matches(client, settings.portal_client_secret.get_secret_value())
    # Again: nothing changes. Disabled or with another secret: brought back.
    assert service.ensure_portal_client(db)[1] is False
    client.enabled = False
    client.secret_hash = hash_token("something else")
    assert service.ensure_portal_client(db)[1] is True
    assert client.enabled
    assert oidc.secret_matches(client, settings.portal_client_secret.get_secret_value())


def test_the_cli_registers_the_portal_client_idempotently(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_cli_in(db, monkeypatch)
    first = CliRunner().invoke(cli_app, ["procedures", "portal-client"], env={"COLUMNS": "200"})
    assert first.exit_code == 0, first.output
    assert "oncegov-portal: registered or updated" in first.output
    assert f"{settings.oidc_issuer}/portal/callback" in first.output
    again = CliRunner().invoke(cli_app, ["procedures", "portal-client"], env={"COLUMNS": "200"})
    assert again.exit_code == 0 and "already up to date" in again.output
    wrong = CliRunner().invoke(
        cli_app, ["procedures", "portal-client", "--public-url", "http://portal.example"]
    )
    assert wrong.exit_code == 1 and "redirect_uris" in wrong.output


def test_the_portal_knows_the_providers_published_levels() -> None:
    assert sorted(rp.ACR_BY_LEVEL.values()) == sorted(discovery_document()["acr_values_supported"])
    assert set(rp.SCOPES) <= set(discovery_document()["scopes_supported"])


def test_the_portal_secret_is_a_production_problem_while_it_is_the_development_one() -> None:
    assert "ONCEGOV_PORTAL_CLIENT_SECRET" in settings.production_problems()
    assert settings.portal_client_secret.get_secret_value().startswith("dev-only-")


# --- the authorization request -------------------------------------------------------------------


def test_login_sends_the_browser_to_the_provider_with_pkce_state_nonce_and_acr(
    client: TestClient, db: Session
) -> None:
    response = client.get("/portal/login?next=/procedures&level=2", follow_redirects=False)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(f"{settings.oidc_issuer}/oidc/authorize?")
    params = {k: v[0] for k, v in query_of(location).items()}
    assert params["client_id"] == "oncegov-portal"
    assert params["response_type"] == "code"
    assert params["redirect_uri"] == f"{settings.oidc_issuer}/portal/callback"
    assert params["scope"].split() == ["openid", "profile", "personal_id"]
    assert params["acr_values"] == "urn:vn:eid:level:2"
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    state_hash = hash_token(params["state"])
    row = db.scalar(select(PortalLoginRequest).where(PortalLoginRequest.state_hash == state_hash))
    assert row is not None and row.level == 2 and row.next_path == "/procedures"
    assert row.nonce == params["nonce"]
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("portal_login=") and "HttpOnly" in cookie
    assert "Path=/portal/callback" in cookie and "samesite=lax" in cookie.lower()
    assert row.binding_hash == hash_token(client.cookies["portal_login"])
    assert params["state"] not in cookie  # the binding is its own secret, not the state


def test_sign_ins_started_are_limited_per_address(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "portal_logins_per_minute", 2)
    for _ in range(2):
        assert client.get("/portal/login", follow_redirects=False).status_code == 303
    refused = client.get("/portal/login", follow_redirects=False)
    assert refused.status_code == 429 and refused.headers["retry-after"]


def test_level_one_is_asked_by_default(client: TestClient) -> None:
    location = client.get("/portal/login", follow_redirects=False).headers["location"]
    assert query_of(location)["acr_values"] == ["urn:vn:eid:level:1"]


@pytest.mark.parametrize(
    "target",
    ["//evil.example/x", "https://evil.example/", "/\\evil.example", "evil", "/ok\r\nX: 1"],
)
def test_next_is_only_ever_a_local_path(client: TestClient, db: Session, target: str) -> None:
    response = client.get("/portal/login", params={"next": target}, follow_redirects=False)
    state = query_of(response.headers["location"])["state"][0]
    row = db.scalar(
        select(PortalLoginRequest).where(PortalLoginRequest.state_hash == hash_token(state))
    )
    assert row is not None and row.next_path == "/portal"


def test_a_session_at_the_level_goes_straight_on(client: TestClient, db: Session) -> None:
    portal_session(client, db, acr=2)
    response = client.get("/portal/login?next=/procedures&level=2", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/procedures"


# --- the callback's refusals ---------------------------------------------------------------------


def _started(client: TestClient) -> str:
    location = client.get("/portal/login?next=/portal", follow_redirects=False).headers["location"]
    return query_of(location)["state"][0]


def _failed(response: Any, code: str) -> None:
    assert response.status_code == 400, response.text[:300]
    assert f'data-code="{code}"' in response.text
    assert 'href="/portal/login"' in response.text
    assert settings.portal_session_cookie not in response.headers.get("set-cookie", "")


def test_an_unknown_state_is_refused(client: TestClient) -> None:
    _started(client)
    _failed(client.get("/portal/callback?code=abc&state=forged"), "state_mismatch")
    _failed(client.get("/portal/callback?code=abc"), "state_mismatch")


def test_a_state_started_in_another_browser_is_refused(app: FastAPI, client: TestClient) -> None:
    state = _started(client)
    with TestClient(app, base_url="http://testserver") as other:  # no binding cookie
        _failed(other.get(f"/portal/callback?code=abc&state={state}"), "state_mismatch")


def test_the_providers_refusal_is_explained(client: TestClient) -> None:
    state = _started(client)
    response = client.get(
        f"/portal/callback?error=unmet_authentication_requirements&state={state}"
        f"&iss={settings.oidc_issuer}"
    )
    _failed(response, "provider_refused")
    client.cookies.set("oncegov_lang", "en")
    state = _started(client)
    response = client.get(f"/portal/callback?error=access_denied&state={state}")
    _failed(response, "provider_refused")
    assert "You did not allow the portal" in response.text


def test_another_issuer_in_the_answer_is_refused(client: TestClient) -> None:
    state = _started(client)
    response = client.get(f"/portal/callback?code=abc&state={state}&iss=https://evil.example")
    _failed(response, "issuer_mismatch")


def test_an_expired_sign_in_is_refused(client: TestClient, db: Session) -> None:
    state = _started(client)
    row = db.scalar(
        select(PortalLoginRequest).where(PortalLoginRequest.state_hash == hash_token(state))
    )
    assert row is not None
    row.expires_at = clock.now() - dt.timedelta(seconds=1)
    db.flush()
    _failed(client.get(f"/portal/callback?code=abc&state={state}"), "login_expired")


def test_a_spent_sign_in_is_refused(client: TestClient, db: Session) -> None:
    state = _started(client)
    row = db.scalar(
        select(PortalLoginRequest).where(PortalLoginRequest.state_hash == hash_token(state))
    )
    assert row is not None
    row.used_at = clock.now()
    db.flush()
    _failed(client.get(f"/portal/callback?code=abc&state={state}"), "login_replayed")


# --- the ID token ------------------------------------------------------------------------------


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(clock.timestamp())
    claims = {
        "iss": settings.oidc_issuer,
        "sub": "s-1",
        "aud": "oncegov-portal",
        "azp": "oncegov-portal",
        "iat": now,
        "exp": now + 600,
        "auth_time": now,
        "nonce": "n-1",
        "acr": "urn:vn:eid:level:2",
        "amr": ["pwd", "sms", "mfa"],
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _verify(db: Session, token: str, level: int = 1) -> dict[str, Any]:
    keyset = KeySet.import_key_set(keys.jwks(db))  # type: ignore[arg-type]
    return rp.verify_id_token(token, keyset, nonce="n-1", level=level)


def test_a_good_id_token_is_accepted(db: Session) -> None:
    assert _verify(db, keys.sign(db, _claims()), level=2)["sub"] == "s-1"


@pytest.mark.parametrize(
    "overrides",
    [
        {"nonce": "n-other"},
        {"nonce": None},
        {"aud": "og-another-client"},
        {"azp": "og-another-client"},
        {"iss": "https://evil.example"},
        {"exp": int(clock.timestamp()) - 3600},
        {"acr": "urn:vn:eid:level:9"},
        {"acr": None},
    ],
    ids=["nonce", "no-nonce", "aud", "azp", "iss", "expired", "unknown-acr", "no-acr"],
)
def test_a_wrong_id_token_is_refused(db: Session, overrides: dict[str, Any]) -> None:
    with pytest.raises(rp.SignInFailed) as refused:
        _verify(db, keys.sign(db, _claims(**overrides)))
    assert refused.value.code == "id_token_invalid"


def test_an_id_token_below_the_level_asked_for_is_refused(db: Session) -> None:
    with pytest.raises(rp.SignInFailed) as refused:
        _verify(db, keys.sign(db, _claims(acr="urn:vn:eid:level:1")), level=2)
    assert refused.value.code == "level_not_met"


def test_unsigned_and_hmac_id_tokens_are_refused(db: Session) -> None:
    forged_hmac = jwt.encode({"alg": "HS256"}, _claims(), OctKey.generate_key(256))
    header, payload, _ = keys.sign(db, _claims()).split(".")
    unsigned = "eyJhbGciOiJub25lIn0." + payload + "."
    for token in (forged_hmac, unsigned, f"{header}.{payload}.AAAA"):
        with pytest.raises(rp.SignInFailed):
            _verify(db, token)


# --- sessions, step-up, sign-out -----------------------------------------------------------------


def test_the_home_page_needs_a_portal_session(client: TestClient, db: Session) -> None:
    response = client.get("/portal", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/portal/login?next=/portal"
    portal_session(client, db, acr=1)
    client.cookies.set("oncegov_lang", "en")
    page = client.get("/portal")
    assert page.status_code == 200
    assert "Signed in as Lò Thị Hoa (level 1)" in page.text
    assert 'href="/portal/dossiers"' in page.text and 'href="/procedures"' in page.text


def test_the_home_page_is_vietnamese_by_default(client: TestClient, db: Session) -> None:
    portal_session(client, db, acr=2)
    page = client.get("/portal")
    assert "Lò Thị Hoa" in page.text and "Signed in as" not in page.text


def test_an_idle_or_ended_session_signs_in_again(client: TestClient, db: Session) -> None:
    portal_session(client, db, idle_minutes=settings.session_idle_minutes + 1)
    assert client.get("/portal", follow_redirects=False).status_code == 303
    row = portal_session(client, db)
    row.ended_at = clock.now()
    db.flush()
    assert client.get("/portal", follow_redirects=False).status_code == 303
    row = portal_session(client, db)
    row.expires_at = clock.now() - dt.timedelta(seconds=1)
    db.flush()
    assert client.get("/portal", follow_redirects=False).status_code == 303


@pytest.fixture
def leveled(app: FastAPI) -> FastAPI:
    """Two pages the way procedures will use the portal: any level, and level 2."""

    @app.get("/test-portal/any")
    def any_level(citizen: CurrentPortalCitizen) -> dict[str, int]:
        return {"acr": citizen.acr}

    @app.post("/test-portal/any")
    def post_any(citizen: CurrentPortalCitizen) -> dict[str, int]:
        return {"acr": citizen.acr}

    @app.get("/test-portal/level2")
    def level_two(
        citizen: Annotated[PortalCitizen, Depends(portal_citizen_at(2))],
    ) -> dict[str, int]:
        return {"acr": citizen.acr}

    return app


def test_a_level_two_procedure_steps_a_level_one_session_up(
    leveled: FastAPI, client: TestClient, db: Session
) -> None:
    portal_session(client, db, acr=1)
    assert client.get("/test-portal/any").json() == {"acr": 1}
    response = client.get("/test-portal/level2", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/portal/login?next=/test-portal/level2&level=2"
    step_up = client.get(response.headers["location"], follow_redirects=False)
    assert query_of(step_up.headers["location"])["acr_values"] == ["urn:vn:eid:level:2"]
    portal_session(client, db, acr=2)
    assert client.get("/test-portal/level2").json() == {"acr": 2}


def test_posts_need_the_sessions_csrf_token(
    leveled: FastAPI, client: TestClient, db: Session
) -> None:
    row = portal_session(client, db)
    refused = client.post("/test-portal/any", data={"csrf_token": "wrong"})
    assert refused.status_code == 403
    ok = client.post("/test-portal/any", data={"csrf_token": row.csrf_token})
    assert ok.status_code == 200
    assert client.post("/test-portal/any", headers={"X-CSRF-Token": row.csrf_token}).json()


def test_sign_out_ends_the_portal_session(client: TestClient, db: Session) -> None:
    row = portal_session(client, db)
    forged = client.post("/portal/logout", data={"csrf_token": "wrong"}, follow_redirects=False)
    assert forged.status_code == 403 and row.ended_at is None
    response = client.post(
        "/portal/logout", data={"csrf_token": row.csrf_token}, follow_redirects=False
    )
    assert response.status_code == 303
    # On to the provider's RP-initiated logout, which ends the eID session too.
    assert response.headers["location"] == (
        f"{settings.oidc_issuer}/oidc/logout?client_id=oncegov-portal"
        f"&post_logout_redirect_uri={quote(settings.oidc_issuer + '/portal/signed-out', safe='')}"
    )
    db.refresh(row)
    assert row.ended_at is not None
    assert 'portal_session=""' in response.headers["set-cookie"]
    assert client.get("/portal", follow_redirects=False).status_code == 303
