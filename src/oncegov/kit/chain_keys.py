"""The keys of the platform's hash chains, from settings (``docs/operations.md``).

Every chain (the audit log today) uses the same configured HMAC key through its own subkey
(``kit.chain.chain_subkey``) and the same Ed25519 checkpoint key (the chain's name is in every
signed checkpoint). Both live outside the database: in the environment or a file.

Development and tests need no configuration: an unset key is derived from ``secret_key`` with a
fixed label (so it differs from every other secret and stays the same across restarts).
Production refuses unset keys (:class:`ChainKeyMissing`).
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from oncegov.config import settings
from oncegov.kit.chain import (
    ChainKeys,
    load_private_key,
    public_jwk,
    public_key_from_x,
    public_key_id,
)


class ChainKeyMissing(RuntimeError):
    """A chain key is not configured where development keys are refused (production)."""

    def __init__(self, setting: str) -> None:
        super().__init__(
            f"ONCEGOV_{setting.upper()} must be set in production (see docs/operations.md)"
        )
        self.setting = setting


def development_keys_in_use() -> list[str]:
    """The chain-key settings left unset, i.e. served by a development key (for the start-up
    check that refuses development secrets in production)."""
    unset = []
    if settings.audit_hmac_key is None:
        unset.append("audit_hmac_key")
    if settings.audit_checkpoint_key_file is None and settings.audit_checkpoint_key is None:
        unset.append("audit_checkpoint_key")
    return unset


def _development_key(label: str, setting: str) -> bytes:
    if settings.environment == "production":
        raise ChainKeyMissing(setting)
    secret = settings.secret_key.get_secret_value().encode()
    return hmac.digest(secret, b"oncegov development " + label.encode(), hashlib.sha256)


def _hmac_secrets() -> tuple[bytes, tuple[bytes, ...]]:
    configured = settings.audit_hmac_key
    current = (
        configured.get_secret_value().encode()
        if configured is not None
        else _development_key("chain hmac key", "audit_hmac_key")
    )
    retired_setting = settings.audit_hmac_retired_keys
    retired = tuple(
        part.strip().encode()
        for part in (retired_setting.get_secret_value() if retired_setting else "").split(",")
        if part.strip()
    )
    return current, retired


def chain_keys(chain: str) -> ChainKeys:
    """The HMAC keys of ``chain`` (current and retired)."""
    current, retired = _hmac_secrets()
    return _chain_keys(chain, current, retired)


@lru_cache(maxsize=16)
def _chain_keys(chain: str, current: bytes, retired: tuple[bytes, ...]) -> ChainKeys:
    # Cached on the key material itself: a changed setting (a test, a reload) takes effect.
    return ChainKeys(chain, current, retired)


def checkpoint_key() -> Ed25519PrivateKey:
    """The Ed25519 key that signs checkpoints: from the file, the PEM setting, or (development
    only) derived from ``secret_key``."""
    if settings.audit_checkpoint_key_file is not None:
        return _parsed_private_key(settings.audit_checkpoint_key_file.read_bytes())
    if settings.audit_checkpoint_key is not None:
        return _parsed_private_key(settings.audit_checkpoint_key.get_secret_value().encode())
    seed = _development_key("checkpoint key", "audit_checkpoint_key")
    return _derived_private_key(seed)


@lru_cache(maxsize=4)
def _parsed_private_key(pem: bytes) -> Ed25519PrivateKey:
    return load_private_key(pem)


@lru_cache(maxsize=4)
def _derived_private_key(seed: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(seed)


def checkpoint_public_keys() -> dict[str, Ed25519PublicKey]:
    """Every public key a checkpoint may be signed with, by key id: the current key and the
    retired ones still configured."""
    keys = [checkpoint_key().public_key()]
    keys.extend(
        public_key_from_x(x)
        for x in settings.audit_checkpoint_retired_public_keys.split(",")
        if x.strip()
    )
    return {public_key_id(key): key for key in keys}


def published_jwks() -> dict[str, list[dict[str, str]]]:
    """The checkpoint public keys as a JWKS document, current key first."""
    return {"keys": [public_jwk(key) for key in checkpoint_public_keys().values()]}
