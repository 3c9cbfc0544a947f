"""The JSON API: intake with Idempotency-Key, reading, steps, errors with fields, scope, and
the counts per commune, kind and status over a period."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from oncegov.identity.cards import service
from oncegov.registry.models import Citizen
from tests.fixtures import COMMUNE_A, COMMUNE_B, OfficerLogin, login, make_citizen, make_officer
from tests.identity.cards.conftest import DESK_A, NOW, intake_for, province_scope

BASE = "/api/v1/identity/cards"


def _body(citizen: Citizen, **overrides: Any) -> dict[str, Any]:
    return intake_for(citizen, **overrides).model_dump(exclude_none=True)


def test_receive_read_and_move_an_application(
    client: TestClient, db: Session, id_card_officer: OfficerLogin
) -> None:
    csrf = login(client, id_card_officer)
    citizen = make_citizen(db, birth_year=1990)
    headers = {"X-CSRF-Token": csrf, "Idempotency-Key": "k-1"}
    created = client.post(
        f"{BASE}/applications", json=_body(citizen, kind="reissue_loss"), headers=headers
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["kind"], body["status"], body["fee_vnd"]) == ("reissue_loss", "received", 35_000)
    assert body["received_by"] == "cccd.thucphan"
    again = client.post(
        f"{BASE}/applications", json=_body(citizen, kind="reissue_loss"), headers=headers
    )
    assert again.json()["id"] == body["id"]

    url = f"{BASE}/applications/{body['id']}"
    assert client.get(url).json()["steps"][0]["to_status"] == "received"
    moved = client.post(f"{url}/steps", json={"to": "checked"}, headers={"X-CSRF-Token": csrf})
    assert moved.status_code == 200
    assert moved.json()["status"] == "checked" and moved.json()["checked_at"]
    skipped = client.post(f"{url}/steps", json={"to": "returned"}, headers={"X-CSRF-Token": csrf})
    assert skipped.status_code == 409
    assert skipped.json()["error"]["code"] == "step_skipped"
    assert skipped.json()["error"]["field"] == "to"
    rejected = client.post(
        f"{url}/steps",
        json={"to": "rejected", "reason": "Duplicate"},
        headers={"X-CSRF-Token": csrf},
    )
    assert rejected.json()["rejection_reason"] == "Duplicate"
    listed = client.get(f"{BASE}/applications", params={"status": "rejected"}).json()
    assert [r["id"] for r in listed["rows"]] == [body["id"]]


def test_errors_name_their_field(
    client: TestClient, db: Session, id_card_officer: OfficerLogin
) -> None:
    csrf = login(client, id_card_officer)
    citizen = make_citizen(db, full_name="Nông Văn Dũng")
    db.commit()  # a refused request rolls back to here, not past the test's own data
    answer = client.post(
        f"{BASE}/applications",
        json=_body(citizen, full_name="Nong Van Dung"),
        headers={"X-CSRF-Token": csrf},
    )
    assert answer.status_code == 422
    assert answer.json()["error"] | {"message": ""} == {
        "code": "registry_mismatch",
        "field": "full_name",
        "message": "",
    }
    no_prints = client.post(
        f"{BASE}/applications",
        json=_body(citizen, fingerprints_captured=False),
        headers={"X-CSRF-Token": csrf},
    )
    assert no_prints.json()["error"]["field"] == "fingerprints_captured"
    client.post(f"{BASE}/applications", json=_body(citizen), headers={"X-CSRF-Token": csrf})
    second = client.post(
        f"{BASE}/applications",
        json=_body(citizen, kind="reissue_loss"),
        headers={"X-CSRF-Token": csrf},
    )
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "application_in_progress"


def test_other_communes_citizens_and_applications_are_not_found(
    client: TestClient, db: Session, id_card_officer: OfficerLogin
) -> None:
    theirs = make_citizen(db, permanent_commune_code=COMMUNE_B, current_commune_code=COMMUNE_B)
    application = service.submit_application(
        db, DESK_A, intake_for(theirs, station=COMMUNE_B), scope=province_scope(db), now=NOW
    )
    csrf = login(client, id_card_officer)  # commune A
    create = client.post(f"{BASE}/applications", json=_body(theirs), headers={"X-CSRF-Token": csrf})
    assert create.status_code == 404
    assert create.json()["error"]["field"] == "personal_id"
    assert client.get(f"{BASE}/applications/{application.id}").status_code == 404
    step = client.post(
        f"{BASE}/applications/{application.id}/steps",
        json={"to": "checked"},
        headers={"X-CSRF-Token": csrf},
    )
    assert step.status_code == 404
    assert client.get(f"{BASE}/applications").json()["total"] == 0


# --- counts ---------------------------------------------------------------------------------------


def _local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of November 2026 in Cao Bằng time, as UTC."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=dt.timezone(dt.timedelta(hours=7)))


@pytest.fixture
def counted(db: Session) -> None:
    """Five applications around the local midnight between 27 and 28 November."""
    scope = province_scope(db)
    plan = [
        (COMMUNE_A, "first_issue", 2010, _local(27, 23, 30), None),
        (COMMUNE_A, "first_issue", 2009, _local(28, 0, 10), "checked"),
        (COMMUNE_A, "reissue_loss", 1990, _local(28, 9), None),
        (COMMUNE_B, "reissue_loss", 1991, _local(28, 23, 59), "rejected"),
        (COMMUNE_B, "first_issue", 2008, _local(29, 0, 0), None),
    ]
    for commune, kind, year, moment, step in plan:
        citizen = make_citizen(db, birth_year=year, permanent_commune_code=commune)
        app = service.submit_application(
            db, DESK_A, intake_for(citizen, kind=kind), scope=scope, now=moment.astimezone(dt.UTC)
        )
        if step:
            service.advance(db, DESK_A, app.id, step, scope=scope, reason="Papers missing")


def _stats(client: TestClient, **params: Any) -> dict[str, Any]:
    answer = client.get(f"{BASE}/stats", params=params)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_counts_group_by_commune_kind_status_over_local_days(
    client: TestClient, db: Session, counted: None
) -> None:
    stats_officer = make_officer(db, "pc06.thongke", ("provincial_officer", "province", "04"))
    login(client, stats_officer)
    day = _stats(client, date_from="2026-11-28", date_to="2026-11-28", group_by="commune")
    assert day["total"] == 3  # 23:30 on the 27th and midnight of the 29th are outside
    assert {(r["commune_code"], r["count"]) for r in day["rows"]} == {
        (COMMUNE_A, 2),
        (COMMUNE_B, 1),
    }
    both = _stats(client, date_from="2026-11-27", date_to="2026-11-29", group_by=["kind", "status"])
    assert both["total"] == 5
    assert {(r["kind"], r["status"], r["count"]) for r in both["rows"]} == {
        ("first_issue", "received", 2),
        ("first_issue", "checked", 1),
        ("reissue_loss", "received", 1),
        ("reissue_loss", "rejected", 1),
    }
    assert all(r["commune_code"] is None for r in both["rows"])
    three = _stats(
        client, date_from="2026-11-29", date_to="2026-11-29", group_by="commune,kind,status"
    )
    assert three["rows"] == [
        {"commune_code": COMMUNE_B, "kind": "first_issue", "status": "received", "count": 1}
    ]
    assert (
        _stats(client, date_from="2026-11-01", date_to="2026-11-26", group_by="kind")["rows"] == []
    )


def test_counts_are_scoped(client: TestClient, db: Session, counted: None) -> None:
    login(client, make_officer(db, "cccd.stats.b", ("id_card_officer", "commune", COMMUNE_B)))
    answer = _stats(client, date_from="2026-11-01", date_to="2026-11-30", group_by="commune")
    assert answer["rows"] == [{"commune_code": COMMUNE_B, "kind": None, "status": None, "count": 2}]


def test_counts_refuse_bad_groupings_and_periods(
    client: TestClient, db: Session, id_card_officer: OfficerLogin
) -> None:
    login(client, id_card_officer)
    wrong = client.get(
        f"{BASE}/stats",
        params={"date_from": "2026-11-01", "date_to": "2026-11-30", "group_by": "sex"},
    )
    assert (wrong.status_code, wrong.json()["error"]["field"]) == (422, "group_by")
    backwards = client.get(
        f"{BASE}/stats",
        params={"date_from": "2026-11-30", "date_to": "2026-11-01", "group_by": "kind"},
    )
    assert (backwards.status_code, backwards.json()["error"]["field"]) == (422, "date_to")


def test_the_service_function_for_dashboards(db: Session, counted: None) -> None:
    counts = service.application_counts(
        db, province_scope(db), dt.date(2026, 11, 28), dt.date(2026, 11, 28), ["status"]
    )
    assert {(r.status, r.count) for r in counts.rows} == {
        ("received", 1),
        ("checked", 1),
        ("rejected", 1),
    }
    assert COMMUNE_A  # both communes are in the province scope used above
