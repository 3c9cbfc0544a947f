"""Locking, unlocking and revoking eID accounts: by the citizen (at once, only a police desk
unlocks), by police with a reason, and for good when the registry records a death (the
listener of ``registry.events``, registered when this module is imported, and the sweep
behind it). Each ends every session and token of the account in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from oncegov.audit import service as audit
from oncegov.errors import Conflict, NotFound, ValidationFailed
from oncegov.identity.accounts.models import EidAccount
from oncegov.identity.accounts.repository import AccountRepository
from oncegov.identity.accounts.service import (
    account_of,
    end_everything,
    get_account,
    record_event,
    system_actor,
)
from oncegov.kit import clock
from oncegov.kit.actor import Actor
from oncegov.kit.text import require_text
from oncegov.registry import events as registry_events
from oncegov.registry import service as registry
from oncegov.registry.schemas import CitizenOut
from oncegov.translatable import N_
from oncegov.units.schemas import UnitScope


def lock_by_citizen(session: Session, account_id: int, *, ip: str | None) -> EidAccount:
    """The citizen locks their own account: at once, every session and token ends. Only a
    police ID desk unlocks it (see ``passcode_reset.request_reset``)."""
    account = get_account(session, account_id)
    if account.status != "active":
        raise Conflict(N_("This account is not active"), field="status")
    _lock(session, account, by="citizen", reason=None)
    record_event(session, account, "locked", ip=ip, detail="citizen")
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
    end_everything(session, account, reason=f"locked by {by}")


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
    record_event(session, account, "locked", detail="police")
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
    record_event(session, account, "unlocked", detail="police")
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
    end_everything(session, account, reason=reason)
    record_event(session, account, "revoked", detail=reason)
    audit.record(
        session,
        actor,
        "eid.revoked",
        purpose=reason,
        subject_personal_id=account.personal_id,
    )


# --- deaths ------------------------------------------------------------------------------------


def revoke_deceased(session: Session, personal_ids: Sequence[str]) -> int:
    """Listener for ``registry.events.on_deceased``: revoke the accounts of these citizens."""
    actor = system_actor("deceased", channel="job")
    revoked = 0
    for account in AccountRepository(session).accounts_by_personal_ids(personal_ids):
        if account.status != "revoked":
            revoke_account(session, account, reason="deceased", actor=actor)
            revoked += 1
    return revoked


registry_events.listen_deceased(revoke_deceased)


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
