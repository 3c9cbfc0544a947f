"""OpenID Connect provider rules (being built). The two functions below are the contract the
eID accounts code relies on; the provider work fills them in with the token tables."""

from __future__ import annotations

from sqlalchemy.orm import Session


def revoke_all_for_account(session: Session, account_id: int, *, reason: str) -> int:
    """Revoke every access and refresh token of an eID account (locked, revoked)."""
    return 0


def revoke_for_session(session: Session, web_session_id: int, *, reason: str) -> int:
    """Revoke the refresh tokens issued under one eID session (the citizen signed out)."""
    return 0
