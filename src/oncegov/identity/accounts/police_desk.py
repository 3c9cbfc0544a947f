"""The police ID desk: look up a citizen in the officer's units and their eID account, and
register level 2 there. (Locking and unlocking at the desk are in ``locks``.)
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from oncegov.identity.accounts import rules
from oncegov.identity.accounts.models import EidAccount
from oncegov.identity.accounts.registration import register_level2
from oncegov.identity.accounts.schemas import OfficerAccountView
from oncegov.identity.accounts.service import account_of, mask_phone
from oncegov.kit.actor import Actor
from oncegov.registry import service as registry
from oncegov.units.schemas import UnitScope


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
