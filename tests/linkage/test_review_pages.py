"""The linkage review pages and JSON API through the app (TestClient)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from oncegov.linkage.models import LinkageCandidate, LinkageDecision, LinkageResult, SectorLink
from oncegov.registry.models import Citizen
from tests.fixtures import CAO_BANG, OfficerLogin, login, make_officer
from tests.linkage.review_factories import SOURCE, make_review_item, make_run, two_namesakes


@pytest.fixture(autouse=True)
def english(client: TestClient) -> None:
    client.cookies.set("oncegov_lang", "en")  # the assertions read the English message ids


@pytest.fixture
def clerk(db: Session) -> OfficerLogin:
    return make_officer(db, "doisoat.test", ("linkage_clerk", "province", CAO_BANG))


@pytest.fixture
def people(db: Session) -> tuple[Citizen, Citizen]:
    return two_namesakes(db)


@pytest.fixture
def items(db: Session, people: tuple[Citizen, Citizen]) -> tuple[LinkageResult, LinkageResult]:
    a, b = people
    run = make_run(db)
    first = make_review_item(db, run, "BHXH-001", [(a.personal_id, 0.8), (b.personal_id, 0.6)])
    second = make_review_item(db, run, "BHXH-002", [(b.personal_id, 0.55)])
    return first, second


def test_an_officer_without_linkage_review_is_refused(
    client: TestClient, commune_officer: OfficerLogin, items: tuple[LinkageResult, ...]
) -> None:
    csrf = login(client, commune_officer)
    assert client.get("/linkage/review").status_code == 403
    assert client.get(f"/linkage/review/{items[0].id}").status_code == 403
    response = client.post(
        f"/linkage/review/{items[0].id}/decision",
        data={"csrf_token": csrf, "decision": "reject"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert 'href="/linkage/review"' not in client.get("/").text
    api = client.get("/api/v1/linkage/review")
    assert api.status_code == 403 and api.json()["error"]["code"] == "permission_denied"


def test_anonymous_is_sent_to_sign_in(client: TestClient) -> None:
    response = client.get("/linkage/review", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?")


def test_queue_lists_the_open_items(
    client: TestClient, clerk: OfficerLogin, items: tuple[LinkageResult, ...]
) -> None:
    login(client, clerk)
    response = client.get("/linkage/review")
    assert response.status_code == 200
    html = response.text
    nav = html[html.index("<nav>") : html.index("</nav>")]
    assert 'href="/linkage/review"' in nav
    assert "2 records waiting" in html
    rows = re.findall(r'<tr data-result="(\d+)">', html)
    assert rows == [str(items[0].id), str(items[1].id)]
    assert "80.0%" in html and "Ambiguous: several likely candidates" in html
    assert (
        f'<option value="{SOURCE}" selected>' in client.get(f"/linkage/review?source={SOURCE}").text
    )
    assert "Nothing waiting for review." in client.get("/linkage/review?source=tax").text


def test_queue_renders_in_vietnamese_by_default(
    client: TestClient, clerk: OfficerLogin, items: tuple[LinkageResult, ...]
) -> None:
    login(client, clerk)
    client.cookies.delete("oncegov_lang")
    response = client.get("/linkage/review")
    assert response.status_code == 200
    assert '<html lang="vi">' in response.text


def test_item_shows_the_record_and_candidates_side_by_side(
    client: TestClient,
    clerk: OfficerLogin,
    people: tuple[Citizen, Citizen],
    items: tuple[LinkageResult, ...],
) -> None:
    a, b = people
    login(client, clerk)
    response = client.get(f"/linkage/review/{items[0].id}")
    assert response.status_code == 200
    html = response.text
    assert "Record BHXH-001" in html
    for pid in (a.personal_id, b.personal_id):
        assert f'id="candidate-{pid}"' in html
        assert f'name="personal_id" value="{pid}"' in html
    name_row = html[html.index('<tr data-field="full_name">') :]
    name_row = name_row[: name_row.index("</tr>")]
    assert name_row.count("Nông Văn Dũng") == 3  # the sector record, then both candidates
    assert "Exact match" in name_row and "+7.1" in name_row
    assert "weight-for" in name_row and "evidence for the same person" in name_row
    commune_row = html[html.index('<tr data-field="address">') :]
    commune_row = commune_row[: commune_row.index("</tr>")]
    assert "\u22121.3" in commune_row and "weight-against" in commune_row
    assert "evidence against" in commune_row
    assert "17/05/1985" in html and "80.0%" in html and "60.0%" in html
    assert "Accept this person" in html and 'id="reject-all"' in html
    assert html.count('name="csrf_token"') >= 4  # sign out, two accepts, reject all


def test_accept_redirects_to_the_next_item_with_a_notice(
    client: TestClient,
    db: Session,
    clerk: OfficerLogin,
    people: tuple[Citizen, Citizen],
    items: tuple[LinkageResult, ...],
) -> None:
    a, b = people
    csrf = login(client, clerk)
    response = client.post(
        f"/linkage/review/{items[0].id}/decision",
        data={"csrf_token": csrf, "decision": "accept", "personal_id": a.personal_id},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/linkage/review/{items[1].id}?")
    page = client.get(response.headers["location"])
    assert f"Record BHXH-001 is now linked to personal ID {a.personal_id}." in page.text
    link = db.get(SectorLink, (SOURCE, "BHXH-001"))
    assert link is not None and link.personal_id == a.personal_id and link.method == "clerical"
    decided = db.get(LinkageResult, items[0].id)
    assert decided is not None and decided.decided_by == "Officer doisoat.test"
    # The decided item shows who decided, and no buttons any more.
    shown = client.get(f"/linkage/review/{items[0].id}").text
    assert "Decided by Officer doisoat.test" in shown and "Accept this person" not in shown

    # Reject the last one: back to the (now empty) queue.
    response = client.post(
        f"/linkage/review/{items[1].id}/decision",
        data={"csrf_token": csrf, "decision": "reject"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/linkage/review?")
    queue = client.get(response.headers["location"]).text
    assert "All candidates of record BHXH-002 were rejected." in queue
    assert "Nothing waiting for review." in queue
    rejected = db.scalars(
        select(LinkageDecision).where(LinkageDecision.record_key == "BHXH-002")
    ).all()
    assert [(d.personal_id, d.decision) for d in rejected] == [(b.personal_id, "reject")]


def test_refused_decisions_show_the_error_on_the_item(
    client: TestClient,
    db: Session,
    clerk: OfficerLogin,
    people: tuple[Citizen, Citizen],
    items: tuple[LinkageResult, ...],
) -> None:
    _a, b = people
    csrf = login(client, clerk)
    db.add(SectorLink(source=SOURCE, record_key="BHXH-099", personal_id=b.personal_id,
                      method="model"))  # fmt: skip
    db.flush()
    response = client.post(
        f"/linkage/review/{items[1].id}/decision",
        data={"csrf_token": csrf, "decision": "accept", "personal_id": b.personal_id},
    )
    assert response.status_code == 409
    assert "already linked to another record" in response.text
    assert "BHXH-099" in response.text
    assert "Accept this person" in response.text  # still open
    assert db.get(SectorLink, (SOURCE, "BHXH-002")) is None

    response = client.post(
        f"/linkage/review/{items[0].id}/decision",
        data={"csrf_token": csrf, "decision": "accept", "personal_id": "004085999999"},
    )
    assert response.status_code == 422
    assert "not one of the record" in response.text

    response = client.post(
        f"/linkage/review/{items[0].id}/decision",
        data={"decision": "reject"},
        follow_redirects=False,
    )
    assert response.status_code == 403  # no CSRF token
    assert db.get(LinkageResult, items[0].id).decided_at is None  # type: ignore[union-attr]
    assert client.get("/linkage/review/999999").status_code == 404


def test_the_json_api(
    client: TestClient,
    db: Session,
    clerk: OfficerLogin,
    people: tuple[Citizen, Citizen],
    items: tuple[LinkageResult, ...],
) -> None:
    a, b = people
    csrf = login(client, clerk)
    queue = client.get("/api/v1/linkage/review", params={"source": SOURCE, "page": 1})
    assert queue.status_code == 200
    body = queue.json()
    assert body["total"] == 2
    assert [i["record_key"] for i in body["items"]] == ["BHXH-001", "BHXH-002"]

    item = client.get(f"/api/v1/linkage/review/{items[0].id}").json()
    assert item["open"] is True
    assert [c["personal_id"] for c in item["candidates"]] == [a.personal_id, b.personal_id]
    assert item["candidates"][0]["citizen"]["full_name"] == "Nông Văn Dũng"
    assert item["candidates"][0]["contributions"][0] == {
        "field": "name",
        "level": "Exact match",
        "match_weight": 7.1,
    }

    headers = {"X-CSRF-Token": csrf}
    url = f"/api/v1/linkage/review/{items[0].id}/decision"
    wrong = client.post(url, json={"personal_id": "004085999999"}, headers=headers)
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "personal_id"
    done = client.post(url, json={"personal_id": b.personal_id}, headers=headers)
    assert done.status_code == 200
    assert done.json()["decision"] == "accept"
    assert done.json()["next_id"] == items[1].id
    assert {d["personal_id"]: d["decision"] for d in done.json()["decisions"]} == {
        a.personal_id: "reject",
        b.personal_id: "accept",
    }
    again = client.post(url, json={"personal_id": None}, headers=headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "linkage_review_closed"
    assert client.get("/api/v1/linkage/review/999999").status_code == 404


def test_a_near_certain_candidate_is_not_shown_as_certain(
    client: TestClient, db: Session, clerk: OfficerLogin, people: tuple[Citizen, Citizen]
) -> None:
    # A pairwise probability of 0.99996 is not 100 %: the queue and the comparison say so.
    a, b = people
    item = make_review_item(
        db, make_run(db), "BHXH-009", [(a.personal_id, 0.99996), (b.personal_id, 0.9)]
    )
    login(client, clerk)
    queue = client.get("/linkage/review").text
    assert "100.0%" not in queue and "&gt; 99.9%" in queue
    page = client.get(f"/linkage/review/{item.id}").text
    assert "100.0%" not in page and "&gt; 99.9%" in page and "90.0%" in page


def test_a_missing_value_is_no_information_not_evidence(
    client: TestClient, db: Session, clerk: OfficerLogin, people: tuple[Citizen, Citizen]
) -> None:
    a, _ = people
    item = make_review_item(db, make_run(db), "BHXH-010", [(a.personal_id, 0.7)])
    candidate = db.scalars(
        select(LinkageCandidate).where(LinkageCandidate.result_id == item.id)
    ).one()
    candidate.contributions = [
        *candidate.contributions,
        {"field": "old_id", "level": "old_id is NULL", "match_weight": 0.0},
    ]
    db.flush()
    login(client, clerk)
    page = client.get(f"/linkage/review/{item.id}").text
    assert "old_id is NULL" not in page
    row = page[page.index("no information") - 400 : page.index("no information") + 200]
    assert "evidence for the same person" not in row
    assert "a value is missing: no evidence either way" in page
