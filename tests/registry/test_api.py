"""Registry JSON API: officers by session cookie (+ CSRF header), systems by service token."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from oncegov.audit.models import AuditEntry
from oncegov.auth import service as auth
from oncegov.config import settings
from tests.fixtures import (
    CAO_BANG,
    COMMUNE_A,
    COMMUNE_B,
    OfficerLogin,
    login,
    make_citizen,
    make_household,
)

API = "/api/v1/registry"


def _error(response: Any) -> dict[str, Any]:
    body = response.json()
    assert "error" in body, body
    return dict(body["error"])


def _last_audit(db: Session) -> AuditEntry:
    entry = db.scalar(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))
    assert entry is not None
    return entry


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- officer session --------------------------------------------------------------------------


def test_search_by_name_without_diacritics(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    dung = make_citizen(db, full_name="Nông Văn Dũng", sex="M", birth_year=1985)
    make_citizen(db, full_name="Nông Văn Dũng", permanent_commune_code=COMMUNE_B)
    login(client, commune_officer)
    response = client.get(API + "/citizens", params={"q": "dung van nong 1985", "purpose": "x"})
    assert response.status_code == 200
    assert response.json() == [
        {
            "personal_id": dung.personal_id,
            "full_name": "Nông Văn Dũng",
            "date_of_birth": "1985-05-17",
            "sex": "M",
            "permanent_commune_code": COMMUNE_A,
            "status": "living",
        }
    ]


def test_purpose_is_required_for_reads(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    citizen = make_citizen(db)
    login(client, commune_officer)
    for path, params in (
        ("/citizens", {"q": "nong"}),
        (f"/citizens/{citizen.personal_id}", {}),
        (f"/citizens/{citizen.personal_id}/household", {}),
        (f"/citizens/{citizen.personal_id}/history", {}),
    ):
        response = client.get(API + path, params=params)
        assert response.status_code == 422, path
        assert [f["field"] for f in _error(response)["fields"]] == ["purpose"], path
    blank = client.get(API + f"/citizens/{citizen.personal_id}", params={"purpose": "  "})
    assert blank.status_code == 422
    assert _error(blank)["field"] == "purpose"


def test_get_citizen_household_and_history(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    head = make_citizen(db, full_name="Hoàng Văn Thụ", sex="M", birth_year=1950)
    make_household(db, "HK-API-1", head=head.personal_id)
    head.household_code = "HK-API-1"
    lone = make_citizen(db, full_name="Lý Văn Sơn")
    db.flush()
    login(client, commune_officer)
    record = client.get(API + f"/citizens/{head.personal_id}", params={"purpose": "Dossier 9"})
    assert record.status_code == 200
    body = record.json()
    assert (body["full_name"], body["household_code"], body["version"]) == (
        "Hoàng Văn Thụ",
        "HK-API-1",
        1,
    )
    entry = _last_audit(db)
    assert (entry.action, entry.purpose, entry.channel, entry.subject_personal_id) == (
        "registry.read",
        "Dossier 9",
        "api",
        head.personal_id,
    )
    household = client.get(API + f"/citizens/{head.personal_id}/household", params={"purpose": "x"})
    assert household.json()["code"] == "HK-API-1"
    assert [m["personal_id"] for m in household.json()["members"]] == [head.personal_id]
    none = client.get(API + f"/citizens/{lone.personal_id}/household", params={"purpose": "x"})
    assert none.status_code == 200 and none.json() is None
    history = client.get(API + f"/citizens/{head.personal_id}/history", params={"purpose": "x"})
    assert [(h["version"], h["reason"]) for h in history.json()] == [(1, "test data")]


def test_citizen_of_another_commune_is_404_like_a_nonexistent_one(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    elsewhere = make_citizen(db, permanent_commune_code=COMMUNE_B, current_commune_code=None)
    login(client, commune_officer)
    for suffix in ("", "/household", "/history"):
        other = client.get(
            API + f"/citizens/{elsewhere.personal_id}{suffix}", params={"purpose": "x"}
        )
        nobody = client.get(API + f"/citizens/004085999999{suffix}", params={"purpose": "x"})
        assert other.status_code == nobody.status_code == 404
        assert other.json() == nobody.json()


def test_patch_corrects_fields_and_history_shows_the_change(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    citizen = make_citizen(db, phone=None, email=None)
    csrf = login(client, commune_officer)
    response = client.patch(
        API + f"/citizens/{citizen.personal_id}",
        json={
            "changes": {"phone": "0912345678", "email": "dung@example.vn"},
            "reason": "Citizen's request",
            "legal_reference": "Đơn 7/2026",
        },
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 200, response.text
    assert (response.json()["version"], response.json()["phone"]) == (2, "0912345678")
    history = client.get(API + f"/citizens/{citizen.personal_id}/history", params={"purpose": "x"})
    latest = history.json()[0]
    assert latest["version"] == 2
    assert latest["changes"] == {"phone": [None, "0912345678"], "email": [None, "dung@example.vn"]}
    assert (latest["actor"], latest["source"], latest["legal_reference"]) == (
        f"officer:{commune_officer.username}",
        "edit",
        "Đơn 7/2026",
    )


def test_patch_rejects_invalid_values_naming_the_field(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    citizen = make_citizen(db)
    csrf = login(client, commune_officer)

    def patch(body: dict[str, Any]) -> Any:
        return client.patch(
            API + f"/citizens/{citizen.personal_id}", json=body, headers={"X-CSRF-Token": csrf}
        )

    bad_phone = patch({"changes": {"phone": "x"}, "reason": "r"})
    assert bad_phone.status_code == 422
    assert _error(bad_phone)["field"] == "phone"
    no_reason = patch({"changes": {"phone": "0912345678"}, "reason": ""})
    assert _error(no_reason)["field"] == "reason"
    no_op = patch({"changes": {"full_name": citizen.full_name}, "reason": "r"})
    assert _error(no_op)["field"] == "changes"
    immutable = patch({"changes": {"personal_id": "004085000001"}, "reason": "r"})
    assert _error(immutable)["field"] == "personal_id"


def test_patch_without_csrf_header_is_refused(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    citizen = make_citizen(db, phone=None)
    login(client, commune_officer)
    body = {"changes": {"phone": "0912345678"}, "reason": "r"}
    missing = client.patch(API + f"/citizens/{citizen.personal_id}", json=body)
    forged = client.patch(
        API + f"/citizens/{citizen.personal_id}", json=body, headers={"X-CSRF-Token": "forged"}
    )
    assert missing.status_code == forged.status_code == 403
    assert _error(missing)["code"] == "csrf_failed"
    db.refresh(citizen)
    assert (citizen.version, citizen.phone) == (1, None)


def test_match_finds_candidates_including_partial_birth_dates(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    year_only = make_citizen(
        db, full_name="Đàm Thị Hoa", sex="F", birth_year=1988, birth_month=None, birth_day=None
    )
    make_citizen(db, full_name="Đàm Thị Hoa", sex="F", birth_year=1989)
    csrf = login(client, commune_officer)
    response = client.post(
        API + "/match",
        json={"full_name": "Hoa Thi Dam", "date_of_birth": "1988-05-17", "purpose": "BHXH check"},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 200, response.text
    assert [c["personal_id"] for c in response.json()] == [year_only.personal_id]
    missing_purpose = client.post(
        API + "/match",
        json={"full_name": "Hoa Thi Dam", "date_of_birth": "1988"},
        headers={"X-CSRF-Token": csrf},
    )
    assert missing_purpose.status_code == 422
    assert [f["field"] for f in _error(missing_purpose)["fields"]] == ["purpose"]


# --- service tokens ---------------------------------------------------------------------------


def test_service_token_reads_within_its_scope_and_is_audited(
    client: TestClient, db: Session
) -> None:
    token = auth.create_service_token(
        db,
        name="bhxh-caobang",
        permissions=["registry.read"],
        scope_kind="province",
        scope_code=CAO_BANG,
    )
    citizen = make_citizen(db, full_name="Nông Văn Dũng")
    hanoi = make_citizen(db, permanent_commune_code="00070", current_commune_code="00070")
    ok = client.get(
        API + f"/citizens/{citizen.personal_id}",
        params={"purpose": "Insurance card"},
        headers=_bearer(token),
    )
    assert ok.status_code == 200
    entry = _last_audit(db)
    assert (entry.actor_kind, entry.actor_id, entry.channel, entry.purpose) == (
        "service",
        "bhxh-caobang",
        "api",
        "Insurance card",
    )
    outside = client.get(
        API + f"/citizens/{hanoi.personal_id}", params={"purpose": "x"}, headers=_bearer(token)
    )
    assert outside.status_code == 404
    # A bearer token needs no CSRF header, but a read-only one cannot write.
    write = client.patch(
        API + f"/citizens/{citizen.personal_id}",
        json={"changes": {"phone": "0912345678"}, "reason": "r"},
        headers=_bearer(token),
    )
    assert write.status_code == 403
    invalid = client.get(
        API + "/citizens", params={"q": "nong", "purpose": "x"}, headers=_bearer("og_nope")
    )
    assert invalid.status_code == 401


def test_service_token_with_write_permission_corrects_as_a_service(
    client: TestClient, db: Session
) -> None:
    token = auth.create_service_token(
        db,
        name="civil-status",
        permissions=["registry.read", "registry.write"],
        scope_kind="province",
        scope_code=CAO_BANG,
    )
    citizen = make_citizen(db)
    response = client.patch(
        API + f"/citizens/{citizen.personal_id}",
        json={
            "changes": {"status": "deceased", "date_of_death": "2026-01-02"},
            "reason": "Death registered",
            "legal_reference": "Trích lục khai tử 12/2026",
        },
        headers=_bearer(token),
    )
    assert response.status_code == 200, response.text
    history = client.get(
        API + f"/citizens/{citizen.personal_id}/history",
        params={"purpose": "x"},
        headers=_bearer(token),
    )
    assert (history.json()[0]["source"], history.json()[0]["actor"]) == (
        "service",
        "service:civil-status",
    )


# --- roles and limits -------------------------------------------------------------------------


def test_auditor_cannot_read_citizens_and_officers_cannot_read_the_audit_log(
    client: TestClient, db: Session, auditor: OfficerLogin, commune_officer: OfficerLogin
) -> None:
    citizen = make_citizen(db)
    login(client, auditor)
    denied = client.get(API + f"/citizens/{citizen.personal_id}", params={"purpose": "x"})
    assert denied.status_code == 403
    assert _error(denied)["code"] == "permission_denied"
    assert client.get("/api/v1/audit/entries").status_code == 200
    client.cookies.clear()
    login(client, commune_officer)
    assert client.get("/api/v1/audit/entries").status_code == 403


def test_unauthenticated_api_calls_get_401(client: TestClient) -> None:
    response = client.get(API + "/citizens", params={"q": "nong", "purpose": "x"})
    assert response.status_code == 401
    assert _error(response)["code"] == "not_authenticated"


def test_lookups_are_rate_limited(
    client: TestClient, db: Session, commune_officer: OfficerLogin, monkeypatch: pytest.MonkeyPatch
) -> None:
    citizen = make_citizen(db)
    monkeypatch.setattr(settings, "lookup_limit_per_minute", 2)
    login(client, commune_officer)
    params = {"purpose": "x"}
    assert client.get(API + f"/citizens/{citizen.personal_id}", params=params).status_code == 200
    assert client.get(API + "/citizens", params={"q": "nong", **params}).status_code == 200
    limited = client.get(API + f"/citizens/{citizen.personal_id}", params=params)
    assert limited.status_code == 429
    assert _error(limited)["code"] == "too_many_requests"


def test_openapi_lists_the_registry_and_audit_endpoints(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    assert set(paths["/api/v1/registry/citizens/{personal_id}"]) == {"get", "patch"}
    for path in (
        "/api/v1/registry/citizens",
        "/api/v1/registry/citizens/{personal_id}/household",
        "/api/v1/registry/citizens/{personal_id}/history",
        "/api/v1/registry/match",
        "/api/v1/audit/entries",
        "/api/v1/audit/verify",
    ):
        assert path in paths, path
    schemas = spec["components"]["schemas"]
    assert {
        "CitizenOut",
        "CitizenSummary",
        "HouseholdOut",
        "ChangeOut",
        "CitizenCorrection",
    } <= set(schemas)
    assert not any(p.startswith("/registry/") for p in paths)  # HTML pages are not API


def test_probing_unknown_numbers_uses_up_the_lookup_limit(
    client: TestClient, commune_officer: OfficerLogin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "lookup_limit_per_minute", 2)
    login(client, commune_officer)
    probes = [
        client.get(API + f"/citizens/00408599999{digit}", params={"purpose": "x"}).status_code
        for digit in range(3)
    ]
    assert probes == [404, 404, 429]
