"""eID pages and API: registration, activation, sign-in at both levels, lockout and limits,
sessions, sign-out, reset, the desk and the demo outbox (the citizen's own account pages:
``tests/me/test_account_pages.py``)."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from oncegov.auth import service as auth
from oncegov.config import settings
from oncegov.identity.accounts import codes, service
from oncegov.identity.accounts.models import EidAccount, LoginEvent
from oncegov.kit import clock
from oncegov.registry.models import Citizen
from tests.fixtures import (
    CITIZEN_PHONE,
    PASSCODE,
    OfficerLogin,
    citizen_session,
    login,
    make_citizen,
    make_eid_account,
)
from tests.identity.accounts.conftest import (
    BIRTH,
    NAME,
    PHONE,
    PNG,
    flash,
    form_token,
    last_code,
    sign_in,
    sms_count,
)

# --- registration ---------------------------------------------------------------------------


def post_registration(client: TestClient, personal_id: str, **fields: str) -> str:
    data = {
        "personal_id": personal_id,
        "full_name": NAME,
        "date_of_birth": BIRTH,
        "phone": PHONE,
        "form_token": form_token(client, "/eid/register"),
    } | fields
    response = client.post(
        "/eid/register", data=data, files={"portrait": ("me.png", PNG, "image/png")}
    )
    return f"{response.status_code}\n{response.text}"


def test_matching_registration_creates_a_pending_account_and_texts_a_code(
    client: TestClient, db: Session, citizen: Citizen
) -> None:
    page = post_registration(client, citizen.personal_id, full_name="nong van dung")
    assert page.startswith("200") and "Activate your eID account" in page
    account = service.account_of(db, citizen.personal_id)
    assert account is not None and (account.level, account.status) == (1, "pending")
    assert account.portrait == PNG and account.portrait_sha256
    assert "Hieu luc 5 phut" in codes.outbox(db, PHONE)[0].body
    assert re.fullmatch(r"\d{6}", last_code(db))


def test_refusals_share_one_message_that_reveals_nothing(
    client: TestClient, db: Session, citizen: Citizen
) -> None:
    dead = make_citizen(db, full_name=NAME, status="deceased", date_of_death=dt.date(2025, 1, 1))
    active = make_citizen(db, full_name=NAME)
    make_eid_account(db, active, status="active")
    answers = [
        post_registration(client, "004085999999"),  # unknown
        post_registration(client, citizen.personal_id, full_name="Nông Văn Dương"),
        post_registration(client, citizen.personal_id, date_of_birth="18/05/1985"),
        post_registration(client, dead.personal_id),
        post_registration(client, active.personal_id),
    ]
    messages = {flash(a.split("\n", 1)[1]) for a in answers}
    assert len(messages) == 1 and "could not register" in messages.pop()
    assert all(a.startswith("422") for a in answers)
    # The typed values are echoed, but never the registry's own name or birth date.
    wrong_name = answers[1]
    assert "Nông Văn Dương" in wrong_name and "Nông Văn Dũng" not in wrong_name
    assert "1985-05-17" not in answers[2] and "17/05/1985" not in answers[2]
    assert sms_count(db) == 0


def test_a_partial_registry_birth_date_cannot_match(client: TestClient, db: Session) -> None:
    year_only = make_citizen(db, full_name=NAME, birth_month=None, birth_day=None)
    assert post_registration(client, year_only.personal_id).startswith("422")


def test_under_14_is_told_so(client: TestClient, db: Session) -> None:
    year = clock.today().year - 10
    child = make_citizen(db, full_name=NAME, birth_year=year)
    page = post_registration(client, child.personal_id, date_of_birth=f"17/05/{year}")
    assert page.startswith("422") and "14 or older" in page


def test_a_pending_account_may_register_again(
    client: TestClient, db: Session, citizen: Citizen
) -> None:
    post_registration(client, citizen.personal_id)
    page = post_registration(client, citizen.personal_id, phone="0977777777")
    assert page.startswith("200")
    account = service.account_of(db, citizen.personal_id)
    assert account is not None and account.phone == "0977777777"
    assert sms_count(db, "0977777777") == 1


def test_a_bad_photo_is_refused(client: TestClient, citizen: Citizen) -> None:
    data = {
        "personal_id": citizen.personal_id,
        "full_name": NAME,
        "date_of_birth": BIRTH,
        "phone": PHONE,
        "form_token": form_token(client, "/eid/register"),
    }
    response = client.post(
        "/eid/register", data=data, files={"portrait": ("me.png", b"GIF89a....", "image/png")}
    )
    assert response.status_code == 422 and "JPEG or PNG" in response.text


def test_undeliverable_phone_writes_no_account(
    client: TestClient, db: Session, citizen: Citizen
) -> None:
    page = post_registration(client, citizen.personal_id, phone="0999000111")
    assert page.startswith("502")
    assert service.account_of(db, citizen.personal_id) is None


def test_registration_and_activation_through_the_api(
    client: TestClient, db: Session, citizen: Citizen
) -> None:
    body = {
        "personal_id": citizen.personal_id,
        "full_name": NAME,
        "date_of_birth": BIRTH,
        "phone": PHONE,
        "portrait_base64": base64.b64encode(PNG).decode(),
    }
    response = client.post("/api/v1/eid/registrations", json=body)
    assert response.status_code == 201 and response.json()["status"] == "pending"
    refused = client.post("/api/v1/eid/registrations", json=body | {"full_name": "Someone"})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "registration_refused"
    activation = {"personal_id": citizen.personal_id, "code": "abcdef", "passcode": "730419"}
    wrong = client.post("/api/v1/eid/activations", json=activation)
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "code_invalid"
    response = client.post("/api/v1/eid/activations", json=activation | {"code": last_code(db)})
    assert response.json() == {"status": "active", "level": 1}


def test_activation_page(client: TestClient, db: Session, citizen: Citizen) -> None:
    post_registration(client, citizen.personal_id)
    data = {
        "personal_id": citizen.personal_id,
        "code": last_code(db),
        "passcode": "123456",
        "passcode_repeat": "123456",
        "form_token": form_token(client, "/eid/activate"),
    }
    weak = client.post("/eid/activate", data=data)
    assert weak.status_code == 422 and "too easy" in weak.text
    data |= {"passcode": "730419", "passcode_repeat": "730419"}
    data["form_token"] = form_token(client, "/eid/activate")
    done = client.post("/eid/activate", data=data)
    assert done.status_code == 200 and "is active" in done.text


# --- sign-in --------------------------------------------------------------------------------


def test_level1_signs_in_with_the_passcode_only(
    client: TestClient, db: Session, citizen: Citizen
) -> None:
    account = make_eid_account(db, citizen, level=1)
    status, location, _ = sign_in(client, citizen.personal_id)
    assert (status, location) == (303, "/me")
    token = client.cookies.get(settings.citizen_session_cookie)
    assert token
    principal = auth.citizen_principal_from_session(db, token)
    assert (principal.level, principal.amr) == (1, ("pwd",))
    assert principal.account_id == account.id


def test_level2_needs_the_texted_code(client: TestClient, db: Session, citizen: Citizen) -> None:
    make_eid_account(db, citizen, level=2)
    status, location, _ = sign_in(client, citizen.personal_id, path="/eid/login?next=/me/logins")
    assert (status, location) == (303, "/eid/login/otp")
    assert client.cookies.get(settings.citizen_session_cookie) is None
    otp_token = form_token(client, "/eid/login/otp")
    wrong = client.post("/eid/login/otp", data={"code": "00000x", "form_token": otp_token})
    assert wrong.status_code == 401
    response = client.post(
        "/eid/login/otp",
        data={
            "code": last_code(db, CITIZEN_PHONE),
            "form_token": form_token(client, "/eid/login/otp"),
        },
        follow_redirects=False,
    )
    assert (response.status_code, response.headers["location"]) == (303, "/me/logins")
    principal = auth.citizen_principal_from_session(
        db, client.cookies[settings.citizen_session_cookie]
    )
    assert (principal.level, principal.amr) == (2, ("pwd", "sms", "mfa"))


def test_the_code_step_without_a_pending_sign_in_goes_back(client: TestClient) -> None:
    response = client.get("/eid/login/otp", follow_redirects=False)
    assert response.headers["location"] == "/eid/login"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"],
)
def test_next_must_be_a_local_path(
    client: TestClient, db: Session, citizen: Citizen, target: str
) -> None:
    make_eid_account(db, citizen, level=1)
    page = client.get("/eid/login", params={"next": target})
    assert 'name="next" value="/me"' in page.text
    token = form_token(client, "/eid/login")
    response = client.post(
        "/eid/login",
        data={
            "personal_id": citizen.personal_id,
            "passcode": PASSCODE,
            "form_token": token,
            "next": target,
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/me"


def test_oidc_style_next_is_kept(client: TestClient, db: Session, citizen: Citizen) -> None:
    make_eid_account(db, citizen, level=1)
    target = "/oidc/authorize?client_id=x&state=a%20b"
    page = client.get("/eid/login", params={"next": target})
    assert "client_id=x&amp;state=a%20b" in page.text
    response = client.post(
        "/eid/login",
        data={
            "personal_id": citizen.personal_id,
            "passcode": PASSCODE,
            "form_token": form_token(client, "/eid/login"),
            "next": target,
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == target


def test_a_level1_account_is_refused_where_level2_is_required(
    client: TestClient, db: Session, citizen: Citizen
) -> None:
    make_eid_account(db, citizen, level=1)
    response = client.post(
        "/eid/login",
        data={
            "personal_id": citizen.personal_id,
            "passcode": PASSCODE,
            "form_token": form_token(client, "/eid/login"),
            "next": "/oidc/authorize?x=1",
            "level": "2",
        },
        follow_redirects=False,
    )
    assert response.status_code == 403 and "level 2" in response.text
    assert 'href="/eid/login?next=%2Foidc%2Fauthorize%3Fx%3D1"' in response.text
    assert client.cookies.get(settings.citizen_session_cookie) is None


def test_a_live_session_skips_the_form_unless_forced(
    client: TestClient, db: Session, citizen: Citizen
) -> None:
    citizen_session(client, db, make_eid_account(db, citizen, level=1))
    skipped = client.get("/eid/login", params={"next": "/me/account"}, follow_redirects=False)
    assert skipped.headers["location"] == "/me/account"
    forced = client.get("/eid/login", params={"next": "/me", "force": "1"})
    assert forced.status_code == 200 and 'name="passcode"' in forced.text
    higher = client.get("/eid/login", params={"level": "2"})
    assert higher.status_code == 200


def test_unknown_wrong_and_locked_answer_alike(client: TestClient, db: Session) -> None:
    known = make_citizen(db)
    make_eid_account(db, known, level=1)
    locked = make_citizen(db)
    make_eid_account(db, locked, level=1, status="locked")
    pending = make_citizen(db)
    make_eid_account(db, pending, level=1, status="pending")
    answers = [
        sign_in(client, "004085999999"),
        sign_in(client, known.personal_id, "999999"),
        sign_in(client, locked.personal_id),
        sign_in(client, pending.personal_id),
    ]
    assert {a[0] for a in answers} == {401}
    bodies = {re.sub(r'value="[^"]{20,}"', "", a[2]) for a in answers}  # minus the form token
    assert len(bodies) == 1


def test_lockout_grows_and_ends(client: TestClient, db: Session, citizen: Citizen) -> None:
    account = make_eid_account(db, citizen, level=1)
    limit = settings.passcode_max_failures_before_lock
    for _ in range(limit):
        sign_in(client, citizen.personal_id, "999999")
    assert account.login_locked_until is not None
    first = clock.aware(account.login_locked_until) - clock.now()
    assert sign_in(client, citizen.personal_id)[0] == 401  # right passcode, still locked
    account.login_locked_until = clock.now() - dt.timedelta(seconds=1)
    db.flush()
    sign_in(client, citizen.personal_id, "999999")
    second = clock.aware(account.login_locked_until) - clock.now()
    assert second > first * 1.5
    account.login_locked_until = clock.now() - dt.timedelta(seconds=1)
    db.flush()
    assert sign_in(client, citizen.personal_id)[0] == 303
    assert account.failed_logins == 0
    events = db.scalars(select(LoginEvent.event).where(LoginEvent.account_id == account.id)).all()
    assert events.count("lockout") == 2 and "login" in events


def test_the_ip_limit_stops_spraying_across_accounts(client: TestClient, db: Session) -> None:
    spread = settings.ip_login_limit_per_minute // 4 + 1  # fewer than 5 tries per account
    accounts = [make_eid_account(db, make_citizen(db), level=1) for _ in range(spread)]
    statuses = [
        sign_in(client, accounts[i % spread].personal_id, "999999")[0]
        for i in range(settings.ip_login_limit_per_minute + 1)
    ]
    assert statuses[-1] == 429 and set(statuses[:-1]) == {401}
    assert all(a.login_locked_until is None for a in accounts)  # no single account locked
    assert sign_in(client, accounts[0].personal_id)[0] == 429  # even the right passcode


def test_sign_in_rotates_the_session(client: TestClient, db: Session, citizen: Citizen) -> None:
    account = make_eid_account(db, citizen, level=1)
    citizen_session(client, db, account)
    old = client.cookies[settings.citizen_session_cookie]
    sign_in(client, citizen.personal_id, path="/eid/login?force=1")
    new = client.cookies.get(settings.citizen_session_cookie, domain="testserver.local")
    assert new and new != old
    auth.resolve_session(db, new)
    with pytest.raises(auth.NotAuthenticated):
        auth.resolve_session(db, old)


def test_logout_ends_the_session(client: TestClient, db: Session, citizen: Citizen) -> None:
    account = make_eid_account(db, citizen, level=1)
    csrf = citizen_session(client, db, account)
    token = client.cookies[settings.citizen_session_cookie]
    forged = client.post("/eid/logout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert forged.status_code == 303
    auth.resolve_session(db, token)  # still alive: the forged sign-out did nothing
    client.cookies.set(settings.citizen_session_cookie, token)
    client.post("/eid/logout", data={"csrf_token": csrf}, follow_redirects=False)
    with pytest.raises(auth.NotAuthenticated):
        auth.resolve_session(db, token)
    events = db.scalars(select(LoginEvent.event).where(LoginEvent.account_id == account.id)).all()
    assert "logout" in events


def test_a_deceased_citizen_cannot_sign_in(client: TestClient, db: Session) -> None:
    dead = make_citizen(db, status="deceased", date_of_death=dt.date(2025, 1, 1))
    account = make_eid_account(db, dead, level=1)  # the hook never ran for this one
    assert sign_in(client, dead.personal_id)[0] == 401
    assert account.status == "revoked"


# --- passcode reset ------------------------------------------------------------------------


def test_passcode_reset(client: TestClient, db: Session, citizen: Citizen) -> None:
    account = make_eid_account(db, citizen, level=1, phone=PHONE)
    citizen_session(client, db, account)
    old_session = client.cookies[settings.citizen_session_cookie]
    fields = {
        "personal_id": citizen.personal_id,
        "full_name": NAME,
        "date_of_birth": BIRTH,
        "phone": "0911222333",
        "form_token": form_token(client, "/eid/reset"),
    }
    refused = client.post("/eid/reset", data=fields)  # not the registered phone
    assert refused.status_code == 422 and sms_count(db) == 0
    fields |= {"phone": PHONE, "form_token": form_token(client, "/eid/reset")}
    asked = client.post("/eid/reset", data=fields)
    assert asked.status_code == 200 and "Choose a new passcode" in asked.text
    confirm = {
        "personal_id": citizen.personal_id,
        "code": last_code(db),
        "passcode": "730419",
        "passcode_repeat": "730419",
        "form_token": form_token(client, "/eid/reset/confirm"),
    }
    done = client.post("/eid/reset/confirm", data=confirm)
    assert done.status_code == 200 and "passcode is changed" in done.text
    with pytest.raises(auth.NotAuthenticated):
        auth.resolve_session(db, old_session)
    assert sign_in(client, citizen.personal_id, PASSCODE)[0] == 401
    assert sign_in(client, citizen.personal_id, "730419")[0] == 303
    events = db.scalars(select(LoginEvent.event).where(LoginEvent.account_id == account.id)).all()
    assert "passcode_reset" in events


def test_reset_through_the_api(client: TestClient, db: Session, citizen: Citizen) -> None:
    make_eid_account(db, citizen, level=2, phone=PHONE)
    body = {
        "personal_id": citizen.personal_id,
        "full_name": NAME,
        "date_of_birth": BIRTH,
        "phone": PHONE,
    }
    assert client.post("/api/v1/eid/passcode-resets", json=body).status_code == 200
    confirm = {"personal_id": citizen.personal_id, "code": last_code(db), "passcode": "730419"}
    response = client.post("/api/v1/eid/passcode-resets/confirm", json=confirm)
    assert response.json() == {"status": "active", "level": 2}


# --- police desk and demo outbox -------------------------------------------------------------


def test_desk_registers_level2_and_locks(
    client: TestClient, db: Session, id_card_officer: OfficerLogin, citizen: Citizen
) -> None:
    csrf = login(client, id_card_officer)
    page = client.get("/identity/eid", params={"personal_id": citizen.personal_id})
    assert page.status_code == 200 and "No eID account yet" in page.text
    refused = client.post(
        "/identity/eid/level2",
        data={"csrf_token": csrf, "personal_id": citizen.personal_id, "phone": PHONE},
    )
    assert refused.status_code == 422
    done = client.post(
        "/identity/eid/level2",
        data={
            "csrf_token": csrf,
            "personal_id": citizen.personal_id,
            "phone": PHONE,
            "card_checked": "true",
            "portrait_matched": "true",
        },
    )
    assert done.status_code == 200 and "Level 2 registered" in done.text
    account = service.account_of(db, citizen.personal_id)
    assert isinstance(account, EidAccount) and account.level2_verified_by == "cccd.thucphan"
    assert sms_count(db) == 1
    locked = client.post(
        "/identity/eid/lock",
        data={"csrf_token": csrf, "personal_id": citizen.personal_id, "reason": "lost phone"},
    )
    assert locked.status_code == 200 and account.status == "locked"


def test_outbox_page(client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    account_holder = make_citizen(db, full_name=NAME)
    account = make_eid_account(db, account_holder, phone=PHONE)
    codes.send_code(db, account, "login")
    page = client.get("/eid/sms", params={"phone": PHONE})
    assert page.status_code == 200 and last_code(db) in page.text
    monkeypatch.setattr(settings, "environment", "production")
    assert client.get("/eid/sms", params={"phone": PHONE}).status_code == 404
    assert client.get("/eid/sms").status_code == 404


def test_a_refused_desk_action_keeps_the_form_and_shows_the_error_at_its_field(
    client: TestClient, db: Session, id_card_officer: OfficerLogin, citizen: Citizen
) -> None:
    csrf = login(client, id_card_officer)
    refused = client.post(
        "/identity/eid/level2",
        data={
            "csrf_token": csrf,
            "personal_id": citizen.personal_id,
            "phone": PHONE,
            "portrait_matched": "true",
        },
    )
    assert refused.status_code == 422
    html = refused.text
    assert "Something went wrong" not in html  # the desk page, not the error page
    assert f'value="{PHONE}"' in html and "checked" in html  # what was typed is kept
    error = html.index('id="level2-card_checked-error"')
    assert "Check the citizen's chip ID card first" in html[error : error + 200]
    assert html.index("I checked the chip ID card") < error  # right under its checkbox
    assert service.account_of(db, citizen.personal_id) is None  # nothing written
    no_reason = client.post(
        "/identity/eid/lock",
        data={"csrf_token": csrf, "personal_id": citizen.personal_id, "reason": " "},
    )
    assert no_reason.status_code in (404, 409, 422) and "Something went wrong" not in no_reason.text
