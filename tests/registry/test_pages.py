"""Officer console pages: search, record, correction form; scope, CSRF, roles, rate limit."""

from __future__ import annotations

import re
from urllib.parse import quote_plus

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oncegov.audit.models import AuditEntry
from oncegov.config import settings
from oncegov.registry.models import Citizen, RegistryChange
from tests.fixtures import (
    COMMUNE_A,
    COMMUNE_B,
    OfficerLogin,
    login,
    make_citizen,
    make_household,
)

PURPOSE = "Record verification"


@pytest.fixture(autouse=True)
def english(client: TestClient) -> None:
    """Assertions read the English message ids (Vietnamese is the default locale)."""
    client.cookies.set("oncegov_lang", "en")


def _record(client: TestClient, personal_id: str, purpose: str = PURPOSE) -> str:
    response = client.get(f"/registry/citizens/{personal_id}?purpose={quote_plus(purpose)}")
    assert response.status_code == 200, response.text
    return response.text


def _edit_form(client: TestClient, personal_id: str) -> dict[str, str]:
    """The correction form's fields as a browser would post them unchanged."""
    page = client.get(f"/registry/citizens/{personal_id}/edit?purpose=Correction")
    assert page.status_code == 200, page.text
    fields = dict(
        re.findall(
            r'<input type="(?:hidden|text|date)"[^>]*name="([^"]+)" value="([^"]*)"', page.text
        )
    )
    selects = re.findall(
        r'<select id="f-[^"]+" name="([^"]+)"[^>]*>.*?<option value="([^"]*)"[^>]* selected>',
        page.text,
        flags=re.S,
    )
    return fields | dict(selects)


def _field_value(page: str, field_name: str) -> str:
    match = re.search(rf'name="{field_name}" value="([^"]*)"', page)
    assert match, field_name
    return match[1]


# --- search ------------------------------------------------------------------------------------


