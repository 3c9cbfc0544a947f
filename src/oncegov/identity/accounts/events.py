"""eID account events the OpenID Connect provider reacts to, without the accounts importing it.

The provider signs citizens in with their eID accounts, so it sits above them: it may call the
accounts, never the other way round. Where an account's access ends, the accounts announce it
here and the provider's listeners revoke the tokens it issued:

``access_ended``: every session and token of an account ends (locked, revoked, passcode reset
or changed). ``session_ended``: one eID session ended (signed out, ended from another device);
what was issued under it ends too.

Listeners run in the caller's transaction, so a lock and the revocation of its tokens commit or
roll back together. ``identity.oidc.service`` registers its listeners when it is imported;
every composition root imports it (the web app through the provider's routers, the CLI through
its ``oidc`` commands), and ``tests/identity/oidc/test_account_events.py`` checks that in a
fresh interpreter for each of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class AccessEnded:
    account_id: int
    reason: str


@dataclass(frozen=True)
class SessionEnded:
    web_session_id: int
    reason: str


AccessEndedListener = Callable[[Session, AccessEnded], object]
SessionEndedListener = Callable[[Session, SessionEnded], object]

on_access_ended: list[AccessEndedListener] = []
on_session_ended: list[SessionEndedListener] = []


def listen_access_ended(listener: AccessEndedListener) -> None:
    """Register ``listener`` once (importing a module twice must not run it twice)."""
    if listener not in on_access_ended:
        on_access_ended.append(listener)


def listen_session_ended(listener: SessionEndedListener) -> None:
    """Register ``listener`` once (importing a module twice must not run it twice)."""
    if listener not in on_session_ended:
        on_session_ended.append(listener)


def access_ended(session: Session, account_id: int, *, reason: str) -> None:
    """Tell every listener that nothing issued to this account may be used any more."""
    ended = AccessEnded(account_id=account_id, reason=reason)
    for listener in list(on_access_ended):
        listener(session, ended)


def session_ended(session: Session, web_session_id: int, *, reason: str) -> None:
    """Tell every listener that this eID session ended."""
    ended = SessionEnded(web_session_id=web_session_id, reason=reason)
    for listener in list(on_session_ended):
        listener(session, ended)
