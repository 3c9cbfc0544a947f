"""Authlib's authorization server on FastAPI/Starlette, and the authorization-endpoint policy.

Authlib does the protocol (request validation, grants, PKCE, client authentication, token
responses, RFC 9207 ``iss``); this module gives it our storage (``service``) and a thin
framework glue modelled on Authlib's Flask integration: ``create_oauth2_request`` builds an
``OAuth2Request`` from data the route already read, ``handle_response`` returns a plain
``Reply`` the route turns into a Starlette response.

Three points are ours rather than Authlib's, on purpose:
- PKCE: Authlib's ``CodeChallenge`` accepts a missing challenge and ``plain``; we require S256.
- Nonce: required per client (``require_nonce``), not server-wide.
- The sign-in decisions around ``prompt``, ``max_age`` and ``acr_values`` (``authorize``):
  they send the browser to the eID sign-in pages, which Authlib knows nothing about.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

from authlib.common.urls import add_params_to_uri
from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import (
    ClientMixin,
    InvalidClientError,
    InvalidRequestError,
    OAuth2Error,
    OAuth2Payload,
    OAuth2Request,
    TokenMixin,
    grants,
)
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc9207 import IssuerParameter
from authlib.oidc.core import OpenIDCode
from authlib.oidc.core.grants.util import is_openid_scope, validate_nonce
from authlib.oidc.core.models import AuthorizationCodeMixin
from authlib.oidc.core.util import create_half_hash
from joserfc import jwt
from joserfc.errors import JoseError
from sqlalchemy.orm import Session

from oncegov.auth import service as auth
from oncegov.auth.schemas import CitizenPrincipal
from oncegov.config import settings
from oncegov.errors import TooManyRequests
from oncegov.identity.oidc import keys, service
from oncegov.identity.oidc.models import OidcAuthorizationCode, OidcClient, OidcToken
from oncegov.kit import clock
from oncegov.kit.crypto import new_token

TOKEN_AUTH_METHODS = ["client_secret_basic", "private_key_jwt"]
ASSERTION_ALGORITHMS = ["RS256", "PS256", "ES256"]  # never "none", never HMAC with a public key
# Set on the authorization URL after a forced sign-in (prompt=login, max_age): a sign-in newer
# than this moment satisfies the request, so the browser does not loop back to the login page.
# It needs no signature: removing it only makes the citizen sign in again, and the relying
# party checks ``auth_time`` in the ID token anyway.
FRESH_MARKER = "login_after"
UNMET = "unmet_authentication_requirements"


# --- framework glue ----------------------------------------------------------------------------


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in items:
            self._datalist[key].append(value)
        self._data = {key: values[0] for key, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class StarletteOAuth2Request(OAuth2Request):  # type: ignore[misc]
    """An OAuth2Request from what a route read: query items, form items, headers.

    The URI is the configured issuer plus the path: behind a TLS-terminating proxy the request
    URL is http, but the transport Authlib must judge is the public one."""

    def __init__(
        self,
        method: str,
        path: str,
        headers: Any,
        query: list[tuple[str, str]],
        form: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(method=method, uri=settings.oidc_issuer + path, headers=headers)
        self._args = dict(query)
        self._form = dict(form or [])
        self.payload = _Payload(list(query) + list(form or []))

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


@dataclass
class Reply:
    """What Authlib answers; ``location`` is what RFC 9207's extension amends."""

    status: int
    body: dict[str, Any] | str
    headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def location(self) -> str | None:
        return next((v for k, v in self.headers if k.lower() == "location"), None)

    @location.setter
    def location(self, value: str) -> None:
        self.headers = [(k, v) for k, v in self.headers if k.lower() != "location"]
        self.headers.append(("Location", value))


# --- models as Authlib sees them ---------------------------------------------------------------


