"""The citizen's "My identity" (``/me``) and "Report an error" (``/me/report``)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from oncegov.identity.accounts.models import EidAccount
from oncegov.registry.corrections import service
from oncegov.registry.corrections.models import CorrectionRequest
from oncegov.registry.models import Citizen
from tests.fixtures import citizen_session, make_citizen, make_eid_account, make_household
from tests.registry.corrections.conftest import audit_entries


@pytest.fixture
def citizen(db: Session) -> Citizen:
    # Spelt wrongly in the registry (Dung, not Dũng): what the citizen reports.
    return make_citizen(db, full_name="Nông Văn Dung", sex="M", birth_year=1985)


@pytest.fixture
def account(db: Session, citizen: Citizen) -> EidAccount:
    return make_eid_account(db, citizen, level=2)


def _flash(html: str) -> str:
    found = re.search(r'<div class="flash error" role="alert">(.*?)</div>', html, re.S)
    return found[1].strip() if found else ""


def _report(client: TestClient, csrf: str, **data: object) -> tuple[int, str, str]:
    form = {
        "csrf_token": csrf,
        "fields": ["full_name"],
        "description": "My name is spelt Nông Văn Dũng",
        "proposed_value": "Nông Văn Dũng",
    } | data
    response = client.post("/me/report", data=form, follow_redirects=False)
    return response.status_code, response.headers.get("location", ""), response.text


def test_my_identity_shows_the_record_read_only_and_is_audited(
    client: TestClient, db: Session, citizen: Citizen, account: EidAccount
) -> None:
    make_household(db, "HK0401273001", head=citizen.personal_id)
    citizen.household_code, citizen.relationship_to_head = "HK0401273001", "head"
    db.flush()
    citizen_session(client, db, account)
    page = client.get("/me")
    assert page.status_code == 200
    record = page.text[page.text.index('id="identity"') :]
    for text in (
        citizen.personal_id,
        "Nông Văn Dung",
        "1985",
        "Male",
        "Tày",
        "Vietnam",  # the country's name, not its code
        "Tổ 3, Phường Thục Phán",
        "HK0401273001",
    ):
        assert text in record, text
    assert re.search(r'id="eid-level">2<', page.text)
    assert "<input" not in record.split("</dl>")[0]  # read-only
    assert 'href="/me/report?field=full_name"' in page.text
    (entry,) = audit_entries(db, "registry.read")
    assert (entry.actor_kind, entry.subject_personal_id) == ("citizen", citizen.personal_id)
    assert entry.purpose == service.OWN_RECORD_PURPOSE


def test_my_identity_names_the_commune_once(
    client: TestClient, db: Session, citizen: Citizen, account: EidAccount
) -> None:
    citizen.permanent_address = "Tổ 3, Phường Thục Phán, tỉnh Cao Bằng"
    db.flush()
    citizen_session(client, db, account)
    client.cookies.set("oncegov_lang", "vi")
    record = client.get("/me").text
    assert "Tổ 3, Phường Thục Phán, tỉnh Cao Bằng" in record
    assert record.count("Phường Thục Phán") == 1
    assert "Việt Nam" in record


def test_my_identity_needs_an_eid_session(client: TestClient) -> None:
    for path in ("/me", "/me/report"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/eid/login?next=")


def test_reporting_an_error_files_a_request_shown_on_my_identity(
    client: TestClient, db: Session, citizen: Citizen, account: EidAccount
) -> None:
    csrf = citizen_session(client, db, account)
    form = client.get("/me/report?field=hometown")
    assert 'value="hometown" checked' in form.text and 'name="csrf_token"' in form.text
    status, location, _ = _report(client, csrf)
    assert status == 303 and location.startswith("/me?filed=")
    request_id = int(location.rsplit("=", 1)[1])
    stored = db.get(CorrectionRequest, request_id)
    assert stored is not None
    assert (stored.personal_id, stored.filed_by_account_id) == (citizen.personal_id, account.id)
    page = client.get(location)
    assert f"request #{request_id}" in page.text
    row = re.search(
        rf'<tr data-request="{request_id}" data-status="open">(.*?)</tr>', page.text, re.S
    )
    assert row and "Full name" in row[1] and "Submitted" in row[1]
    # Sent twice (a double click): still one request.
    assert _report(client, csrf)[1] == location
    assert len(service.requests_of(db, citizen.personal_id)) == 1


def test_a_refused_report_comes_back_with_the_error_and_what_was_typed(
    client: TestClient, db: Session, citizen: Citizen, account: EidAccount
) -> None:
    csrf = citizen_session(client, db, account)
    status, _, html = _report(client, csrf, fields=[], description="Something is wrong")
    assert status == 422
    assert _flash(html) == "Choose at least one field that is wrong"
    assert "Something is wrong</textarea>" in html
    for n in range(service.MAX_ACTIVE_PER_CITIZEN):
        assert _report(client, csrf, description=f"Error {n}")[0] == 303
    status, _, html = _report(client, csrf, description="One more")
    assert status == 409 and "3 reports waiting" in _flash(html)


def test_reporting_needs_the_sessions_csrf_token(
    client: TestClient, db: Session, citizen: Citizen, account: EidAccount
) -> None:
    citizen_session(client, db, account)
    assert _report(client, "forged")[0] == 403
    assert service.requests_of(db, citizen.personal_id) == []
