"""The portal as an OpenID Connect relying party: Authlib's httpx client against the provider.

Production talks to the provider over real HTTP: the browser is sent to the public authorize
endpoint (``settings.oidc_issuer``), and the token exchange, the JWKS and userinfo go to
``settings.portal_issuer_url`` (the same provider, reached server to server). Nothing here
reads the provider's tables: the portal knows only what the protocol gives it.

Checks on the ID token (OIDC Core 3.1.3.7): signature by a key of the provider's JWKS with
RS256 only (never ``none``, never HMAC), ``iss`` the provider's public issuer, ``aud`` this
client (and ``azp`` when present), ``exp``/``iat`` with a small leeway, ``nonce`` the one this
sign-in sent, ``acr`` a known level at least the one asked for with ``acr_values`` (OIDC
Core 5.5.1.1: the provider may answer a lower level, so the client must check).

``sub`` is a random identifier of the provider's (the same for every client, not the personal
ID): the portal therefore asks for the ``personal_id`` scope and reads the personal ID (and
the name, scope ``profile``) from userinfo with the access token, after checking userinfo's
``sub`` is the ID token's (OIDC Core 5.3.2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.integrations.httpx_client import OAuth2Client, OAuthError
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from oncegov.config import settings
from oncegov.errors import OnceGovError
from oncegov.kit import clock
from oncegov.translatable import N_

CLIENT_ID = "oncegov-portal"
CLIENT_NAME = "Cổng dịch vụ công OnceGov"
SCOPES = ("openid", "profile", "personal_id")
# The provider's acr values (identity.oidc.service.ACR_BY_LEVEL), as it publishes them in
# its discovery document's ``acr_values_supported``.
ACR_BY_LEVEL = {1: "urn:vn:eid:level:1", 2: "urn:vn:eid:level:2"}
LEVEL_BY_ACR = {acr: level for level, acr in ACR_BY_LEVEL.items()}
ID_TOKEN_ALGORITHMS = ["RS256"]
LEEWAY_SECONDS = 60
PERSONAL_ID = re.compile(r"^\d{12}$")


class SignInFailed(OnceGovError):
    """The sign-in came back wrong (state, code, ID token, level): the citizen sees why."""

    status = 400
    code = "portal_sign_in_failed"


class ProviderUnavailable(OnceGovError):
    """The provider did not answer the portal's server-to-server call."""

    status = 502
    code = "provider_unavailable"


@dataclass(frozen=True)
class Identity:
    """Who signed in, as the provider asserted it."""

    sub: str
    personal_id: str
    full_name: str
    acr: int
    auth_time: int


def redirect_uri(public_url: str | None = None) -> str:
    return f"{(public_url or settings.oidc_issuer).rstrip('/')}/portal/callback"


SIGNED_OUT_PATH = "/portal/signed-out"


def post_logout_redirect_uri(public_url: str | None = None) -> str:
    """Where the provider sends the browser back after signing the citizen out of the eID."""
    return f"{(public_url or settings.oidc_issuer).rstrip('/')}{SIGNED_OUT_PATH}"


def end_session_url() -> str:
    """The provider's RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0), for the
    browser: the provider signs the citizen out of the eID too (asking first, since the portal
    keeps no ID token to hint with) and sends them back to ``post_logout_redirect_uri``."""
    query = urlencode(
        {"client_id": CLIENT_ID, "post_logout_redirect_uri": post_logout_redirect_uri()}
    )
    return f"{settings.oidc_issuer.rstrip('/')}/oidc/logout?{query}"


def _internal(path: str) -> str:
    return f"{settings.portal_issuer_url.rstrip('/')}{path}"


def _client(**kwargs: Any) -> OAuth2Client:
    return OAuth2Client(
        client_id=CLIENT_ID,
        client_secret=settings.portal_client_secret.get_secret_value(),
        token_endpoint_auth_method="client_secret_basic",  # noqa: S106 - a method name
        scope=" ".join(SCOPES),
        redirect_uri=redirect_uri(),
        code_challenge_method="S256",
        timeout=settings.portal_http_timeout_seconds,
        follow_redirects=False,
        **kwargs,
    )


