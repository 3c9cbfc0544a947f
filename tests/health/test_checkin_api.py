"""Check-in by personal ID through the JSON API: the answer, the stored visit, the audit entry."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from oncegov.audit.models import AuditEntry
from oncegov.health.models import CheckIn
from oncegov.kit import clock
from tests.fixtures import make_citizen
from tests.health.factories import (
    HOSPITAL,
    STATION,
    facility_token,
    make_card,
    make_facility,
)


@pytest.fixture
def facilities(db: Session) -> None:
    make_facility(db, HOSPITAL)
    make_facility(db, STATION, level="commune_health_station", name="Trạm Y tế")


def _check_in(client: TestClient, token: str, value: str, method: str = "personal_id"):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/health/checkins",
        json={"method": method, "value": value},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_check_in_by_personal_id_answers_and_stores_the_visit(
    client: TestClient, db: Session, facilities: None
) -> None:
    citizen = make_citizen(db, full_name="Hoàng Thị Mai", sex="F", birth_year=1990)
    make_card(db, citizen, benefit_level=95)
    token = facility_token(db)
    response = _check_in(client, token, citizen.personal_id)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["patient"] == {
        "personal_id": citizen.personal_id,
        "full_name": "Hoàng Thị Mai",
        "date_of_birth": "1990-05-17",
        "sex": "F",
    }
    assert body["coverage"]["benefit_level"] == 95
    assert body["coverage"]["valid_today"] is True
    assert body["initial_care_here"] is True
    assert body["warnings"] == []
    assert body["repeat"] is False
    visit = db.get(CheckIn, body["checkin_id"])
    assert visit is not None
    assert (visit.facility_code, visit.method) == (HOSPITAL, "personal_id")
    entry = db.scalar(select(AuditEntry).where(AuditEntry.seq == visit.audit_seq))
    assert entry is not None
    assert entry.action == "health.checkin"
    assert entry.purpose == "medical examination"
    assert entry.subject_personal_id == citizen.personal_id
    assert entry.actor_agency == f"Cơ sở y tế {HOSPITAL}"


def test_the_same_patient_twice_the_same_day_is_one_visit(
    client: TestClient, db: Session, facilities: None
) -> None:
    citizen = make_citizen(db)
    make_card(db, citizen)
    token = facility_token(db)
    first = _check_in(client, token, citizen.personal_id).json()
    second = _check_in(client, token, citizen.personal_id).json()
    assert second["checkin_id"] == first["checkin_id"]
    assert second["repeat"] is True
    visits = db.scalars(select(CheckIn).where(CheckIn.personal_id == citizen.personal_id)).all()
    assert len(visits) == 1


def test_warnings_card_expired_deceased_and_elsewhere_today(
    client: TestClient, db: Session, facilities: None
) -> None:
    today = clock.today()
    citizen = make_citizen(db, status="deceased", date_of_death=today)
    make_card(
        db,
        citizen,
        valid_to=today - dt.timedelta(days=1),
        valid_from=today - dt.timedelta(days=300),
    )
    _check_in(client, facility_token(db, STATION), citizen.personal_id)
    body = _check_in(client, facility_token(db, HOSPITAL), citizen.personal_id).json()
    codes = {w["code"] for w in body["warnings"]}
    assert codes == {"deceased", "card_expired", "checked_in_elsewhere_today"}
    assert body["coverage"]["valid_today"] is False


def test_unknown_person_is_404_and_writes_nothing(
    client: TestClient, db: Session, facilities: None
) -> None:
    before = db.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))
    response = _check_in(client, facility_token(db), "004190000000")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "patient_not_found"
    after = db.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))
    assert before == after
