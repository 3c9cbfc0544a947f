"""The real-client proof: uvicorn on loopback with its own database, Authlib's OAuth2Client and a
cookie-holding httpx browser walking the real sign-in pages (passcode, SMS code from the outbox,
consent), then the token exchange, the ID token checked against the JWKS, and userinfo.
Once with client_secret_basic, once with private_key_jwt."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from typing import Any
from urllib.parse import urlencode, urljoin

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy.orm import Session

from oncegov.db import make_engine
from oncegov.identity.oidc import service
from oncegov.identity.oidc.schemas import ClientForm
from oncegov.kit import clock
from oncegov.kit.actor import Actor
from oncegov.migrate import upgrade
from tests.dbsetup import drop_database, new_database_url
from tests.fixtures import CITIZEN_PHONE, PASSCODE, make_citizen, make_eid_account
from tests.procedures.portal_live import free_port, latest_sms_code, live_server

REDIRECT = "http://127.0.0.1:9/callback"  # never fetched: the walk stops at the redirect
SCOPE = "openid profile birthdate personal_id"


@dataclass
class Live:
    base: str
    url: str
    personal_id: str
    full_name: str
    secret_client: tuple[str, str]
    jwt_client: str
    jwt_key: RSAKey


def _seed(url: str) -> tuple[str, str, tuple[str, str], str, RSAKey]:
    engine = make_engine(url)
    key = RSAKey.generate_key(2048, parameters={"kid": "live-rp"})
    with Session(engine) as db:
        citizen = make_citizen(db, full_name="Hoàng Thị Mai", sex="F")
        make_eid_account(db, citizen, level=2, passcode=PASSCODE, phone=CITIZEN_PHONE)
        form = {
            "agency": "Sở Y tế",
            "redirect_uris": [REDIRECT],
            "scopes": ["openid", "profile", "birthdate", "personal_id"],
        }
        basic = service.register_client(
            db, ClientForm(name="Khám bệnh", **form), Actor.system("test")
        )
        signed = service.register_client(
            db,
            ClientForm(
                name="Chi trả an sinh",
                auth_method="private_key_jwt",
                jwks=json.dumps({"keys": [key.as_dict(private=False)]}),
                **form,
            ),
            Actor.system("test"),
        )
        db.commit()
        seeded = (
            citizen.personal_id,
            citizen.full_name,
            (basic.client.client_id, basic.secret or ""),
            signed.client.client_id,
            key,
        )
    engine.dispose()
    return seeded


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    url = new_database_url("oidc")
    upgrade(url)
    personal_id, name, secret_client, jwt_client, key = _seed(url)
    try:
        with live_server(url, free_port()) as base:
            yield Live(base, url, personal_id, name, secret_client, jwt_client, key)
    finally:
        drop_database(url)


def _hidden(page: str) -> list[tuple[str, str]]:
    return [
        (name, unescape(value))
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    ]


def _walk(live: Live, browser: httpx.Client, authorization_url: str, *, post: bool = False) -> str:
    """The citizen's browser: authorize → sign-in (passcode) → SMS code → consent → callback.
    With ``post``, the authorization request is a form-encoded POST (OIDC Core 3.1.2.1)."""
    if post:
        endpoint, _, query = authorization_url.partition("?")
        response = browser.post(
            endpoint,
            content=query,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    else:
        response = browser.get(authorization_url)
    assert response.status_code == 303
    login_url = response.headers["location"]
    assert login_url.startswith("/eid/login?next=")
    page = browser.get(login_url)
    assert page.status_code == 200
    fields = dict(_hidden(page.text))
    response = browser.post(
        "/eid/login",
        data={**fields, "personal_id": live.personal_id, "passcode": PASSCODE},
    )
    assert response.status_code == 303 and response.headers["location"] == "/eid/login/otp"
    page = browser.get("/eid/login/otp")
    response = browser.post(
        "/eid/login/otp",
        data={**dict(_hidden(page.text)), "code": latest_sms_code(live.url, CITIZEN_PHONE)},
    )
    assert response.status_code == 303
    response = browser.get(response.headers["location"])  # back to /oidc/authorize
    if response.status_code == 200:  # the consent screen (first time for this client)
        assert 'action="/oidc/consent"' in response.text
        response = browser.post(
            "/oidc/consent",
            content=urlencode([*_hidden(response.text), ("decision", "allow")]),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert response.status_code == 303
    callback = response.headers["location"]
    assert callback.startswith(REDIRECT)
    return str(callback)


def _check_id_token(
    live: Live, meta: dict[str, Any], token: dict[str, Any], nonce: str, client_id: str
) -> None:
    keyset = KeySet.import_key_set(httpx.get(meta["jwks_uri"]).json())
    claims = jwt.decode(token["id_token"], keyset, algorithms=["RS256"]).claims
    registry = jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": live.base},
        aud={"essential": True, "value": client_id},
        nonce={"essential": True, "value": nonce},
        acr={"essential": True, "value": "urn:vn:eid:level:2"},
    )
    registry.validate(claims)
    assert claims["amr"] == ["pwd", "sms", "mfa"]
    assert abs(claims["auth_time"] - clock.timestamp()) < 120


def _flow(live: Live, oauth: OAuth2Client, client_id: str) -> None:
    meta = httpx.get(live.base + "/.well-known/openid-configuration").json()
    assert meta["issuer"] == live.base
    assert meta["authorization_endpoint"] == live.base + "/oidc/authorize"
    verifier = generate_token(48)
    nonce = secrets.token_urlsafe(12)
    url, state = oauth.create_authorization_url(
        meta["authorization_endpoint"],
        code_verifier=verifier,
        nonce=nonce,
        acr_values="urn:vn:eid:level:2",
    )
    with httpx.Client(base_url=live.base, follow_redirects=False) as browser:
        callback = _walk(live, browser, url)
    assert f"state={state}" in callback and "iss=" in callback
    token = oauth.fetch_token(
        meta["token_endpoint"], authorization_response=callback, code_verifier=verifier
    )
    _check_id_token(live, meta, token, nonce, client_id)
    info = oauth.get(meta["userinfo_endpoint"]).json()
    assert info["name"] == live.full_name
    assert info["personal_id"] == live.personal_id
    assert info["gender"] == "female"
    assert "phone_number" not in info


def test_real_client_secret_basic(live: Live) -> None:
    client_id, secret = live.secret_client
    with OAuth2Client(
        client_id,
        secret,
        scope=SCOPE,
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    ) as oauth:
        _flow(live, oauth, client_id)


def test_real_client_private_key_jwt(live: Live) -> None:
    token_endpoint = urljoin(live.base, "/oidc/token")
    with OAuth2Client(
        live.jwt_client,
        live.jwt_key,
        scope=SCOPE,
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
        token_endpoint_auth_method="private_key_jwt",
    ) as oauth:
        oauth.register_client_auth_method(PrivateKeyJWT(token_endpoint))
        _flow(live, oauth, live.jwt_client)


def test_real_client_posts_the_authorization_request_and_uses_its_id_token_as_hint(
    live: Live,
) -> None:
    client_id, secret = live.secret_client
    meta = httpx.get(live.base + "/.well-known/openid-configuration").json()
    assert meta["request_parameter_supported"] is False
    assert meta["request_uri_parameter_supported"] is False
    with (
        OAuth2Client(
            client_id, secret, scope=SCOPE, redirect_uri=REDIRECT, code_challenge_method="S256"
        ) as oauth,
        httpx.Client(base_url=live.base, follow_redirects=False) as browser,
    ):
        verifier = generate_token(48)
        url, state = oauth.create_authorization_url(
            meta["authorization_endpoint"], code_verifier=verifier, nonce="n-post"
        )
        callback = _walk(live, browser, url, post=True)
        assert f"state={state}" in callback
        token = oauth.fetch_token(
            meta["token_endpoint"], authorization_response=callback, code_verifier=verifier
        )
        # Silent re-authentication naming the same person: a code, no page.
        verifier = generate_token(48)
        url, state = oauth.create_authorization_url(
            meta["authorization_endpoint"],
            code_verifier=verifier,
            nonce="n-silent",
            prompt="none",
            id_token_hint=token["id_token"],
        )
        silent = browser.get(url)
        assert silent.status_code == 303
        assert (
            silent.headers["location"].startswith(REDIRECT)
            and "code=" in silent.headers["location"]
        )
        # Request objects are refused, not ignored.
        for parameter, error in (
            ("request", "request_not_supported"),
            ("request_uri", "request_uri_not_supported"),
        ):
            url, state = oauth.create_authorization_url(
                meta["authorization_endpoint"],
                code_verifier=generate_token(48),
                **{parameter: "https://rp.example/r" if parameter == "request_uri" else "e30.e30."},
            )
            refused = browser.get(url)
            location = refused.headers["location"]
            assert location.startswith(REDIRECT) and f"error={error}" in location
            assert f"state={state}" in location and "code=" not in location
