"""Officer sign-in: Argon2id, TOTP, identical failures, lockout with backoff, sessions, CSRF."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from oncegov.audit.models import AuditEntry
from oncegov.auth import service as auth
from oncegov.auth.models import Officer, WebSession
from oncegov.config import settings
from oncegov.errors import NotAuthenticated
from oncegov.kit import clock
from tests.fixtures import OfficerLogin, login


def _form_token(client: TestClient) -> str:
    match = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/login").text)
    assert match
    return match[1]


def _attempt(client: TestClient, username: str, password: str, otp: str) -> tuple[int, str]:
    response = client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "otp": otp,
            "login_csrf": _form_token(client),
        },
        follow_redirects=False,
    )
    message = re.search(r'role="alert">([^<]*)<', response.text)
    return response.status_code, message[1] if message else ""


def test_password_is_stored_as_argon2id(db: Session, commune_officer: OfficerLogin) -> None:
    officer = db.scalar(select(Officer).where(Officer.username == commune_officer.username))
    assert officer is not None
    assert officer.password_hash.startswith("$argon2id$")
    assert commune_officer.password not in officer.password_hash
    assert commune_officer.totp_secret not in officer.totp_secret_encrypted


def test_sign_in_with_password_and_totp(client: TestClient, commune_officer: OfficerLogin) -> None:
    login(client, commune_officer)
    assert "Officer xa.thucphan" in client.get("/").text


def test_unknown_user_wrong_password_and_wrong_code_look_the_same(
    client: TestClient, commune_officer: OfficerLogin
) -> None:
    unknown = _attempt(client, "nobody", commune_officer.password, commune_officer.otp())
    wrong_password = _attempt(client, commune_officer.username, "wrong password!!", "000000")
    wrong_code = _attempt(client, commune_officer.username, commune_officer.password, "000000")
    assert unknown == wrong_password == wrong_code
    assert unknown[0] == 401


def test_lockout_after_repeated_failures_with_growing_delay(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    for _ in range(settings.login_max_failures_before_lock):
        _attempt(client, commune_officer.username, "wrong password!!", "000000")
    officer = db.scalar(select(Officer).where(Officer.username == commune_officer.username))
    assert officer is not None and officer.locked_until is not None
    first_lock = officer.locked_until
    # Even the right password and code are refused while locked, with the same answer.
    status, message = _attempt(
        client, commune_officer.username, commune_officer.password, commune_officer.otp()
    )
    unknown = _attempt(client, "nobody", "whatever password", "123456")
    assert (status, message) == unknown
    # Once the lock expires, another failure locks for longer (exponential backoff).
    officer.locked_until = clock.now() - dt.timedelta(seconds=1)
    db.flush()
    _attempt(client, commune_officer.username, "wrong password!!", "000000")
    db.refresh(officer)
    assert officer.locked_until is not None
    second = officer.locked_until.replace(tzinfo=None) - clock.now().replace(tzinfo=None)
    first = first_lock.replace(tzinfo=None) - clock.now().replace(tzinfo=None)
    assert second > first


def test_failed_sign_ins_are_audited(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    _attempt(client, commune_officer.username, "wrong password!!", "000000")
    actions = db.scalars(
        select(AuditEntry.action).where(AuditEntry.actor_id == commune_officer.username)
    ).all()
    assert "auth.login_failed" in actions


def test_totp_code_cannot_be_replayed(db: Session, commune_officer: OfficerLogin) -> None:
    code = commune_officer.otp()
    auth.authenticate_officer(
        db,
        username=commune_officer.username,
        password=commune_officer.password,
        otp=code,
        ip="127.0.0.1",
    )
    with pytest.raises(NotAuthenticated):
        auth.authenticate_officer(
            db,
            username=commune_officer.username,
            password=commune_officer.password,
            otp=code,
            ip="127.0.0.1",
        )


def test_per_ip_limit_stops_password_spraying(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "ip_login_limit_per_minute", 3)
    statuses = [_attempt(client, f"user{i}", "spray password 1", "000000")[0] for i in range(5)]
    assert statuses[:3] == [401, 401, 401]
    assert statuses[3:] == [429, 429]


def test_login_form_requires_its_csrf_token(
    client: TestClient, commune_officer: OfficerLogin
) -> None:
    client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": commune_officer.username,
            "password": commune_officer.password,
            "otp": commune_officer.otp(),
            "login_csrf": "forged",
        },
        follow_redirects=False,
    )
    assert response.status_code == 400
    assert settings.session_cookie not in response.cookies


def test_session_token_is_new_at_each_login_and_only_its_hash_is_stored(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    client.cookies.set(settings.session_cookie, "attacker-fixed-value", domain="testserver.local")
    login(client, commune_officer)
    token = client.cookies.get(settings.session_cookie)
    assert token and token != "attacker-fixed-value"
    stored = db.scalars(select(WebSession.token_hash)).all()
    assert token not in stored and len(stored) == 1


def test_idle_and_absolute_timeouts(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    login(client, commune_officer)
    web_session = db.scalars(select(WebSession)).one()
    web_session.last_seen_at = clock.now() - dt.timedelta(minutes=settings.session_idle_minutes + 1)
    db.flush()
    response = client.get("/officer", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_absolute_lifetime_ends_an_active_session(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    login(client, commune_officer)
    web_session = db.scalars(select(WebSession)).one()
    web_session.expires_at = clock.now() - dt.timedelta(seconds=1)
    db.flush()
    assert client.get("/officer", follow_redirects=False).status_code == 303


def test_logout_ends_the_session_server_side(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    csrf = login(client, commune_officer)
    token = client.cookies.get(settings.session_cookie)
    client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    web_session = db.scalars(select(WebSession)).one()
    assert web_session.revoked_at is not None
    # Replaying the old cookie does not work.
    client.cookies.set(settings.session_cookie, token or "", domain="testserver.local")
    assert client.get("/officer", follow_redirects=False).status_code == 303


def test_open_redirect_after_login_is_refused(
    client: TestClient, commune_officer: OfficerLogin
) -> None:
    response = client.post(
        "/login",
        data={
            "username": commune_officer.username,
            "password": commune_officer.password,
            "otp": commune_officer.otp(),
            "login_csrf": _form_token(client),
            "next": "//evil.example/phish",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_totp_secret_provisioning_uri(db: Session) -> None:
    created = auth.create_officer(
        db,
        username="moi",
        full_name="Mới",
        password="a long password 1",
        roles=[("auditor", "province", "04")],
    )
    assert created.provisioning_uri.startswith("otpauth://totp/OnceGov:moi")
    assert pyotp.TOTP(created.totp_secret).verify(pyotp.TOTP(created.totp_secret).now())


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"password": "short"}, "password"),
        ({"roles": [("wizard", "province", "04")]}, "role"),
        ({"roles": [("commune_officer", "commune", "99999")]}, "scope"),
        ({"username": "  "}, "username"),
    ],
)
def test_create_officer_rejects_bad_input_naming_the_field(
    db: Session, kwargs: dict[str, object], field: str
) -> None:
    from oncegov.errors import ValidationFailed

    base: dict[str, object] = {
        "username": "x",
        "full_name": "X",
        "password": "a long password 1",
        "roles": [("auditor", "province", "04")],
    }
    with pytest.raises(ValidationFailed) as excinfo:
        auth.create_officer(db, **(base | kwargs))  # type: ignore[arg-type]
    assert excinfo.value.field == field


def test_a_hash_of_older_parameters_is_replaced_at_the_next_sign_in(
    db: Session, commune_officer: OfficerLogin
) -> None:
    from argon2 import PasswordHasher

    from oncegov.kit import passwords

    officer = db.scalar(select(Officer).where(Officer.username == commune_officer.username))
    assert officer is not None
    officer.password_hash = PasswordHasher(time_cost=3, memory_cost=65_536, parallelism=4).hash(
        commune_officer.password
    )
    db.flush()
    assert passwords.needs_rehash(officer.password_hash)
    auth.authenticate_officer(
        db,
        username=commune_officer.username,
        password=commune_officer.password,
        otp=commune_officer.otp(),
        ip="127.0.0.1",
    )
    assert not passwords.needs_rehash(officer.password_hash)
    assert passwords.verify(officer.password_hash, commune_officer.password)
