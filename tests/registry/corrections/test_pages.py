"""Pages: the officers' queue and actions (the citizen's "My identity" and "Report an error":
``tests/me/test_identity_pages.py``), and what the citizen then reads on "My identity"."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from oncegov.identity.accounts.models import EidAccount
from oncegov.registry.corrections import service
from oncegov.registry.corrections.models import CorrectionRequest
from oncegov.registry.models import Citizen
from tests.fixtures import (
    COMMUNE_B,
    OfficerLogin,
    citizen_session,
    login,
    make_officer,
)
from tests.registry.corrections.conftest import IN_A, audit_entries, citizen_actor, filing


@pytest.fixture(autouse=True)
def english(client: TestClient) -> None:
    client.cookies.set("oncegov_lang", "en")


@pytest.fixture
def officer_client(app: object) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as other:  # type: ignore[arg-type]
        other.cookies.set("oncegov_lang", "en")
        yield other


def _flash(html: str) -> str:
    found = re.search(r'<div class="flash error" role="alert">(.*?)</div>', html, re.S)
    return found[1].strip() if found else ""


# --- the officers -----------------------------------------------------------------------------


def _filed(db: Session, citizen: Citizen, fields: tuple[str, ...] = ("full_name",)) -> int:
    actor = citizen_actor(citizen)
    return service.file_request(db, actor, citizen.personal_id, filing(fields)).id


def test_the_queue_and_a_request_for_the_citizens_commune_officer(
    officer_client: TestClient, db: Session, citizen: Citizen, commune_officer: OfficerLogin
) -> None:
    request_id = _filed(db, citizen)
    login(officer_client, commune_officer)
    queue = officer_client.get("/registry/corrections")
    assert queue.status_code == 200
    assert 'href="/registry/corrections"' in queue.text  # the navigation link
    assert f'href="/registry/corrections/{request_id}"' in queue.text
    assert "My name is spelt" in queue.text
    assert (
        officer_client.get("/registry/corrections?status=rejected").text.count("data-request=") == 0
    )
    detail = officer_client.get(f"/registry/corrections/{request_id}")
    assert detail.status_code == 200
    assert "Nông Văn Dung" in detail.text and 'name="fix:full_name"' in detail.text
    assert 'name="fix:sex"' not in detail.text  # only what the citizen reported
    (entry,) = audit_entries(db, "registry.read")
    assert entry.purpose == f"Handling correction request #{request_id}"


def test_an_officer_of_another_commune_does_not_see_the_request(
    officer_client: TestClient, db: Session, citizen: Citizen
) -> None:
    request_id = _filed(db, citizen)
    other = make_officer(db, "xa.nungtricao", ("commune_officer", "commune", COMMUNE_B))
    csrf = login(officer_client, other)
    assert (
        f"/registry/corrections/{request_id}"
        not in officer_client.get("/registry/corrections").text
    )
    assert officer_client.get(f"/registry/corrections/{request_id}").status_code == 404
    taken = officer_client.post(
        f"/registry/corrections/{request_id}/take", data={"csrf_token": csrf}
    )
    assert taken.status_code == 404
    assert audit_entries(db, "registry.read") == []


def test_the_queue_link_is_only_for_holders_of_the_permission(
    officer_client: TestClient, auditor: OfficerLogin
) -> None:
    login(officer_client, auditor)
    assert 'href="/registry/corrections"' not in officer_client.get("/").text
    assert officer_client.get("/registry/corrections").status_code == 403


def test_take_then_correct_and_the_citizen_sees_it(
    client: TestClient,
    officer_client: TestClient,
    db: Session,
    citizen: Citizen,
    account: EidAccount,
    commune_officer: OfficerLogin,
) -> None:
    request_id = _filed(db, citizen)
    csrf = login(officer_client, commune_officer)
    url = f"/registry/corrections/{request_id}"
    taken = officer_client.post(f"{url}/take", data={"csrf_token": csrf}, follow_redirects=False)
    assert (taken.status_code, taken.headers["location"]) == (303, url)
    assert 'id="status">Being reviewed' in officer_client.get(url).text
    unchanged = officer_client.post(
        f"{url}/correct",
        data={
            "csrf_token": csrf,
            "fix:full_name": "Nông Văn Dung",
            "was:full_name": "Nông Văn Dung",
            "legal_reference": "GKS 45/1985",
            "note": "Checked",
        },
    )
    assert unchanged.status_code == 422
    assert _flash(unchanged.text).startswith("Correct at least one field")
    assert 'value="GKS 45/1985"' in unchanged.text  # what was typed stays
    corrected = officer_client.post(
        f"{url}/correct",
        data={
            "csrf_token": csrf,
            "fix:full_name": "Nông Văn Dũng",
            "was:full_name": "Nông Văn Dung",
            "legal_reference": "GKS 45/1985",
            "note": "Checked against the birth certificate",
        },
        follow_redirects=False,
    )
    assert corrected.status_code == 303
    stored = db.get(CorrectionRequest, request_id)
    assert stored is not None
    assert (stored.status, stored.registry_version) == ("resolved_corrected", 2)
    assert citizen.full_name == "Nông Văn Dũng"
    page = officer_client.get(url)
    assert re.search(r'id="version">2<', page.text) and 'name="fix:full_name"' not in page.text
    citizen_session(client, db, account)
    mine = client.get("/me").text
    assert "Nông Văn Dũng" in mine
    assert re.search(rf'data-request="{request_id}" data-status="resolved_corrected"', mine)
    assert "record version 2" in mine


def test_rejecting_needs_a_reason_that_the_citizen_reads(
    client: TestClient,
    officer_client: TestClient,
    db: Session,
    citizen: Citizen,
    account: EidAccount,
    provincial_officer: OfficerLogin,
) -> None:
    request_id = _filed(db, citizen)
    csrf = login(officer_client, provincial_officer)
    url = f"/registry/corrections/{request_id}/reject"
    empty = officer_client.post(url, data={"csrf_token": csrf, "note": " "})
    assert empty.status_code == 422
    assert _flash(empty.text).startswith("Give the reason for rejecting the request")
    forged = officer_client.post(url, data={"csrf_token": "x", "note": "No"})
    assert forged.status_code == 403
    done = officer_client.post(
        url,
        data={"csrf_token": csrf, "note": "The birth certificate says Dung"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    service_view = service.list_queue(db, IN_A, "rejected").items
    assert [r.id for r in service_view] == [request_id]
    citizen_session(client, db, account)
    mine = client.get("/me").text
    assert "The birth certificate says Dung" in mine and "Rejected" in mine
