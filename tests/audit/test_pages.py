"""Audit log page for inspectors: newest first, filters, paging, chain verification."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from oncegov.audit import service as audit
from oncegov.audit.models import AuditEntry
from oncegov.kit import chain
from oncegov.kit.actor import Actor
from tests.fixtures import OfficerLogin, login

CLERK = Actor("officer", "xa.thucphan", "Officer Thục Phán")
OTHER = Actor("service", "bhxh", "BHXH", agency="bhxh", channel="api")
ALICE = "004185100001"
BOB = "004085100002"


@pytest.fixture(autouse=True)
def english(client: TestClient) -> None:
    client.cookies.set("oncegov_lang", "en")


def _rows(page: str) -> list[list[str]]:
    """The table's rows as lists of cell texts (tags stripped)."""
    body = re.search(r'<table id="audit-entries">.*?<tbody>(.*?)</tbody>', page, flags=re.S)
    if body is None:
        return []
    rows = re.findall(r"<tr>(.*?)</tr>", body[1], flags=re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        ]
        for row in rows
    ]


def _seed(db: Session) -> None:
    audit.record(db, CLERK, "registry.read", purpose="Dossier 1", subject_personal_id=ALICE)
    audit.record(db, OTHER, "registry.read", purpose="Insurance card", subject_personal_id=BOB)
    audit.record(db, CLERK, "registry.change", purpose="Typo", subject_personal_id=BOB)
    db.flush()


def test_auditor_sees_the_log_newest_first_and_the_view_is_audited(
    client: TestClient, db: Session, auditor: OfficerLogin
) -> None:
    _seed(db)
    login(client, auditor)
    page = client.get("/audit")
    assert page.status_code == 200
    rows = _rows(page.text)
    seqs = [int(r[0]) for r in rows]
    assert seqs == sorted(seqs, reverse=True)
    actions = [r[3] for r in rows]
    assert actions[:1] == ["auth.login"]  # the auditor's own sign-in is the newest
    assert actions[1:4] == ["registry.change", "registry.read", "registry.read"]
    assert ALICE in page.text and "Insurance card" in page.text
    viewed = db.scalar(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))
    assert viewed is not None
    assert (viewed.action, viewed.actor_id, viewed.purpose) == (
        "audit.read",
        auditor.username,
        "audit review",
    )


def test_filters_by_subject_actor_and_action(
    client: TestClient, db: Session, auditor: OfficerLogin
) -> None:
    _seed(db)
    login(client, auditor)
    by_subject = _rows(client.get(f"/audit?subject={BOB}").text)
    assert {r[4] for r in by_subject} == {BOB}
    assert len(by_subject) == 2
    by_actor = _rows(client.get("/audit?actor=bhxh").text)
    assert [(r[2], r[5]) for r in by_actor] == [("bhxh (bhxh)", "Insurance card")]
    by_action = _rows(client.get("/audit?action=registry.change&actor=xa.thucphan").text)
    assert [(r[3], r[4]) for r in by_action] == [("registry.change", BOB)]
    empty = client.get("/audit?subject=000000000000").text
    assert 'id="no-entries"' in empty
    # The subject filter is recorded: whose access trail the inspector looked at.
    entry = db.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "audit.read", AuditEntry.subject_personal_id == BOB
        )
    )
    assert entry is not None


def test_pages_through_the_log(client: TestClient, db: Session, auditor: OfficerLogin) -> None:
    for i in range(60):
        audit.record(db, CLERK, "registry.search", purpose=f"search {i}")
    db.flush()
    login(client, auditor)
    first = client.get("/audit?action=registry.search")
    rows = _rows(first.text)
    assert len(rows) == 50
    assert rows[0][5] == "search 59"
    assert 'rel="next"' in first.text and 'rel="prev"' not in first.text
    second = client.get("/audit?action=registry.search&page=2")
    rows = _rows(second.text)
    assert [r[5] for r in rows] == [f"search {i}" for i in range(9, -1, -1)]
    assert 'rel="next"' not in second.text
    assert 'href="/audit?action=registry.search&amp;page=1" rel="prev"' in second.text


