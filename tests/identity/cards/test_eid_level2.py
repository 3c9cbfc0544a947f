""" "Register eID level 2 too": the intake calls the eID accounts service with the officer's
in-person checks, and the application records the account it made."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from oncegov.identity.accounts.models import EidAccount
from oncegov.identity.cards import service
from oncegov.integrations.sms import LocalSmsGateway
from tests.fixtures import make_citizen, make_eid_account
from tests.identity.cards.conftest import DESK_A, NOW, SCOPE_A, intake_for

PHONE = "0912 777 888"


def _account(db: Session, personal_id: str) -> EidAccount | None:
    return db.scalar(select(EidAccount).where(EidAccount.personal_id == personal_id))


def test_level2_registration_through_the_application(db: Session) -> None:
    citizen = make_citizen(db, birth_year=1990)
    application = service.submit_application(
        db,
        DESK_A,
        intake_for(citizen, register_eid_level2=True, eid_phone=PHONE),
        scope=SCOPE_A,
        now=NOW,
    )
    account = _account(db, citizen.personal_id)
    assert account is not None
    assert application.eid_level2_requested is True
    assert application.eid_account_id == account.id
    assert 2 in (account.level, account.pending_level)
    assert account.phone == "0912777888"
    assert account.level2_verified_at is not None
    assert LocalSmsGateway(db).messages_to("0912777888"), "no activation code was sent"


def test_an_existing_level1_account_is_raised_to_level2(db: Session) -> None:
    citizen = make_citizen(db, birth_year=1990)
    existing = make_eid_account(db, citizen, level=1)
    application = service.submit_application(
        db,
        DESK_A,
        intake_for(citizen, kind="reissue_loss", register_eid_level2=True, eid_phone=PHONE),
        scope=SCOPE_A,
        now=NOW,
    )
    assert application.eid_account_id == existing.id
    db.refresh(existing)
    assert existing.pending_level == 2


def test_without_the_option_no_account_is_made(db: Session) -> None:
    citizen = make_citizen(db, birth_year=1990)
    application = service.submit_application(
        db, DESK_A, intake_for(citizen, eid_phone=PHONE), scope=SCOPE_A, now=NOW
    )
    assert application.eid_level2_requested is False
    assert application.eid_account_id is None
    assert _account(db, citizen.personal_id) is None
