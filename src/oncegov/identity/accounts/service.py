"""eID accounts: registration (level 1 online, level 2 at a police desk), activation, sign-in
with lockout and per-IP limits, one-time codes, lock/unlock/revoke, passcode reset and the
citizens' login history. The only entry other domains use (cards calls ``register_level2``,
the OpenID Connect provider ``get_account``/``is_usable``/``record_login_event``).

Failures that must leave a trace (a wrong code's attempt, a wrong passcode's counter, a refused
registration's rate-limit hit) raise a ``CountedFailure``: routes return those as responses
instead of raising them, so the request's transaction commits what the service wrote.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.orm import Session

from oncegov.audit import service as audit
from oncegov.auth import service as auth
from oncegov.config import settings
from oncegov.db import increment
from oncegov.errors import (
    Conflict,
    NotAuthenticated,
    NotFound,
    OnceGovError,
    PermissionDenied,
    ValidationFailed,
)
from oncegov.identity.accounts import demo, rules
from oncegov.identity.accounts.models import EidAccount, LoginEvent, OneTimeCode, PendingLogin
from oncegov.identity.accounts.repository import AccountRepository
from oncegov.identity.accounts.schemas import (
    AccountView,
    LoginEventView,
    LoginHistoryPage,
    OfficerAccountView,
    RegistrationForm,
    SessionView,
    SignInStep,
)
from oncegov.identity.oidc import service as oidc_service
from oncegov.integrations.models import SmsOutboxMessage
from oncegov.integrations.sms import LocalSmsGateway, normalise_phone, sms_gateway
from oncegov.kit import clock
from oncegov.kit.actor import Actor
from oncegov.kit.crypto import hash_token, new_token
from oncegov.kit.text import fold, require_text
from oncegov.registry import events
from oncegov.registry import service as registry
from oncegov.registry.schemas import CitizenOut
from oncegov.translatable import N_
from oncegov.units import service as units
from oncegov.units.schemas import UnitScope

_hasher = PasswordHasher()  # Argon2id, the same parameters as auth.service.hash_password
# Verified against when the personal ID has no account (or no passcode yet), so every
# failure path costs exactly one Argon2 verification.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

REGISTRATION_REFUSED = N_(
    "We could not register an account with these details. Check them against your chip ID "
    "card. If you already have an account, sign in or reset your passcode."
)
RESET_REFUSED = N_(
    "These details do not match an account that can reset its passcode. Check them against "
    "your chip ID card and the phone number you registered."
)
LOGIN_FAILED = N_("Wrong personal ID or passcode, or the account cannot be used now")
CODE_FAILED = N_("Wrong or expired code")
SMS_TEXT = "OnceGov: ma xac thuc cua ban la {code}. Hieu luc {minutes} phut. Khong chia se ma nay."
OUTBOX_WINDOW = dt.timedelta(minutes=30)
HISTORY_PAGE_SIZE = 25
_REGISTRATION_PURPOSE = "eID self-registration"
MAX_PORTRAIT_BYTES = rules.MAX_PORTRAIT_BYTES
# Re-exported: pages and tests check passcodes through the service.
check_passcode = rules.check_passcode


class CountedFailure(OnceGovError):
    """A refusal whose writes (attempt counters, history, rate-limit hits) must be committed."""


class CodeRejected(ValidationFailed, CountedFailure):
    code = "code_invalid"


class LoginFailed(NotAuthenticated, CountedFailure):
    code = "login_failed"


class RegistrationRefused(ValidationFailed, CountedFailure):
    code = "registration_refused"


class ResetRefused(ValidationFailed, CountedFailure):
    code = "reset_refused"


def _system(name: str, channel: str = "web") -> Actor:
    return Actor.system(f"eid.{name}", channel=channel)


# --- accounts: what other domains call ------------------------------------------------------


def get_account(session: Session, account_id: int) -> EidAccount:
    account = AccountRepository(session).account(account_id)
    if account is None:
        raise NotFound(N_("No such eID account"), field="account_id")
    return account


def account_of(session: Session, personal_id: str) -> EidAccount | None:
    return AccountRepository(session).account_by_personal_id(personal_id.strip())


def statuses_of(session: Session, personal_ids: Sequence[str]) -> dict[str, str]:
    """eID account status (pending, active, locked, revoked) per personal ID that has one."""
    return AccountRepository(session).statuses_by_personal_ids(personal_ids)


def is_usable(account: EidAccount) -> bool:
    """Whether the account may sign in or hold tokens (active; not pending, locked, revoked)."""
    return account.status == "active"


def record_login_event(
    session: Session,
    *,
    account_id: int,
    personal_id: str,
    event: str,
    ip: str | None = None,
    client_id: str | None = None,
    detail: str | None = None,
) -> None:
    """One line of the login history (sign-ins, failures with an internal reason code,
    lockouts, sign-outs, resets, and tokens the OpenID Connect provider issues)."""
    AccountRepository(session).add(
        LoginEvent(
            account_id=account_id,
            personal_id=personal_id,
            event=event,
            ip=(ip or None) and ip[:45],
            client_id=client_id,
            detail=detail[:200] if detail else None,
            created_at=clock.now(),
        )
    )


def _event(session: Session, account: EidAccount, event: str, **kw: str | None) -> None:
    record_login_event(
        session, account_id=account.id, personal_id=account.personal_id, event=event, **kw
    )


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-3:]}" if len(phone) >= 7 else "****"


# --- one-time codes ---------------------------------------------------------------------------


def _code_hash(account_id: int, purpose: str, code: str) -> str:
    # Keyed, and bound to account and purpose: a leaked table gives no usable code.
    return hash_token(f"otp:{account_id}:{purpose}:{code}")


def send_code(session: Session, account: EidAccount, purpose: str) -> None:
    """Text a fresh code; older live codes of the same purpose die. Limited per hour."""
    repo = AccountRepository(session)
    moment = clock.now()
    auth.hit_rate_limit(
        session,
        f"eid-otp-send:{account.id}",
        settings.otp_sends_per_hour,
        window_seconds=3600,
        message=N_("Too many codes were sent to this account; try again in an hour"),
        field="code",
        code="otp_send_limit",
    )
    repo.kill_codes(account.id, purpose, moment)
    code = f"{secrets.randbelow(1_000_000):06d}"
    repo.add(
        OneTimeCode(
            account_id=account.id,
            purpose=purpose,
            code_hash=_code_hash(account.id, purpose, code),
            created_at=moment,
            expires_at=moment + dt.timedelta(seconds=settings.otp_lifetime_seconds),
            attempts=0,
        )
    )
    minutes = max(1, math.ceil(settings.otp_lifetime_seconds / 60))
    text = SMS_TEXT.format(code=code, minutes=minutes)
    sms_gateway(session).send(account.phone, text, purpose=f"eid.{purpose}")


def _check_code(session: Session, account: EidAccount, purpose: str, code: str) -> OneTimeCode:
    """The live code matching ``code``; a wrong try counts, the last allowed one kills it.
    The caller marks it used once the rest of the step has succeeded."""
    moment = clock.now()
    record = AccountRepository(session).live_code(account.id, purpose, moment)
    if record is None:
        raise CodeRejected(CODE_FAILED, field="code")
    sent = _code_hash(account.id, purpose, (code or "").strip())
    if not secrets.compare_digest(record.code_hash, sent):
        # Counted atomically: concurrent wrong guesses cannot overwrite each other's count.
        wrong = auth.count_hit(
            session,
            f"eid-otp-wrong:{record.id}",
            settings.otp_max_attempts,
            window_seconds=settings.otp_lifetime_seconds,
        )
        record.attempts = wrong.count
        if wrong.count >= settings.otp_max_attempts:
            record.dead_at = moment
        session.flush()
        raise CodeRejected(CODE_FAILED, field="code")
    return record


# --- registry checks --------------------------------------------------------------------------


def _matching_citizen(
    session: Session,
    actor: Actor,
    personal_id: str,
    full_name: str,
    born: dt.date,
    *,
    purpose: str,
    refusal: type[CountedFailure],
    message: str,
) -> CitizenOut:
    """The registry's citizen if name (accent-insensitive) and full birth date match and the
    citizen is alive; otherwise ``refusal`` with one message revealing nothing of the record."""
    try:
        citizen = registry.get_citizen(session, actor, personal_id, purpose=purpose)
    except NotFound:
        raise refusal(message, field="personal_id") from None
    if (
        citizen.status != "living"
        or fold(citizen.full_name) != fold(full_name)
        or rules.registry_birth(citizen) != born
    ):
        raise refusal(message, field="personal_id")
    return citizen


def _birth_for_passcode_rules(session: Session, account: EidAccount, purpose: str) -> dt.date:
    citizen = registry.get_citizen(
        session,
        Actor(kind="citizen", id=account.personal_id, name=account.personal_id),
        account.personal_id,
        purpose=purpose,
    )
    return rules.latest_possible_birth(citizen)


# --- level 1: self-registration ---------------------------------------------------------------


def register_level1(session: Session, form: RegistrationForm, *, ip: str | None) -> EidAccount:
    """Create a pending level-1 account and text an activation code.

    Unknown ID, name or date mismatch, a deceased or missing citizen, and an account that is
    already active, locked or revoked all get the same ``RegistrationRefused`` message. A
    pending account may register again: a self-registered one takes the new phone and photo
    (it was never activated, so nothing is lost); one verified at a police desk keeps the
    phone the officer recorded and only gets a new code.
    """
    auth.hit_rate_limit(session, f"eid-register-ip:{ip}", settings.ip_login_limit_per_minute)
    personal_id = rules.clean_personal_id(form.personal_id)
    if not fold(form.full_name):
        raise ValidationFailed(N_("Enter your full name"), field="full_name")
    born = rules.parse_birth_date(form.date_of_birth)
    phone = normalise_phone(form.phone)
    portrait_sha = rules.check_portrait(form.portrait)
    # The typed date decides the age (the registry date must equal it anyway), so this
    # message reveals nothing the person did not type.
    if rules.age_on(born, clock.now().date()) < settings.eid_min_age_years:
        raise ValidationFailed(
            N_("You must be 14 or older to register an eID account"),
            field="date_of_birth",
            code="too_young",
        )
    citizen = _matching_citizen(
        session,
        _system("registration", form.channel),
        personal_id,
        form.full_name,
        born,
        purpose=_REGISTRATION_PURPOSE,
        refusal=RegistrationRefused,
        message=REGISTRATION_REFUSED,
    )
    repo = AccountRepository(session)
    account = repo.account_by_personal_id(personal_id)
    if account is not None:
        return _register_again(session, account, phone, form.portrait, portrait_sha)
    account = EidAccount(
        personal_id=personal_id,
        level=1,
        status="pending",
        phone=phone,
        portrait=form.portrait,
        portrait_sha256=portrait_sha,
        failed_logins=0,
        registered_channel=form.channel,
        registered_commune_code=citizen.permanent_commune_code,
        created_at=clock.now(),
    )
    repo.add(account)
    audit.record(
        session,
        _system("registration", form.channel),
        "eid.registered",
        purpose=_REGISTRATION_PURPOSE,
        subject_personal_id=personal_id,
        detail={"level": 1, "channel": form.channel},
    )
    _event(session, account, "registered", ip=ip, detail="level1")
    send_code(session, account, "activate")
    return account


def _police_verified(account: EidAccount) -> bool:
    return account.pending_level == 2 or account.level == 2


def _register_again(
    session: Session, account: EidAccount, phone: str, portrait: bytes, portrait_sha: str
) -> EidAccount:
    if account.status != "pending":
        raise RegistrationRefused(REGISTRATION_REFUSED, field="personal_id")
    if _police_verified(account):
        send_code(session, account, "level2")  # to the phone the officer recorded
        return account
    account.phone = phone
    account.portrait = portrait
    account.portrait_sha256 = portrait_sha
    send_code(session, account, "activate")
    return account


# --- level 2: in person at a police desk -------------------------------------------------------


def register_level2(
    session: Session,
    actor: Actor,
    *,
    personal_id: str,
    phone: str,
    commune_code: str,
    card_checked: bool,
    portrait_matched: bool,
    application_id: int | None = None,
) -> EidAccount:
    """An officer has checked the citizen's chip card and compared the portrait in person.

    Creates a pending level-2 account, or marks an existing one ``pending_level=2`` with the
    phone given here (also how a citizen who lost their phone gets back in). The citizen
    activates with the code texted now (purpose ``level2``). The caller checks that the
    citizen is within the officer's units (cards and the desk page both do)."""
    if not card_checked:
        raise ValidationFailed(N_("Check the citizen's chip ID card first"), field="card_checked")
    if not portrait_matched:
        raise ValidationFailed(
            N_("The portrait must match the citizen in front of you"), field="portrait_matched"
        )
    number = normalise_phone(phone)
    purpose = "eID level 2 registration"
    citizen = registry.get_citizen(session, actor, personal_id.strip(), purpose=purpose)
    if citizen.status != "living":
        raise ValidationFailed(
            N_("The registry records this citizen as deceased or missing"),
            field="personal_id",
            code="citizen_not_living",
        )
    if (
        rules.age_on(rules.latest_possible_birth(citizen), clock.now().date())
        < settings.eid_min_age_years
    ):
        raise ValidationFailed(
            N_("eID accounts are for citizens aged 14 and over"),
            field="personal_id",
            code="too_young",
        )
    if units.commune(session, commune_code) is None:
        raise ValidationFailed(N_("Unknown commune code"), field="commune_code")
    repo = AccountRepository(session)
    moment = clock.now()
    account = repo.account_by_personal_id(citizen.personal_id)
    if account is None:
        account = EidAccount(
            personal_id=citizen.personal_id,
            level=2,
            status="pending",
            phone=number,
            failed_logins=0,
            registered_channel="station",
            registered_commune_code=commune_code,
            created_at=moment,
        )
        repo.add(account)
    else:
        _upgrade_existing(account, number)
    account.level2_verified_at = moment
    account.level2_verified_by = actor.id
    audit.record(
        session,
        actor,
        "eid.level2_registered",
        purpose=purpose,
        subject_personal_id=citizen.personal_id,
        detail={"application_id": application_id, "commune_code": commune_code},
    )
    _event(session, account, "level2_registered", detail=commune_code)
    send_code(session, account, "level2")
    return account


