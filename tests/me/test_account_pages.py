"""The citizen's eID account pages: "My account" (sessions, lock) and "My login history"."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from oncegov.auth import service as auth
from oncegov.identity.accounts import service
from oncegov.registry.models import Citizen
from tests.fixtures import citizen_session, make_citizen, make_eid_account
from tests.identity.accounts.conftest import NAME, sign_in


@pytest.fixture
def citizen(db: Session) -> Citizen:
    return make_citizen(db, full_name=NAME, birth_year=1985, birth_month=5, birth_day=17)


def test_locking_my_account_signs_out_every_device(
    app: object, client: TestClient, db: Session, citizen: Citizen
) -> None:
    account = make_eid_account(db, citizen, level=2)
    csrf = citizen_session(client, db, account)
    with TestClient(app) as other:  # type: ignore[arg-type]
        citizen_session(other, db, account)
        assert other.get("/me/account", follow_redirects=False).status_code == 200
        confirm = client.get("/me/account/lock")
        assert "Lock your account?" in confirm.text
        locked = client.post("/me/account/lock", data={"csrf_token": csrf})
        assert locked.status_code == 200 and "is locked" in locked.text
        response = other.get("/me/account", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/eid/login")
    assert (account.status, account.locked_by) == ("locked", "citizen")
    assert sign_in(client, citizen.personal_id)[0] == 401


def test_my_account_lists_sessions_and_ends_another(
    app: object, client: TestClient, db: Session, citizen: Citizen
) -> None:
    account = make_eid_account(db, citizen, level=1)
    csrf = citizen_session(client, db, account)
    issued = auth.start_session(
        db, subject_kind="citizen", subject_id=account.id, ip="10.1.1.1", user_agent="phone"
    )
    page = client.get("/me/account")
    assert "091****678" in page.text and "This device" in page.text and "10.1.1.1" in page.text
    client.post(f"/me/account/sessions/{issued.web_session.id}/end", data={"csrf_token": csrf})
    assert [s.id for s in auth.live_sessions_of(db, "citizen", account.id)] != [] and all(
        s.id != issued.web_session.id for s in auth.live_sessions_of(db, "citizen", account.id)
    )


def test_login_history_shows_failures_without_reasons(
    client: TestClient, db: Session, citizen: Citizen
) -> None:
    account = make_eid_account(db, citizen, level=1)
    sign_in(client, citizen.personal_id, "999999")
    sign_in(client, citizen.personal_id)
    service.record_login_event(
        db,
        account_id=account.id,
        personal_id=citizen.personal_id,
        event="token_issued",
        client_id="portal",
    )
    page = client.get("/me/logins")
    assert page.status_code == 200
    rows = re.findall(r'class="event-(\w+)"', page.text)
    assert rows == ["token_issued", "login", "login_failed"]
    assert "wrong_passcode" not in page.text and "portal" in page.text


def test_login_history_names_the_service_not_its_client_id(
    client: TestClient, db: Session, citizen: Citizen
) -> None:
    from oncegov.identity.oidc import service as oidc
    from oncegov.identity.oidc.schemas import ClientForm
    from oncegov.kit.actor import Actor

    account = make_eid_account(db, citizen, level=1)
    created = oidc.register_client(
        db,
        ClientForm(
            name="Cổng dịch vụ công tỉnh",
            agency="VP UBND tỉnh",
            redirect_uris=["https://dvc.example/cb"],
            scopes=["openid"],
        ),
        Actor.system("test"),
    )
    client_id = created.client.client_id
    sign_in(client, citizen.personal_id)
    service.record_login_event(
        db,
        account_id=account.id,
        personal_id=citizen.personal_id,
        event="token_issued",
        client_id=client_id,
    )
    page = client.get("/me/logins")
    assert "Cổng dịch vụ công tỉnh" in page.text
    assert client_id not in page.text
