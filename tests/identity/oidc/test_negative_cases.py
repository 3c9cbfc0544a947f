"""The OpenID Foundation Basic OP test plan's negative cases, and the provider's own refusals."""

from __future__ import annotations

import base64
import datetime as dt
import json
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from oncegov.auth.models import WebSession
from oncegov.config import settings
from oncegov.identity.oidc import keys, server
from oncegov.kit import clock
from tests.fixtures import citizen_session, make_citizen, make_eid_account
from tests.identity.oidc.conftest import (
    AuthRequest,
    RelyingParty,
    authorize,
    code_for,
    exchange,
    query_of,
    register,
    tokens_for,
)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def signed_in(client: TestClient, db: Session) -> int:
    account = make_eid_account(db, make_citizen(db), level=2)
    citizen_session(client, db, account)
    return account.id


def error_redirect(response: object, request: AuthRequest) -> dict[str, str]:
    assert response.status_code in (302, 303)  # type: ignore[attr-defined]
    location = response.headers["location"]  # type: ignore[attr-defined]
    assert location.startswith(request.rp.redirect_uri + "?")
    params = query_of(location)
    assert params["state"] == request.state
    assert params["iss"] == settings.oidc_issuer
    return params


# --- redirect URIs and clients ------------------------------------------------------------------


def test_unregistered_redirect_uri_gets_an_error_page(
    client: TestClient, rp: RelyingParty, signed_in: int
) -> None:
    for uri in ("https://evil.example/cb", "https://rp.example/cb/", "https://rp.example/cb?x=1"):
        request = AuthRequest(RelyingParty(rp.client_id, rp.secret, redirect_uri=uri))
        response = client.get(request.url(), follow_redirects=False)
        assert response.status_code == 400
        assert "location" not in response.headers
        assert "evil.example" not in response.headers.get("location", "")


def test_missing_redirect_uri_or_unknown_client_gets_an_error_page(
    client: TestClient, rp: RelyingParty
) -> None:
    no_uri = client.get(
        f"/oidc/authorize?response_type=code&client_id={rp.client_id}&scope=openid",
        follow_redirects=False,
    )
    assert no_uri.status_code == 400 and "location" not in no_uri.headers
    unknown = AuthRequest(RelyingParty("og-unknown", None))
    response = client.get(unknown.url(), follow_redirects=False)
    assert response.status_code == 400 and "location" not in response.headers


def test_disabled_client_gets_an_error_page(
    client: TestClient, db: Session, rp: RelyingParty
) -> None:
    from oncegov.identity.oidc import service
    from oncegov.kit.actor import Actor

    service.set_enabled(db, rp.client_id, False, Actor.system("test"))
    response = client.get(AuthRequest(rp).url(), follow_redirects=False)
    assert response.status_code == 400


# --- PKCE ---------------------------------------------------------------------------------------


def test_missing_pkce_is_refused(client: TestClient, rp: RelyingParty, signed_in: int) -> None:
    request = AuthRequest(rp, challenge_method=None)
    params = error_redirect(client.get(request.url(), follow_redirects=False), request)
    assert params["error"] == "invalid_request"
    assert "code" not in params


def test_plain_pkce_is_refused(client: TestClient, rp: RelyingParty, signed_in: int) -> None:
    request = AuthRequest(rp, challenge_method="plain")
    params = error_redirect(client.get(request.url(), follow_redirects=False), request)
    assert params["error"] == "invalid_request"


def test_wrong_code_verifier_is_refused(
    client: TestClient, rp: RelyingParty, signed_in: int
) -> None:
    request = AuthRequest(rp)
    code = code_for(client, request)
    response = exchange(client, request, code, verifier="x" * 50)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    # The code was spent by the failed attempt: the right verifier is too late now.
    assert exchange(client, request, code).json()["error"] == "invalid_grant"


def test_missing_code_verifier_is_refused(
    client: TestClient, rp: RelyingParty, signed_in: int
) -> None:
    request = AuthRequest(rp)
    code = code_for(client, request)
    response = client.post(
        "/oidc/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": rp.redirect_uri},
        auth=rp.basic,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


# --- codes --------------------------------------------------------------------------------------


def test_code_reuse_is_refused_and_revokes_its_tokens(
    client: TestClient, rp: RelyingParty, signed_in: int
) -> None:
    request = AuthRequest(rp)
    code = code_for(client, request)
    first = exchange(client, request, code)
    assert first.status_code == 200
    tokens = first.json()
    assert client.get("/oidc/userinfo", headers=bearer(tokens["access_token"])).status_code == 200
    second = exchange(client, request, code)
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    assert client.get("/oidc/userinfo", headers=bearer(tokens["access_token"])).status_code == 401
    refreshed = client.post(
        "/oidc/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=rp.basic,
    )
    assert refreshed.json()["error"] == "invalid_grant"


