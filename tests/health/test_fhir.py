"""The FHIR interface for hospital systems: every answer parsed back with the fhir.resources
R4B model of its type, and its content, stored check-ins and audit entries checked."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.coverage import Coverage
from fhir.resources.R4B.coverageeligibilityresponse import CoverageEligibilityResponse
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from oncegov.audit.models import AuditEntry
from oncegov.health.fhir import (
    CHECKIN_SYSTEM,
    INITIAL_CARE_EXTENSION,
    PERSONAL_ID_SYSTEM,
    SOCIAL_INSURANCE_SYSTEM,
    WARNING_EXTENSION,
)
from oncegov.health.models import CheckIn
from oncegov.kit import clock
from oncegov.registry.models import Citizen
from tests.fixtures import OfficerLogin, login, make_citizen
from tests.health.factories import (
    HOSPITAL,
    STATION,
    facility_token,
    make_card,
    make_facility,
    receptionist,
)

FHIR = "/api/v1/health/fhir"


@pytest.fixture
def facilities(db: Session) -> None:
    make_facility(db, HOSPITAL)
    make_facility(db, STATION, level="commune_health_station", name="Trạm Y tế")


@pytest.fixture
def token(db: Session, facilities: None) -> str:
    return facility_token(db, HOSPITAL)


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _get(client: TestClient, token: str, path: str, **params: str) -> Response:
    response: Response = client.get(f"{FHIR}{path}", params=params, headers=_auth(token))
    return response


def _eligibility_body(personal_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "CoverageEligibilityRequest",
        "id": "req-1",
        "status": "active",
        "purpose": ["validation", "benefits"],
        "patient": {"reference": f"Patient/{personal_id}"},
        "created": clock.today().isoformat(),
        "insurer": {"display": "Bảo hiểm xã hội Việt Nam"},
    }
    body.update(overrides)
    return body


def _post(client: TestClient, token: str, body: dict[str, Any]) -> Response:
    headers = {**_auth(token), "Content-Type": "application/fhir+json"}
    response: Response = client.post(
        f"{FHIR}/CoverageEligibilityRequest", json=body, headers=headers
    )
    return response


def _outcome(response: Response, status: int) -> OperationOutcome:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    outcome = OperationOutcome.model_validate_json(response.text)
    assert outcome.issue and outcome.issue[0].severity == "error"
    return outcome


def _error_code(outcome: OperationOutcome) -> str:
    details = outcome.issue[0].details
    assert details is not None and details.coding
    return str(details.coding[0].code)


def _bundle(response: Response) -> Bundle:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    bundle = Bundle.model_validate_json(response.text)
    assert bundle.type == "searchset"
    return bundle


def _audit(db: Session, citizen: Citizen, action: str) -> list[AuditEntry]:
    return list(
        db.scalars(
            select(AuditEntry).where(
                AuditEntry.subject_personal_id == citizen.personal_id, AuditEntry.action == action
            )
        )
    )


def _eligibility(response: Response) -> CoverageEligibilityResponse:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    return CoverageEligibilityResponse.model_validate_json(response.text)


# --- metadata ---------------------------------------------------------------------------------


def test_capability_statement_lists_exactly_what_is_supported(
    client: TestClient, token: str
) -> None:
    response = _get(client, token, "/metadata")
    assert response.status_code == 200
    statement = CapabilityStatement.model_validate_json(response.text)
    assert statement.fhirVersion == "4.0.1"
    assert statement.format == ["application/fhir+json"]
    assert statement.rest is not None
    resources = {r.type: r for r in statement.rest[0].resource or []}
    assert set(resources) == {"Patient", "Coverage", "CoverageEligibilityRequest"}
    patient = resources["Patient"]
    assert [i.code for i in patient.interaction or []] == ["search-type"]
    assert [p.name for p in patient.searchParam or []] == ["identifier"]
    assert [p.name for p in resources["Coverage"].searchParam or []] == ["beneficiary", "patient"]
    assert [i.code for i in resources["CoverageEligibilityRequest"].interaction or []] == ["create"]


# --- Patient ----------------------------------------------------------------------------------


def test_patient_found_by_exact_identifier_and_audited(
    client: TestClient, db: Session, token: str
) -> None:
    citizen = make_citizen(db, full_name="Hoàng Thị Mai", sex="F", birth_year=1990)
    response = _get(
        client, token, "/Patient", identifier=f"{PERSONAL_ID_SYSTEM}|{citizen.personal_id}"
    )
    bundle = _bundle(response)
    assert bundle.total == 1
    assert bundle.entry is not None and len(bundle.entry) == 1
    entry = bundle.entry[0]
    assert str(entry.fullUrl).endswith(f"{FHIR}/Patient/{citizen.personal_id}")
    assert entry.search is not None and entry.search.mode == "match"
    patient = entry.resource
    assert isinstance(patient, Patient)
    assert patient.id == citizen.personal_id
    assert patient.identifier is not None
    assert [(i.system, i.value) for i in patient.identifier] == [
        (PERSONAL_ID_SYSTEM, citizen.personal_id)
    ]
    assert patient.name is not None
    name = patient.name[0]
    assert (name.text, name.family, name.given) == ("Hoàng Thị Mai", "Hoàng", ["Thị", "Mai"])
    assert patient.gender == "female"
    assert str(patient.birthDate) == "1990-05-17"
    [entry_] = _audit(db, citizen, "health.fhir.patient")
    assert entry_.purpose == "medical examination"
    assert entry_.actor_agency == f"Cơ sở y tế {HOSPITAL}"


@pytest.mark.parametrize(("month", "day", "expected"), [(None, None, "1962"), (3, None, "1962-03")])
def test_partial_birth_dates_stay_partial(
    client: TestClient,
    db: Session,
    token: str,
    month: int | None,
    day: int | None,
    expected: str,
) -> None:
    citizen = make_citizen(db, sex="M", birth_year=1962, birth_month=month, birth_day=day)
    bundle = _bundle(
        _get(client, token, "/Patient", identifier=f"{PERSONAL_ID_SYSTEM}|{citizen.personal_id}")
    )
    assert bundle.entry is not None
    patient = bundle.entry[0].resource
    assert isinstance(patient, Patient)
    assert str(patient.birthDate) == expected
    assert patient.gender == "male"


def test_unknown_identifier_is_an_empty_searchset(client: TestClient, token: str) -> None:
    bundle = _bundle(
        _get(client, token, "/Patient", identifier=f"{PERSONAL_ID_SYSTEM}|004190000000")
    )
    assert bundle.total == 0
    assert not bundle.entry


@pytest.mark.parametrize(
    "params",
    [
        {"name": "Hoàng Thị Mai"},
        {"family": "Hoàng"},
        {"birthdate": "1990-05-17"},
        {"_id": "0041*"},
        {"identifier:text": "Mai"},
    ],
    ids=["name", "family", "birthdate", "_id", "modifier"],
)
def test_search_by_anything_but_the_identifier_is_forbidden(
    client: TestClient, db: Session, token: str, params: dict[str, str]
) -> None:
    citizen = make_citizen(db, full_name="Hoàng Thị Mai")
    both = {"identifier": f"{PERSONAL_ID_SYSTEM}|{citizen.personal_id}", **params}
    for query in (params, both):
        outcome = _outcome(_get(client, token, "/Patient", **query), 403)
        assert outcome.issue[0].code == "forbidden"
        assert _error_code(outcome) == "fhir_search_refused"
    assert _audit(db, citizen, "health.fhir.patient") == []


def test_malformed_identifier_searches_are_bad_requests(
    client: TestClient, db: Session, token: str
) -> None:
    number = make_citizen(db).personal_id
    assert _error_code(_outcome(_get(client, token, "/Patient"), 400)) == "fhir_search_invalid"
    for value in (
        number,  # no system
        f"|{number}",  # explicitly no system
        f"urn:oid:2.16.840.1.113883.4.1|{number}",  # another system
        f"{PERSONAL_ID_SYSTEM}|{number},004190000000",  # a list
    ):
        _outcome(_get(client, token, "/Patient", identifier=value), 400)
    twice = client.get(
        f"{FHIR}/Patient",
        params=[("identifier", f"{PERSONAL_ID_SYSTEM}|{number}")] * 2,
        headers=_auth(token),
    )
    _outcome(twice, 400)
    # Not a personal ID at all: the domain's own refusal, as an OperationOutcome.
    bad = _get(client, token, "/Patient", identifier=f"{PERSONAL_ID_SYSTEM}|12345")
    assert _error_code(_outcome(bad, 422)) == "personal_id_invalid"


def test_a_receptionist_session_can_search(
    client: TestClient, db: Session, facilities: None
) -> None:
    citizen = make_citizen(db)
    login(client, receptionist(db, STATION))
    response = client.get(
        f"{FHIR}/Patient", params={"identifier": f"{PERSONAL_ID_SYSTEM}|{citizen.personal_id}"}
    )
    assert _bundle(response).total == 1
    [entry] = _audit(db, citizen, "health.fhir.patient")
    assert entry.actor_agency == "Trạm Y tế"


# --- Coverage ---------------------------------------------------------------------------------


def test_coverage_of_the_patient(client: TestClient, db: Session, token: str) -> None:
    citizen = make_citizen(db)
    card = make_card(db, citizen, benefit_level=95, beneficiary_group="HT")
    for param, value in (
        ("beneficiary", f"Patient/{citizen.personal_id}"),
        ("patient", f"Patient/{citizen.personal_id}"),
        ("beneficiary", citizen.personal_id),
    ):
        bundle = _bundle(_get(client, token, "/Coverage", **{param: value}))
        assert bundle.total == 1 and bundle.entry is not None
        coverage = bundle.entry[0].resource
        assert isinstance(coverage, Coverage)
        assert coverage.id == card.social_insurance_code
        assert coverage.status == "active"
        assert coverage.identifier is not None
        assert (coverage.identifier[0].system, coverage.identifier[0].value) == (
            SOCIAL_INSURANCE_SYSTEM,
            card.social_insurance_code,
        )
        assert coverage.identifier[1].value == citizen.personal_id  # the card number
        assert coverage.beneficiary.reference == f"Patient/{citizen.personal_id}"
        assert [p.display for p in coverage.payor] == ["Bảo hiểm xã hội Việt Nam"]
        assert coverage.period is not None
        assert (coverage.period.start, coverage.period.end) == (card.valid_from, card.valid_to)
        classes = {
            c.type.coding[0].code: c.value for c in coverage.class_fhir or [] if c.type.coding
        }
        assert classes == {"group": "HT", "plan": "95"}
        [cost] = coverage.costToBeneficiary or []
        assert cost.type is not None and cost.type.coding is not None
        assert cost.type.coding[0].code == "copaypct"
        assert cost.valueQuantity is not None and cost.valueQuantity.value == 5
    entries = _audit(db, citizen, "health.fhir.coverage")
    assert len(entries) == 3
    assert {e.purpose for e in entries} == {"medical examination"}


def test_a_locked_card_is_cancelled_and_no_card_is_an_empty_searchset(
    client: TestClient, db: Session, token: str
) -> None:
    locked = make_citizen(db)
    make_card(db, locked, status="locked", locked_reason="suspended")
    bundle = _bundle(_get(client, token, "/Coverage", beneficiary=f"Patient/{locked.personal_id}"))
    assert bundle.entry is not None
    coverage = bundle.entry[0].resource
    assert isinstance(coverage, Coverage) and coverage.status == "cancelled"
    uninsured = make_citizen(db)
    empty = _bundle(
        _get(client, token, "/Coverage", beneficiary=f"Patient/{uninsured.personal_id}")
    )
    assert empty.total == 0 and not empty.entry
    unknown = _bundle(_get(client, token, "/Coverage", patient="Patient/004190000000"))
    assert unknown.total == 0


def test_coverage_search_by_anything_else_is_refused(
    client: TestClient, db: Session, token: str
) -> None:
    citizen = make_citizen(db)
    make_card(db, citizen)
    for params in (
        {"beneficiary.name": "Nông"},
        {"payor": "Organization/1"},
        {"status": "active"},
    ):
        _outcome(_get(client, token, "/Coverage", **params), 403)
    _outcome(_get(client, token, "/Coverage"), 400)
    _outcome(_get(client, token, "/Coverage", beneficiary=f"Group/{citizen.personal_id}"), 400)
    both = _get(
        client,
        token,
        "/Coverage",
        beneficiary=f"Patient/{citizen.personal_id}",
        patient=f"Patient/{citizen.personal_id}",
    )
    _outcome(both, 400)
    assert _audit(db, citizen, "health.fhir.coverage") == []


# --- CoverageEligibilityRequest: the check-in -------------------------------------------------


def _benefits(answer: CoverageEligibilityResponse) -> dict[str, int]:
    assert answer.insurance is not None
    items = answer.insurance[0].item or []
    return {
        str(b.type.coding[0].code): int(b.allowedUnsignedInt or 0)
        for item in items
        for b in item.benefit or []
        if b.type.coding
    }


def test_eligibility_request_checks_the_patient_in(
    client: TestClient, db: Session, token: str
) -> None:
    citizen = make_citizen(db)
    card = make_card(db, citizen, benefit_level=95)
    answer = _eligibility(_post(client, token, _eligibility_body(citizen.personal_id)))
    assert answer.status == "active"
    assert answer.outcome == "complete"
    assert answer.purpose == ["validation", "benefits"]
    assert answer.patient.reference == f"Patient/{citizen.personal_id}"
    assert answer.request.reference == "CoverageEligibilityRequest/req-1"
    assert answer.insurer.display == "Bảo hiểm xã hội Việt Nam"
    assert answer.requestor is not None and answer.requestor.identifier is not None
    assert answer.requestor.identifier.value == HOSPITAL
    assert answer.servicedDate == clock.today()
    assert not answer.extension  # no warnings
    assert answer.insurance is not None
    [insurance] = answer.insurance
    assert insurance.inforce is True
    assert insurance.coverage.reference == f"Coverage/{card.social_insurance_code}"
    assert insurance.benefitPeriod is not None
    assert insurance.benefitPeriod.end == card.valid_to
    assert _benefits(answer) == {"benefit-level": 95, "copay-percent": 5}
    assert [(e.url, e.valueBoolean) for e in insurance.extension or []] == [
        (INITIAL_CARE_EXTENSION, True)
    ]
    # The check-in is stored for the caller's facility, with its audit entry.
    assert answer.identifier is not None
    assert answer.identifier[0].system == CHECKIN_SYSTEM
    visit = db.get(CheckIn, int(str(answer.identifier[0].value)))
    assert visit is not None
    assert (visit.facility_code, visit.personal_id, visit.method) == (
        HOSPITAL,
        citizen.personal_id,
        "personal_id",
    )
    assert visit.benefit_level == 95
    entry = db.scalar(select(AuditEntry).where(AuditEntry.seq == visit.audit_seq))
    assert entry is not None
    assert (entry.action, entry.purpose, entry.subject_personal_id) == (
        "health.checkin",
        "medical examination",
        citizen.personal_id,
    )


def test_an_expired_card_is_not_in_force_and_warned(
    client: TestClient, db: Session, token: str
) -> None:
    today = clock.today()
    citizen = make_citizen(db)
    make_card(
        db,
        citizen,
        valid_from=today - dt.timedelta(days=400),
        valid_to=today - dt.timedelta(days=1),
    )
    body = _eligibility_body(
        citizen.personal_id,
        patient={"identifier": {"system": PERSONAL_ID_SYSTEM, "value": citizen.personal_id}},
        purpose=["validation"],
    )
    del body["id"]
    client.cookies.set("oncegov_lang", "en")
    answer = _eligibility(_post(client, token, body))
    assert answer.insurance is not None
    assert answer.insurance[0].inforce is False
    assert answer.purpose == ["validation"]
    assert answer.disposition == "Checked in; the health-insurance card is not valid today"
    warnings = [
        e.valueCoding.code
        for e in answer.extension or []
        if e.url == WARNING_EXTENSION and e.valueCoding
    ]
    assert warnings == ["card_expired"]
    # Without an id, the request is identified by the check-in it became.
    assert answer.request.reference is None
    assert answer.request.identifier is not None
    assert answer.request.identifier.system == CHECKIN_SYSTEM


def test_a_locked_card_is_not_in_force(client: TestClient, db: Session, token: str) -> None:
    citizen = make_citizen(db)
    make_card(db, citizen, status="locked")
    answer = _eligibility(_post(client, token, _eligibility_body(citizen.personal_id)))
    assert answer.insurance is not None and answer.insurance[0].inforce is False
    codes = {e.valueCoding.code for e in answer.extension or [] if e.valueCoding}
    assert codes == {"card_locked"}


def test_no_card_answers_without_insurance(client: TestClient, db: Session, token: str) -> None:
    citizen = make_citizen(db)
    answer = _eligibility(_post(client, token, _eligibility_body(citizen.personal_id)))
    assert not answer.insurance
    assert {e.valueCoding.code for e in answer.extension or [] if e.valueCoding} == {"no_card"}


def test_each_facility_sees_only_its_own_check_in(
    client: TestClient, db: Session, facilities: None
) -> None:
    citizen = make_citizen(db)
    make_card(db, citizen)  # initial care at the hospital
    station = facility_token(db, STATION)
    hospital = facility_token(db, HOSPITAL)
    answer = _eligibility(_post(client, station, _eligibility_body(citizen.personal_id)))
    assert answer.requestor is not None and answer.requestor.display == "Trạm Y tế"
    assert answer.insurance is not None
    assert [e.valueBoolean for e in answer.insurance[0].extension or []] == [False]
    visits = db.scalars(select(CheckIn).where(CheckIn.personal_id == citizen.personal_id)).all()
    assert [v.facility_code for v in visits] == [STATION]
    assert answer.identifier is not None
    checkin_id = answer.identifier[0].value
    # The hospital does not see the station's visit ...
    seen = client.get(f"/api/v1/health/checkins/{checkin_id}", headers=_auth(hospital))
    assert seen.status_code == 404
    # ... and its own eligibility call is its own visit, warned of the other.
    again = _eligibility(_post(client, hospital, _eligibility_body(citizen.personal_id)))
    codes = {e.valueCoding.code for e in again.extension or [] if e.valueCoding}
    assert codes == {"checked_in_elsewhere_today"}
    visits = db.scalars(select(CheckIn).where(CheckIn.personal_id == citizen.personal_id)).all()
    assert sorted(v.facility_code for v in visits) == sorted([STATION, HOSPITAL])


def test_unknown_patient_is_404_and_nothing_is_stored(
    client: TestClient, db: Session, token: str
) -> None:
    outcome = _outcome(_post(client, token, _eligibility_body("004190000000")), 404)
    assert outcome.issue[0].code == "not-found"
    assert _error_code(outcome) == "patient_not_found"
    assert db.scalars(select(CheckIn).where(CheckIn.personal_id == "004190000000")).all() == []


@pytest.mark.parametrize(
    "change",
    [
        {"patient": None},  # required
        {"insurer": None},  # required
        {"status": "bogus"},
        {"purpose": ["everything"]},
        {"resourceType": "Patient"},
        {"unknownElement": 1},
    ],
    ids=["no-patient", "no-insurer", "status", "purpose", "resource-type", "extra"],
)
def test_an_invalid_resource_is_400(
    client: TestClient, db: Session, token: str, change: dict[str, Any]
) -> None:
    citizen = make_citizen(db)
    body = {
        k: v
        for k, v in {**_eligibility_body(citizen.personal_id), **change}.items()
        if v is not None
    }
    outcome = _outcome(_post(client, token, body), 400)
    assert outcome.issue[0].code == "invalid"
    assert _error_code(outcome) == "fhir_resource_invalid"
    assert db.scalars(select(CheckIn).where(CheckIn.personal_id == citizen.personal_id)).all() == []


def test_not_json_is_400_and_another_media_type_415(client: TestClient, token: str) -> None:
    response = client.post(
        f"{FHIR}/CoverageEligibilityRequest",
        content=b"{not json",
        headers={**_auth(token), "Content-Type": "application/fhir+json"},
    )
    _outcome(response, 400)
    response = client.post(
        f"{FHIR}/CoverageEligibilityRequest",
        content=b"<CoverageEligibilityRequest/>",
        headers={**_auth(token), "Content-Type": "application/fhir+xml"},
    )
    _outcome(response, 415)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"purpose": ["discovery"]}, "fhir_not_supported"),
        ({"status": "draft"}, "fhir_not_supported"),
        ({"servicedDate": "2020-01-01"}, "fhir_not_supported"),
        ({"patient": {"reference": "Group/7"}}, "fhir_not_supported"),
        ({"patient": {"identifier": {"system": "urn:other", "value": "1"}}}, "fhir_not_supported"),
        ({"patient": {"reference": "Patient/12345"}}, "personal_id_invalid"),
    ],
    ids=["discovery", "draft", "other-day", "not-a-patient", "other-system", "bad-id"],
)
def test_valid_but_unsupported_requests_are_422(
    client: TestClient, db: Session, token: str, change: dict[str, Any], code: str
) -> None:
    citizen = make_citizen(db)
    body = {**_eligibility_body(citizen.personal_id), **change}
    assert _error_code(_outcome(_post(client, token, body), 422)) == code
    assert db.scalars(select(CheckIn).where(CheckIn.personal_id == citizen.personal_id)).all() == []


# --- who may call -----------------------------------------------------------------------------

ROUTES = [
    ("GET", "/metadata"),
    ("GET", "/Patient"),
    ("GET", "/Coverage"),
    ("POST", "/CoverageEligibilityRequest"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_anonymous_is_401(client: TestClient, facilities: None, method: str, path: str) -> None:
    response = client.request(method, f"{FHIR}{path}")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_an_officer_without_health_checkin_is_403(
    client: TestClient,
    db: Session,
    facilities: None,
    commune_officer: OfficerLogin,
    method: str,
    path: str,
) -> None:
    citizen = make_citizen(db)
    csrf = login(client, commune_officer)  # may read the registry, not check patients in
    response = client.request(
        method,
        f"{FHIR}{path}",
        params={"identifier": f"{PERSONAL_ID_SYSTEM}|{citizen.personal_id}"}
        if path == "/Patient"
        else None,
        json=_eligibility_body(citizen.personal_id) if method == "POST" else None,
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert _audit(db, citizen, "health.fhir.patient") == []


def test_a_token_without_health_checkin_is_403(
    client: TestClient, db: Session, facilities: None
) -> None:
    from oncegov.auth import service as auth
    from oncegov.auth.roles import HEALTH_STATS

    stats_token = auth.create_service_token(
        db, name="stats-only", permissions=[HEALTH_STATS], scope_kind="agency", scope_code=HOSPITAL
    )
    response = _get(client, stats_token, "/metadata")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
