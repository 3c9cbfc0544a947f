"""ID-token signing keys (RS256, joserfc): creation on first use, rotation, the published JWKS.

The private key is stored field-encrypted; parsed keys are cached by ``kid`` (a key never
changes once written). A retired key stays in the JWKS until every token it signed has expired
(``retired_at`` + the longest token lifetime).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy.orm import Session

from oncegov.config import settings
from oncegov.db import create_once
from oncegov.identity.oidc.models import OidcSigningKey
from oncegov.identity.oidc.repository import OidcRepository
from oncegov.kit import clock
from oncegov.kit.crypto import decrypt_field, encrypt_field, new_token

ALG = "RS256"
SIGNING_ALGORITHMS = [ALG]
_private_cache: dict[str, RSAKey] = {}


def longest_token_seconds() -> int:
    return max(settings.oidc_id_token_seconds, settings.oidc_access_token_seconds)


def _new_key_row() -> OidcSigningKey:
    kid = new_token(12)
    key = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": ALG})
    return OidcSigningKey(
        kid=kid,
        alg=ALG,
        private_key_encrypted=encrypt_field(json.dumps(key.as_dict(private=True))),
        public_jwk=json.dumps(key.as_dict(private=False)),
        active_slot=1,
        created_at=clock.now(),
    )


def active_key(session: Session) -> OidcSigningKey:
    """The active signing key, created on first use. Two workers racing here both try to insert
    into the unique ``active_slot``; the loser's savepoint rolls back and it reads the winner's."""
    return create_once(session, OidcRepository(session).active_key, _new_key_row)


def rotate(session: Session) -> OidcSigningKey:
    """Retire the active key (it stays published) and make a new one active."""
    repo = OidcRepository(session)
    current = repo.active_key()
    if current is not None:
        current.active_slot = None
        current.retired_at = clock.now()
        session.flush()
    row = _new_key_row()
    repo.add(row)
    return row


def private_key(row: OidcSigningKey) -> RSAKey:
    cached = _private_cache.get(row.kid)
    if cached is None:
        cached = RSAKey.import_key(json.loads(decrypt_field(row.private_key_encrypted)))
        _private_cache[row.kid] = cached
    return cached


def published(session: Session) -> list[OidcSigningKey]:
    cutoff = clock.now() - dt.timedelta(seconds=longest_token_seconds())
    return list(OidcRepository(session).published_keys(cutoff))


def jwks(session: Session) -> dict[str, Any]:
    active_key(session)  # a fresh install publishes its first key at once
    return {"keys": [json.loads(row.public_jwk) for row in published(session)]}


def sign(session: Session, claims: dict[str, Any]) -> str:
    row = active_key(session)
    return jwt.encode({"alg": ALG, "kid": row.kid, "typ": "JWT"}, claims, private_key(row))


def verify(session: Session, token: str) -> dict[str, Any] | None:
    """The claims of a JWT we signed with a published key, or None (bad signature, unknown key,
    ``alg=none`` or any algorithm but RS256). Time claims are checked by the caller."""
    keyset = KeySet.import_key_set(jwks(session))  # type: ignore[arg-type]
    try:
        return dict(jwt.decode(token, keyset, algorithms=SIGNING_ALGORITHMS).claims)
    except (JoseError, ValueError):
        return None