def _upgrade_existing(account: EidAccount, phone: str) -> None:
    if account.status in ("locked", "revoked"):
        raise Conflict(
            N_("This eID account is locked or revoked; unlock it before registering level 2"),
            field="personal_id",
            code="account_not_usable",
        )
    if account.status == "active" and account.level == 2 and account.phone == phone:
        raise Conflict(
            N_("This citizen already has an active level 2 account with this phone number"),
            field="personal_id",
            code="already_level2",
        )
    if account.level == 2 and account.status == "pending":
        account.phone = phone
        return
    account.pending_level = 2
    account.phone = phone


# --- activation --------------------------------------------------------------------------------


def _activation_purpose(account: EidAccount) -> str:
    return "level2" if _police_verified(account) else "activate"


def _awaits_activation(account: EidAccount) -> bool:
    return account.status == "pending" or (
        account.status == "active" and account.pending_level == 2
    )


def activate(
    session: Session,
    *,
    personal_id: str,
    code: str,
    passcode: str,
    repeat: str | None = None,
    ip: str | None = None,
) -> EidAccount:
    """Code + new passcode: pending → active; a pending level-2 verification raises the level."""
    auth.hit_rate_limit(session, f"eid-activate-ip:{ip}", settings.ip_login_limit_per_minute)
    account = account_of(session, personal_id)
    if account is None or not _awaits_activation(account):
        raise CodeRejected(CODE_FAILED, field="code")
    record = _check_code(session, account, _activation_purpose(account), code)
    # Only after the right code: the birth-date rule must not become an oracle for it.
    rules.check_passcode(
        passcode, repeat, _birth_for_passcode_rules(session, account, "eID activation")
    )
    moment = clock.now()
    record.used_at = moment
    was_active = account.status == "active"
    account.passcode_hash = auth.hash_password(passcode)
    account.passcode_changed_at = moment
    account.level = account.pending_level or account.level
    account.pending_level = None
    account.status = "active"
    account.activated_at = account.activated_at or moment
    account.failed_logins = 0
    account.login_locked_until = None
    if was_active:  # a new passcode ends what the old one opened
        _end_everything(session, account, reason="passcode_changed")
    _event(session, account, "activated", ip=ip, detail=f"level{account.level}")
    return account


