"""The eID accounts themselves: what other domains call (an account, its status, whether it
may be used, a line of its login history) and what every section of the accounts shares (the
refusals routes handle, the system actors, the registry checks, ending all access).

The accounts are split by what a citizen or officer does, one module each:
``registration`` (level 1 online, level 2 at a police desk, activation), ``codes`` (one-time
codes by SMS, the demo outbox), ``signin`` (passcode, second factor, lockout, sign-out),
``locks`` (lock, unlock, revoke, deaths), ``passcode_reset``, ``self_service`` (the citizen's
account page and login history), ``police_desk`` (the desk's look-up and level 2),
``demo_loader`` (demo accounts). Callers import the module of what they do. The accounts never
call the OpenID Connect provider above them: they announce ended access in ``events``.

Failures that must leave a trace (a wrong code's attempt, a wrong passcode's counter, a refused
registration's rate-limit hit) raise a ``CountedFailure``: routes return those as responses
instead of raising them, so the request's transaction commits what the service wrote.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.orm import Session

from oncegov.auth import service as auth
from oncegov.errors import NotAuthenticated, NotFound, OnceGovError, ValidationFailed
from oncegov.identity.accounts import events, rules
from oncegov.identity.accounts.models import ACTIVE_STATUS, EidAccount, LoginEvent
from oncegov.identity.accounts.repository import AccountRepository
from oncegov.kit import clock
from oncegov.kit.actor import Actor
from oncegov.kit.text import fold
from oncegov.registry import service as registry
from oncegov.registry.schemas import CitizenOut
from oncegov.translatable import N_


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


def system_actor(name: str, channel: str = "web") -> Actor:
    """The system acting for the accounts in ``name``'s step (``eid.<name>`` in the audit log)."""
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
    return account.status == ACTIVE_STATUS


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


def record_event(session: Session, account: EidAccount, event: str, **kw: str | None) -> None:
    """``record_login_event`` for an account at hand."""
    record_login_event(
        session, account_id=account.id, personal_id=account.personal_id, event=event, **kw
    )


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-3:]}" if len(phone) >= 7 else "****"


# --- registry checks --------------------------------------------------------------------------


def matching_citizen(
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


def birth_for_passcode_rules(session: Session, account: EidAccount, purpose: str) -> dt.date:
    citizen = registry.get_citizen(
        session,
        Actor(kind="citizen", id=account.personal_id, name=account.personal_id),
        account.personal_id,
        purpose=purpose,
    )
    return rules.latest_possible_birth(citizen)


# --- ending all access ------------------------------------------------------------------------


def end_everything(session: Session, account: EidAccount, *, reason: str) -> None:
    """Every session and token of the account ends (lock, revocation, new passcode): the
    sessions here, the tokens by the listeners of ``events.access_ended``."""
    auth.revoke_sessions_of(session, "citizen", account.id)
    events.access_ended(session, account.id, reason=reason)
