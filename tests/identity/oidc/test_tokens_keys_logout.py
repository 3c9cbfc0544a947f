"""Refresh rotation, revocation (RFC 7009, lock, sign-out), signing-key rotation, private_key_jwt
client authentication and RP-initiated logout."""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any

from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from oncegov.auth.models import WebSession
from oncegov.config import settings
from oncegov.identity.accounts import locks
from oncegov.identity.accounts.models import LoginEvent
from oncegov.identity.oidc import keys, service
from oncegov.kit import clock
from tests.fixtures import citizen_session, make_citizen, make_eid_account
from tests.identity.oidc.conftest import (
    LOGOUT_TO,
    AuthRequest,
    RelyingParty,
    code_for,
    query_of,
    register,
    tokens_for,
)

TOKEN_URL = settings.oidc_issuer + "/oidc/token"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def refresh(client: TestClient, rp: RelyingParty, token: str) -> Any:
    return client.post(
        "/oidc/token",
        data={"grant_type": "refresh_token", "refresh_token": token},
        auth=rp.basic,
    )


def header_of(token: str) -> dict[str, Any]:
    part = token.split(".", maxsplit=1)[0]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def unsigned(claims: dict[str, Any]) -> str:
    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."


# --- refresh tokens -----------------------------------------------------------------------------


