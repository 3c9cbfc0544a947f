"""What the citizen's own pages show of their account: its state and live sessions (ending
another device's), and the login history, kept ``login_history_retention_days``.
"""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy.orm import Session

from oncegov.auth import service as auth
from oncegov.config import settings
from oncegov.errors import NotFound
from oncegov.identity.accounts import events
from oncegov.identity.accounts.repository import AccountRepository
from oncegov.identity.accounts.schemas import (
    AccountView,
    LoginEventView,
    LoginHistoryPage,
    SessionView,
)
from oncegov.identity.accounts.service import get_account, mask_phone
from oncegov.kit import clock
from oncegov.kit.repository import Page
from oncegov.translatable import N_

HISTORY_PAGE_SIZE = 25


def account_view(session: Session, account_id: int, current_session_id: int) -> AccountView:
    account = get_account(session, account_id)
    sessions = [
        SessionView(
            id=s.id,
            created_at=s.created_at,
            last_seen_at=s.last_seen_at,
            ip=s.ip,
            user_agent=s.user_agent,
            auth_level=s.auth_level,
            current=s.id == current_session_id,
        )
        for s in auth.live_sessions_of(session, "citizen", account.id)
    ]
    return AccountView(
        personal_id=account.personal_id,
        level=account.level,
        pending_level=account.pending_level,
        status=account.status,
        phone_masked=mask_phone(account.phone),
        activated_at=account.activated_at,
        last_login_at=account.last_login_at,
        sessions=sessions,
    )


def end_other_session(session: Session, account_id: int, web_session_id: int) -> None:
    """The citizen ends one of their sessions (another device); its tokens end with it."""
    if not auth.end_session_by_id(session, "citizen", account_id, web_session_id):
        raise NotFound(N_("No such session"), field="session_id")
    events.session_ended(session, web_session_id, reason="ended_by_citizen")


# What the citizen sees of an event: the reason of a failure stays internal.
_VISIBLE_EVENTS = {"login_refused": "login_failed"}


def login_history(session: Session, account_id: int, page: int = 1) -> LoginHistoryPage:
    """One page of the history, newest first. Events of tokens carry the relying party's
    client id only: the page names the parties (``LoginHistoryPage.naming_services``)."""
    repo = AccountRepository(session)
    total = repo.count_login_events(account_id)
    pages = max(1, math.ceil(total / HISTORY_PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = repo.login_events(account_id, Page.numbered(page, HISTORY_PAGE_SIZE)).items
    events_seen = [
        LoginEventView(
            created_at=r.created_at,
            event=_VISIBLE_EVENTS.get(r.event, r.event),
            ip=r.ip,
            client_id=r.client_id,
        )
        for r in rows
    ]
    return LoginHistoryPage(events=events_seen, page=page, pages=pages, total=total)


def purge_login_history(session: Session, now: dt.datetime | None = None) -> int:
    """Delete history older than ``login_history_retention_days``; returns how many rows."""
    cutoff = (now or clock.now()) - dt.timedelta(days=settings.login_history_retention_days)
    return AccountRepository(session).purge_login_events(cutoff)
