"""Resetting a forgotten passcode: the identity check (personal ID, name, birth date and the
registered phone), a texted code, then a new passcode that ends every session and token.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from oncegov.auth import service as auth
from oncegov.config import settings
from oncegov.identity.accounts import rules
from oncegov.identity.accounts.codes import CODE_FAILED, check_code, send_code
from oncegov.identity.accounts.models import EidAccount
from oncegov.identity.accounts.service import (
    CodeRejected,
    ResetRefused,
    account_of,
    birth_for_passcode_rules,
    end_everything,
    matching_citizen,
    record_event,
    system_actor,
)
from oncegov.integrations.sms import normalise_phone
from oncegov.kit import clock, passwords
from oncegov.translatable import N_

RESET_REFUSED = N_(
    "These details do not match an account that can reset its passcode. Check them against "
    "your chip ID card and the phone number you registered."
)


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
    matching_citizen(
        session,
        system_actor("reset"),
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
    record = check_code(session, account, "reset", code)
    rules.check_passcode(passcode, repeat, birth_for_passcode_rules(session, account, "eID reset"))
    moment = clock.now()
    record.used_at = moment
    account.passcode_hash = passwords.hash_secret(passcode)
    account.passcode_changed_at = moment
    account.failed_logins = 0
    account.login_locked_until = None
    end_everything(session, account, reason="passcode_reset")
    record_event(session, account, "passcode_reset", ip=ip)
    return account
