"""eID account rules through the service: level 2, one-time codes, passcode rules, locks,
revocation when the registry records a death, history retention."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oncegov.audit.models import AuditEntry
from oncegov.auth import service as auth
from oncegov.config import settings
from oncegov.errors import Conflict, NotFound, TooManyRequests, ValidationFailed
from oncegov.identity.accounts import codes, locks, registration, rules, self_service, service
from oncegov.identity.accounts.models import EidAccount, LoginEvent, OneTimeCode
from oncegov.identity.accounts.schemas import RegistrationForm
from oncegov.integrations.sms import SmsNotDelivered
from oncegov.kit import clock
from oncegov.kit.actor import Actor
from oncegov.registry import service as registry
from oncegov.registry.bulk import service as bulk
from oncegov.registry.models import Citizen
from oncegov.units.schemas import EVERYWHERE, UnitScope
from tests.fixtures import COMMUNE_A, make_citizen, make_eid_account
from tests.identity.accounts.conftest import BIRTH, NAME, PHONE, PNG, last_code

OFFICER = Actor(kind="officer", id="cccd.thucphan", name="Officer")


def level2(db: Session, citizen: Citizen, phone: str = PHONE, **kw: bool) -> EidAccount:
    return registration.register_level2(
        db,
        OFFICER,
        personal_id=citizen.personal_id,
        phone=phone,
        commune_code=COMMUNE_A,
        card_checked=kw.get("card_checked", True),
        portrait_matched=kw.get("portrait_matched", True),
        application_id=None,
    )


def register(db: Session, citizen: Citizen, phone: str = PHONE) -> EidAccount:
    form = RegistrationForm(citizen.personal_id, NAME, BIRTH, phone, PNG, "web")
    return registration.register_level1(db, form, ip="10.0.0.1")


# --- level 2 --------------------------------------------------------------------------------


def test_level2_creates_a_pending_account_and_activation_makes_it_level_2(
    db: Session, citizen: Citizen
) -> None:
    account = level2(db, citizen)
    assert (account.level, account.status, account.phone) == (2, "pending", PHONE)
    assert account.level2_verified_by == "cccd.thucphan"
    assert account.registered_channel == "station"
    audit = db.scalars(
        select(AuditEntry.action).where(AuditEntry.subject_personal_id == citizen.personal_id)
    ).all()
    assert "eid.level2_registered" in audit
    registration.activate(
        db, personal_id=citizen.personal_id, code=last_code(db), passcode="730419"
    )
    assert (account.level, account.status) == (2, "active")
    assert account.passcode_hash and account.activated_at


def test_level2_for_an_active_level1_account_waits_for_the_code(
    db: Session, citizen: Citizen
) -> None:
    account = make_eid_account(db, citizen, level=1, phone="0911111111")
    level2(db, citizen)
    assert (account.level, account.pending_level, account.phone) == (1, 2, PHONE)
    assert service.is_usable(account)  # level 1 keeps working meanwhile
    registration.activate(
        db, personal_id=citizen.personal_id, code=last_code(db), passcode="730419"
    )
    assert (account.level, account.pending_level, account.status) == (2, None, "active")


@pytest.mark.parametrize(
    ("flags", "field"),
    [({"card_checked": False}, "card_checked"), ({"portrait_matched": False}, "portrait_matched")],
)
def test_level2_needs_the_in_person_checks(
    db: Session, citizen: Citizen, flags: dict[str, bool], field: str
) -> None:
    with pytest.raises(ValidationFailed) as error:
        level2(db, citizen, **flags)
    assert error.value.field == field


def test_level2_refuses_deceased_under_14_unknown_and_bad_phone(db: Session) -> None:
    dead = make_citizen(db, status="deceased", date_of_death=dt.date(2025, 1, 1))
    with pytest.raises(ValidationFailed) as error:
        level2(db, dead)
    assert error.value.code == "citizen_not_living"
    child = make_citizen(db, birth_year=clock.today().year - 10)
    with pytest.raises(ValidationFailed) as error:
        level2(db, child)
    assert error.value.code == "too_young"
    with pytest.raises(ValidationFailed) as error:
        level2(db, make_citizen(db), phone="12345")
    assert error.value.field == "phone"
    with pytest.raises(NotFound):
        registration.register_level2(
            db,
            OFFICER,
            personal_id="004085999999",
            phone=PHONE,
            commune_code=COMMUNE_A,
            card_checked=True,
            portrait_matched=True,
        )


def test_level2_twice_with_the_same_phone_is_a_conflict(db: Session, citizen: Citizen) -> None:
    make_eid_account(db, citizen, level=2, phone=PHONE)
    with pytest.raises(Conflict) as error:
        level2(db, citizen)
    assert error.value.code == "already_level2"


# --- one-time codes -------------------------------------------------------------------------


def test_a_code_works_once(db: Session, citizen: Citizen) -> None:
    register(db, citizen)
    code = last_code(db)
    registration.activate(db, personal_id=citizen.personal_id, code=code, passcode="730419")
    with pytest.raises(service.CodeRejected):
        registration.activate(db, personal_id=citizen.personal_id, code=code, passcode="730419")


def test_a_code_expires(db: Session, citizen: Citizen) -> None:
    account = register(db, citizen)
    code = last_code(db)
    record = db.scalars(select(OneTimeCode).where(OneTimeCode.account_id == account.id)).one()
    assert (record.expires_at - record.created_at).total_seconds() == settings.otp_lifetime_seconds
    record.expires_at = clock.now() - dt.timedelta(seconds=1)
    db.flush()
    with pytest.raises(service.CodeRejected):
        registration.activate(db, personal_id=citizen.personal_id, code=code, passcode="730419")
    assert account.status == "pending"


def test_a_code_dies_after_too_many_wrong_tries(db: Session, citizen: Citizen) -> None:
    register(db, citizen)
    code = last_code(db)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(settings.otp_max_attempts):
        with pytest.raises(service.CodeRejected):
            registration.activate(
                db, personal_id=citizen.personal_id, code=wrong, passcode="730419"
            )
    with pytest.raises(service.CodeRejected):  # the right code is dead now
        registration.activate(db, personal_id=citizen.personal_id, code=code, passcode="730419")


def test_a_new_code_supersedes_the_old_one(db: Session, citizen: Citizen) -> None:
    account = register(db, citizen)
    register(db, citizen)  # pending: registering again sends a new code
    first, second = db.scalars(
        select(OneTimeCode).where(OneTimeCode.account_id == account.id).order_by(OneTimeCode.id)
    ).all()
    assert first.dead_at is not None and second.dead_at is None
    registration.activate(
        db, personal_id=citizen.personal_id, code=last_code(db), passcode="730419"
    )


def test_sending_is_limited_per_hour(db: Session, citizen: Citizen) -> None:
    account = register(db, citizen)
    for _ in range(settings.otp_sends_per_hour - 1):
        codes.send_code(db, account, "activate")
    with pytest.raises(TooManyRequests) as error:
        codes.send_code(db, account, "activate")
    assert error.value.code == "otp_send_limit"


def test_an_undeliverable_phone_is_reported(db: Session, citizen: Citizen) -> None:
    with pytest.raises(SmsNotDelivered):
        register(db, citizen, phone="0999123456")


def test_the_stored_code_is_a_keyed_hash(db: Session, citizen: Citizen) -> None:
    account = register(db, citizen)
    record = db.scalars(select(OneTimeCode).where(OneTimeCode.account_id == account.id)).one()
    assert last_code(db) not in record.code_hash and len(record.code_hash) == 64


# --- passcodes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "passcode", ["111111", "123456", "654321", "890123", "121212", "170585", "12345", "abcdef"]
)
def test_weak_or_malformed_passcodes_are_refused(passcode: str) -> None:
    with pytest.raises(ValidationFailed):
        rules.check_passcode(passcode, None, dt.date(1985, 5, 17))


@pytest.mark.parametrize("passcode", ["730419", "246810", "180585"])
def test_reasonable_passcodes_pass(passcode: str) -> None:
    rules.check_passcode(passcode, passcode, dt.date(1985, 5, 17))


def test_the_repeat_must_match() -> None:
    with pytest.raises(ValidationFailed) as error:
        rules.check_passcode("730419", "730418", None)
    assert error.value.field == "passcode_repeat"


def test_a_weak_passcode_keeps_the_code_usable(db: Session, citizen: Citizen) -> None:
    register(db, citizen)
    code = last_code(db)
    with pytest.raises(ValidationFailed) as error:
        registration.activate(db, personal_id=citizen.personal_id, code=code, passcode="170585")
    assert error.value.code == "weak_passcode"
    account = registration.activate(
        db, personal_id=citizen.personal_id, code=code, passcode="730419"
    )
    assert account.status == "active"


# --- locks and revocation -------------------------------------------------------------------


def test_police_lock_ends_sessions_and_unlock_restores(db: Session, citizen: Citizen) -> None:
    account = make_eid_account(db, citizen)
    auth.start_session(db, subject_kind="citizen", subject_id=account.id, ip=None, user_agent=None)
    everywhere = EVERYWHERE
    locks.lock_by_police(db, OFFICER, citizen.personal_id, reason="stolen card", scope=everywhere)
    assert (account.status, account.locked_by, account.lock_reason) == (
        "locked",
        "police",
        "stolen card",
    )
    assert auth.live_sessions_of(db, "citizen", account.id) == []
    with pytest.raises(ValidationFailed):
        locks.unlock_by_police(db, OFFICER, citizen.personal_id, reason=" ", scope=everywhere)
    locks.unlock_by_police(db, OFFICER, citizen.personal_id, reason="checked", scope=everywhere)
    assert account.status == "active" and account.locked_by is None


def test_police_outside_their_units_cannot_lock(db: Session) -> None:
    elsewhere = make_citizen(db, permanent_commune_code="00070", current_commune_code="00070")
    make_eid_account(db, elsewhere)
    scope = UnitScope(frozenset({COMMUNE_A}))
    with pytest.raises(NotFound):
        locks.lock_by_police(db, OFFICER, elsewhere.personal_id, reason="x", scope=scope)


def test_a_recorded_death_revokes_the_account(db: Session, citizen: Citizen) -> None:
    account = make_eid_account(db, citizen)
    auth.start_session(db, subject_kind="citizen", subject_id=account.id, ip=None, user_agent=None)
    registry.record_change(
        db,
        Actor.system("test"),
        citizen.personal_id,
        {"status": "deceased", "date_of_death": "2026-01-02"},
        reason="death registered",
    )
    assert account.status == "revoked" and account.revoke_reason == "deceased"
    assert auth.live_sessions_of(db, "citizen", account.id) == []


def test_a_death_in_a_bulk_import_revokes_the_account(db: Session, citizen: Citizen) -> None:
    account = make_eid_account(db, citizen)
    row = registry.current_row(citizen) | {"status": "deceased", "date_of_death": "2026-01-02"}
    result = bulk.import_citizens(db, Actor.system("test"), [row], reason="monthly deaths")
    assert result.updated == 1
    assert account.status == "revoked"


def test_the_sweep_catches_deaths_the_hook_missed(db: Session, citizen: Citizen) -> None:
    account = make_eid_account(db, citizen)
    citizen.status = "deceased"  # written behind the registry's back: no hook ran
    db.flush()
    assert account.status == "active"
    assert locks.sweep_deceased(db, Actor.system("test")) == 1
    assert account.status == "revoked"


def test_purge_keeps_recent_history(db: Session, citizen: Citizen) -> None:
    account = make_eid_account(db, citizen)
    service.record_login_event(
        db, account_id=account.id, personal_id=citizen.personal_id, event="login"
    )
    old = LoginEvent(
        account_id=account.id,
        personal_id=citizen.personal_id,
        event="login",
        created_at=clock.now() - dt.timedelta(days=settings.login_history_retention_days + 1),
    )
    db.add(old)
    db.flush()
    assert self_service.purge_login_history(db) == 1
    count = db.scalar(
        select(func.count()).select_from(LoginEvent).where(LoginEvent.account_id == account.id)
    )
    assert count == 1


def test_a_passcode_hash_of_older_parameters_is_replaced_at_the_next_sign_in(
    db: Session, citizen: Citizen
) -> None:
    from argon2 import PasswordHasher

    from oncegov.identity.accounts import signin
    from oncegov.kit import passwords
    from tests.fixtures import PASSCODE

    account = make_eid_account(db, citizen, level=1)
    account.passcode_hash = PasswordHasher(time_cost=3, memory_cost=65_536, parallelism=4).hash(
        PASSCODE
    )
    db.flush()
    older = account.passcode_hash
    signin.check_passcode_login(db, personal_id=citizen.personal_id, passcode=PASSCODE, ip=None)
    assert account.passcode_hash != older
    assert not passwords.needs_rehash(account.passcode_hash)
    assert passwords.verify(account.passcode_hash, PASSCODE)
    # A wrong passcode never touches the stored hash.
    account.passcode_hash = older
    db.flush()
    with pytest.raises(service.LoginFailed):
        signin.check_passcode_login(db, personal_id=citizen.personal_id, passcode="975310", ip=None)
    assert account.passcode_hash == older
