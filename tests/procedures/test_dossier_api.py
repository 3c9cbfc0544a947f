"""The portal's JSON API: bearer access tokens of OnceGov's provider, RFC 9470 step-up, the
pre-filled form, the one-call idempotent submission with files, and the citizen's dossiers."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oncegov.audit.models import AuditEntry
from oncegov.config import settings
from oncegov.integrations.models import OutboxMessage
from oncegov.procedures.dossiers.models import Dossier, DossierDocument
from tests.fixtures import COMMUNE_A, make_citizen, portal_access_token
from tests.kit.test_uploads import small_pdf
from tests.procedures.dossier_helpers import TEMPORARY_RESIDENCE, TYPED, load

PROOF = 3  # "Papers proving the lawful place of residence": still required


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _submit(client: TestClient, token: str, key: str, **extra: object):
    data = {"procedure": TEMPORARY_RESIDENCE, "values": json.dumps(TYPED), "commune": COMMUNE_A}
    files = extra.pop("files", None)
    data.update(extra)  # type: ignore[arg-type]
    return client.post(
        "/api/v1/portal/dossiers",
        data=data,
        files=files,
        headers={**_bearer(token), "Idempotency-Key": key},
    )


def test_without_a_live_token_the_api_answers_401_with_a_bearer_challenge(
    client: TestClient, db: Session
) -> None:
    load(db)
    for headers in ({}, {"Authorization": "Basic eA=="}):
        response = client.get(
            f"/api/v1/portal/procedures/{TEMPORARY_RESIDENCE}/form", headers=headers
        )
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["error"]["code"] == "not_authenticated"
    for headers in ({"Authorization": "Bearer not-a-token"},):
        response = client.get(
            f"/api/v1/portal/procedures/{TEMPORARY_RESIDENCE}/form", headers=headers
        )
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
        assert response.json()["error"]["code"] == "invalid_token"


def test_a_level_one_token_is_told_to_step_up(client: TestClient, db: Session) -> None:
    load(db)
    token = portal_access_token(db, make_citizen(db), level=1)
    response = client.get(
        f"/api/v1/portal/procedures/{TEMPORARY_RESIDENCE}/form", headers=_bearer(token)
    )
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert 'error="insufficient_user_authentication"' in challenge
    assert 'acr_values="urn:vn:eid:level:2"' in challenge
    assert _submit(client, token, "key-level-one").status_code == 401
    assert db.scalar(select(func.count()).select_from(Dossier)) == 0


def test_the_form_opens_prefilled_with_sources_and_each_read_is_audited(
    client: TestClient, db: Session
) -> None:
    load(db)
    citizen = make_citizen(db, full_name="Nguyễn Thị Hằng", phone="0912345678")
    token = portal_access_token(db, citizen)
    response = client.get(
        f"/api/v1/portal/procedures/{TEMPORARY_RESIDENCE}/form", headers=_bearer(token)
    )
    assert response.status_code == 200, response.text
    fields = {f["key"]: f for f in response.json()["fields"]}
    assert fields["full_name"] == {
        **fields["full_name"],
        "value": "Nguyễn Thị Hằng",
        "source": "registry:full_name",
        "locked": True,
    }
    assert fields["personal_id"]["value"] == citizen.personal_id
    assert fields["temporary_address"]["locked"] is False
    assert fields["temporary_address"]["value"] is None
    assert fields["lawful_residence_proof"]["source"] == "exchange:land.ownership"
    reads = db.scalars(
        select(AuditEntry).where(AuditEntry.subject_personal_id == citizen.personal_id)
    ).all()
    assert [r.purpose for r in reads if r.action == "registry.read"] == [
        f"procedure {TEMPORARY_RESIDENCE}"
    ]


def test_one_call_submits_with_a_file_and_a_retry_returns_the_same_dossier(
    client: TestClient, db: Session, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "file_store_dir", tmp_path)
    load(db)
    citizen = make_citizen(db, full_name="Nguyễn Thị Hằng", phone="0912345678")
    token = portal_access_token(db, citizen)
    pdf = small_pdf()
    files = [("file", ("hop-dong.pdf", pdf, "application/pdf"))]
    first = _submit(client, token, "key-api-0001", document=str(PROOF), files=files)
    assert first.status_code == 201, first.text
    body = first.json()
    assert re.fullmatch(rf"X{COMMUNE_A}-\d{{6}}-0001", body["code"])
    assert first.headers["location"] == f"/api/v1/portal/dossiers/{body['code']}"
    assert body["state"] == "received" and body["channel"] == "online"
    again = _submit(client, token, "key-api-0001", document=str(PROOF), files=files)
    assert again.status_code == 200 and again.json() == body
    dossier = db.scalars(select(Dossier)).one()
    assert dossier.form["full_name"] == {"value": "Nguyễn Thị Hằng", "source": "registry:full_name"}
    assert dossier.form["temporary_address"]["value"] == TYPED["temporary_address"]
    document = db.scalars(select(DossierDocument)).one()
    assert (document.dossier_id, document.document) == (dossier.id, PROOF)
    assert document.sha256 == hashlib.sha256(pdf).hexdigest()
    assert document.draft_id is None  # the one-call draft is gone with the submission
    keys = db.scalars(select(OutboxMessage.key)).all()
    assert keys and all(k.startswith(f"dossier:{dossier.id}:event:1:") for k in keys)
    assert len(keys) == len(set(keys))
    submitted = db.scalars(select(AuditEntry).where(AuditEntry.action == "dossier.submit")).all()
    assert [a.subject_personal_id for a in submitted] == [citizen.personal_id]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"values": "[1, 2]"}, "values"),
        ({"values": "{not json"}, "values"),
        ({"values": json.dumps({**TYPED, "stay_until": 5})}, "values.stay_until"),
        (
            {"values": json.dumps({k: v for k, v in TYPED.items() if k != "stay_until"})},
            "stay_until",
        ),
        ({"commune": "99999"}, "commune"),
        ({"procedure": "9.999999"}, None),
        ({"document": "0", "files": None}, "document"),
        ({"document": "77"}, "document"),
    ],
)
def test_a_refused_submission_names_its_field_and_writes_nothing(
    client: TestClient, db: Session, change: dict[str, object], field: str | None
) -> None:
    load(db)
    token = portal_access_token(db, make_citizen(db))
    response = _submit(client, token, "key-refused", **change)
    assert response.status_code in (404, 422), response.text
    error = response.json()["error"]
    if field is not None:
        assert error["field"] == field or field in {
            p.get("field") for p in error.get("problems", [])
        }
    assert db.scalar(select(func.count()).select_from(Dossier)) == 0
    assert db.scalar(select(func.count()).select_from(DossierDocument)) == 0


def test_a_file_that_is_not_what_it_claims_is_refused(
    client: TestClient, db: Session, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "file_store_dir", tmp_path)
    load(db)
    token = portal_access_token(db, make_citizen(db))
    fake = [("file", ("hop-dong.pdf", b"MZ\x90\x00" + b"\x00" * 64, "application/pdf"))]
    response = _submit(client, token, "key-fake-file", document=str(PROOF), files=fake)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "file"
    assert db.scalar(select(func.count()).select_from(Dossier)) == 0


def test_the_citizen_follows_their_dossiers_and_nobody_else_sees_them(
    client: TestClient, db: Session
) -> None:
    load(db)
    owner = make_citizen(db)
    token = portal_access_token(db, owner)
    code = _submit(client, token, "key-follow-01").json()["code"]
    listed = client.get("/api/v1/portal/dossiers", headers=_bearer(token)).json()
    assert [d["code"] for d in listed["items"]] == [code]
    detail = client.get(f"/api/v1/portal/dossiers/{code}", headers=_bearer(token)).json()
    assert [(e["seq"], e["by"], e["to_state"]) for e in detail["events"]] == [
        (1, "citizen", "received")
    ]
    assert detail["due_day"] >= detail["received_at"][:10]
    stranger = portal_access_token(db, make_citizen(db))
    assert (
        client.get(f"/api/v1/portal/dossiers/{code}", headers=_bearer(stranger)).status_code == 404
    )
    assert client.get("/api/v1/portal/dossiers", headers=_bearer(stranger)).json()["items"] == []