def test_expired_code_is_refused(
    client: TestClient, rp: RelyingParty, signed_in: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "oidc_code_seconds", -1)
    request = AuthRequest(rp)
    response = exchange(client, request, code_for(client, request))
    assert response.json()["error"] == "invalid_grant"


def test_code_of_another_client_or_redirect_uri_is_refused(
    client: TestClient, db: Session, rp: RelyingParty, signed_in: int
) -> None:
    other = register(db, name="Other service")
    request = AuthRequest(rp)
    code = code_for(client, request)
    stolen = AuthRequest(other)
    stolen.verifier = request.verifier
    assert exchange(client, stolen, code).json()["error"] == "invalid_grant"
    request2 = AuthRequest(rp)
    code2 = code_for(client, request2)
    moved = AuthRequest(RelyingParty(rp.client_id, rp.secret, "https://rp.example/other"))
    moved.verifier = request2.verifier
    assert exchange(client, moved, code2).json()["error"] == "invalid_grant"


# --- client authentication ----------------------------------------------------------------------


def test_wrong_client_secret_is_401_invalid_client(
    client: TestClient, rp: RelyingParty, signed_in: int
) -> None:
    request = AuthRequest(rp)
    code = code_for(client, request)
    response = client.post(
        "/oidc/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": rp.redirect_uri,
            "code_verifier": request.verifier,
        },
        auth=(rp.client_id, "wrong-secret"),
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")
    # client_secret_post is not offered
    response = client.post(
        "/oidc/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": rp.client_id,
            "client_secret": rp.secret,
            "redirect_uri": rp.redirect_uri,
            "code_verifier": request.verifier,
        },
    )
    assert response.json()["error"] == "invalid_client"


def test_token_endpoint_is_rate_limited_per_client(
    client: TestClient, rp: RelyingParty, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "oidc_token_limit_per_minute", 3)
    answers = [
        client.post(
            "/oidc/token", data={"grant_type": "authorization_code", "code": "x"}, auth=rp.basic
        ).status_code
        for _ in range(5)
    ]
    assert answers[:3] == [400, 400, 400]
    assert answers[3:] == [429, 429]


# --- nonce --------------------------------------------------------------------------------------


def test_nonce_required_by_the_client(client: TestClient, db: Session, signed_in: int) -> None:
    strict = register(db, require_nonce=True)
    request = AuthRequest(strict, nonce=None)
    params = error_redirect(client.get(request.url(), follow_redirects=False), request)
    assert params["error"] == "invalid_request"
    assert "nonce" in params["error_description"]


