"""The data-quality pages for signed-in officers: dashboard, list, finding, resolve, run."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from oncegov.audit.models import AuditEntry
from tests.fixtures import OfficerLogin, login, make_citizen
from tests.registry.quality.helpers import findings, id_inconsistent_pair, run


@pytest.fixture(autouse=True)
def english(client: TestClient) -> None:
    """Assertions read the English message ids (Vietnamese is the default locale)."""
    client.cookies.set("oncegov_lang", "en")


def test_provincial_officer_runs_checks_from_the_dashboard(
    client: TestClient, db: Session, provincial_officer: OfficerLogin
) -> None:
    own, other = id_inconsistent_pair(db)
    csrf = login(client, provincial_officer)
    page = client.get("/quality")
    assert page.status_code == 200
    assert "Run checks" in page.text
    response = client.post("/quality/run", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/quality?run=")
    dashboard = client.get(response.headers["location"])
    assert "Checks finished" in dashboard.text
    assert "Phường Thục Phán" in dashboard.text and "Phường Nùng Trí Cao" in dashboard.text
    assert "<svg" in dashboard.text and "<rect" in dashboard.text
    assert set(findings(db, "id_inconsistent")) == {own.personal_id, other.personal_id}


def test_run_without_csrf_token_is_refused(
    client: TestClient, db: Session, provincial_officer: OfficerLogin
) -> None:
    id_inconsistent_pair(db)
    login(client, provincial_officer)
    assert client.post("/quality/run", data={}).status_code == 403
    assert findings(db) == {}


def test_commune_officer_sees_and_resolves_only_their_commune(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    own, other = id_inconsistent_pair(db)
    run(db)
    found = findings(db, "id_inconsistent")
    own_id, other_id = found[own.personal_id].id, found[other.personal_id].id
    csrf = login(client, commune_officer)
    dashboard = client.get("/quality")
    assert dashboard.status_code == 200
    assert "Run checks" not in dashboard.text
    assert "Phường Nùng Trí Cao" not in dashboard.text
    listing = client.get("/quality/findings?status=open")
    assert own.personal_id in listing.text and other.personal_id not in listing.text
    assert client.get(f"/quality/findings/{other_id}").status_code == 404
    refused = client.post(
        f"/quality/findings/{other_id}/resolve",
        data={"csrf_token": csrf, "resolution": "false_positive", "note": "not mine"},
    )
    assert refused.status_code == 404
    assert client.post("/quality/run", data={"csrf_token": csrf}).status_code == 403
    page = client.get(f"/quality/findings/{own_id}")
    assert page.status_code == 200 and own.full_name in page.text


def test_correct_a_finding_from_its_page(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    own, _ = id_inconsistent_pair(db)
    run(db)
    finding = findings(db, "id_inconsistent")[own.personal_id]
    csrf = login(client, commune_officer)
    page = client.get(f"/quality/findings/{finding.id}")
    assert f'name="fix:{own.personal_id}:sex" value="F"' in page.text
    assert re.search(r'name="csrf_token" value="[^"]+"', page.text)
    read = db.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "registry.read", AuditEntry.subject_personal_id == own.personal_id
        )
    )
    assert read is not None and read.actor_id == commune_officer.username
    form = {
        "csrf_token": csrf,
        "resolution": "corrected",
        f"fix:{own.personal_id}:sex": "M",
        f"was:{own.personal_id}:sex": "F",
        f"fix:{own.personal_id}:date_of_birth": "1985-05-17",
        f"was:{own.personal_id}:date_of_birth": "1985-05-17",
        "reason": "Sex mistyped",
        "legal_reference": "GKS 1/2026",
        "note": "Checked against the birth certificate",
    }
    response = client.post(
        f"/quality/findings/{finding.id}/resolve", data=form, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    db.refresh(own)
    db.refresh(finding)
    assert (own.sex, own.version) == ("M", 2)
    assert finding.status == "corrected"
    assert finding.resolved_by == f"officer:{commune_officer.username}"
    shown = client.get(f"/quality/findings/{finding.id}")
    assert "Checked against the birth certificate" in shown.text
    assert "Save corrections" not in shown.text


def test_invalid_resolution_comes_back_with_the_error(
    client: TestClient, db: Session, commune_officer: OfficerLogin
) -> None:
    own, _ = id_inconsistent_pair(db)
    run(db)
    finding = findings(db, "id_inconsistent")[own.personal_id]
    csrf = login(client, commune_officer)
    response = client.post(
        f"/quality/findings/{finding.id}/resolve",
        data={
            "csrf_token": csrf,
            "resolution": "corrected",
            f"fix:{own.personal_id}:sex": "Q",
            f"was:{own.personal_id}:sex": "F",
            "reason": "typo",
            "note": "typo",
        },
    )
    assert response.status_code == 422
    assert 'role="alert"' in response.text and "sex" in response.text
    assert 'value="Q"' in response.text  # what the officer typed is kept
    db.refresh(own)
    db.refresh(finding)
    assert own.version == 1 and finding.status == "open"
    confirmed = client.post(
        f"/quality/findings/{finding.id}/resolve",
        data={"csrf_token": csrf, "resolution": "confirmed_correct", "note": "Card says F"},
        follow_redirects=False,
    )
    assert confirmed.status_code == 303
    db.refresh(finding)
    assert finding.status == "confirmed_correct"


def test_findings_list_filters_and_household_finding_page(
    client: TestClient, db: Session, provincial_officer: OfficerLogin
) -> None:
    from tests.fixtures import make_household

    household = make_household(db, "HK-PAGE-1")
    member = make_citizen(db, household_code=household.code, relationship_to_head="child")
    own, _ = id_inconsistent_pair(db)
    run(db)
    login(client, provincial_officer)
    listing = client.get("/quality/findings?rule=household_without_head&status=open")
    assert "HK-PAGE-1" in listing.text and own.personal_id not in listing.text
    assert "1 finding" in listing.text
    finding = findings(db, "household_without_head")[household.code]
    page = client.get(f"/quality/findings/{finding.id}")
    assert page.status_code == 200
    assert member.personal_id in page.text and "No head named" in page.text
    assert client.get("/quality/findings?rule=nope").status_code == 422


def test_pages_need_sign_in(client: TestClient) -> None:
    response = client.get("/quality", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