def authorization_url(*, state: str, nonce: str, code_verifier: str, level: int) -> str:
    """The provider's public authorize URL for this sign-in (code flow, PKCE S256, nonce,
    ``acr_values`` of the level asked for)."""
    with _client() as client:
        url, _ = client.create_authorization_url(
            f"{settings.oidc_issuer.rstrip('/')}/oidc/authorize",
            state=state,
            code_verifier=code_verifier,
            nonce=nonce,
            acr_values=ACR_BY_LEVEL[level],
        )
    return str(url)


def sign_in(*, code: str, code_verifier: str, nonce: str, level: int) -> Identity:
    """Token exchange, ID token verification and userinfo: who signed in, or SignInFailed."""
    with _client() as client:
        try:
            token = client.fetch_token(
                _internal("/oidc/token"),
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
            )
        except OAuthError as error:
            # invalid_grant: the code was spent (a replay), expired, or PKCE did not match.
            raise SignInFailed(
                N_("The sign-in could not be completed; please sign in again"),
                code="token_exchange_failed",
                error=str(error.error or "")[:60],
            ) from None
        except httpx.HTTPError:
            raise ProviderUnavailable(
                N_("The eID sign-in service did not answer; please try again shortly")
            ) from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise SignInFailed(N_("The sign-in service sent no ID token"), code="id_token_invalid")
        claims = verify_id_token(id_token, _keyset(client), nonce=nonce, level=level)
        info = _userinfo(client)
    if info.get("sub") != claims["sub"]:
        raise SignInFailed(
            N_("The sign-in service answered for another person"), code="userinfo_mismatch"
        )
    personal_id = info.get("personal_id")
    if not isinstance(personal_id, str) or not PERSONAL_ID.match(personal_id):
        raise SignInFailed(
            N_("The sign-in service did not give your personal identification number"),
            code="personal_id_missing",
        )
    name = info.get("name")
    return Identity(
        sub=str(claims["sub"]),
        personal_id=personal_id,
        full_name=(name if isinstance(name, str) else "")[:200],
        acr=LEVEL_BY_ACR[claims["acr"]],
        auth_time=int(claims.get("auth_time") or claims["iat"]),
    )


def _keyset(client: OAuth2Client) -> KeySet:
    try:
        response = client.request("GET", _internal("/oidc/jwks"), withhold_token=True)
        response.raise_for_status()
        return KeySet.import_key_set(response.json())
    except (httpx.HTTPError, ValueError, JoseError):
        raise ProviderUnavailable(
            N_("The eID sign-in service did not answer; please try again shortly")
        ) from None


def _userinfo(client: OAuth2Client) -> dict[str, Any]:
    try:
        response = client.request("GET", _internal("/oidc/userinfo"))
        response.raise_for_status()
        body = response.json()
    except (httpx.HTTPError, ValueError):
        raise ProviderUnavailable(
            N_("The eID sign-in service did not answer; please try again shortly")
        ) from None
    return body if isinstance(body, dict) else {}


def verify_id_token(id_token: str, keyset: KeySet, *, nonce: str, level: int) -> dict[str, Any]:
    """The ID token's claims if it is ours to accept (see the module's docstring)."""
    invalid = SignInFailed(
        N_("The sign-in service's answer could not be verified; please sign in again"),
        code="id_token_invalid",
    )
    try:
        claims = dict(jwt.decode(id_token, keyset, algorithms=ID_TOKEN_ALGORITHMS).claims)
        jwt.JWTClaimsRegistry(
            now=int(clock.timestamp()),
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": settings.oidc_issuer},
            aud={"essential": True, "value": CLIENT_ID},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
            acr={"essential": True, "values": list(LEVEL_BY_ACR)},
        ).validate(claims)
    except (JoseError, ValueError, TypeError):
        raise invalid from None
    if claims.get("azp", CLIENT_ID) != CLIENT_ID:
        raise invalid
    if LEVEL_BY_ACR[claims["acr"]] < level:
        raise SignInFailed(
            N_("This service needs a level-2 electronic identity sign-in"),
            code="level_not_met",
        )
    return claims
