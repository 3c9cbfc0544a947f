"""Registering an eID account: level 1 online (matched against the registry), level 2 in person
at a police desk (cards' intake calls ``register_level2`` too), and the activation that
turns a texted code and a new passcode into an active account.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from oncegov.audit import service as audit
from oncegov.auth import service as auth
from oncegov.config import settings
from oncegov.errors import Conflict, ValidationFailed
from oncegov.identity.accounts import rules
from oncegov.identity.accounts.codes import CODE_FAILED, check_code, send_code
from oncegov.identity.accounts.models import EidAccount
from oncegov.identity.accounts.repository import AccountRepository
from oncegov.identity.accounts.schemas import RegistrationForm
from oncegov.identity.accounts.service import (
    CodeRejected,
    RegistrationRefused,
    account_of,
    birth_for_passcode_rules,
    end_everything,
    matching_citizen,
    record_event,
    system_actor,
)
from oncegov.integrations.sms import normalise_phone
from oncegov.kit import clock, passwords
from oncegov.kit.actor import Actor
from oncegov.kit.text import fold
from oncegov.registry import service as registry
from oncegov.translatable import N_
from oncegov.units import service as units

REGISTRATION_REFUSED = N_(
    "We could not register an account with these details. Check them against your chip ID "
    "card. If you already have an account, sign in or reset your passcode."
)
_REGISTRATION_PURPOSE = "eID self-registration"


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
    citizen = matching_citizen(
        session,
        system_actor("registration", form.channel),
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
        system_actor("registration", form.channel),
        "eid.registered",
        purpose=_REGISTRATION_PURPOSE,
        subject_personal_id=personal_id,
        detail={"level": 1, "channel": form.channel},
    )
    record_event(session, account, "registered", ip=ip, detail="level1")
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
    record_event(session, account, "level2_registered", detail=commune_code)
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
    record = check_code(session, account, _activation_purpose(account), code)
    # Only after the right code: the birth-date rule must not become an oracle for it.
    rules.check_passcode(
        passcode, repeat, birth_for_passcode_rules(session, account, "eID activation")
    )
    moment = clock.now()
    record.used_at = moment
    was_active = account.status == "active"
    account.passcode_hash = passwords.hash_secret(passcode)
    account.passcode_changed_at = moment
    account.level = account.pending_level or account.level
    account.pending_level = None
    account.status = "active"
    account.activated_at = account.activated_at or moment
    account.failed_logins = 0
    account.login_locked_until = None
    if was_active:  # a new passcode ends what the old one opened
        end_everything(session, account, reason="passcode_changed")
    record_event(session, account, "activated", ip=ip, detail=f"level{account.level}")
    return account