# --- sign-in -----------------------------------------------------------------------------------


def _passcode_matches(stored_hash: str, passcode: str) -> bool:
    try:
        return _hasher.verify(stored_hash, passcode)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


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
    stored = account.passcode_hash if account and account.passcode_hash else _DUMMY_HASH
    matches = _passcode_matches(stored, passcode or "")
    if account is None:
        raise LoginFailed(LOGIN_FAILED, field="passcode")
    moment = clock.now()
    reason = _refusal_reason(account, matches, moment)
    if reason is not None:
        _record_failure(session, account, reason, moment, ip)
        raise LoginFailed(LOGIN_FAILED, field="passcode")
    if _deceased(session, account):
        revoke_account(session, account, reason="deceased", actor=_system("login"))
        _event(session, account, "login_failed", ip=ip, detail="deceased")
        raise LoginFailed(LOGIN_FAILED, field="passcode")
    account.failed_logins = 0
    account.login_locked_until = None
    return account


def _record_failure(
    session: Session, account: EidAccount, reason: str, moment: dt.datetime, ip: str | None
) -> None:
    _event(session, account, "login_failed", ip=ip, detail=reason)
    if reason != "wrong_passcode":
        return  # attempts while locked do not extend the lock: the owner can still get back in
    failures = increment(session, account, "failed_logins")  # concurrent tries all count
    if failures >= settings.passcode_max_failures_before_lock:
        seconds = _lock_seconds(failures)
        account.login_locked_until = moment + dt.timedelta(seconds=seconds)
        _event(session, account, "lockout", ip=ip, detail=f"{seconds}s")
    session.flush()


