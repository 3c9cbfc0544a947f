"""Factories (plain functions) and auth helpers shared by the tests."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import random
import re
from dataclasses import dataclass
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from oncegov.auth import service as auth
from oncegov.config import settings
from oncegov.identity.accounts.models import EidAccount
from oncegov.kit import clock
from oncegov.kit import personal_id as pid
from oncegov.kit.text import fold, name_key, nfc
from oncegov.registry.models import Citizen, Household, RegistryChange

CAO_BANG = "04"
COMMUNE_A = "01273"  # Phường Thục Phán, Cao Bằng
COMMUNE_B = "01279"  # Phường Nùng Trí Cao, Cao Bằng
OTHER_PROVINCE_COMMUNE = "00070"  # Phường Hoàn Kiếm, Hà Nội
PASSWORD = "correct horse battery staple"
_sequence = itertools.count(100001)


def personal_id_for(sex: str, birth_year: int, province: str = "004") -> str:
    return f"{pid.prefix_for(province, sex, birth_year)}{next(_sequence):06d}"  # type: ignore[arg-type]


def make_citizen(db: Session, **overrides: Any) -> Citizen:
    sex = overrides.pop("sex", random.choice("MF"))
    birth_year = overrides.pop("birth_year", 1985)
    full_name = nfc(overrides.pop("full_name", "Nông Văn Dũng"))
    values: dict[str, Any] = {
        "personal_id": personal_id_for(sex, birth_year),
        "full_name": full_name,
        "folded_name": fold(full_name),
        "name_key": name_key(full_name),
        "birth_year": birth_year,
        "birth_month": 5,
        "birth_day": 17,
        "sex": sex,
        "ethnicity_code": "02",
        "religion": "none",
        "nationality": "VN",
        "permanent_commune_code": COMMUNE_A,
        "permanent_address": "Tổ 3",
        "current_commune_code": COMMUNE_A,
        "current_address": "Tổ 3",
        "status": "living",
        "version": 1,
    }
    values.update(overrides)
    citizen = Citizen(**values)
    db.add(citizen)
    db.add(
        RegistryChange(
            entity="citizen",
            entity_key=citizen.personal_id,
            version=1,
            actor="system:test",
            source="test",
            reason="test data",
            changes={},
        )
    )
    db.flush()
    return citizen


def make_household(
    db: Session, code: str, commune: str = COMMUNE_A, head: str | None = None
) -> Household:
    household = Household(code=code, commune_code=commune, address="Tổ 3", head_personal_id=head)
    db.add(household)
    db.flush()
    return household


@dataclass
class OfficerLogin:
    username: str
    password: str
    totp_secret: str

    def otp(self) -> str:
        return pyotp.TOTP(self.totp_secret).now()


def make_officer(db: Session, username: str, *roles: tuple[str, str, str]) -> OfficerLogin:
    created = auth.create_officer(
        db,
        username=username,
        full_name=f"Officer {username}",
        password=PASSWORD,
        roles=list(roles),
    )
    return OfficerLogin(created.officer.username, PASSWORD, created.totp_secret)


def login(client: TestClient, officer: OfficerLogin) -> str:
    """Sign in through the real login form; returns the session's CSRF token."""
    page = client.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
    assert token, "login form has no CSRF token"
    response = client.post(
        "/login",
        data={
            "username": officer.username,
            "password": officer.password,
            "otp": officer.otp(),
            "login_csrf": token[1],
            "next": "/",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    home = client.get("/")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
    assert csrf, "signed-in page has no CSRF token"
    return csrf[1]


@pytest.fixture
def commune_officer(db: Session) -> OfficerLogin:
    return make_officer(db, "xa.thucphan", ("commune_officer", "commune", COMMUNE_A))


@pytest.fixture
def provincial_officer(db: Session) -> OfficerLogin:
    return make_officer(db, "pc06.caobang", ("provincial_officer", "province", CAO_BANG))


@pytest.fixture
def auditor(db: Session) -> OfficerLogin:
    return make_officer(db, "thanhtra", ("auditor", "province", CAO_BANG))


# --- citizens' eID accounts and sessions --------------------------------------------------------

PASSCODE = "246810"
CITIZEN_PHONE = "0912345678"


def make_eid_account(
    db: Session,
    citizen: Citizen,
    *,
    level: int = 2,
    status: str = "active",
    passcode: str = PASSCODE,
    phone: str = CITIZEN_PHONE,
) -> EidAccount:
    """An eID account as it stands after registration and activation (no codes sent)."""
    moment = clock.now()
    account = EidAccount(
        personal_id=citizen.personal_id,
        level=level,
        status=status,
        phone=phone,
        passcode_hash=auth.hash_password(passcode) if status != "pending" else None,
        failed_logins=0,
        registered_channel="station" if level == 2 else "web",
        created_at=moment,
        activated_at=moment if status != "pending" else None,
        level2_verified_at=moment if level == 2 else None,
        level2_verified_by="test.officer" if level == 2 else None,
    )
    db.add(account)
    db.flush()
    return account


def citizen_session(
    client: TestClient, db: Session, account: EidAccount, *, level: int | None = None
) -> str:
    """Give ``client`` a live eID session for ``account`` (as after a successful login);
    returns its CSRF token. Tests of the login itself go through the sign-in pages."""
    level = level or account.level
    issued = auth.start_session(
        db,
        subject_kind="citizen",
        subject_id=account.id,
        ip="testclient",
        user_agent="pytest",
        personal_id=account.personal_id,
        auth_level=level,
        amr=("pwd", "sms", "mfa") if level == 2 else ("pwd",),
    )
    db.flush()
    client.cookies.set(settings.citizen_session_cookie, issued.token)
    return issued.web_session.csrf_token


@pytest.fixture
def id_card_officer(db: Session) -> OfficerLogin:
    return make_officer(db, "cccd.thucphan", ("id_card_officer", "commune", COMMUNE_A))


@pytest.fixture
def admin_officer(db: Session) -> OfficerLogin:
    return make_officer(db, "quantri.heThong", ("admin", "province", CAO_BANG))


def run_cli_in(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """CLI commands invoked by the test run in ``db`` (the test's transaction)."""
    monkeypatch.setattr(
        "oncegov.cli.common.get_sessionmaker", lambda: lambda: contextlib.nullcontext(db)
    )


def portal_sign_in(client: TestClient, db: Session, personal_id: str, *, acr: int = 2) -> str:
    """A portal session cookie for ``client``, as after a sign-in through the provider (the
    sign-in itself is tested in tests/procedures/test_portal_*); returns its CSRF token."""
    from oncegov.kit.crypto import hash_token, new_token
    from oncegov.procedures.portal.models import PortalSession

    token, moment = new_token(), clock.now()
    row = PortalSession(
        token_hash=hash_token(token),
        personal_id=personal_id,
        full_name="",
        sub="sub-" + new_token(8),
        acr=acr,
        auth_time=moment,
        csrf_token=new_token(24),
        created_at=moment,
        last_seen_at=moment,
        expires_at=moment + dt.timedelta(hours=settings.session_absolute_hours),
    )
    db.add(row)
    db.commit()  # a savepoint release: kept when a refused request rolls back
    client.cookies.set(settings.portal_session_cookie, token)
    return row.csrf_token


def portal_access_token(db: Session, citizen: Citizen, *, level: int = 2) -> str:
    """An access token of OnceGov's provider for the portal client, as its token endpoint
    issues after a sign-in at ``level`` (the code flow itself is tested in
    tests/identity/oidc/); returns the bearer token."""
    from oncegov.identity.oidc import service as oidc
    from oncegov.procedures.portal import service as portal

    portal.ensure_portal_client(db)
    account = db.scalar(select(EidAccount).where(EidAccount.personal_id == citizen.personal_id))
    if account is None:
        account = make_eid_account(db, citizen, level=level, phone=citizen.phone or CITIZEN_PHONE)
    token = oidc.issue_access_token(
        db,
        client_id=portal.CLIENT_ID,
        account_id=account.id,
        personal_id=citizen.personal_id,
        level=level,
    )
    db.commit()  # a savepoint release, as in portal_sign_in
    return token