class Client(ClientMixin):  # type: ignore[misc]
    def __init__(self, row: OidcClient) -> None:
        self.row = row
        self.client_id = row.client_id

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # redirect_uri is always required and matched exactly

    def get_allowed_scope(self, scope: str | None) -> str | None:
        asked = service.scope_list(scope)
        if not asked or not set(asked) <= set(self.row.scopes.split()):
            return None  # → invalid_scope: never silently narrow what the citizen will see
        return " ".join(asked)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.row.redirect_uris.split()

    def check_client_secret(self, client_secret: str) -> bool:
        return service.secret_matches(self.row, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.row.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


class Code(AuthorizationCodeMixin):  # type: ignore[misc]
    def __init__(self, row: OidcAuthorizationCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope

    def get_nonce(self) -> str | None:
        return self.row.nonce

    def get_auth_time(self) -> int:
        return int(self.row.auth_time.timestamp())

    def get_acr(self) -> str:
        return self.row.acr

    def get_amr(self) -> list[str]:
        return self.row.amr.split()


class Token(TokenMixin):  # type: ignore[misc]
    def __init__(self, row: OidcToken) -> None:
        self.row = row

    def check_client(self, client: Client) -> bool:
        return self.row.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return settings.oidc_access_token_seconds

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None

    def is_expired(self) -> bool:
        return False  # checked by the service where it matters


# --- grants and extensions ---------------------------------------------------------------------


def _db(grant: Any) -> Session:
    return grant.server.db  # type: ignore[no-any-return]


class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        data = request.payload.data
        service.save_code(
            _db(self),
            code,
            service.CodeRequest(
                client_id=request.client.get_client_id(),
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope,
                nonce=data.get("nonce"),
                code_challenge=data["code_challenge"],
                code_challenge_method=data["code_challenge_method"],
            ),
            request.user,
        )

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        row = service.redeem_code(_db(self), code, client.get_client_id())
        return Code(row) if row else None

    def delete_authorization_code(self, authorization_code: Code) -> None:
        pass  # spent when redeemed; kept so a second use is recognised

    def authenticate_user(self, authorization_code: Code) -> service.TokenOrigin | None:
        row = authorization_code.row
        if not service.account_usable(_db(self), row.account_id):
            return None
        return service.TokenOrigin.of_code(row)


class RefreshGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every refresh gives a new refresh token

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        client_id = self.request.client.get_client_id()
        row = service.find_refresh_token(_db(self), refresh_token, client_id)
        return Token(row) if row else None

    def authenticate_user(self, refresh_token: Token) -> service.TokenOrigin | None:
        if not service.account_usable(_db(self), refresh_token.row.account_id):
            return None
        return service.TokenOrigin.of_token(refresh_token.row)

    def revoke_old_credential(self, refresh_token: Token) -> None:
        service.rotate_refresh_token(refresh_token.row)


class S256CodeChallenge(CodeChallenge):  # type: ignore[misc]
    """PKCE is mandatory and only S256 is accepted (a missing or ``plain`` challenge is an
    ``invalid_request`` sent back to the client)."""

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]
    CODE_CHALLENGE_METHODS: ClassVar[dict[str, Any]] = {
        "S256": CodeChallenge.CODE_CHALLENGE_METHODS["S256"]
    }

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge (S256).")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'")
        super().validate_code_verifier(grant, result)


class OnceGovOpenIDCode(OpenIDCode):  # type: ignore[misc]
    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return False  # replay of a nonce is the relying party's check; we echo it

    def validate_openid_authorization_request(self, grant: Any, redirect_uri: str) -> None:
        validate_nonce(grant.request, self.exists_nonce, grant.request.client.row.require_nonce)

    def encode_id_token(self, token: dict[str, Any], request: OAuth2Request) -> str:
        code: OidcAuthorizationCode = request.authorization_code.row
        db: Session = request.oncegov_db
        claims = service.id_token_claims(
            db,
            code.client_id,
            code.personal_id,
            nonce=code.nonce,
            acr=code.acr,
            amr=code.amr,
            auth_time=code.auth_time,
        )
        at_hash = create_half_hash(token["access_token"], keys.ALG)
        if at_hash is not None:
            claims["at_hash"] = at_hash.decode()
        return keys.sign(db, claims)


