"""Fixtures of the OpenID Connect provider tests: a registered relying party, PKCE and the
browser steps of the code flow (through the real pages, with a real eID session cookie)."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from oncegov.identity.oidc import service
from oncegov.identity.oidc.schemas import ClientForm
from oncegov.kit.actor import Actor

REDIRECT = "https://rp.example/cb"
LOGOUT_TO = "https://rp.example/bye"
ALL_SCOPES = ["openid", "profile", "birthdate", "address", "phone", "personal_id"]


@dataclass
class RelyingParty:
    client_id: str
    secret: str | None
    redirect_uri: str = REDIRECT

    @property
    def basic(self) -> tuple[str, str]:
        return (self.client_id, self.secret or "")


def register(db: Session, **overrides: Any) -> RelyingParty:
    fields: dict[str, Any] = {
        "name": "Cổng dịch vụ công tỉnh",
        "agency": "Văn phòng UBND tỉnh",
        "redirect_uris": [REDIRECT, "https://rp.example/other"],
        "post_logout_redirect_uris": [LOGOUT_TO],
        "scopes": ALL_SCOPES,
        "max_level": 2,
    }
    fields.update(overrides)
    created = service.register_client(db, ClientForm(**fields), Actor.system("test"))
    db.flush()
    return RelyingParty(created.client.client_id, created.secret)


@pytest.fixture
def rp(db: Session) -> RelyingParty:
    return register(db)


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class AuthRequest:
    rp: RelyingParty
    scope: str = "openid profile"
    state: str = field(default_factory=lambda: secrets.token_urlsafe(8))
    nonce: str | None = field(default_factory=lambda: secrets.token_urlsafe(8))
    verifier: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    challenge_method: str | None = "S256"

    def url(self) -> str:
        verifier, challenge = pkce()
        self.verifier = verifier
        params = {
            "response_type": "code",
            "client_id": self.rp.client_id,
            "redirect_uri": self.rp.redirect_uri,
            "scope": self.scope,
            "state": self.state,
        }
        if self.nonce:
            params["nonce"] = self.nonce
        if self.challenge_method:
            params["code_challenge"] = challenge
            params["code_challenge_method"] = self.challenge_method
        params.update(self.extra)
        return "/oidc/authorize?" + urlencode(params)


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def consent_fields(page: str) -> list[tuple[str, str]]:
    return re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)


def allow(client: TestClient, consent_page: Response, decision: str = "allow") -> Response:
    import html

    fields = [(k, html.unescape(v)) for k, v in consent_fields(consent_page.text)]
    return client.post(
        "/oidc/consent",
        content=urlencode([*fields, ("decision", decision)]),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )


def authorize(client: TestClient, request: AuthRequest) -> Response:
    """GET authorize and, when the consent page shows, allow: the redirect to the client."""
    response = client.get(request.url(), follow_redirects=False)
    if response.status_code == 200 and 'action="/oidc/consent"' in response.text:
        response = allow(client, response)
    return response


def code_for(client: TestClient, request: AuthRequest) -> str:
    response = authorize(client, request)
    assert response.status_code in (302, 303), response.text[:500]
    params = query_of(response.headers["location"])
    assert "code" in params, params
    return params["code"]


def exchange(
    client: TestClient, request: AuthRequest, code: str, *, verifier: str | None = None
) -> Response:
    return client.post(
        "/oidc/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": request.rp.redirect_uri,
            "code_verifier": verifier if verifier is not None else request.verifier,
        },
        auth=request.rp.basic,
    )


def tokens_for(client: TestClient, request: AuthRequest) -> dict[str, Any]:
    response = exchange(client, request, code_for(client, request))
    assert response.status_code == 200, response.text
    return dict(response.json())