def test_refresh_rotates_and_reuse_revokes_the_family(
    client: TestClient, db: Session, rp: RelyingParty
) -> None:
    account = make_eid_account(db, make_citizen(db))
    citizen_session(client, db, account)
    first = tokens_for(client, AuthRequest(rp))
    second = refresh(client, rp, first["refresh_token"])
    assert second.status_code == 200, second.text
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert client.get("/oidc/userinfo", headers=bearer(rotated["access_token"])).status_code == 200
    assert client.get("/oidc/userinfo", headers=bearer(first["access_token"])).status_code == 401
    events = db.scalars(select(LoginEvent.event).where(LoginEvent.account_id == account.id)).all()
    assert "token_refreshed" in events

    replay = refresh(client, rp, first["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    # The whole family is gone: the rotated tokens too.
    assert client.get("/oidc/userinfo", headers=bearer(rotated["access_token"])).status_code == 401
    assert refresh(client, rp, rotated["refresh_token"]).json()["error"] == "invalid_grant"


def test_refresh_token_of_another_client_is_refused(
    client: TestClient, db: Session, rp: RelyingParty
) -> None:
    citizen_session(client, db, make_eid_account(db, make_citizen(db)))
    tokens = tokens_for(client, AuthRequest(rp))
    other = register(db, name="Other")
    assert refresh(client, other, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_revocation_endpoint(client: TestClient, db: Session, rp: RelyingParty) -> None:
    citizen_session(client, db, make_eid_account(db, make_citizen(db)))
    tokens = tokens_for(client, AuthRequest(rp))
    other = register(db, name="Other")
    wrong = client.post("/oidc/revoke", data={"token": tokens["access_token"]}, auth=other.basic)
    assert wrong.status_code == 400  # not this client's token: nothing revoked
    assert client.get("/oidc/userinfo", headers=bearer(tokens["access_token"])).status_code == 200
    response = client.post(
        "/oidc/revoke",
        data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
        auth=rp.basic,
    )
    assert response.status_code == 200
    assert client.get("/oidc/userinfo", headers=bearer(tokens["access_token"])).status_code == 401
    assert refresh(client, rp, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    unknown = client.post("/oidc/revoke", data={"token": "nothing"}, auth=rp.basic)
    assert unknown.status_code == 200  # RFC 7009: an unknown token is not an error
    no_auth = client.post("/oidc/revoke", data={"token": "nothing"})
    assert no_auth.status_code == 401


def test_locking_the_account_revokes_tokens(
    client: TestClient, db: Session, rp: RelyingParty
) -> None:
    account = make_eid_account(db, make_citizen(db))
    citizen_session(client, db, account)
    tokens = tokens_for(client, AuthRequest(rp))
    locks.lock_by_citizen(db, account.id, ip="127.0.0.1")
    assert client.get("/oidc/userinfo", headers=bearer(tokens["access_token"])).status_code == 401
    assert refresh(client, rp, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_unusable_account_gets_no_userinfo_even_with_a_live_token(
    client: TestClient, db: Session, rp: RelyingParty
) -> None:
    account = make_eid_account(db, make_citizen(db))
    citizen_session(client, db, account)
    tokens = tokens_for(client, AuthRequest(rp))
    account.status = "locked"  # e.g. a lock written by another path than the service
    db.flush()
    assert client.get("/oidc/userinfo", headers=bearer(tokens["access_token"])).status_code == 401


def test_revoke_for_session_only_touches_that_session(
    client: TestClient, db: Session, rp: RelyingParty
) -> None:
    account = make_eid_account(db, make_citizen(db))
    citizen_session(client, db, account)
    tokens = tokens_for(client, AuthRequest(rp))
    session_id = db.scalars(select(WebSession.id).order_by(WebSession.id.desc())).first()
    assert session_id is not None
    assert service.revoke_for_session(db, session_id + 1000, reason="test") == 0
    assert service.revoke_for_session(db, session_id, reason="test") == 1
    assert client.get("/oidc/userinfo", headers=bearer(tokens["access_token"])).status_code == 401


# --- signing keys -------------------------------------------------------------------------------


def test_jwks_keeps_the_old_key_after_rotation(
    client: TestClient, db: Session, rp: RelyingParty
) -> None:
    citizen_session(client, db, make_eid_account(db, make_citizen(db)))
    old_token = tokens_for(client, AuthRequest(rp))["id_token"]
    old_kid = header_of(old_token)["kid"]
    keys.rotate(db)
    published = client.get("/oidc/jwks").json()["keys"]
    kids = [k["kid"] for k in published]
    assert old_kid in kids and len(kids) >= 2
    assert all("d" not in k for k in published)  # never a private part
    new_token = tokens_for(client, AuthRequest(rp))["id_token"]
    assert header_of(new_token)["kid"] != old_kid
    keyset = KeySet.import_key_set({"keys": published})
    jwt.decode(old_token, keyset, algorithms=["RS256"])
    jwt.decode(new_token, keyset, algorithms=["RS256"])


def test_retired_key_leaves_the_jwks_after_the_longest_token_lifetime(db: Session) -> None:
    import datetime as dt

    first = keys.active_key(db)
    keys.rotate(db)
    assert first.kid in {k["kid"] for k in keys.jwks(db)["keys"]}
    first.retired_at = clock.now() - dt.timedelta(seconds=keys.longest_token_seconds() + 1)
    db.flush()
    assert first.kid not in {k["kid"] for k in keys.jwks(db)["keys"]}


def test_first_key_is_created_once(db: Session) -> None:
    assert keys.active_key(db).kid == keys.active_key(db).kid


def test_private_key_is_stored_encrypted(db: Session) -> None:
    row = keys.active_key(db)
    assert '"d"' not in row.private_key_encrypted and '"d"' not in row.public_jwk


# --- private_key_jwt ----------------------------------------------------------------------------


def jwt_client(db: Session) -> tuple[RelyingParty, RSAKey]:
    key = RSAKey.generate_key(2048, parameters={"kid": "rp-1"})
    jwks = json.dumps({"keys": [key.as_dict(private=False)]})
    return register(db, auth_method="private_key_jwt", jwks=jwks, name="JWT client"), key


def assertion(client_id: str, key: RSAKey, **overrides: Any) -> str:
    now = int(clock.timestamp())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": TOKEN_URL,
        "iat": now,
        "exp": now + 60,
        "jti": secrets.token_urlsafe(12),
    }
    claims.update(overrides)
    return jwt.encode({"alg": "RS256", "kid": "rp-1"}, claims, key)


def exchange_with(client: TestClient, request: AuthRequest, code: str, token: str) -> Any:
    return client.post(
        "/oidc/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": request.rp.redirect_uri,
            "code_verifier": request.verifier,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": token,
        },
    )


def test_private_key_jwt_client_gets_tokens(client: TestClient, db: Session) -> None:
    rp, key = jwt_client(db)
    assert rp.secret is None
    citizen_session(client, db, make_eid_account(db, make_citizen(db)))
    request = AuthRequest(rp)
    code = code_for(client, request)
    signed = assertion(rp.client_id, key)
    response = exchange_with(client, request, code, signed)
    assert response.status_code == 200, response.text
    assert response.json()["id_token"]
    # The same assertion again is a replay.
    request2 = AuthRequest(rp)
    code2 = code_for(client, request2)
    replay = exchange_with(client, request2, code2, signed)
    assert replay.status_code in (400, 401) and replay.json()["error"] == "invalid_client"


def test_private_key_jwt_refusals(client: TestClient, db: Session, rp: RelyingParty) -> None:
    jwt_rp, key = jwt_client(db)
    citizen_session(client, db, make_eid_account(db, make_citizen(db)))
    other_key = RSAKey.generate_key(2048, parameters={"kid": "rp-1"})
    cases = {
        "alg none": unsigned(
            {
                "iss": jwt_rp.client_id,
                "sub": jwt_rp.client_id,
                "aud": TOKEN_URL,
                "exp": int(clock.timestamp()) + 60,
                "jti": "n1",
            }
        ),
        "wrong audience": assertion(jwt_rp.client_id, key, aud="https://elsewhere.example"),
        "expired": assertion(jwt_rp.client_id, key, exp=int(clock.timestamp()) - 3600),
        "other key": assertion(jwt_rp.client_id, other_key),
        "no jti": assertion(jwt_rp.client_id, key, jti=None),
    }
    for name, token in cases.items():
        request = AuthRequest(jwt_rp)
        code = code_for(client, request)
        response = exchange_with(client, request, code, token)
        assert response.json().get("error") == "invalid_client", name
    # A secret client may not switch to private_key_jwt (nor the reverse).
    request = AuthRequest(rp)
    code = code_for(client, request)
    response = exchange_with(client, request, code, assertion(rp.client_id, key))
    assert response.json()["error"] == "invalid_client"


# --- RP-initiated logout ------------------------------------------------------------------------


def test_logout_with_id_token_hint(client: TestClient, db: Session, rp: RelyingParty) -> None:
    account = make_eid_account(db, make_citizen(db))
    citizen_session(client, db, account)
    tokens = tokens_for(client, AuthRequest(rp))
    response = client.get(
        "/oidc/logout",
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": LOGOUT_TO,
            "state": "bye-1",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith(LOGOUT_TO)
    assert query_of(response.headers["location"])["state"] == "bye-1"
    live = db.scalars(
        select(WebSession).where(
            WebSession.subject_id == account.id, WebSession.revoked_at.is_(None)
        )
    ).all()
    assert live == []
    assert client.get("/oidc/userinfo", headers=bearer(tokens["access_token"])).status_code == 401
    assert refresh(client, rp, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_logout_refuses_an_unregistered_post_logout_uri(
    client: TestClient, db: Session, rp: RelyingParty
) -> None:
    citizen_session(client, db, make_eid_account(db, make_citizen(db)))
    tokens = tokens_for(client, AuthRequest(rp))
    response = client.get(
        "/oidc/logout",
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": "https://evil.example/",
        },
        follow_redirects=False,
    )
    assert response.status_code == 400 and "location" not in response.headers


def test_logout_without_a_valid_hint_asks_to_confirm(
    client: TestClient, db: Session, rp: RelyingParty
) -> None:
    account = make_eid_account(db, make_citizen(db))
    csrf = citizen_session(client, db, account)
    tokens = tokens_for(client, AuthRequest(rp))
    claims = {"iss": settings.oidc_issuer, "aud": rp.client_id, "sub": "x", "exp": 9999999999}
    for hint in (None, unsigned(claims), tokens["id_token"][:-4] + "AAAA"):
        params = {"post_logout_redirect_uri": LOGOUT_TO, "client_id": rp.client_id}
        if hint:
            params["id_token_hint"] = hint
        page = client.get("/oidc/logout", params=params, follow_redirects=False)
        assert page.status_code == 200 and 'name="confirm"' in page.text
    forged = client.post(
        "/oidc/logout", data={"confirm": "1", "csrf_token": "forged"}, follow_redirects=False
    )
    assert forged.status_code == 200 and 'name="confirm"' in forged.text
    assert client.get("/oidc/userinfo", headers=bearer(tokens["access_token"])).status_code == 200
    confirmed = client.post(
        "/oidc/logout",
        data={
            "confirm": "1",
            "csrf_token": csrf,
            "post_logout_redirect_uri": LOGOUT_TO,
            "client_id": rp.client_id,
        },
        follow_redirects=False,
    )
    assert confirmed.status_code == 303 and confirmed.headers["location"].startswith(LOGOUT_TO)
    assert client.get("/oidc/userinfo", headers=bearer(tokens["access_token"])).status_code == 401


def test_eid_sign_out_revokes_the_sessions_tokens(
    client: TestClient, db: Session, rp: RelyingParty
) -> None:
    account = make_eid_account(db, make_citizen(db))
    csrf = citizen_session(client, db, account)
    tokens = tokens_for(client, AuthRequest(rp))
    client.post("/eid/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert client.get("/oidc/userinfo", headers=bearer(tokens["access_token"])).status_code == 401