class PrivateKeyJwt(JWTBearerClientAssertion):  # type: ignore[misc]
    """RFC 7523 client authentication: ``aud`` must be our token endpoint or issuer, ``jti``
    is remembered and refused when replayed, unsigned and HMAC assertions are refused."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, db: Session) -> None:
        super().__init__(validate_jti=True)
        self.db = db

    def get_audiences(self) -> list[str]:
        return [settings.oidc_issuer + "/oidc/token", settings.oidc_issuer]

    def validate_jti(self, claims: dict[str, Any], jti: str) -> bool:
        return service.remember_jti(self.db, str(claims["sub"]), str(jti), claims.get("exp"))

    def resolve_client_public_key(self, client: Client) -> Any:
        if client.row.auth_method != self.CLIENT_AUTH_METHOD or not client.row.jwks:
            raise InvalidClientError(description="The client does not use private_key_jwt.")
        return service.client_public_keys(client.row)

    def process_assertion_claims(self, assertion: str, resolve_key: Any) -> Any:
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=ASSERTION_ALGORITHMS)
        except (JoseError, ValueError) as exc:
            raise InvalidClientError(description="Invalid client assertion.") from exc
        self.verify_claims(token.claims)
        return token.claims


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = TOKEN_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        row = service.find_token(self.server.db, token_string, token_type_hint)
        return Token(row) if row else None

    def revoke_token(self, token: Token, request: OAuth2Request) -> None:
        service.revoke_by_client(self.server.db, token.row)


class Issuer(IssuerParameter):  # type: ignore[misc]
    def get_issuer(self) -> str:
        return settings.oidc_issuer


class SlowDown(OAuth2Error):  # type: ignore[misc]
    """An authenticated client past its per-minute budget of token requests."""

    error = "slow_down"
    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(description="Too many token requests")
        self.retry_after = retry_after

    def get_headers(self) -> list[tuple[str, str]]:
        return [*super().get_headers(), ("Retry-After", str(self.retry_after))]


class OidcServer(AuthorizationServer):  # type: ignore[misc]
    """One per request: it holds the request's database session."""

    def __init__(self, db: Session) -> None:
        super().__init__(scopes_supported=list(service.SUPPORTED_SCOPES))
        self.db = db
        self.register_token_generator("default", _generate_token)
        self.register_grant(CodeGrant, [S256CodeChallenge(), OnceGovOpenIDCode()])
        self.register_grant(RefreshGrant)
        self.register_client_auth_method("private_key_jwt", PrivateKeyJwt(db))
        self.register_endpoint(Revocation)
        self.register_extension(Issuer())

    def query_client(self, client_id: str) -> Client | None:
        row = service.enabled_client(self.db, client_id)
        return Client(row) if row else None

    def authenticate_client(self, request: Any, methods: Any, endpoint: str = "token") -> Client:
        """Authlib's client authentication, then the client's own budget of token requests:
        counted only once it has proved who it is, so nobody else can spend it."""
        client: Client = super().authenticate_client(request, methods, endpoint)
        if endpoint == "token":
            try:
                auth.hit_rate_limit(
                    self.db,
                    f"oidc-token:{client.get_client_id()}",
                    settings.oidc_token_limit_per_minute,
                )
            except TooManyRequests as exc:
                raise SlowDown(exc.retry_after) from exc
        return client

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        refreshed = request.payload.grant_type == "refresh_token"
        service.store_tokens(
            self.db,
            client_id=request.client.get_client_id(),
            access_token=token["access_token"],
            refresh_token=token.get("refresh_token"),
            scope=token.get("scope") or "",
            origin=request.user,
            event="token_refreshed" if refreshed else "token_issued",
        )

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        request.oncegov_db = self.db
        return request

    def create_json_request(self, request: Any) -> Any:
        return request

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Reply:
        return Reply(status, body, list(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass


def _generate_token(
    grant_type: str,
    client: Client,
    user: Any = None,
    scope: str | None = None,
    expires_in: int | None = None,
    include_refresh_token: bool = True,
) -> dict[str, Any]:
    token: dict[str, Any] = {
        "token_type": "Bearer",
        "access_token": new_token(32),
        "expires_in": settings.oidc_access_token_seconds,
        "scope": scope or "",
    }
    if include_refresh_token:
        token["refresh_token"] = new_token(32)
    return token


def token_response(db: Session, request: StarletteOAuth2Request) -> Reply:
    return OidcServer(db).create_token_response(request)  # type: ignore[no-any-return]


def revocation_response(db: Session, request: StarletteOAuth2Request) -> Reply:
    return OidcServer(db).create_endpoint_response(  # type: ignore[no-any-return]
        "revocation", request
    )


def reply_json(reply: Reply) -> bytes:
    return json.dumps(reply.body).encode() if isinstance(reply.body, dict) else reply.body.encode()


# --- the authorization endpoint ----------------------------------------------------------------


@dataclass(frozen=True)
class ErrorPage:
    """Unknown client or a redirect URI we may not trust: never redirect, show a page."""

    message: str


@dataclass(frozen=True)
class Redirect:
    url: str


@dataclass(frozen=True)
class AskConsent:
    client: OidcClient
    scopes: list[str]
    params: list[tuple[str, str]]


Decision = ErrorPage | Redirect | AskConsent


def _error_to_client(
    redirect_uri: str, error: str, description: str, state: str | None
) -> Redirect:
    params = [("error", error), ("error_description", description)]
    if state:
        params.append(("state", state))
    params.append(("iss", settings.oidc_issuer))
    return Redirect(add_params_to_uri(redirect_uri, params))


def _login_redirect(params: list[tuple[str, str]], *, level: int, force: bool) -> Redirect:
    kept = [(k, v) for k, v in params if k not in ("prompt", FRESH_MARKER)]
    prompts = [p for p in dict(params).get("prompt", "").split() if p != "login"]
    if prompts:
        kept.append(("prompt", " ".join(prompts)))
    if force:
        kept.append((FRESH_MARKER, f"{clock.timestamp():.3f}"))
    target = "/oidc/authorize?" + urlencode(kept)
    url = f"/eid/login?next={quote(target, safe='')}"
    if level == 2:
        url += "&level=2"
    if force:
        url += "&force=1"
    return Redirect(url)


def _int_param(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit():
        raise ValueError(value)
    return int(value)


@dataclass(frozen=True)
class _Freshness:
    force: bool  # the sign-in must be redone whatever the session
    fresh_enough: bool


def _freshness(data: dict[str, str], citizen: CitizenPrincipal | None) -> _Freshness:
    prompts = set(data.get("prompt", "").split())
    max_age = _int_param(data.get("max_age"))
    marker_text = data.get(FRESH_MARKER)
    marker = float(marker_text) if marker_text else None  # ValueError → invalid_request
    if citizen is None:
        return _Freshness(force="login" in prompts or max_age is not None, fresh_enough=False)
    auth_time = citizen.auth_time.timestamp()
    if marker is not None and auth_time > marker:
        return _Freshness(force=False, fresh_enough=True)  # the forced sign-in just happened
    if "login" in prompts or marker is not None:
        return _Freshness(force=True, fresh_enough=False)
    if max_age is not None and clock.timestamp() - auth_time > max_age:
        return _Freshness(force=True, fresh_enough=False)
    return _Freshness(force=False, fresh_enough=True)


def _unsupported_parameter(data: dict[str, str]) -> tuple[str, str] | None:
    """Request objects (OIDC Core 6) are not supported: say so rather than ignore them and
    answer a request that differs from what the client signed."""
    if "request" in data:
        return "request_not_supported", "Request objects are not supported."
    if "request_uri" in data:
        return "request_uri_not_supported", "request_uri is not supported."
    return None


def _hinted_person(db: Session, hint: str | None) -> str | bool | None:
    """The personal ID of the person an ``id_token_hint`` names; None without a hint, False
    for a hint that is not an ID token of ours. Expired hints are accepted (OIDC Core 3.1.2.1:
    the hint is about who, not about a live session)."""
    if not hint:
        return None
    checked = service.check_id_token_hint(db, hint)
    if checked is None or checked.personal_id is None:
        return False
    return checked.personal_id


def authorize(
    db: Session,
    params: list[tuple[str, str]],
    headers: Any,
    citizen: CitizenPrincipal | None,
    *,
    decision: bool | None = None,
) -> Decision:
    """Decide what an authorization request gets: an error page, a redirect (to the client with
    a code or an error, or to the eID sign-in), or the consent page."""
    data = dict(params)
    client = service.enabled_client(db, data.get("client_id"))
    redirect_uri = data.get("redirect_uri")
    if client is None:
        return ErrorPage("Unknown or disabled client.")
    if not redirect_uri or redirect_uri not in client.redirect_uris.split():
        return ErrorPage("The redirect_uri is missing or not registered for this client.")
    state = data.get("state")
    unsupported = _unsupported_parameter(data)
    if unsupported:
        return _error_to_client(redirect_uri, *unsupported, state)
    if citizen is not None and not service.account_usable(db, citizen.account_id):
        citizen = None
    request = StarletteOAuth2Request("GET", "/oidc/authorize", headers, params)
    server = OidcServer(db)
    try:
        grant = server.get_consent_grant(request, end_user=citizen)
    except OAuth2Error as error:
        return _error_to_client(redirect_uri, error.error, error.description or error.error, state)
    scopes = service.scope_list(request.scope)
    if not is_openid_scope(request.scope):
        return _error_to_client(
            redirect_uri, "invalid_scope", "The openid scope is required.", state
        )
    needed = 2 if service.ACR_BY_LEVEL[2] in data.get("acr_values", "").split() else 1
    if needed > client.max_level:
        return _error_to_client(
            redirect_uri, "invalid_request", "This client may not ask for level 2.", state
        )
    try:
        fresh = _freshness(data, citizen)
    except ValueError:
        return _error_to_client(redirect_uri, "invalid_request", "Invalid max_age.", state)
    prompts = set(data.get("prompt", "").split())
    silent = "none" in prompts
    if citizen is not None and citizen.level < needed:
        if service.account_level(db, citizen.account_id) < needed:
            return _error_to_client(
                redirect_uri, UNMET, "Level 2 is required and this account is level 1.", state
            )
        if silent:
            return _error_to_client(redirect_uri, "login_required", "Step-up needed.", state)
        return _login_redirect(params, level=needed, force=False)
    if citizen is None or fresh.force:
        if silent:
            return _error_to_client(redirect_uri, "login_required", "Sign-in needed.", state)
        return _login_redirect(params, level=needed, force=fresh.force)
    hinted = _hinted_person(db, data.get("id_token_hint"))
    if hinted is False:
        return _error_to_client(redirect_uri, "invalid_request", "Invalid id_token_hint.", state)
    if hinted is not None and hinted != citizen.personal_id:
        return _error_to_client(
            redirect_uri, "login_required", "The person in id_token_hint is not signed in.", state
        )
    covered = service.consent_covers(db, citizen.account_id, client.client_id, scopes)
    if decision is None and (not covered or "consent" in prompts):
        if silent:
            return _error_to_client(redirect_uri, "consent_required", "Consent needed.", state)
        return AskConsent(client, scopes, params)
    if decision:
        service.remember_consent(db, citizen.account_id, client.client_id, scopes)
    reply: Reply = server.create_authorization_response(
        request, grant_user=citizen if decision is not False else None, grant=grant
    )
    return Redirect(reply.location or redirect_uri)