def _deceased(session: Session, account: EidAccount) -> bool:
    """Safety net behind the registry's deceased hook: checked after a correct passcode only,
    so the failure paths stay alike."""
    found = registry.deceased_among(
        session, _system("login"), [account.personal_id], purpose="eID sign-in"
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
        _event(session, account, "login_refused", ip=ip, detail="level_required")
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
        record = _check_code(session, account, "login", code)
    except CodeRejected:
        _event(session, account, "login_failed", ip=ip, detail="wrong_code")
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
    _event(session, account, "login", ip=ip, detail=f"level{level}")
    return issued.token


def sign_out(session: Session, token: str, csrf_token: str | None, *, ip: str | None) -> bool:
    """End the session behind ``token`` if the form carries its CSRF token (otherwise any site
    could sign citizens out), and revoke the refresh tokens issued under it."""
    try:
        principal = auth.citizen_principal_from_session(session, token)
    except NotAuthenticated:
        return False
    if not csrf_token or not secrets.compare_digest(csrf_token, principal.csrf_token):
        return False
    auth.end_session(session, token)
    oidc_service.revoke_for_session(session, principal.session_id, reason="logout")
    record_login_event(
        session,
        account_id=principal.account_id,
        personal_id=principal.personal_id,
        event="logout",
        ip=ip,
    )
    return True


# --- lock, unlock, revoke ----------------------------------------------------------------------


def _end_everything(session: Session, account: EidAccount, *, reason: str) -> None:
    auth.revoke_sessions_of(session, "citizen", account.id)
    oidc_service.revoke_all_for_account(session, account.id, reason=reason)


def lock_by_citizen(session: Session, account_id: int, *, ip: str | None) -> EidAccount:
    """The citizen locks their own account: at once, every session and token ends. Only a
    police ID desk unlocks it (see ``request_reset``)."""
    account = get_account(session, account_id)
    if account.status != "active":
        raise Conflict(N_("This account is not active"), field="status")
    _lock(session, account, by="citizen", reason=None)
    _event(session, account, "locked", ip=ip, detail="citizen")
    audit.record(
        session,
        Actor(kind="citizen", id=account.personal_id, name=account.personal_id),
        "eid.locked",
        purpose="Locked by the citizen",
        subject_personal_id=account.personal_id,
    )
    return account


def _lock(session: Session, account: EidAccount, *, by: str, reason: str | None) -> None:
    account.status = "locked"
    account.locked_by = by
    account.lock_reason = reason
    account.locked_at = clock.now()
    _end_everything(session, account, reason=f"locked by {by}")


def _require_reason(reason: str) -> str:
    reason = require_text(reason or "", field="reason")
    if not reason:
        raise ValidationFailed(N_("A reason is required"), field="reason")
    return reason[:300]


def _desk_account(
    session: Session, actor: Actor, personal_id: str, scope: UnitScope, purpose: str
) -> tuple[CitizenOut, EidAccount]:
    citizen = registry.get_citizen(
        session, actor, personal_id.strip(), purpose=purpose, scope=scope
    )
    account = account_of(session, citizen.personal_id)
    if account is None:
        raise NotFound(N_("This citizen has no eID account"), field="personal_id")
    return citizen, account


def lock_by_police(
    session: Session, actor: Actor, personal_id: str, *, reason: str, scope: UnitScope
) -> EidAccount:
    reason = _require_reason(reason)
    _, account = _desk_account(session, actor, personal_id, scope, "eID account lock")
    if account.status in ("locked", "revoked"):
        raise Conflict(N_("This account is already locked or revoked"), field="personal_id")
    _lock(session, account, by="police", reason=reason)
    _event(session, account, "locked", detail="police")
    audit.record(
        session, actor, "eid.locked", purpose=reason, subject_personal_id=account.personal_id
    )
    return account


def unlock_by_police(
    session: Session, actor: Actor, personal_id: str, *, reason: str, scope: UnitScope
) -> EidAccount:
    reason = _require_reason(reason)
    _, account = _desk_account(session, actor, personal_id, scope, "eID account unlock")
    if account.status != "locked":
        raise Conflict(N_("This account is not locked"), field="personal_id")
    account.status = "active" if account.passcode_hash else "pending"
    account.locked_by = None
    account.lock_reason = None
    account.locked_at = None
    account.failed_logins = 0
    account.login_locked_until = None
    _event(session, account, "unlocked", detail="police")
    audit.record(
        session, actor, "eid.unlocked", purpose=reason, subject_personal_id=account.personal_id
    )
    return account


def revoke_account(session: Session, account: EidAccount, *, reason: str, actor: Actor) -> None:
    """Final: the account can never be used again (the citizen is deceased)."""
    if account.status == "revoked":
        return
    account.status = "revoked"
    account.revoked_at = clock.now()
    account.revoke_reason = reason[:300]
    _end_everything(session, account, reason=reason)
    _event(session, account, "revoked", detail=reason)
    audit.record(
        session,
        actor,
        "eid.revoked",
        purpose=reason,
        subject_personal_id=account.personal_id,
    )


def revoke_deceased(session: Session, personal_ids: Sequence[str]) -> int:
    """Listener for ``registry.events.on_deceased``: revoke the accounts of these citizens."""
    actor = _system("deceased", channel="job")
    revoked = 0
    for account in AccountRepository(session).accounts_by_personal_ids(personal_ids):
        if account.status != "revoked":
            revoke_account(session, account, reason="deceased", actor=actor)
            revoked += 1
    return revoked


events.listen_deceased(revoke_deceased)


def sweep_deceased(session: Session, actor: Actor, batch_size: int = 1000) -> int:
    """Safety net for the hook: revoke every account whose citizen the registry records as
    deceased. Returns how many were revoked."""
    repo = AccountRepository(session)
    revoked = 0
    for batch in repo.unrevoked_personal_id_batches(batch_size):
        dead = registry.deceased_among(session, actor, batch, purpose="eID deceased sweep")
        if dead:
            revoked += revoke_deceased(session, sorted(dead))
    return revoked


# --- passcode reset ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ResetRequest:
    personal_id: str
    full_name: str
    date_of_birth: str
    phone: str


def request_reset(session: Session, form: ResetRequest, *, ip: str | None) -> EidAccount:
    """Identity check (personal ID, name, birth date and the registered phone), then a code.

    Decision: a locked account is not unlocked by a reset. A citizen locks when they fear
    their phone or passcode is in other hands, and a reset rests on exactly the phone; so only
    a police ID desk unlocks (after checking the person). Someone who passed all four checks is
    told so, to save a pointless wait for a code."""
    auth.hit_rate_limit(session, f"eid-reset-ip:{ip}", settings.ip_login_limit_per_minute)
    personal_id = rules.clean_personal_id(form.personal_id)
    born = rules.parse_birth_date(form.date_of_birth)
    phone = normalise_phone(form.phone)
    account = account_of(session, personal_id)
    usable = account is not None and account.status in ("active", "locked")
    if account is None or not usable or not secrets.compare_digest(account.phone, phone):
        raise ResetRefused(RESET_REFUSED, field="personal_id")
    _matching_citizen(
        session,
        _system("reset"),
        personal_id,
        form.full_name,
        born,
        purpose="eID passcode reset",
        refusal=ResetRefused,
        message=RESET_REFUSED,
    )
    if account.status == "locked":
        raise ResetRefused(
            N_("This account is locked. Unlock it at a police ID card desk."),
            field="personal_id",
            code="account_locked",
        )
    send_code(session, account, "reset")
    return account


def confirm_reset(
    session: Session,
    *,
    personal_id: str,
    code: str,
    passcode: str,
    repeat: str | None = None,
    ip: str | None = None,
) -> EidAccount:
    """Code + new passcode; ends every session and token of the account."""
    auth.hit_rate_limit(session, f"eid-reset-ip:{ip}", settings.ip_login_limit_per_minute)
    account = account_of(session, personal_id)
    if account is None or account.status != "active":
        raise CodeRejected(CODE_FAILED, field="code")
    record = _check_code(session, account, "reset", code)
    rules.check_passcode(passcode, repeat, _birth_for_passcode_rules(session, account, "eID reset"))
    moment = clock.now()
    record.used_at = moment
    account.passcode_hash = auth.hash_password(passcode)
    account.passcode_changed_at = moment
    account.failed_logins = 0
    account.login_locked_until = None
    _end_everything(session, account, reason="passcode_reset")
    _event(session, account, "passcode_reset", ip=ip)
    return account


# --- the citizen's own pages -------------------------------------------------------------------


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
    if not auth.end_session_by_id(session, "citizen", account_id, web_session_id):
        raise NotFound(N_("No such session"), field="session_id")
    oidc_service.revoke_for_session(session, web_session_id, reason="ended_by_citizen")


# What the citizen sees of an event: the reason of a failure stays internal.
_VISIBLE_EVENTS = {"login_refused": "login_failed"}


def login_history(session: Session, account_id: int, page: int = 1) -> LoginHistoryPage:
    repo = AccountRepository(session)
    total = repo.count_login_events(account_id)
    pages = max(1, math.ceil(total / HISTORY_PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = repo.login_events(
        account_id, offset=(page - 1) * HISTORY_PAGE_SIZE, limit=HISTORY_PAGE_SIZE
    )
    from oncegov.identity.oidc import service as oidc  # the provider imports this module

    names = oidc.client_names(session, (r.client_id for r in rows if r.client_id))
    events_seen = [
        LoginEventView(
            created_at=r.created_at,
            event=_VISIBLE_EVENTS.get(r.event, r.event),
            ip=r.ip,
            client_id=r.client_id,
            service_name=names.get(r.client_id) if r.client_id else None,
        )
        for r in rows
    ]
    return LoginHistoryPage(events=events_seen, page=page, pages=pages, total=total)


def purge_login_history(session: Session, now: dt.datetime | None = None) -> int:
    """Delete history older than ``login_history_retention_days``; returns how many rows."""
    cutoff = (now or clock.now()) - dt.timedelta(days=settings.login_history_retention_days)
    return AccountRepository(session).purge_login_events(cutoff)


# --- police desk -------------------------------------------------------------------------------


def desk_lookup(
    session: Session, actor: Actor, personal_id: str, *, scope: UnitScope
) -> OfficerAccountView:
    """A citizen (within the officer's units) and their eID account, if any. Audited."""
    citizen = registry.get_citizen(
        session,
        actor,
        rules.clean_personal_id(personal_id),
        purpose="eID account desk",
        scope=scope,
    )
    account = account_of(session, citizen.personal_id)
    return OfficerAccountView(
        personal_id=citizen.personal_id,
        full_name=citizen.full_name,
        account_id=account.id if account else None,
        level=account.level if account else None,
        pending_level=account.pending_level if account else None,
        status=account.status if account else None,
        phone_masked=mask_phone(account.phone) if account else None,
        locked_by=account.locked_by if account else None,
        lock_reason=account.lock_reason if account else None,
        level2_verified_at=account.level2_verified_at if account else None,
        level2_verified_by=account.level2_verified_by if account else None,
    )


def register_level2_at_desk(
    session: Session,
    actor: Actor,
    *,
    personal_id: str,
    phone: str,
    commune_code: str | None,
    card_checked: bool,
    portrait_matched: bool,
    scope: UnitScope,
) -> EidAccount:
    """The desk page: the citizen must be within the officer's units; the station's commune
    defaults to the citizen's permanent one when the officer's scope is wider."""
    citizen = registry.get_citizen(
        session,
        actor,
        rules.clean_personal_id(personal_id),
        purpose="eID account desk",
        scope=scope,
    )
    commune = (commune_code or "").strip() or citizen.permanent_commune_code or ""
    return register_level2(
        session,
        actor,
        personal_id=citizen.personal_id,
        phone=phone,
        commune_code=commune,
        card_checked=card_checked,
        portrait_matched=portrait_matched,
    )


# --- the demo SMS outbox ------------------------------------------------------------------------


def outbox(session: Session, phone: str) -> list[SmsOutboxMessage]:
    """Local text messages to ``phone`` from the last 30 minutes, newest first. Not in
    production (there, texts go to real phones)."""
    if settings.environment == "production":
        raise NotFound(N_("Not found"))
    since = clock.now() - OUTBOX_WINDOW
    return [
        m
        for m in LocalSmsGateway(session).messages_to(phone, limit=50)
        if clock.aware(m.created_at) >= since
    ]


# --- demo data ----------------------------------------------------------------------------------


# Phones of the named demo citizens start with this; generated accounts never use it.
DEMO_PHONE_PREFIX = demo.RESERVED_PREFIX


@dataclass
class DemoAccountsLoaded:
    accounts: int = 0
    # (application_id, account_id, phone): level-2 accounts registered at a card intake.
    links: list[tuple[int, int, str]] = field(default_factory=list)


def load_demo_accounts(
    session: Session,
    citizens: Iterable[Sequence[Any]],
    rng: random.Random,
    today: dt.date,
    *,
    cards: Mapping[str, Sequence[demo.FinishedApplication]] | None = None,
    named: Mapping[str, tuple[int, str, str]] | None = None,
    batch_size: int = 50_000,
) -> DemoAccountsLoaded:
    """Generate and bulk-insert demo accounts for ``citizens`` (rows as ``accounts.demo``
    describes) in the caller's transaction, numbered after those already stored.

    Passcodes: hashing one per account (Argon2id, ~50 ms) would take hours, so every active,
    locked or revoked demo account gets the same Argon2id hash of a random 256-bit secret
    drawn here and never kept: it costs a sign-in the usual one verification and matches no
    passcode (pending accounts have none, as in real life). Only ``named`` citizens (personal
    ID → (level, phone, passcode)) get a hash of their own passcode. Refused in production."""
    if settings.environment == "production":
        raise PermissionDenied(
            "Demo eID accounts are not allowed in production", field="environment"
        )
    repo = AccountRepository(session)
    unusable = auth.hash_password(secrets.token_urlsafe(32))
    hashes = {pid: auth.hash_password(passcode) for pid, (_, _, passcode) in (named or {}).items()}
    forced = {pid: (level, phone) for pid, (level, phone, _) in (named or {}).items()}
    columns = (*demo.ACCOUNT_COLUMNS, "passcode_hash")
    loaded = DemoAccountsLoaded()
    batch: list[tuple[Any, ...]] = []
    for row, application_id in demo.generate(
        citizens, rng, today, cards=cards, named=forced, first_id=repo.next_account_id()
    ):
        passcode_hash = None if row[4] == "pending" else hashes.get(row[1], unusable)
        batch.append((*row, passcode_hash))
        if application_id is not None:
            loaded.links.append((application_id, row[0], row[5]))
        if len(batch) >= batch_size:
            loaded.accounts += repo.bulk_insert_accounts(columns, batch)
            batch.clear()
    loaded.accounts += repo.bulk_insert_accounts(columns, batch)
    return loaded


def demo_account_with_phone(session: Session, phone: str) -> EidAccount | None:
    """The account a named demo citizen signs in with (found by its reserved phone)."""
    return AccountRepository(session).account_with_phone(phone)


def delete_all_accounts(session: Session) -> int:
    """Remove every eID account (the demo loader's ``--replace``; card applications that
    refer to accounts must be deleted first). Sessions of citizens who signed in end first,
    so a new account that reuses an id inherits no browser's session."""
    repo = AccountRepository(session)
    for account_id in repo.signed_in_account_ids():
        auth.revoke_sessions_of(session, "citizen", account_id)
    return repo.delete_all()
