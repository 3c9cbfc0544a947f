"""Signing in with an eID account: the passcode step (one Argon2 verification on every path,
per-account exponential lockout, per-IP and per-account limits), the SMS-code step of level
2, the session it starts, and signing out (the OIDC tokens of that session end too).
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy.orm import Session

from oncegov.auth import service as auth
from oncegov.config import settings
from oncegov.db import increment
from oncegov.errors import NotAuthenticated
from oncegov.identity.accounts import events
from oncegov.identity.accounts.codes import check_code, send_code
from oncegov.identity.accounts.locks import revoke_account
from oncegov.identity.accounts.models import EidAccount, PendingLogin
from oncegov.identity.accounts.repository import AccountRepository
from oncegov.identity.accounts.schemas import SignInStep
from oncegov.identity.accounts.service import (
    CodeRejected,
    LoginFailed,
    account_of,
    get_account,
    is_usable,
    record_event,
    record_login_event,
    system_actor,
)
from oncegov.kit import clock, passwords
from oncegov.kit.crypto import hash_token, new_token
from oncegov.registry import service as registry
from oncegov.translatable import N_

LOGIN_FAILED = N_("Wrong personal ID or passcode, or the account cannot be used now")


def _lock_seconds(failures: int) -> int:
    over = failures - settings.passcode_max_failures_before_lock
    return int(min(settings.login_lock_base_seconds * 2**over, settings.login_lock_max_seconds))


def _refusal_reason(account: EidAccount, matches: bool, moment: dt.datetime) -> str | None:
    if account.status != "active":
        return account.status  # pending | locked | revoked
    if account.login_locked_until is not None and clock.aware(account.login_locked_until) > moment:
        return "temporarily_locked"
    return None if matches else "wrong_passcode"


def check_passcode_login(
    session: Session, *, personal_id: str, passcode: str, ip: str | None
) -> EidAccount:
    """First step of every sign-in. Every failure is the same ``LoginFailed`` after one Argon2
    verification: unknown ID, wrong passcode, pending/locked/revoked or temporarily locked."""
    auth.hit_rate_limit(session, f"eid-login-ip:{ip}", settings.ip_login_limit_per_minute)
    # Per claimed account, whatever the address (keyed hash: no personal ID in the table).
    auth.hit_rate_limit(
        session,
        f"eid-login-account:{hash_token(personal_id.strip())[:40]}",
        settings.account_login_limit_per_minute,
    )
    account = account_of(session, personal_id)
    # No account, or no passcode yet: one verification against a dummy hash all the same, so
    # every failure path costs exactly one Argon2 verification.
    stored = account.passcode_hash if account else None
    matches = passwords.verify(stored, passcode or "")
    if account is None:
        raise LoginFailed(LOGIN_FAILED, field="passcode")
    moment = clock.now()
    reason = _refusal_reason(account, matches, moment)
    if reason is not None:
        _record_failure(session, account, reason, moment, ip)
        raise LoginFailed(LOGIN_FAILED, field="passcode")
    if _deceased(session, account):
        revoke_account(session, account, reason="deceased", actor=system_actor("login"))
        record_event(session, account, "login_failed", ip=ip, detail="deceased")
        raise LoginFailed(LOGIN_FAILED, field="passcode")
    account.failed_logins = 0
    account.login_locked_until = None
    if stored is not None and passwords.needs_rehash(stored):
        account.passcode_hash = passwords.hash_secret(passcode)
    return account


def _record_failure(
    session: Session, account: EidAccount, reason: str, moment: dt.datetime, ip: str | None
) -> None:
    record_event(session, account, "login_failed", ip=ip, detail=reason)
    if reason != "wrong_passcode":
        return  # attempts while locked do not extend the lock: the owner can still get back in
    failures = increment(session, account, "failed_logins")  # concurrent tries all count
    if failures >= settings.passcode_max_failures_before_lock:
        seconds = _lock_seconds(failures)
        account.login_locked_until = moment + dt.timedelta(seconds=seconds)
        record_event(session, account, "lockout", ip=ip, detail=f"{seconds}s")
    session.flush()


def _deceased(session: Session, account: EidAccount) -> bool:
    """Safety net behind the registry's deceased hook: checked after a correct passcode only,
    so the failure paths stay alike."""
    found = registry.deceased_among(
        session, system_actor("login"), [account.personal_id], purpose="eID sign-in"
    )
    return account.personal_id in found


def sign_in(
    session: Session,
    *,
    personal_id: str,
    passcode: str,
    ip: str | None,
    user_agent: str | None,
    old_token: str | None,
    next_path: str,
    required_level: int = 1,
) -> SignInStep:
    """The passcode step: level-1 accounts are signed in now; level-2 accounts get a texted
    code and a pending sign-in; a level-1 account where level 2 is required is refused."""
    account = check_passcode_login(session, personal_id=personal_id, passcode=passcode, ip=ip)
    if account.level < required_level:
        record_event(session, account, "login_refused", ip=ip, detail="level_required")
        return SignInStep(level_refused=True, next_path=next_path)
    if account.level == 1:
        token = _start_session(session, account, ip, user_agent, old_token, level=1)
        return SignInStep(session_token=token, next_path=next_path)
    send_code(session, account, "login")
    token = new_token()
    moment = clock.now()
    AccountRepository(session).delete_stale_pending_logins(moment - dt.timedelta(hours=1))
    AccountRepository(session).add(
        PendingLogin(
            token_hash=hash_token(token),
            account_id=account.id,
            next_path=next_path[:2000],
            created_at=moment,
            expires_at=moment + dt.timedelta(seconds=settings.otp_lifetime_seconds),
        )
    )
    return SignInStep(pending_token=token, next_path=next_path)


def pending_sign_in(session: Session, token: str | None) -> PendingLogin | None:
    """The live pending sign-in behind the cookie, if any."""
    if not token:
        return None
    pending = AccountRepository(session).pending_login(hash_token(token))
    if (
        pending is None
        or pending.used_at is not None
        or clock.aware(pending.expires_at) <= clock.now()
    ):
        return None
    return pending


def finish_sign_in(
    session: Session,
    *,
    pending_token: str | None,
    code: str,
    ip: str | None,
    user_agent: str | None,
    old_token: str | None,
) -> SignInStep:
    """The SMS-code step of a level-2 sign-in."""
    pending = pending_sign_in(session, pending_token)
    if pending is None:
        raise LoginFailed(N_("Your sign-in expired; please start again"), code="login_expired")
    account = get_account(session, pending.account_id)
    if not is_usable(account):
        pending.used_at = clock.now()
        raise LoginFailed(LOGIN_FAILED, code="login_expired")
    try:
        record = check_code(session, account, "login", code)
    except CodeRejected:
        record_event(session, account, "login_failed", ip=ip, detail="wrong_code")
        if AccountRepository(session).live_code(account.id, "login", clock.now()) is None:
            pending.used_at = clock.now()  # the code died: the passcode step starts again
        raise
    moment = clock.now()
    record.used_at = moment
    pending.used_at = moment
    token = _start_session(session, account, ip, user_agent, old_token, level=2)
    return SignInStep(session_token=token, next_path=pending.next_path)


def _start_session(
    session: Session,
    account: EidAccount,
    ip: str | None,
    user_agent: str | None,
    old_token: str | None,
    *,
    level: int,
) -> str:
    if old_token:  # rotation: whatever session the browser had ends here
        auth.end_session(session, old_token)
    amr = ("pwd", "sms", "mfa") if level == 2 else ("pwd",)
    issued = auth.start_session(
        session,
        subject_kind="citizen",
        subject_id=account.id,
        ip=ip,
        user_agent=user_agent,
        personal_id=account.personal_id,
        auth_level=level,
        amr=amr,
    )
    account.last_login_at = clock.now()
    record_event(session, account, "login", ip=ip, detail=f"level{level}")
    return issued.token


def sign_out(session: Session, token: str, csrf_token: str | None, *, ip: str | None) -> bool:
    """End the session behind ``token`` if the form carries its CSRF token (otherwise any site
    could sign citizens out); the tokens issued under it end too (``events.session_ended``)."""
    try:
        principal = auth.citizen_principal_from_session(session, token)
    except NotAuthenticated:
        return False
    if not csrf_token or not secrets.compare_digest(csrf_token, principal.csrf_token):
        return False
    auth.end_session(session, token)
    events.session_ended(session, principal.session_id, reason="logout")
    record_login_event(
        session,
        account_id=principal.account_id,
        personal_id=principal.personal_id,
        event="logout",
        ip=ip,
    )
    return True
