"""The short-lived signed check-in QR on a citizen's eID page (compact JWS, Ed25519).

A medical facility scans the QR the citizen shows and verifies it *offline*: by signature, with
the published public keys (``/eid/qr/jwks.json``), and by expiry. The token is small on purpose
(short claim names, nothing but what check-in needs) so the QR stays easy to scan::

    header  {"alg":"EdDSA","kid":…,"typ":"eid-checkin+jwt"}
    claims  {"iss":…,"sub":<12-digit personal ID>,"lvl":1|2,"iat":…,"exp":…,"jti":…}

(``exp`` = ``iat`` + ``settings.eid_qr_seconds``; ``iss`` is the OIDC issuer.)

Keys are handled like the OIDC signing keys (``identity/oidc/keys.py``): the first one is
created on first use (two workers racing on the unique ``active_slot``: the loser's savepoint
rolls back and it reads the winner's), the private key is stored field-encrypted, parsed keys
are cached per ``kid``, and a retired key stays published until every QR it signed has expired.

Verification needs no database query per token: the parsed public key set is cached in-process
for ``PUBLIC_CACHE_SECONDS``; an unknown ``kid`` reloads it at most once per
``UNKNOWN_KID_RELOAD_SECONDS`` (a key rotated by another process becomes known at once, a flood
of forged ``kid`` values costs one query a second). Verifying writes no audit entry: the caller
(the health check-in) records the audited read.

The SQL for the key table is in ``_QrKeyRepository`` below rather than in ``repository.py``, to
keep the feature in one module.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Literal

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwa import EdDSAAlgorithm
from joserfc.jwk import OKPKey
from joserfc.jws import JWSRegistry
from sqlalchemy.orm import Session

from oncegov.config import settings
from oncegov.db import create_once
from oncegov.errors import PermissionDenied, ValidationFailed
from oncegov.identity.accounts.models import EidAccount, EidQrKey
from oncegov.identity.accounts.repository import QrKeyRepository
from oncegov.kit import clock
from oncegov.kit.crypto import decrypt_field, encrypt_field, new_token
from oncegov.translatable import N_

ALG = "EdDSA"
CURVE: Literal["Ed25519"] = "Ed25519"
TOKEN_TYPE = "eid-checkin+jwt"  # noqa: S105 - a media type, not a secret
CLOCK_SKEW_SECONDS = 30
PUBLIC_CACHE_SECONDS = 60.0
UNKNOWN_KID_RELOAD_SECONDS = 1.0
MAX_TOKEN_LENGTH = 1024  # a real token is about 300 characters
_HEADER_MEMBERS = frozenset({"alg", "kid", "typ"})
_PERSONAL_ID = re.compile(r"[0-9]{12}")

MALFORMED = N_("This is not a valid eID check-in QR")
BAD_SIGNATURE = N_("This eID check-in QR is not signed by OnceGov or was altered")
EXPIRED = N_("This eID check-in QR has expired; ask the citizen to refresh it on their phone")
UNAVAILABLE = N_("Only an active eID account can show a check-in QR")


class _Ed25519(EdDSAAlgorithm):
    """joserfc warns on every use of the polymorphic ``EdDSA`` name (RFC 9864 prefers
    ``Ed25519``); facilities' libraries know ``EdDSA``, and our keys are pinned to Ed25519
    (checked on import), so this algorithm model is the same one without the warning."""

    security_warning = ""


class _QrJwsRegistry(JWSRegistry):
    algorithms = {ALG: _Ed25519()}  # noqa: RUF012 - joserfc's class-level registry
    recommended = [ALG]  # noqa: RUF012


_REGISTRY = _QrJwsRegistry(algorithms=[ALG])


class EidQrRejected(ValidationFailed):
    """A scanned check-in QR that must not be accepted; ``code`` says why:
    ``eid_qr_malformed``, ``eid_qr_bad_signature`` or ``eid_qr_expired``. ``reason`` is the
    internal detail (for logs and tests; not shown)."""

    code = "eid_qr_malformed"

    def __init__(self, message: str, code: str, reason: str) -> None:
        super().__init__(message, field="eid_qr", code=code)
        self.reason = reason


def _malformed(reason: str) -> EidQrRejected:
    return EidQrRejected(MALFORMED, "eid_qr_malformed", reason)


def _bad_signature(reason: str) -> EidQrRejected:
    return EidQrRejected(BAD_SIGNATURE, "eid_qr_bad_signature", reason)


def _expired(reason: str) -> EidQrRejected:
    return EidQrRejected(EXPIRED, "eid_qr_expired", reason)


@dataclass(frozen=True)
class IssuedQr:
    token: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class EidQrClaims:
    personal_id: str
    level: int
    issued_at: dt.datetime
    expires_at: dt.datetime
    jti: str


# --- keys ----------------------------------------------------------------------------------


class _PublicKeys:
    """The parsed published keys by ``kid`` and when they were loaded (monotonic clock). The
    dict is replaced as a whole, never changed in place, so readers need no lock."""

    def __init__(self) -> None:
        self.loaded_at: float | None = None
        self.keys: dict[str, OKPKey] = {}
        self.lock = threading.Lock()


_private_cache: dict[str, OKPKey] = {}
_public = _PublicKeys()


def clear_key_cache() -> None:
    """Forget the parsed keys (tests; the caches are otherwise safe to keep for the process)."""
    _private_cache.clear()
    with _public.lock:
        _public.loaded_at, _public.keys = None, {}


def _new_key_row() -> EidQrKey:
    kid = new_token(6)  # 8 characters: a handful of keys ever exist, and the QR stays small
    key = OKPKey.generate_key(CURVE, parameters={"kid": kid, "use": "sig", "alg": ALG})
    return EidQrKey(
        kid=kid,
        alg=ALG,
        private_key_encrypted=encrypt_field(json.dumps(key.as_dict(private=True))),
        public_jwk=json.dumps(key.as_dict(private=False)),
        active_slot=1,
        created_at=clock.now(),
    )


def active_key(session: Session) -> EidQrKey:
    """The active signing key, created on first use (see the module docstring on the race)."""
    return create_once(session, QrKeyRepository(session).active_key, _new_key_row)


def rotate(session: Session) -> EidQrKey:
    """Retire the active key (it stays published until its QRs expire); make a new one active."""
    repo = QrKeyRepository(session)
    current = repo.active_key()
    if current is not None:
        current.active_slot = None
        current.retired_at = clock.now()
        session.flush()
    row = _new_key_row()
    repo.add(row)
    return row


def _private_key(row: EidQrKey) -> OKPKey:
    cached = _private_cache.get(row.kid)
    if cached is None:
        cached = OKPKey.import_key(json.loads(decrypt_field(row.private_key_encrypted)))
        _private_cache[row.kid] = cached
    return cached


def published(session: Session) -> list[EidQrKey]:
    """Keys a verifier must know: the active one and those retired less than a QR lifetime
    (plus the clock skew verifiers allow) ago."""
    lifetime = dt.timedelta(seconds=settings.eid_qr_seconds + CLOCK_SKEW_SECONDS)
    return list(QrKeyRepository(session).published_keys(clock.now() - lifetime))


def published_jwks(session: Session) -> dict[str, Any]:
    """The public key set for ``/eid/qr/jwks.json`` (a fresh install publishes its first key
    at once)."""
    active_key(session)
    return {"keys": [json.loads(row.public_jwk) for row in published(session)]}


def _public_key(jwk: dict[str, Any]) -> OKPKey:
    key = OKPKey.import_key(jwk)
    if key.curve_name != CURVE or key.is_private:  # pragma: no cover - we write these rows
        raise ValueError("check-in QR keys are public Ed25519 keys")
    return key


def _load_public_keys(session: Session) -> dict[str, OKPKey]:
    keys = {row.kid: _public_key(json.loads(row.public_jwk)) for row in published(session)}
    with _public.lock:
        _public.loaded_at, _public.keys = time.monotonic(), keys
    return keys


def _remember_public(row: EidQrKey) -> None:
    """An issuing worker knows its own active key at once (no reload for its first QR)."""
    with _public.lock:
        if _public.loaded_at is not None and row.kid not in _public.keys:
            _public.keys = {**_public.keys, row.kid: _public_key(json.loads(row.public_jwk))}


def _verification_key(session: Session, kid: str) -> OKPKey | None:
    loaded_at, keys = _public.loaded_at, _public.keys
    if loaded_at is not None:
        age = time.monotonic() - loaded_at
        key = keys.get(kid)
        if age < PUBLIC_CACHE_SECONDS and (key is not None or age < UNKNOWN_KID_RELOAD_SECONDS):
            return key
    return _load_public_keys(session).get(kid)


# --- issue and verify ----------------------------------------------------------------------


def issue_checkin_token(
    session: Session, account: EidAccount, now: dt.datetime | None = None
) -> IssuedQr:
    """A fresh check-in QR token for an active account (``PermissionDenied`` otherwise)."""
    if account.status != "active":
        raise PermissionDenied(
            UNAVAILABLE, field="account", code="eid_qr_unavailable", account_status=account.status
        )
    issued = int(clock.aware(now or clock.now()).timestamp())
    expires = issued + settings.eid_qr_seconds
    claims = {
        "iss": settings.oidc_issuer,
        "sub": account.personal_id,
        "lvl": account.level,
        "iat": issued,
        "exp": expires,
        "jti": new_token(12),
    }
    row = active_key(session)
    header = {"alg": ALG, "kid": row.kid, "typ": TOKEN_TYPE}
    payload = json.dumps(claims, separators=(",", ":"))
    token = jws.serialize_compact(header, payload, _private_key(row), registry=_REGISTRY)
    _remember_public(row)
    return IssuedQr(token=token, expires_at=dt.datetime.fromtimestamp(expires, dt.UTC))


def _int_claim(claims: dict[str, Any], name: str) -> int:
    value = claims.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _malformed(f"{name} is not an integer")
    return value


def verify_checkin_token(
    session: Session, token: str, now: dt.datetime | None = None
) -> EidQrClaims:
    """The claims of a check-in QR token we signed and that is valid now, or ``EidQrRejected``.

    Only ``EdDSA`` with a published key and ``typ`` ``eid-checkin+jwt`` are accepted; the
    signature is checked before any claim is read. No database query while the public key
    cache is warm, and no audit entry (the caller records the audited read).
    """
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise _malformed("empty or too long")
    try:
        obj = jws.extract_compact(token.strip().encode("ascii"), registry=_REGISTRY)
        header = obj.headers()
    except (JoseError, ValueError, TypeError, UnicodeError) as exc:
        raise _malformed(f"not a compact JWS: {exc}") from exc
    if header.get("alg") != ALG:
        raise _bad_signature(f"alg {header.get('alg')!r}")
    if header.get("typ") != TOKEN_TYPE:
        raise _malformed(f"typ {header.get('typ')!r}")
    kid = header.get("kid")
    if not isinstance(kid, str) or set(header) - _HEADER_MEMBERS:
        raise _malformed("header members")
    key = _verification_key(session, kid)
    if key is None:
        raise _bad_signature(f"unknown kid {kid!r}")
    try:
        valid = jws.validate_compact(obj, key, registry=_REGISTRY)
    except (JoseError, ValueError) as exc:
        raise _bad_signature(f"signature check failed: {exc}") from exc
    if not valid:
        raise _bad_signature("signature does not match")

    try:
        claims = json.loads(obj.payload)
    except ValueError as exc:
        raise _malformed("payload is not JSON") from exc
    if not isinstance(claims, dict):
        raise _malformed("payload is not an object")
    if claims.get("iss") != settings.oidc_issuer:
        raise _malformed("iss")
    personal_id = claims.get("sub")
    if not isinstance(personal_id, str) or not _PERSONAL_ID.fullmatch(personal_id):
        raise _malformed("sub is not a 12-digit personal ID")
    level = _int_claim(claims, "lvl")
    if level not in (1, 2):
        raise _malformed("lvl")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 0 < len(jti) <= 64:
        raise _malformed("jti")
    issued, expires = _int_claim(claims, "iat"), _int_claim(claims, "exp")
    if not 0 < expires - issued <= settings.eid_qr_seconds:
        raise _malformed("lifetime")

    moment = clock.aware(now or clock.now()).timestamp()
    if moment >= expires:
        raise _expired("exp is past")
    if issued > moment + CLOCK_SKEW_SECONDS:
        raise _expired("iat is in the future")
    return EidQrClaims(
        personal_id=personal_id,
        level=level,
        issued_at=dt.datetime.fromtimestamp(issued, dt.UTC),
        expires_at=dt.datetime.fromtimestamp(expires, dt.UTC),
        jti=jti,
    )