def test_verify_button_reports_an_intact_chain(
    client: TestClient, db: Session, auditor: OfficerLogin
) -> None:
    _seed(db)
    csrf = login(client, auditor)
    page = client.get("/audit").text
    assert 'action="/audit/verify"' in page
    result = client.post("/audit/verify", data={"csrf_token": csrf})
    assert result.status_code == 200
    message = re.search(r'id="verify-result">([^<]+)<', result.text)
    assert message and message[1].startswith("Chain intact")
    checked = int(re.findall(r"\d+", message[1])[0])
    assert checked >= 4  # three seeded entries, the sign-in and the page view
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "audit.verify")) is not None


def test_verify_reports_a_tampered_entry(
    client: TestClient, db: Session, auditor: OfficerLogin
) -> None:
    _seed(db)
    csrf = login(client, auditor)
    first = db.scalar(select(AuditEntry.seq).where(AuditEntry.purpose == "Insurance card"))
    # Tampering needs DDL rights: drop the append-only protection first, as in test_chain.
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only"))
    else:
        db.execute(text("DROP TRIGGER audit_entries_no_update"))
    db.execute(text("UPDATE audit_entries SET purpose = 'nothing' WHERE seq = :s"), {"s": first})
    result = client.post("/audit/verify", data={"csrf_token": csrf})
    message = re.search(r'id="verify-result">([^<]+)<', result.text)
    assert message and f"Chain broken at entry {first}" in message[1]
    assert "altered" in message[1]


def test_verify_needs_the_csrf_token(client: TestClient, auditor: OfficerLogin) -> None:
    login(client, auditor)
    assert client.post("/audit/verify", data={}).status_code == 403


def test_officers_cannot_read_the_audit_log(
    client: TestClient, commune_officer: OfficerLogin
) -> None:
    csrf = login(client, commune_officer)
    assert client.get("/audit").status_code == 403
    assert client.post("/audit/verify", data={"csrf_token": csrf}).status_code == 403


def test_audit_api_lists_and_verifies(
    client: TestClient, db: Session, auditor: OfficerLogin
) -> None:
    _seed(db)
    csrf = login(client, auditor)
    entries = client.get("/api/v1/audit/entries", params={"subject": BOB}).json()
    assert [e["action"] for e in entries] == ["registry.change", "registry.read"]
    assert entries[0]["at"].endswith(("Z", "+00:00"))
    verified = client.post("/api/v1/audit/verify", headers={"X-CSRF-Token": csrf})
    assert verified.status_code == 200
    assert verified.json()["ok"] is True and verified.json()["problem"] is None


def test_api_verify_signs_a_checkpoint_that_the_latest_route_returns(
    client: TestClient, db: Session, auditor: OfficerLogin
) -> None:
    _seed(db)
    csrf = login(client, auditor)
    verified = client.post("/api/v1/audit/verify", headers={"X-CSRF-Token": csrf}).json()
    signed = verified["checkpoint"]
    assert signed["chain"] == "audit" and signed["seq"] == verified["checked"]
    assert verified["legacy_until"] is None and verified["bad_checkpoint"] is None
    latest = client.get("/api/v1/audit/checkpoints/latest").json()
    assert latest == signed
    checkpoint = chain.checkpoint_from_dict(
        {**latest, "signed_at": latest["signed_at"].replace("+00:00", "Z")}
    )
    keys = client.get("/audit/jwks.json").json()["keys"]
    public = {k["kid"]: chain.public_key_from_x(k["x"]) for k in keys}
    assert chain.checkpoint_is_genuine(checkpoint, public)


def test_verify_page_names_the_last_good_checkpoint(
    client: TestClient, db: Session, auditor: OfficerLogin
) -> None:
    _seed(db)
    csrf = login(client, auditor)
    intact = client.post("/audit/verify", data={"csrf_token": csrf}).text
    signed = re.search(r"Checkpoint (\d+) signed at entry (\d+)\.", intact)
    assert signed, intact
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only"))
    else:
        db.execute(text("DROP TRIGGER audit_entries_no_update"))
    newest = db.scalar(select(func.max(AuditEntry.seq)))
    db.execute(text("UPDATE audit_entries SET purpose = 'x' WHERE seq = :s"), {"s": newest})
    broken = client.post("/audit/verify", data={"csrf_token": csrf}).text
    assert f"Chain broken at entry {newest}" in broken
    assert f"The last good checkpoint is number {signed[1]} at entry {signed[2]}." in broken
