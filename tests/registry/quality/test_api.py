"""The data-quality JSON API under /api/v1/quality."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.fixtures import COMMUNE_A, COMMUNE_B, OfficerLogin, login
from tests.registry.quality.helpers import findings, id_inconsistent_pair, run


def test_provincial_officer_runs_lists_and_resolves(
    client: TestClient, db: Session, provincial_officer: OfficerLogin
) -> None:
    own, other = id_inconsistent_pair(db)
    csrf = login(client, provincial_officer)
    headers = {"X-CSRF-Token": csrf}
    created = client.post("/api/v1/quality/runs", headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["findings_new"] == body["findings_seen"] >= 2
    assert {r["rule"] for r in body["rules"]} >= {"id_inconsistent", "probable_duplicate"}

    summary = client.get("/api/v1/quality/summary").json()
    assert summary["open_by_rule"]["id_inconsistent"] == 2
    assert {c["commune_code"] for c in summary["communes"]} >= {COMMUNE_A, COMMUNE_B}
    assert summary["last_run"]["id"] == body["id"]

    listed = client.get(
        "/api/v1/quality/findings", params={"rule": "id_inconsistent", "commune": COMMUNE_B}
    ).json()
    assert listed["total"] == 1 and listed["items"][0]["subject_key"] == other.personal_id

    finding_id = findings(db, "id_inconsistent")[own.personal_id].id
    detail = client.get(f"/api/v1/quality/findings/{finding_id}").json()
    assert detail["rule"]["code"] == "id_inconsistent"
    assert [c["personal_id"] for c in detail["citizens"]] == [own.personal_id]

    resolved = client.post(
        f"/api/v1/quality/findings/{finding_id}/resolve",
        headers=headers,
        json={
            "resolution": "corrected",
            "note": "fixed",
            "corrections": {own.personal_id: {"sex": "M"}},
            "reason": "Sex mistyped",
            "legal_reference": "GKS 2/2026",
        },
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "corrected"
    db.refresh(own)
    assert own.sex == "M" and own.version == 2

    again = client.post(
        f"/api/v1/quality/findings/{finding_id}/resolve",
        headers=headers,
        json={"resolution": "false_positive", "note": "again"},
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"


def test_commune_officer_is_scoped_and_cannot_run(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    own, other = id_inconsistent_pair(db)
    run(db)
    other_id = findings(db, "id_inconsistent")[other.personal_id].id
    csrf = login(client, commune_officer)
    headers = {"X-CSRF-Token": csrf}
    refused = client.post("/api/v1/quality/runs", headers=headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    listed = client.get("/api/v1/quality/findings").json()
    assert {f["subject_key"] for f in listed["items"]} == {own.personal_id}
    assert client.get(f"/api/v1/quality/findings/{other_id}").status_code == 404
    resolve = client.post(
        f"/api/v1/quality/findings/{other_id}/resolve",
        headers=headers,
        json={"resolution": "false_positive", "note": "not mine"},
    )
    assert resolve.status_code == 404
    summary = client.get("/api/v1/quality/summary").json()
    assert [c["commune_code"] for c in summary["communes"]] == [COMMUNE_A]


def test_bad_requests_name_the_field(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    own, _ = id_inconsistent_pair(db)
    run(db)
    finding_id = findings(db, "id_inconsistent")[own.personal_id].id
    csrf = login(client, commune_officer)
    no_note = client.post(
        f"/api/v1/quality/findings/{finding_id}/resolve",
        headers={"X-CSRF-Token": csrf},
        json={"resolution": "false_positive", "note": ""},
    )
    assert no_note.status_code == 422 and no_note.json()["error"]["field"] == "note"
    bad_rule = client.get("/api/v1/quality/findings", params={"rule": "nope"})
    assert bad_rule.status_code == 422 and bad_rule.json()["error"]["field"] == "rule"
    no_csrf = client.post(
        f"/api/v1/quality/findings/{finding_id}/resolve",
        json={"resolution": "false_positive", "note": "x"},
    )
    assert no_csrf.status_code == 403


def test_auditor_has_no_access(client: TestClient, auditor: OfficerLogin) -> None:
    login(client, auditor)
    assert client.get("/api/v1/quality/summary").status_code == 403
    assert client.get("/quality").status_code == 403
