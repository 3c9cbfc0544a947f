"""Check-in by chip ID-card QR and by eID QR, warnings from the identity domain, and the
access limits of a facility's credentials."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from oncegov.config import settings
from oncegov.health.models import CheckIn
from oncegov.identity.accounts.qr import issue_checkin_token
from oncegov.kit import clock
from oncegov.kit.chip_qr import ChipQr, render
from oncegov.registry.models import Citizen
from tests.fixtures import make_citizen, make_eid_account
from tests.health.factories import HOSPITAL, STATION, facility_token, make_card, make_facility


@pytest.fixture
def token(db: Session) -> str:
    make_facility(db, HOSPITAL)
    make_facility(db, STATION, level="commune_health_station")
    return facility_token(db, HOSPITAL)


def _post(client: TestClient, token: str, method: str, value: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/health/checkins",
        json={"method": method, "value": value},
        headers={"Authorization": f"Bearer {token}"},
    )


def _qr_of(citizen: Citizen, **overrides: object) -> str:
    fields: dict[str, object] = {
        "personal_id": citizen.personal_id,
        "old_id_number": citizen.old_id_number,
        "full_name": citizen.full_name,
        "date_of_birth": dt.date(
            citizen.birth_year, citizen.birth_month or 1, citizen.birth_day or 1
        ),
        "sex": citizen.sex,
        "address": f"{citizen.permanent_address}, Phường Thục Phán, Cao Bằng",
        "date_of_issue": dt.date(2022, 3, 4),
    }
    fields.update(overrides)
    return render(ChipQr(**fields))  # type: ignore[arg-type]


def test_chip_qr_that_agrees_with_the_registry_has_no_warning(
    client: TestClient, db: Session, token: str
) -> None:
    citizen = make_citizen(db, full_name="Lục Văn Tuấn", sex="M", old_id_number="085123456")
    make_card(db, citizen)
    body = _post(client, token, "chip_qr", _qr_of(citizen)).json()
    assert body["method"] == "chip_qr"
    assert body["patient"]["full_name"] == "Lục Văn Tuấn"
    assert body["warnings"] == []


def test_chip_qr_fields_that_disagree_are_warnings_not_silently_accepted(
    client: TestClient, db: Session, token: str
) -> None:
    citizen = make_citizen(db, full_name="Lục Văn Tuấn", sex="M", old_id_number="085123456")
    make_card(db, citizen)
    qr = _qr_of(citizen, full_name="Lục Văn Tuân", old_id_number="085999999", address="Hà Nội")
    body = _post(client, token, "chip_qr", qr).json()
    codes = {w["code"] for w in body["warnings"]}
    assert codes == {"qr_full_name", "qr_old_id_number", "qr_address"}
    assert body["patient"]["full_name"] == "Lục Văn Tuấn"  # the registry's, not the QR's


@pytest.mark.parametrize(
    ("text", "qr_field"),
    [
        ("004085000001|||", "text"),
        ("00408500000|085123456|A|17051985|Nam|Tổ 3|04032022", "personal_id"),
        ("004085000001|08512345|A B|17051985|Nam|Tổ 3|04032022", "old_id_number"),
        ("004085000001||A B|31021985|Nam|Tổ 3|04032022", "date_of_birth"),
        ("004085000001||A B|17051985|Khác|Tổ 3|04032022", "sex"),
        ("004085000001||A B|17051985|Nam|Tổ 3|04032012", "date_of_issue"),
    ],
)
def test_malformed_chip_qr_is_refused_naming_the_field(
    client: TestClient, token: str, text: str, qr_field: str
) -> None:
    response = _post(client, token, "chip_qr", text)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "chip_qr_invalid"
    assert error["params"]["qr_field"] == qr_field


def test_eid_qr_checks_in_the_token_holder(client: TestClient, db: Session, token: str) -> None:
    citizen = make_citizen(db)
    make_card(db, citizen)
    account = make_eid_account(db, citizen)
    qr = issue_checkin_token(db, account).token
    body = _post(client, token, "eid_qr", qr).json()
    assert body["method"] == "eid_qr"
    assert body["patient"]["personal_id"] == citizen.personal_id


def test_expired_or_forged_eid_qr_is_refused(client: TestClient, db: Session, token: str) -> None:
    citizen = make_citizen(db)
    account = make_eid_account(db, citizen)
    old = clock.now() - dt.timedelta(seconds=settings.eid_qr_seconds + 60)
    expired = issue_checkin_token(db, account, now=old).token
    response = _post(client, token, "eid_qr", expired)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "eid_qr_expired"
    head, payload, signature = issue_checkin_token(db, account).token.split(".")
    forged = ".".join(
        [head, payload, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")]
    )
    assert _post(client, token, "eid_qr", forged).json()["error"]["code"] == "eid_qr_bad_signature"


def test_locked_eid_and_locked_card_are_warnings(
    client: TestClient, db: Session, token: str
) -> None:
    citizen = make_citizen(db)
    make_card(db, citizen, status="locked", locked_reason="Cấp trùng")
    make_eid_account(db, citizen, status="locked")
    body = _post(client, token, "personal_id", citizen.personal_id).json()
    assert {w["code"] for w in body["warnings"]} == {"card_locked", "eid_locked"}


def test_not_yet_valid_and_no_card(client: TestClient, db: Session, token: str) -> None:
    future = make_citizen(db)
    today = clock.today()
    make_card(
        db, future, valid_from=today + dt.timedelta(days=3), valid_to=today + dt.timedelta(days=300)
    )
    uninsured = make_citizen(db)
    first = _post(client, token, "personal_id", future.personal_id).json()
    second = _post(client, token, "personal_id", uninsured.personal_id).json()
    assert [w["code"] for w in first["warnings"]] == ["card_not_yet_valid"]
    assert [w["code"] for w in second["warnings"]] == ["no_card"]
    assert second["coverage"] is None


def test_initial_care_elsewhere_is_reported(client: TestClient, db: Session, token: str) -> None:
    citizen = make_citizen(db)
    make_card(db, citizen, initial_care_facility_code=STATION)
    assert (
        _post(client, token, "personal_id", citizen.personal_id).json()["initial_care_here"]
        is False
    )


# --- access limits ------------------------------------------------------------------------


def test_a_facility_token_cannot_search_or_list_the_registry(
    client: TestClient, token: str
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    for url in (
        "/api/v1/citizens?q=Nông",
        "/api/v1/citizens/004085000001",
        "/api/v1/health/statistics?since=2026-01-01&until=2026-01-31",
    ):
        response = client.get(url, headers=headers)
        assert response.status_code in (403, 404), url
        if response.status_code == 403:
            assert response.json()["error"]["code"] == "permission_denied"


def test_a_facility_cannot_read_another_facilitys_checkin(
    client: TestClient, db: Session, token: str
) -> None:
    citizen = make_citizen(db)
    station = facility_token(db, STATION)
    visit = _post(client, station, "personal_id", citizen.personal_id).json()["checkin_id"]
    own = client.get(
        f"/api/v1/health/checkins/{visit}", headers={"Authorization": f"Bearer {station}"}
    )
    assert own.status_code == 200
    other = client.get(
        f"/api/v1/health/checkins/{visit}", headers={"Authorization": f"Bearer {token}"}
    )
    assert other.status_code == 404


def test_a_token_bound_to_no_facility_is_refused(
    client: TestClient, db: Session, token: str
) -> None:
    from oncegov.auth import service as auth

    loose = auth.create_service_token(
        db, name="loose", permissions=["health.checkin"], scope_kind="province", scope_code="04"
    )
    response = _post(client, loose, "personal_id", make_citizen(db).personal_id)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "facility_unknown"


def test_per_facility_rate_limit(
    client: TestClient, db: Session, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "health_checkin_limit_per_minute", 2)
    citizen = make_citizen(db)
    answers = [
        _post(client, token, "personal_id", citizen.personal_id).status_code for _ in range(3)
    ]
    assert answers == [200, 200, 429]
    other = facility_token(db, STATION)
    assert _post(client, other, "personal_id", citizen.personal_id).status_code == 200
    assert db.query(CheckIn).filter_by(personal_id=citizen.personal_id).count() == 2


def test_a_revoked_token_is_refused(client: TestClient, db: Session, token: str) -> None:
    from oncegov.auth import service as auth
    from oncegov.auth.models import ServiceToken

    citizen = make_citizen(db)
    assert _post(client, token, "personal_id", citizen.personal_id).status_code == 200
    name = db.query(ServiceToken).filter(ServiceToken.scope_code == HOSPITAL).one().name
    assert auth.revoke_service_token(db, name)
    assert _post(client, token, "personal_id", citizen.personal_id).status_code == 401


def test_remaining_warnings_missing_person_revoked_eid_and_qr_fields(
    client: TestClient, db: Session, token: str
) -> None:
    from oncegov.identity.cards.models import IdCardApplication

    citizen = make_citizen(db, status="missing", sex="F", birth_year=1985)
    make_card(db, citizen)
    make_eid_account(db, citizen, status="revoked")
    card = db.query(IdCardApplication).filter_by(personal_id=citizen.personal_id).first()
    assert card is None  # no card on record: the date of issue cannot be checked, no warning
    qr = _qr_of(citizen, date_of_birth=dt.date(1985, 5, 18), sex="M")
    body = _post(client, token, "chip_qr", qr).json()
    assert {w["code"] for w in body["warnings"]} == {
        "missing",
        "eid_revoked",
        "qr_date_of_birth",
        "qr_sex",
    }


def test_a_date_of_issue_that_matches_no_produced_card_is_a_warning(db: Session) -> None:
    from oncegov.health.service import _qr_mismatches
    from oncegov.kit.chip_qr import parse
    from oncegov.registry.schemas import VisitIdentity

    citizen = make_citizen(db)
    qr = parse(_qr_of(citizen), today=clock.today())
    identity = VisitIdentity(
        citizen.personal_id,
        citizen.full_name,
        citizen.birth_year,
        citizen.birth_month,
        citizen.birth_day,
        citizen.sex,
        citizen.status,
        citizen.old_id_number,
        citizen.permanent_address,
        citizen.permanent_commune_code,
    )
    # cards produced on other days: the QR's date of issue fits none of them
    assert _qr_mismatches(qr, identity, {dt.date(2023, 1, 2)}) == ["qr_date_of_issue"]
    assert _qr_mismatches(qr, identity, {qr.date_of_issue}) == []
    assert _qr_mismatches(qr, identity, None) == []  # no card on record: nothing to compare


def test_a_wrong_token_repeated_is_refused_without_a_query(
    client: TestClient, db: Session, token: str
) -> None:
    from sqlalchemy import event

    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    wrong = "og_" + "x" * 43
    first = _post(client, wrong, "personal_id", "004085000001")
    assert first.status_code == 401
    connection = db.connection()
    event.listen(connection, "before_cursor_execute", count)
    try:
        for _ in range(5):
            again = _post(client, wrong, "personal_id", "004085000001")
            assert again.status_code == 401
            assert again.json()["error"]["code"] == "invalid_token"
    finally:
        event.remove(connection, "before_cursor_execute", count)
    assert statements == []
