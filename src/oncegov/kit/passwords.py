"""Argon2id hashes of officers' passwords and citizens' eID passcodes: one hasher for both,
its parameters from settings (``argon2_*``, see config.py for why these values).

Every stored hash carries the parameters it was made with, so a change of settings never
locks anyone out: ``verify`` accepts the old hash and ``needs_rehash`` tells the sign-in to
store a new one while it holds the plain secret.
"""

from __future__ import annotations

import secrets
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from oncegov.config import settings


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
        type=Type.ID,
    )


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash of a secret nobody knows, verified against when there is no stored hash, so an
    unknown account costs the same one verification as a known one."""
    return _hasher().hash(secrets.token_urlsafe(16))


def hash_secret(secret: str) -> str:
    return _hasher().hash(secret)


def verify(stored_hash: str | None, secret: str) -> bool:
    """Whether ``secret`` matches ``stored_hash``; with no stored hash, one verification against
    the dummy hash (equal cost) and False."""
    try:
        return _hasher().verify(stored_hash or _dummy_hash(), secret) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether the hash was made with other parameters than today's settings."""
    try:
        return _hasher().check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def reset_cache() -> None:
    """Forget the hasher (tests that change the argon2 settings)."""
    _hasher.cache_clear()
    _dummy_hash.cache_clear()