def test_without_nonce_the_id_token_has_none(
    client: TestClient, rp: RelyingParty, signed_in: int
) -> None:
    tokens = tokens_for(client, AuthRequest(rp, nonce=None))
    payload = tokens["id_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert "nonce" not in claims


# --- scopes -------------------------------------------------------------------------------------


def test_scope_outside_the_client_registration_is_refused(
    client: TestClient, db: Session, signed_in: int
) -> None:
    narrow = register(db, scopes=["openid", "profile"])
    request = AuthRequest(narrow, scope="openid personal_id")
    assert (
        error_redirect(client.get(request.url(), follow_redirects=False), request)["error"]
        == "invalid_scope"
    )
    request = AuthRequest(narrow, scope="profile")
    assert (
        error_redirect(client.get(request.url(), follow_redirects=False), request)["error"]
        == "invalid_scope"
    )


# --- prompt, max_age ----------------------------------------------------------------------------


def _next_of(location: str) -> str:
    return unquote(parse_qs(urlsplit(location).query)["next"][0])


def test_prompt_login_forces_a_new_sign_in_without_looping(
    client: TestClient, db: Session, rp: RelyingParty
) -> None:
    account = make_eid_account(db, make_citizen(db), level=2)
    citizen_session(client, db, account)
    code_for(client, AuthRequest(rp))  # consent given once
    request = AuthRequest(rp, extra={"prompt": "login"})
    response = client.get(request.url(), follow_redirects=False)
    location = response.headers["location"]
    assert location.startswith("/eid/login?") and "force=1" in location
    next_url = _next_of(location)
    assert "prompt=login" not in next_url and f"{server.FRESH_MARKER}=" in next_url
    # Coming back with the old session still asks for a sign-in.
    again = client.get(next_url, follow_redirects=False)
    assert again.headers["location"].startswith("/eid/login?")
    # After the sign-in (a new session), the same URL gives a code: no loop.
    db.query(WebSession).update({"revoked_at": clock.now()})
    citizen_session(client, db, account)
    done = client.get(next_url, follow_redirects=False)
    assert "code=" in done.headers["location"]


def test_prompt_none_without_session_is_login_required(
    client: TestClient, rp: RelyingParty
) -> None:
    request = AuthRequest(rp, extra={"prompt": "none"})
    params = error_redirect(client.get(request.url(), follow_redirects=False), request)
    assert params["error"] == "login_required"


def test_prompt_none_without_consent_is_consent_required(
    client: TestClient, rp: RelyingParty, signed_in: int
) -> None:
    request = AuthRequest(rp, extra={"prompt": "none"})
    params = error_redirect(client.get(request.url(), follow_redirects=False), request)
    assert params["error"] == "consent_required"
    code_for(client, AuthRequest(rp))
    silent = AuthRequest(rp, extra={"prompt": "none"})
    assert "code" in query_of(authorize(client, silent).headers["location"])


def test_prompt_consent_asks_again(client: TestClient, rp: RelyingParty, signed_in: int) -> None:
    code_for(client, AuthRequest(rp))
    page = client.get(AuthRequest(rp, extra={"prompt": "consent"}).url(), follow_redirects=False)
    assert page.status_code == 200 and 'action="/oidc/consent"' in page.text


def test_max_age_exceeded_forces_a_new_sign_in_and_auth_time_is_in_the_token(
    client: TestClient, db: Session, rp: RelyingParty
) -> None:
    account = make_eid_account(db, make_citizen(db), level=2)
    citizen_session(client, db, account)
    code_for(client, AuthRequest(rp))
    old = clock.now() - dt.timedelta(minutes=20)
    db.query(WebSession).update({"created_at": old})
    request = AuthRequest(rp, extra={"max_age": "600"})
    response = client.get(request.url(), follow_redirects=False)
    location = response.headers["location"]
    assert location.startswith("/eid/login?") and "force=1" in location
    # A recent enough sign-in passes and its time is in the ID token.
    db.query(WebSession).update({"revoked_at": clock.now()})
    citizen_session(client, db, account)
    fresh = AuthRequest(rp, extra={"max_age": "600"})
    tokens = tokens_for(client, fresh)
    payload = tokens["id_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert abs(claims["auth_time"] - clock.now().timestamp()) < 60


# --- acr / levels -------------------------------------------------------------------------------

LEVEL2 = {"acr_values": "urn:vn:eid:level:2"}


def test_level2_asked_with_a_level1_session_steps_up(
    client: TestClient, db: Session, rp: RelyingParty
) -> None:
    account = make_eid_account(db, make_citizen(db), level=2)
    citizen_session(client, db, account, level=1)
    response = client.get(AuthRequest(rp, extra=LEVEL2).url(), follow_redirects=False)
    location = response.headers["location"]
    assert location.startswith("/eid/login?") and "level=2" in location


def test_level2_asked_of_a_level1_account_fails_cleanly(
    client: TestClient, db: Session, rp: RelyingParty
) -> None:
    account = make_eid_account(db, make_citizen(db), level=1)
    citizen_session(client, db, account)
    request = AuthRequest(rp, extra=LEVEL2)
    params = error_redirect(client.get(request.url(), follow_redirects=False), request)
    assert params["error"] == "unmet_authentication_requirements"


def test_level2_without_session_asks_for_a_level2_sign_in(
    client: TestClient, rp: RelyingParty
) -> None:
    response = client.get(AuthRequest(rp, extra=LEVEL2).url(), follow_redirects=False)
    assert "level=2" in response.headers["location"]


def test_level1_session_gives_acr_level1(client: TestClient, db: Session, rp: RelyingParty) -> None:
    account = make_eid_account(db, make_citizen(db), level=1)
    citizen_session(client, db, account)
    tokens = tokens_for(client, AuthRequest(rp))
    payload = tokens["id_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["acr"] == "urn:vn:eid:level:1" and claims["amr"] == ["pwd"]


def test_client_with_max_level_1_may_not_ask_for_level2(
    client: TestClient, db: Session, signed_in: int
) -> None:
    low = register(db, max_level=1)
    request = AuthRequest(low, extra=LEVEL2)
    params = error_redirect(client.get(request.url(), follow_redirects=False), request)
    assert params["error"] == "invalid_request"


# --- POST to the authorization endpoint, request objects, id_token_hint ------------------------


def _params_of(url: str) -> dict[str, str]:
    return query_of(url)


def test_authorize_takes_a_form_encoded_post_like_a_get(
    client: TestClient, rp: RelyingParty, signed_in: int
) -> None:
    code_for(client, AuthRequest(rp))  # consent given once
    request = AuthRequest(rp)
    response = client.post(
        "/oidc/authorize", data=_params_of(request.url()), follow_redirects=False
    )
    assert response.status_code == 303
    params = query_of(response.headers["location"])
    assert response.headers["location"].startswith(rp.redirect_uri + "?")
    assert params["state"] == request.state and "code" in params
    token = exchange(client, request, params["code"])
    assert token.status_code == 200 and "id_token" in token.json()


def test_post_authorize_without_a_session_sends_to_the_sign_in(
    client: TestClient, rp: RelyingParty
) -> None:
    request = AuthRequest(rp)
    response = client.post(
        "/oidc/authorize", data=_params_of(request.url()), follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/eid/login?")
    # The sign-in comes back to the same request as a GET.
    assert f"client_id={rp.client_id}" in _next_of(response.headers["location"])


def test_post_authorize_with_a_bad_redirect_uri_gets_the_error_page(
    client: TestClient, rp: RelyingParty
) -> None:
    params = _params_of(AuthRequest(rp).url()) | {"redirect_uri": "https://evil.example/cb"}
    response = client.post("/oidc/authorize", data=params, follow_redirects=False)
    assert response.status_code == 400 and "location" not in response.headers


@pytest.mark.parametrize(
    ("parameter", "error"),
    [("request", "request_not_supported"), ("request_uri", "request_uri_not_supported")],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_request_objects_are_refused_not_ignored(
    client: TestClient, rp: RelyingParty, signed_in: int, parameter: str, error: str, method: str
) -> None:
    code_for(client, AuthRequest(rp))
    value = "eyJhbGciOiJub25lIn0.e30." if parameter == "request" else "https://rp.example/r/1"
    request = AuthRequest(rp, extra={parameter: value})
    if method == "GET":
        response = client.get(request.url(), follow_redirects=False)
    else:
        response = client.post(
            "/oidc/authorize", data=_params_of(request.url()), follow_redirects=False
        )
    params = error_redirect(response, request)
    assert params["error"] == error and "code" not in params


def test_request_object_with_an_unregistered_redirect_uri_is_not_redirected(
    client: TestClient, rp: RelyingParty
) -> None:
    bad = RelyingParty(rp.client_id, rp.secret, redirect_uri="https://evil.example/cb")
    request = AuthRequest(bad, extra={"request_uri": "https://evil.example/r"})
    response = client.get(request.url(), follow_redirects=False)
    assert response.status_code == 400 and "location" not in response.headers


def test_discovery_says_request_objects_are_not_supported(client: TestClient) -> None:
    document = client.get("/.well-known/openid-configuration").json()
    assert document["request_parameter_supported"] is False
    assert document["request_uri_parameter_supported"] is False


def _sign_in_as_another(client: TestClient, db: Session) -> None:
    db.query(WebSession).update({"revoked_at": clock.now()})
    other = make_eid_account(db, make_citizen(db), level=2)
    citizen_session(client, db, other)


@pytest.mark.parametrize("prompt", ["none", None])
def test_id_token_hint_naming_another_person_is_login_required(
    client: TestClient, db: Session, rp: RelyingParty, signed_in: int, prompt: str | None
) -> None:
    first = tokens_for(client, AuthRequest(rp))["id_token"]
    _sign_in_as_another(client, db)
    code_for(client, AuthRequest(rp))  # the second person's own consent
    extra = {"id_token_hint": first} | ({"prompt": prompt} if prompt else {})
    request = AuthRequest(rp, extra=extra)
    params = error_redirect(client.get(request.url(), follow_redirects=False), request)
    assert params["error"] == "login_required" and "code" not in params


def test_id_token_hint_of_the_signed_in_person_gives_a_code_even_expired(
    client: TestClient, db: Session, rp: RelyingParty, signed_in: int
) -> None:
    own = tokens_for(client, AuthRequest(rp))["id_token"]
    silent = AuthRequest(rp, extra={"prompt": "none", "id_token_hint": own})
    assert "code" in query_of(authorize(client, silent).headers["location"])
    claims = json.loads(base64.urlsafe_b64decode(own.split(".")[1] + "=="))
    claims["exp"] = claims["iat"] = int(clock.now().timestamp()) - 86400
    expired = keys.sign(db, claims)
    later = AuthRequest(rp, extra={"prompt": "none", "id_token_hint": expired})
    assert "code" in query_of(authorize(client, later).headers["location"])


def test_a_forged_id_token_hint_is_invalid_request(
    client: TestClient, db: Session, rp: RelyingParty, signed_in: int
) -> None:
    own = tokens_for(client, AuthRequest(rp))["id_token"]
    header, payload, _ = own.split(".")
    for hint in (f"{header}.{payload}.AAAA", "not-a-jwt"):
        request = AuthRequest(rp, extra={"prompt": "none", "id_token_hint": hint})
        params = error_redirect(client.get(request.url(), follow_redirects=False), request)
        assert params["error"] == "invalid_request" and "code" not in params
