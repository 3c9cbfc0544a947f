"""kit.passwords: one Argon2id hasher with the parameters of settings; stored hashes keep
theirs, so changing the settings locks nobody out and sign-ins upgrade the hash."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from argon2.low_level import Type

from oncegov.config import settings
from oncegov.kit import passwords


@pytest.fixture(autouse=True)
def _fresh_hasher() -> Iterator[None]:
    passwords.reset_cache()
    yield
    passwords.reset_cache()


def test_hash_is_argon2id_with_the_configured_parameters() -> None:
    stored = passwords.hash_secret("135790")
    assert stored.startswith("$argon2id$v=19$")
    expected = (
        f"m={settings.argon2_memory_kib},t={settings.argon2_time_cost},"
        f"p={settings.argon2_parallelism}$"
    )
    assert expected in stored
    assert "135790" not in stored


def test_verify_accepts_the_secret_and_refuses_others() -> None:
    stored = passwords.hash_secret("135790")
    assert passwords.verify(stored, "135790")
    assert not passwords.verify(stored, "135791")
    assert not passwords.verify(stored, "")


def test_no_stored_hash_never_matches() -> None:
    # Verified against a dummy hash (same cost as a real one), and always False.
    assert not passwords.verify(None, "135790")
    assert not passwords.verify(None, "")


def test_a_damaged_hash_is_a_mismatch_not_an_error() -> None:
    assert not passwords.verify("$argon2id$v=19$m=19456,t=2,p=1$bm90$bm90", "135790")
    assert not passwords.verify("not a hash", "135790")
    assert passwords.needs_rehash("not a hash")


def test_hashes_of_other_parameters_still_verify_and_ask_for_a_rehash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A hash made with argon2-cffi's own defaults (the parameters before the settings).
    old = PasswordHasher(time_cost=3, memory_cost=65_536, parallelism=4, type=Type.ID)
    stored = old.hash("135790")
    assert passwords.verify(stored, "135790")
    assert passwords.needs_rehash(stored)
    assert not passwords.needs_rehash(passwords.hash_secret("135790"))

    monkeypatch.setattr(settings, "argon2_time_cost", settings.argon2_time_cost + 1)
    passwords.reset_cache()
    assert passwords.verify(stored, "135790")
    fresh = passwords.hash_secret("135790")
    assert f"t={settings.argon2_time_cost}," in fresh
