"""The authorization code flow end to end on the TestClient: PKCE, ID token, userinfo, consent,
audit of released claims, login history."""

from __future__ import annotations

import base64
import hashlib

from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select
from sqlalchemy.orm import Session

from oncegov.audit.models import AuditEntry
from oncegov.config import settings
from oncegov.identity.accounts.models import LoginEvent
from oncegov.identity.oidc.models import OidcSubject
from tests.fixtures import citizen_session, make_citizen, make_eid_account
from tests.identity.oidc.conftest import (
    AuthRequest,
    RelyingParty,
    allow,
    authorize,
    code_for,
    exchange,
    query_of,
    tokens_for,
)


def verify_id_token(client: TestClient, id_token: str) -> dict[str, object]:
    keyset = KeySet.import_key_set(client.get("/oidc/jwks").json())
    return dict(jwt.decode(id_token, keyset, algorithms=["RS256"]).claims)


def test_discovery_lists_what_is_supported(client: TestClient) -> None:
    doc = client.get("/.well-known/openid-configuration").json()
    assert doc["issuer"] == settings.oidc_issuer
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["authorization_response_iss_parameter_supported"] is True
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert set(doc["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "private_key_jwt",
    }
    assert "urn:vn:eid:level:2" in doc["acr_values_supported"]
    assert doc["end_session_endpoint"].endswith("/oidc/logout")
    assert "personal_id" in doc["claims_supported"]


def test_full_code_flow(client: TestClient, db: Session, rp: RelyingParty) -> None:
    citizen = make_citizen(db, full_name="Nông Văn Dền")
    account = make_eid_account(db, citizen, level=2)
    citizen_session(client, db, account)
    request = AuthRequest(rp, scope="openid profile birthdate personal_id")

    first = client.get(request.url(), follow_redirects=False)
    assert first.status_code == 200  # the consent screen
    assert "Cổng dịch vụ công tỉnh" in first.text
    assert 'data-scope="personal_id"' in first.text
    assert 'data-scope="address"' not in first.text
    redirect = allow(client, first)
    assert redirect.status_code == 303
    location = redirect.headers["location"]
    assert location.startswith(rp.redirect_uri + "?")
    params = query_of(location)
    assert params["state"] == request.state
    assert params["iss"] == settings.oidc_issuer

    response = exchange(client, request, params["code"])
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["refresh_token"]
    claims = verify_id_token(client, body["id_token"])
    assert claims["iss"] == settings.oidc_issuer
    assert claims["aud"] == rp.client_id
    assert claims["nonce"] == request.nonce
    assert claims["acr"] == "urn:vn:eid:level:2"
    assert claims["amr"] == ["pwd", "sms", "mfa"]
    assert isinstance(claims["auth_time"], int)
    assert claims["sub"] != citizen.personal_id
    digest = hashlib.sha256(body["access_token"].encode()).digest()[:16]
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    sub = db.scalar(select(OidcSubject.sub).where(OidcSubject.personal_id == citizen.personal_id))
    assert claims["sub"] == sub

    info = client.get("/oidc/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.status_code == 200
    data = info.json()
    assert data["sub"] == sub
    assert data["name"] == "Nông Văn Dền"
    assert data["family_name"] == "Nông" and data["given_name"] == "Dền"
    assert data["personal_id"] == citizen.personal_id
    assert data["birthdate"].startswith(str(citizen.birth_year))
    assert "phone_number" not in data and "address" not in data

    released = db.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "oidc.claims_released",
            AuditEntry.subject_personal_id == citizen.personal_id,
        )
    ).all()
    assert len(released) == 1
    assert released[0].actor_id == rp.client_id
    assert released[0].actor_kind == "service"
    assert rp.client_id in released[0].detail and "personal_id" in released[0].detail
    registry_read = db.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "registry.read",
            AuditEntry.subject_personal_id == citizen.personal_id,
        )
    ).all()
    assert any("Cổng dịch vụ công tỉnh" in e.purpose for e in registry_read)
    events = db.scalars(select(LoginEvent.event).where(LoginEvent.account_id == account.id)).all()
    assert "token_issued" in events


def test_consent_is_remembered_and_asked_again_when_scopes_grow(
    client: TestClient, db: Session, rp: RelyingParty
) -> None:
    account = make_eid_account(db, make_citizen(db))
    citizen_session(client, db, account)
    code_for(client, AuthRequest(rp, scope="openid profile"))
    again = client.get(AuthRequest(rp, scope="openid profile").url(), follow_redirects=False)
    assert again.status_code == 303 and "code=" in again.headers["location"]
    grown = client.get(AuthRequest(rp, scope="openid profile phone").url(), follow_redirects=False)
    assert grown.status_code == 200 and 'data-scope="phone"' in grown.text


def test_consent_denied_sends_access_denied(
    client: TestClient, db: Session, rp: RelyingParty
) -> None:
    citizen_session(client, db, make_eid_account(db, make_citizen(db)))
    request = AuthRequest(rp)
    page = client.get(request.url(), follow_redirects=False)
    denied = allow(client, page, decision="deny")
    params = query_of(denied.headers["location"])
    assert params["error"] == "access_denied"
    assert params["state"] == request.state
    assert params["iss"] == settings.oidc_issuer


def test_consent_post_needs_the_csrf_token(
    client: TestClient, db: Session, rp: RelyingParty
) -> None:
    citizen_session(client, db, make_eid_account(db, make_citizen(db)))
    request = AuthRequest(rp)
    page = client.get(request.url(), follow_redirects=False)
    assert page.status_code == 200
    forged = client.post(
        "/oidc/consent",
        data={"client_id": rp.client_id, "decision": "allow", "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert forged.status_code == 403


def test_userinfo_returns_only_granted_scopes(
    client: TestClient, db: Session, rp: RelyingParty
) -> None:
    citizen = make_citizen(db)
    citizen_session(client, db, make_eid_account(db, citizen))
    tokens = tokens_for(client, AuthRequest(rp, scope="openid phone"))
    data = client.get(
        "/oidc/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    ).json()
    assert set(data) == {"sub", "phone_number", "phone_number_verified"}
    assert data["phone_number"].startswith("+84")
    tokens = tokens_for(client, AuthRequest(rp, scope="openid address"))
    data = client.post(
        "/oidc/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    ).json()
    assert set(data) == {"sub", "address"} or set(data) == {"sub"}
    if citizen.permanent_address:
        assert data["address"]["formatted"] == citizen.permanent_address


def test_userinfo_refuses_an_unknown_token(client: TestClient) -> None:
    response = client.get("/oidc/userinfo", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert "invalid_token" in response.headers["www-authenticate"]
    assert client.get("/oidc/userinfo").status_code == 401


def test_no_session_sends_the_browser_to_the_eid_sign_in(
    client: TestClient, rp: RelyingParty
) -> None:
    response = authorize(client, AuthRequest(rp))
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/eid/login?next=%2Foidc%2Fauthorize%3F")
    assert "force=1" not in location and "level=2" not in location
