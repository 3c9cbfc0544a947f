"""OpenID Connect provider rules: relying parties, consent, codes, tokens, claims, revocation.

The Authlib glue (``server.py``) and the pages call only this module. The provider sits above
the eID accounts: it calls them (accounts, their login history), and they never call it; when an
account's access or one of its sessions ends they announce it (``identity.accounts.events``),
and the listeners registered with the revocations below revoke the tokens in the same
transaction.

Tokens are opaque random strings stored as keyed hashes, so revocation is immediate. ``sub`` is
a random identifier stored per personal ID (``OidcSubject``), never the personal ID itself, and
the same for every client (the province runs one provider for its own services).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from oncegov.audit import service as audit
from oncegov.auth.schemas import CitizenPrincipal
from oncegov.config import settings
from oncegov.errors import Conflict, NotFound, ValidationFailed
from oncegov.identity.accounts import events as account_events
from oncegov.identity.accounts import service as accounts
from oncegov.identity.oidc import keys
from oncegov.identity.oidc.models import (
    AUTH_METHODS,
    OidcAssertionJti,
    OidcAuthorizationCode,
    OidcClient,
    OidcConsent,
    OidcSubject,
    OidcToken,
)
from oncegov.identity.oidc.repository import OidcRepository
from oncegov.identity.oidc.schemas import ClientForm, ClientView, NewClient
from oncegov.kit import clock
from oncegov.kit.actor import Actor
from oncegov.kit.crypto import hash_token, new_token
from oncegov.registry import service as registry
from oncegov.registry.schemas import CitizenOut
from oncegov.translatable import N_

ACR_BY_LEVEL = {1: "urn:vn:eid:level:1", 2: "urn:vn:eid:level:2"}
LEVEL_BY_ACR = {acr: level for level, acr in ACR_BY_LEVEL.items()}
# Scope → claims it releases (besides ``sub``), in the order the consent page lists them.
SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "openid": (),
    "profile": ("name", "family_name", "given_name", "gender"),
    "birthdate": ("birthdate",),
    "address": ("address",),
    "phone": ("phone_number", "phone_number_verified"),
    "personal_id": ("personal_id",),
}
SUPPORTED_SCOPES = tuple(SCOPE_CLAIMS)
# What the consent page says for each scope (English msgid; translated in the template).
SCOPE_DESCRIPTIONS: dict[str, str] = {
    "openid": N_("That you have signed in with your electronic identity"),
    "profile": N_("Your full name and gender"),
    "birthdate": N_("Your date of birth"),
    "address": N_("Your permanent residence address"),
    "phone": N_("The phone number of your eID account"),
    "personal_id": N_("Your personal identification number"),
}


def scope_list(scope: str | None) -> list[str]:
    return [s for s in (scope or "").split() if s]


# --- relying parties ---------------------------------------------------------------------------


# RFC 8252 7.3: a native app listens on the loopback interface over plain http (any port).
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def redirect_uri_problem(uri: str) -> str | None:
    """Why a redirect (or post-logout) URI may not be registered, or None. The one check of
    the admin API, the pages and the CLI: an absolute ``https`` URI, or ``http`` on a loopback
    address (RFC 8252); exact, so no wildcard; no fragment (RFC 6749 3.1.2), no user info."""
    try:
        parts = urlsplit(uri)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return N_("Each URI must be an absolute https URI")
    if "*" in uri:
        return N_("Redirect URIs are matched exactly: no wildcards")
    if "#" in uri:
        return N_("A redirect URI may not have a fragment")
    if not host or parts.username is not None or parts.password is not None:
        return N_("Each URI must be an absolute https URI")
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and host in LOOPBACK_HOSTS:
        return None
    return N_("Use https (plain http only on a loopback address such as http://127.0.0.1)")


def _uris(values: Iterable[str], field: str) -> list[str]:
    uris = [v.strip() for v in values if v.strip()]
    for uri in uris:
        problem = redirect_uri_problem(uri)
        if problem:
            raise ValidationFailed(problem, field=field)
    return uris


def _checked(form: ClientForm) -> ClientForm:
    if not form.name.strip():
        raise ValidationFailed(N_("Name is required"), field="name")
    if not form.agency.strip():
        raise ValidationFailed(N_("Agency is required"), field="agency")
    if not _uris(form.redirect_uris, "redirect_uris"):
        raise ValidationFailed(N_("At least one redirect URI is required"), field="redirect_uris")
    _uris(form.post_logout_redirect_uris, "post_logout_redirect_uris")
    unknown = [s for s in form.scopes if s not in SUPPORTED_SCOPES]
    if unknown or "openid" not in form.scopes:
        raise ValidationFailed(
            N_("Scopes must include openid and only known scopes"), field="scopes"
        )
    if form.max_level not in (1, 2):
        raise ValidationFailed(N_("Maximum level must be 1 or 2"), field="max_level")
    if form.auth_method not in AUTH_METHODS:
        raise ValidationFailed(N_("Unknown authentication method"), field="auth_method")
    if form.auth_method == "private_key_jwt":
        _check_jwks(form.jwks)
    return form


def _check_jwks(jwks: str | None) -> None:
    try:
        keyset = KeySet.import_key_set(json.loads(jwks or ""))
    except (ValueError, JoseError, TypeError):
        raise ValidationFailed(
            N_("A private_key_jwt client needs its public keys as a JWKS document"), field="jwks"
        ) from None
    if any(key.is_private for key in keyset.keys):
        raise ValidationFailed(N_("Register only the public keys"), field="jwks")


def _apply(client: OidcClient, form: ClientForm) -> None:
    client.name = form.name.strip()
    client.agency = form.agency.strip()
    client.redirect_uris = " ".join(_uris(form.redirect_uris, "redirect_uris"))
    client.post_logout_redirect_uris = " ".join(
        _uris(form.post_logout_redirect_uris, "post_logout_redirect_uris")
    )
    client.scopes = " ".join(s for s in SUPPORTED_SCOPES if s in form.scopes)
    client.max_level = form.max_level
    client.require_nonce = form.require_nonce
    client.updated_at = clock.now()


def register_client(session: Session, form: ClientForm, actor: Actor) -> NewClient:
    """Register a relying party; its secret (client_secret_basic) is returned once only."""
    form = _checked(form)
    client = OidcClient(
        client_id="og-" + new_token(12),
        auth_method=form.auth_method,
        jwks=form.jwks if form.auth_method == "private_key_jwt" else None,
        enabled=True,
        created_at=clock.now(),
    )
    _apply(client, form)
    secret = None
    if form.auth_method == "client_secret_basic":
        secret = new_token(32)
        client.secret_hash = hash_token(secret)
    OidcRepository(session).add(client)
    audit.record(
        session,
        actor,
        "oidc.client_registered",
        purpose="relying-party management",
        detail={"client_id": client.client_id, "name": client.name},
    )
    return NewClient(client=ClientView.of(client), secret=secret)


def ensure_client(
    session: Session, client_id: str, form: ClientForm, secret: str, actor: Actor
) -> tuple[ClientView, bool]:
    """A relying party of OnceGov's own with a fixed ``client_id`` and a secret from settings
    (the portal): registered when missing, brought back to ``form`` and ``secret`` (and
    enabled) when it drifted; (the client, whether anything changed). Idempotent."""
    form = _checked(form.model_copy(update={"auth_method": "client_secret_basic"}))
    repo = OidcRepository(session)
    client = repo.client(client_id)
    created = client is None
    if client is None:
        client = OidcClient(
            client_id=client_id,
            auth_method="client_secret_basic",
            jwks=None,
            enabled=True,
            created_at=clock.now(),
        )
        _apply(client, form)
        client.secret_hash = hash_token(secret)
        repo.add(client)
    else:
        before, updated_at = _client_state(client), client.updated_at
        _apply(client, form)
        client.auth_method = "client_secret_basic"
        client.enabled = True
        if not secret_matches(client, secret):
            client.secret_hash = hash_token(secret)
        if _client_state(client) == before:
            client.updated_at = updated_at
            return ClientView.of(client), False
    audit.record(
        session,
        actor,
        "oidc.client_registered" if created else "oidc.client_updated",
        purpose="relying-party management",
        detail={"client_id": client_id, "name": client.name},
    )
    return ClientView.of(client), True


def _client_state(client: OidcClient) -> tuple[object, ...]:
    return (
        client.name,
        client.agency,
        client.redirect_uris,
        client.post_logout_redirect_uris,
        client.scopes,
        client.max_level,
        client.require_nonce,
        client.auth_method,
        client.enabled,
        client.secret_hash,
    )


def update_client(session: Session, client_id: str, form: ClientForm, actor: Actor) -> ClientView:
    client = _client_or_404(session, client_id)
    form = _checked(form.model_copy(update={"auth_method": client.auth_method}))
    _apply(client, form)
    if client.auth_method == "private_key_jwt" and form.jwks:
        client.jwks = form.jwks
    audit.record(
        session,
        actor,
        "oidc.client_updated",
        purpose="relying-party management",
        detail={"client_id": client.client_id},
    )
    return ClientView.of(client)


def set_enabled(session: Session, client_id: str, enabled: bool, actor: Actor) -> ClientView:
    client = _client_or_404(session, client_id)
    client.enabled = enabled
    client.updated_at = clock.now()
    action = "oidc.client_enabled" if enabled else "oidc.client_disabled"
    audit.record(
        session,
        actor,
        action,
        purpose="relying-party management",
        detail={"client_id": client_id},
    )
    return ClientView.of(client)


def rotate_secret(session: Session, client_id: str, actor: Actor) -> str:
    client = _client_or_404(session, client_id)
    if client.auth_method != "client_secret_basic":
        raise Conflict(N_("This client authenticates with its keys, not a secret"), field="auth")
    secret = new_token(32)
    client.secret_hash = hash_token(secret)
    client.updated_at = clock.now()
    audit.record(
        session,
        actor,
        "oidc.client_secret_rotated",
        purpose="relying-party management",
        detail={"client_id": client_id},
    )
    return secret


def list_clients(session: Session) -> list[ClientView]:
    return [ClientView.of(c) for c in OidcRepository(session).clients()]


def client_names(session: Session, client_ids: Iterable[str]) -> dict[str, str]:
    """The names citizens know these relying parties by (for their login history)."""
    wanted = sorted(set(client_ids))
    return OidcRepository(session).client_names(wanted) if wanted else {}


def client_view(session: Session, client_id: str) -> ClientView:
    return ClientView.of(_client_or_404(session, client_id))


def _client_or_404(session: Session, client_id: str) -> OidcClient:
    client = OidcRepository(session).client(client_id)
    if client is None:
        raise NotFound(N_("No such client"), field="client_id")
    return client


def enabled_client(session: Session, client_id: str | None) -> OidcClient | None:
    if not client_id:
        return None
    client = OidcRepository(session).client(client_id)
    return client if client is not None and client.enabled else None


def secret_matches(client: OidcClient, secret: str) -> bool:
    # Secrets are 256-bit random, so a keyed hash is as safe as Argon2 and costs nothing.
    if client.secret_hash is None:
        return False
    return secrets.compare_digest(client.secret_hash, hash_token(secret))


def client_public_keys(client: OidcClient) -> KeySet:
    return KeySet.import_key_set(json.loads(client.jwks or '{"keys": []}'))


def remember_jti(session: Session, client_id: str, jti: str, expires: int | None) -> bool:
    """False when this assertion id was already used (a replay)."""
    repo = OidcRepository(session)
    moment = clock.now()
    repo.forget_expired_jtis(moment)
    if repo.jti_seen(client_id, jti):
        return False
    until = dt.datetime.fromtimestamp(expires, dt.UTC) if expires else moment
    # Kept at least 10 minutes past its expiry so the leeway cannot reopen it.
    repo.add(
        OidcAssertionJti(
            client_id=client_id, jti=jti[:200], expires_at=until + dt.timedelta(minutes=10)
        )
    )
    return True


# --- subjects and consent ----------------------------------------------------------------------


def subject_for(session: Session, personal_id: str) -> str:
    repo = OidcRepository(session)
    found = repo.subject_of(personal_id)
    if found is not None:
        return found.sub
    row = OidcSubject(personal_id=personal_id, sub=new_token(24), created_at=clock.now())
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # a parallel first sign-in created it; read the winner's
        winner = repo.subject_of(personal_id)
        if winner is None:
            raise
        return winner.sub
    return row.sub


def consent_covers(session: Session, account_id: int, client_id: str, scopes: list[str]) -> bool:
    consent = OidcRepository(session).consent(account_id, client_id)
    return consent is not None and set(scopes) <= set(consent.scopes.split())


def remember_consent(session: Session, account_id: int, client_id: str, scopes: list[str]) -> None:
    repo = OidcRepository(session)
    consent = repo.consent(account_id, client_id)
    if consent is None:
        repo.add(
            OidcConsent(
                account_id=account_id,
                client_id=client_id,
                scopes=" ".join(sorted(set(scopes))),
                granted_at=clock.now(),
            )
        )
        return
    consent.scopes = " ".join(sorted(set(scopes) | set(consent.scopes.split())))
    consent.granted_at = clock.now()


def claims_asked(scopes: list[str]) -> list[tuple[str, str]]:
    """(scope, plain-words description) for the consent page."""
    return [(s, SCOPE_DESCRIPTIONS[s]) for s in SUPPORTED_SCOPES if s in scopes]


# --- authorization codes -----------------------------------------------------------------------


@dataclass(frozen=True)
class CodeRequest:
    client_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str
    code_challenge_method: str


def save_code(
    session: Session, code: str, request: CodeRequest, citizen: CitizenPrincipal
) -> OidcAuthorizationCode:
    moment = clock.now()
    row = OidcAuthorizationCode(
        code_hash=hash_token(code),
        client_id=request.client_id,
        account_id=citizen.account_id,
        personal_id=citizen.personal_id,
        web_session_id=citizen.session_id,
        redirect_uri=request.redirect_uri,
        scope=request.scope,
        nonce=request.nonce,
        code_challenge=request.code_challenge,
        code_challenge_method=request.code_challenge_method,
        acr=ACR_BY_LEVEL[citizen.level],
        amr=" ".join(citizen.amr),
        auth_time=citizen.auth_time,
        created_at=moment,
        expires_at=moment + dt.timedelta(seconds=settings.oidc_code_seconds),
    )
    OidcRepository(session).add(row)
    return row


def redeem_code(session: Session, code: str, client_id: str) -> OidcAuthorizationCode | None:
    """The code if it is live and belongs to ``client_id``; it is spent now, whatever happens
    next. A code presented again is refused and every token issued from it is revoked."""
    repo = OidcRepository(session)
    row = repo.code_by_hash(hash_token(code))
    if row is None or row.client_id != client_id:
        return None
    moment = clock.now()
    if row.used_at is not None:
        repo.revoke_tokens_of_code(row.id, moment, "code_reused")
        return None
    row.used_at = moment
    if clock.aware(row.expires_at) <= moment:
        return None
    return row


# --- tokens ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenOrigin:
    """Who and how: carried from the code to the first tokens and along refresh rotations."""

    account_id: int
    personal_id: str
    web_session_id: int | None
    acr: str
    amr: str
    auth_time: dt.datetime
    family: str
    code_id: int | None = None

    @classmethod
    def of_code(cls, code: OidcAuthorizationCode) -> TokenOrigin:
        return cls(
            account_id=code.account_id,
            personal_id=code.personal_id,
            web_session_id=code.web_session_id,
            acr=code.acr,
            amr=code.amr,
            auth_time=clock.aware(code.auth_time),
            family=new_token(16),
            code_id=code.id,
        )

    @classmethod
    def of_token(cls, token: OidcToken) -> TokenOrigin:
        return cls(
            account_id=token.account_id,
            personal_id=token.personal_id,
            web_session_id=token.web_session_id,
            acr=token.acr,
            amr=token.amr,
            auth_time=clock.aware(token.auth_time),
            family=token.family,
        )


def store_tokens(
    session: Session,
    *,
    client_id: str,
    access_token: str,
    refresh_token: str | None,
    scope: str,
    origin: TokenOrigin,
    event: str,
) -> OidcToken:
    moment = clock.now()
    row = OidcToken(
        access_token_hash=hash_token(access_token),
        refresh_token_hash=hash_token(refresh_token) if refresh_token else None,
        client_id=client_id,
        account_id=origin.account_id,
        personal_id=origin.personal_id,
        web_session_id=origin.web_session_id,
        code_id=origin.code_id,
        family=origin.family,
        scope=scope,
        acr=origin.acr,
        amr=origin.amr,
        auth_time=origin.auth_time,
        issued_at=moment,
        access_expires_at=moment + dt.timedelta(seconds=settings.oidc_access_token_seconds),
        refresh_expires_at=(
            moment + dt.timedelta(days=settings.oidc_refresh_token_days) if refresh_token else None
        ),
    )
    OidcRepository(session).add(row)
    accounts.record_login_event(
        session,
        account_id=origin.account_id,
        personal_id=origin.personal_id,
        event=event,
        client_id=client_id,
    )
    return row


def issue_access_token(
    session: Session,
    *,
    client_id: str,
    account_id: int,
    personal_id: str,
    level: int,
    scope: str = "openid profile",
) -> str:
    """An access token for ``client_id`` as the token endpoint issues one after a sign-in at
    ``level`` (no refresh token). For local tooling that stands in for a sign-in it does not
    test — the test suite, the benchmarks, the API conformance run — never reachable by a
    request."""
    token = new_token()
    store_tokens(
        session,
        client_id=client_id,
        access_token=token,
        refresh_token=None,
        scope=scope,
        origin=TokenOrigin(
            account_id=account_id,
            personal_id=personal_id,
            web_session_id=None,
            acr=ACR_BY_LEVEL[level],
            amr="pwd sms" if level == 2 else "pwd",
            auth_time=clock.now(),
            family=new_token(16),
        ),
        event="token_issued",
    )
    return token


def account_usable(session: Session, account_id: int) -> bool:
    try:
        return accounts.is_usable(accounts.get_account(session, account_id))
    except NotFound:
        return False


def account_level(session: Session, account_id: int) -> int:
    return accounts.get_account(session, account_id).level


def find_refresh_token(session: Session, refresh_token: str, client_id: str) -> OidcToken | None:
    """The live refresh token; presenting one already rotated revokes its whole family (it was
    stolen, or the client is broken — either way nobody keeps that session)."""
    repo = OidcRepository(session)
    row = repo.token_by_refresh_hash(hash_token(refresh_token))
    if row is None or row.client_id != client_id:
        return None
    moment = clock.now()
    if row.refresh_used_at is not None:
        repo.revoke_family(row.family, moment, "refresh_reused")
        return None
    if row.revoked_at is not None or row.refresh_expires_at is None:
        return None
    if clock.aware(row.refresh_expires_at) <= moment:
        return None
    return row


def rotate_refresh_token(row: OidcToken) -> None:
    moment = clock.now()
    row.refresh_used_at = moment
    row.revoked_at = moment
    row.revoke_reason = "rotated"


def find_token(session: Session, token: str, hint: str | None) -> OidcToken | None:
    """The token row behind an access or refresh token (RFC 7009: the hint only orders the
    look-ups)."""
    repo = OidcRepository(session)
    hashed = hash_token(token)
    order = (
        (repo.token_by_refresh_hash, repo.token_by_access_hash)
        if hint == "refresh_token"
        else (repo.token_by_access_hash, repo.token_by_refresh_hash)
    )
    for lookup in order:
        row = lookup(hashed)
        if row is not None:
            return row
    return None


def revoke_by_client(session: Session, row: OidcToken) -> None:
    """A client revokes a token (RFC 7009): the whole grant goes, since the access and refresh
    tokens of one family stand for the same sign-in."""
    OidcRepository(session).revoke_family(row.family, clock.now(), "revoked_by_client")


def revoke_all_for_account(session: Session, account_id: int, *, reason: str) -> int:
    """Revoke every access and refresh token of an eID account (locked, revoked)."""
    return OidcRepository(session).revoke_tokens_of_account(account_id, clock.now(), reason)


def revoke_for_session(session: Session, web_session_id: int, *, reason: str) -> int:
    """Revoke the tokens issued under one eID session (the citizen signed out)."""
    return OidcRepository(session).revoke_tokens_of_session(web_session_id, clock.now(), reason)


def _revoke_when_access_ends(session: Session, ended: account_events.AccessEnded) -> None:
    revoke_all_for_account(session, ended.account_id, reason=ended.reason)


def _revoke_when_session_ends(session: Session, ended: account_events.SessionEnded) -> None:
    revoke_for_session(session, ended.web_session_id, reason=ended.reason)


account_events.listen_access_ended(_revoke_when_access_ends)
account_events.listen_session_ended(_revoke_when_session_ends)


def end_citizen_session(session: Session, cookie_token: str, citizen: CitizenPrincipal) -> None:
    """RP-initiated logout: the eID session ends and the tokens issued under it are revoked."""
    from oncegov.auth import service as auth

    auth.end_session(session, cookie_token)
    revoke_for_session(session, citizen.session_id, reason="logout")
    accounts.record_login_event(
        session,
        account_id=citizen.account_id,
        personal_id=citizen.personal_id,
        event="logout",
        detail="oidc_logout",
    )


# --- claims ------------------------------------------------------------------------------------


def _relying_party(client: OidcClient) -> Actor:
    return Actor(
        kind="service", id=client.client_id, name=client.name, agency=client.agency, channel="api"
    )


def _international(phone: str) -> str:
    return "+84" + phone[1:] if phone.startswith("0") else phone


def _registry_claims(citizen: CitizenOut, scopes: list[str]) -> dict[str, Any]:
    claims: dict[str, Any] = {}
    if "profile" in scopes:
        words = citizen.full_name.split()
        claims["name"] = citizen.full_name
        claims["family_name"] = words[0] if words else ""
        claims["given_name"] = words[-1] if words else ""
        claims["gender"] = {"M": "male", "F": "female"}.get(citizen.sex, "other")
    if "birthdate" in scopes:
        claims["birthdate"] = citizen.date_of_birth
    if "address" in scopes and citizen.permanent_address:
        claims["address"] = {"formatted": citizen.permanent_address, "country": "VN"}
    if "personal_id" in scopes:
        claims["personal_id"] = citizen.personal_id
    return claims


def release_claims(
    session: Session, client: OidcClient, token: OidcToken, *, at: str
) -> dict[str, Any]:
    """The claims of the granted scopes, read through the registry service as the relying
    party (so "who accessed my data" shows it), plus one ``oidc.claims_released`` entry."""
    scopes = scope_list(token.scope)
    claims: dict[str, Any] = {"sub": subject_for(session, token.personal_id)}
    actor = _relying_party(client)
    if {"profile", "birthdate", "address", "personal_id"} & set(scopes):
        citizen = registry.get_citizen(
            session,
            actor,
            token.personal_id,
            purpose=f"Data released to {client.name} with the citizen's consent",
        )
        claims.update(_registry_claims(citizen, scopes))
    if "phone" in scopes:
        account = accounts.get_account(session, token.account_id)
        claims["phone_number"] = _international(account.phone)
        claims["phone_number_verified"] = True
    audit.record(
        session,
        actor,
        "oidc.claims_released",
        purpose=f"Data released to {client.name} with the citizen's consent ({at})",
        subject_personal_id=token.personal_id,
        detail={"client_id": client.client_id, "claims": sorted(claims)},
    )
    return claims


def _live_token(session: Session, access_token: str) -> tuple[OidcToken, OidcClient] | None:
    """The row of a live access token of an enabled client and a usable account."""
    row = OidcRepository(session).token_by_access_hash(hash_token(access_token))
    moment = clock.now()
    if row is None or row.revoked_at is not None or clock.aware(row.access_expires_at) <= moment:
        return None
    client = enabled_client(session, row.client_id)
    if client is None or not account_usable(session, row.account_id):
        return None
    return row, client


def userinfo(session: Session, access_token: str) -> dict[str, Any] | None:
    """Claims for a live access token of a usable account; None means 401 invalid_token."""
    live = _live_token(session, access_token)
    if live is None:
        return None
    row, client = live
    return release_claims(session, client, row, at="userinfo")


@dataclass(frozen=True)
class BearerHolder:
    """Whom an access token speaks for, to a resource server of this deployment."""

    personal_id: str
    level: int  # the eID level of the sign-in behind the token
    client_id: str
    scopes: tuple[str, ...]


def bearer_holder(session: Session, access_token: str) -> BearerHolder | None:
    """The citizen behind a live access token, or None (401 invalid_token).

    OnceGov's own APIs sit beside the provider and check its tokens here, answering what token
    introspection (RFC 7662) would: active, subject, acr, client, scope. The same checks as
    ``_live_token``, in one query."""
    live = OidcRepository(session).live_bearer(hash_token(access_token), clock.now())
    if live is None:
        return None
    personal_id, acr, client_id, scope = live
    return BearerHolder(
        personal_id=personal_id,
        level=LEVEL_BY_ACR.get(acr, 1),
        client_id=client_id,
        scopes=tuple(scope_list(scope)),
    )


# --- ID tokens ---------------------------------------------------------------------------------


def id_token_claims(
    session: Session,
    client_id: str,
    personal_id: str,
    *,
    nonce: str | None,
    acr: str,
    amr: str,
    auth_time: dt.datetime,
) -> dict[str, Any]:
    """The ID token carries identity and authentication facts only; personal data goes through
    userinfo (so each release is one audited registry read)."""
    now = int(clock.now().timestamp())
    claims: dict[str, Any] = {
        "iss": settings.oidc_issuer,
        "sub": subject_for(session, personal_id),
        "aud": client_id,
        "iat": now,
        "exp": now + settings.oidc_id_token_seconds,
        "auth_time": int(clock.aware(auth_time).timestamp()),
        "acr": acr,
        "amr": amr.split(),
        "azp": client_id,
    }
    if nonce:
        claims["nonce"] = nonce
    return claims


@dataclass(frozen=True)
class IdTokenHint:
    client_id: str
    sub: str
    personal_id: str | None


def check_id_token_hint(session: Session, hint: str | None) -> IdTokenHint | None:
    """An ID token we issued (expired is fine for logout, per RP-initiated logout 1.0): our
    signature with a published key, our issuer, a known client as audience. Anything else —
    including unsigned ``alg=none`` tokens — is None."""
    if not hint:
        return None
    claims = keys.verify(session, hint)
    if claims is None or claims.get("iss") != settings.oidc_issuer:
        return None
    aud = claims.get("aud")
    client_id = aud[0] if isinstance(aud, list) and len(aud) == 1 else aud
    sub = claims.get("sub")
    if not isinstance(client_id, str) or not isinstance(sub, str):
        return None
    subject = OidcRepository(session).subject_by_sub(sub)
    return IdTokenHint(client_id, sub, subject.personal_id if subject else None)