def test_commune_officer_finds_a_citizen_by_name_without_diacritics(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    dung = make_citizen(db, full_name="Nông Văn Dũng", sex="M", birth_year=1985)
    make_citizen(db, full_name="Hoàng Thị Lan", sex="F", birth_year=1990)
    login(client, commune_officer)
    for query in ("nong van dung", "dung nong van", "nong van dung 17/5/1985", "nong van 1985"):
        page = client.get(f"/registry/search?q={quote_plus(query)}&purpose={quote_plus(PURPOSE)}")
        assert page.status_code == 200
        assert "Nông Văn Dũng" in page.text, query
        assert "Hoàng Thị Lan" not in page.text
        link = f"/registry/citizens/{dung.personal_id}?purpose=Record+verification"
        assert link in page.text
        assert "Phường Thục Phán" in page.text  # commune shown by name
    # The purpose typed on the form is remembered in the form and the links.
    page = client.get("/registry/search?q=nong&purpose=Dossier+H-77")
    assert 'value="Dossier H-77"' in page.text
    assert f"/registry/citizens/{dung.personal_id}?purpose=Dossier+H-77" in page.text
    search = db.scalar(
        select(AuditEntry)
        .where(AuditEntry.action == "registry.search")
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    )
    assert search is not None and search.purpose == "Dossier H-77"
    assert search.actor_id == commune_officer.username


def test_search_by_personal_id(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    citizen = make_citizen(db, full_name="Lý Thị Mai", sex="F")
    login(client, commune_officer)
    page = client.get(f"/registry/search?q={citizen.personal_id}&purpose=x")
    assert "Lý Thị Mai" in page.text
    assert re.search(r'id="result-count">1<', page.text)


def test_search_page_offers_a_default_purpose_and_shows_errors_on_the_page(
    client: TestClient, commune_officer: OfficerLogin
) -> None:
    login(client, commune_officer)
    empty = client.get("/registry/search")
    assert empty.status_code == 200
    assert f'name="purpose" value="{PURPOSE}"' in empty.text
    short = client.get("/registry/search?q=n&purpose=x")
    assert short.status_code == 422
    assert 'id="q-error"' in short.text
    assert "Type at least two letters of the name" in short.text
    assert 'action="/registry/search"' in short.text  # the search form, not an error page


def test_citizen_of_another_commune_is_invisible(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    elsewhere = make_citizen(
        db,
        full_name="Nông Văn Dũng",
        permanent_commune_code=COMMUNE_B,
        current_commune_code=COMMUNE_B,
    )
    login(client, commune_officer)
    page = client.get("/registry/search?q=nong+van+dung&purpose=x")
    assert elsewhere.personal_id not in page.text
    assert 'id="no-results"' in page.text
    other = client.get(f"/registry/citizens/{elsewhere.personal_id}?purpose=x")
    nobody = client.get("/registry/citizens/004085999999?purpose=x")
    assert other.status_code == nobody.status_code == 404
    assert elsewhere.full_name not in other.text
    assert other.text.replace(elsewhere.personal_id, "") == nobody.text.replace("004085999999", "")
    assert client.get(f"/registry/citizens/{elsewhere.personal_id}/edit").status_code == 404


def test_provincial_officer_sees_every_commune_of_the_province(
    client: TestClient, db: Session, provincial_officer: OfficerLogin
) -> None:
    a = make_citizen(db, full_name="Nông Văn Dũng")
    b = make_citizen(db, full_name="Nông Văn Dũng", permanent_commune_code=COMMUNE_B)
    login(client, provincial_officer)
    page = client.get("/registry/search?q=nong+van+dung&purpose=x")
    assert a.personal_id in page.text and b.personal_id in page.text


# --- record ------------------------------------------------------------------------------------


def test_record_page_shows_fields_household_and_history(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    head = make_citizen(db, full_name="Hoàng Văn Thụ", sex="M", birth_year=1950)
    make_household(db, "HK-0001", head=head.personal_id)
    head.household_code = "HK-0001"
    head.relationship_to_head = "head"
    wife = make_citizen(
        db,
        full_name="Nông Thị Ánh",
        sex="F",
        birth_year=1952,
        birth_month=None,
        birth_day=None,
        ethnicity_code="07",
        religion="buddhism",
        household_code="HK-0001",
        relationship_to_head="spouse",
        temporary_commune_code=COMMUNE_B,
    )
    db.flush()
    login(client, commune_officer)
    page = _record(client, wife.personal_id)
    for expected in (
        "Nông Thị Ánh",
        "Date of birth</dt><dd>1952<",  # a year-only birth date stays a year
        "Nùng",  # ethnicity 07 by name
        "Buddhism",  # reference codes by their names, in the reader's language
        "Spouse",
        "Phường Thục Phán (01273)",
        "Phường Nùng Trí Cao (01279)",
        "Temporary residence: commune",
        "Hoàng Văn Thụ",  # household member
        "Head of household",
        "test data",  # the creating version's reason
    ):
        assert expected in page, expected
    assert re.search(r'data-version="1"', page)
    assert "17/05/1950" in page  # the head's full birth date, day first


def test_opening_a_record_asks_for_a_purpose_first_and_audits_with_it(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    citizen = make_citizen(db, full_name="Nông Văn Dũng")
    login(client, commune_officer)
    reads = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "registry.read")
    before = db.scalar(reads)
    ask = client.get(f"/registry/citizens/{citizen.personal_id}")
    assert ask.status_code == 200
    assert "Nông Văn Dũng" not in ask.text
    assert 'name="purpose"' in ask.text
    assert db.scalar(reads) == before
    _record(client, citizen.personal_id, "Dossier 1.000123")
    entry = db.scalar(
        select(AuditEntry)
        .where(AuditEntry.action == "registry.read")
        .order_by(AuditEntry.seq.desc())
    )
    assert entry is not None
    assert (entry.subject_personal_id, entry.purpose, entry.actor_id) == (
        citizen.personal_id,
        "Dossier 1.000123",
        commune_officer.username,
    )


# --- correction --------------------------------------------------------------------------------


def test_edit_a_field_with_a_reason_creates_a_new_version(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    citizen = make_citizen(db, full_name="Nông Văn Dũng", phone="0912000111")
    login(client, commune_officer)
    form = _edit_form(client, citizen.personal_id)
    assert form["csrf_token"]
    assert form["phone"] == form["was_phone"] == "0912000111"
    assert form["date_of_birth"] == "17/05/1985"
    assert form["ethnicity_code"] == "02"
    form |= {
        "phone": "0987654321",
        "reason": "Citizen reported a new number",
        "legal_reference": "Đơn 15/2026",
    }
    response = client.post(
        f"/registry/citizens/{citizen.personal_id}/edit", data=form, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    assert "saved=2" in response.headers["location"]
    page = client.get(response.headers["location"]).text
    assert 'id="saved"' in page
    assert "Phone</dt><dd>0987654321<" in page
    assert re.search(r'data-version="2"', page)
    assert "Citizen reported a new number" in page
    assert "Đơn 15/2026" in page
    assert "<del>0912000111</del> → <ins>0987654321</ins>" in page
    change = db.scalar(
        select(RegistryChange).where(
            RegistryChange.entity_key == citizen.personal_id, RegistryChange.version == 2
        )
    )
    assert change is not None
    # Only the changed field was sent, not every field of the form.
    assert change.changes == {"phone": ["0912000111", "0987654321"]}
    assert change.actor == f"officer:{commune_officer.username}"


def test_birth_date_typed_day_first_is_accepted(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    citizen = make_citizen(db, sex="F", birth_year=1985, birth_month=None, birth_day=None)
    login(client, commune_officer)
    form = _edit_form(client, citizen.personal_id)
    assert form["date_of_birth"] == "1985"
    form |= {"date_of_birth": "3/2/1985", "reason": "Birth certificate found"}
    response = client.post(
        f"/registry/citizens/{citizen.personal_id}/edit", data=form, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    stored = db.scalar(select(Citizen).where(Citizen.personal_id == citizen.personal_id))
    assert stored is not None
    assert (stored.birth_year, stored.birth_month, stored.birth_day) == (1985, 2, 3)


def test_invalid_value_is_shown_next_to_its_field_and_nothing_is_saved(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    citizen = make_citizen(db, phone="0912000111")
    login(client, commune_officer)
    form = _edit_form(client, citizen.personal_id) | {"phone": "call me", "reason": "update"}
    response = client.post(f"/registry/citizens/{citizen.personal_id}/edit", data=form)
    assert response.status_code == 422
    error = re.search(r'<div class="field-error" id="e-phone">([^<]+)</div>', response.text)
    assert error and "phone" in error[1]
    assert _field_value(response.text, "phone") == "call me"  # the typed value is kept
    assert _field_value(response.text, "was_phone") == "0912000111"
    assert 'id="e-reason"' not in response.text
    db.refresh(citizen)
    assert (citizen.version, citizen.phone) == (1, "0912000111")


def test_reason_is_required(client: TestClient, db: Session, commune_officer: OfficerLogin) -> None:
    citizen = make_citizen(db)
    login(client, commune_officer)
    form = _edit_form(client, citizen.personal_id) | {"phone": "0912000222", "reason": "  "}
    response = client.post(f"/registry/citizens/{citizen.personal_id}/edit", data=form)
    assert response.status_code == 422
    assert re.search(r'id="e-reason">[^<]*reason', response.text)


def test_unchanged_form_is_refused(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    citizen = make_citizen(db)
    login(client, commune_officer)
    form = _edit_form(client, citizen.personal_id) | {"reason": "nothing"}
    response = client.post(f"/registry/citizens/{citizen.personal_id}/edit", data=form)
    assert response.status_code == 422
    assert "Nothing to change" in response.text


def test_missing_csrf_token_is_refused(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    citizen = make_citizen(db, phone="0912000111")
    login(client, commune_officer)
    form = _edit_form(client, citizen.personal_id) | {"phone": "0987654321", "reason": "r"}
    del form["csrf_token"]
    assert (
        client.post(f"/registry/citizens/{citizen.personal_id}/edit", data=form).status_code == 403
    )
    forged = form | {"csrf_token": "forged"}
    assert (
        client.post(f"/registry/citizens/{citizen.personal_id}/edit", data=forged).status_code
        == 403
    )
    db.refresh(citizen)
    assert (citizen.version, citizen.phone) == (1, "0912000111")


# --- roles, sign-in and rate limit -------------------------------------------------------------


def test_auditor_cannot_read_citizens(
    client: TestClient, db: Session, auditor: OfficerLogin
) -> None:
    citizen = make_citizen(db)
    login(client, auditor)
    assert client.get("/registry/search?q=nong&purpose=x").status_code == 403
    assert client.get(f"/registry/citizens/{citizen.personal_id}?purpose=x").status_code == 403
    assert client.get(f"/registry/citizens/{citizen.personal_id}/edit").status_code == 403


def test_pages_need_a_signed_in_officer(client: TestClient) -> None:
    response = client.get("/registry/search", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_lookups_are_rate_limited(
    client: TestClient,
    db: Session,
    commune_officer: OfficerLogin,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    citizen = make_citizen(db)
    monkeypatch.setattr(settings, "lookup_limit_per_minute", 3)
    login(client, commune_officer)
    statuses = [client.get("/registry/search?q=nong&purpose=x").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    assert client.get("/registry/search?q=nong&purpose=x").status_code == 429
    assert client.get(f"/registry/citizens/{citizen.personal_id}?purpose=x").status_code == 429
    # The search form itself (no lookup) still opens.
    assert client.get("/registry/search").status_code == 200


def test_commune_codes_are_offered_by_name_in_the_form(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    citizen = make_citizen(db)
    login(client, commune_officer)
    page = client.get(f"/registry/citizens/{citizen.personal_id}/edit?purpose=x").text
    assert f'<option value="{COMMUNE_A}">Phường Thục Phán</option>' in page


def test_probing_unknown_numbers_uses_up_the_lookup_limit(
    client: TestClient, commune_officer: OfficerLogin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "lookup_limit_per_minute", 2)
    login(client, commune_officer)
    probes = [
        client.get(f"/registry/citizens/00408599999{digit}?purpose=x").status_code
        for digit in range(3)
    ]
    assert probes == [404, 404, 429]


def test_saved_message_shows_only_a_version_number(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    citizen = make_citizen(db)
    login(client, commune_officer)
    page = client.get(f"/registry/citizens/{citizen.personal_id}?purpose=x&saved=call+0900")
    assert 'id="saved"' not in page.text
