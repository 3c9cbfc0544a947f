"""The officers' dossier pages: the counter (chip ID card QR or personal ID, same pre-fill),
the queue scoped by commune, one dossier with the moves the officer's role allows."""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from oncegov.kit.actor import Actor
from oncegov.kit.chip_qr import ChipQr, render
from oncegov.procedures.dossiers import service as dossiers
from oncegov.procedures.dossiers.models import Dossier, DossierEvent
from tests.fixtures import CAO_BANG, COMMUNE_A, COMMUNE_B, login, make_citizen, make_officer
from tests.procedures.dossier_helpers import TEMPORARY_RESIDENCE, TYPED, load


@pytest.fixture
def clerk_a(db: Session):
    return make_officer(
        db,
        "motcua.a",
        ("service_centre_clerk", "commune", COMMUNE_A),
        ("dossier_handler", "commune", COMMUNE_A),
        ("dossier_approver", "commune", COMMUNE_A),
    )


def _counter(client: TestClient, csrf: str, citizen_text: str) -> str:
    response = client.post(
        "/dossiers/counter",
        data={"csrf_token": csrf, "citizen": citizen_text, "procedure": TEMPORARY_RESIDENCE},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return response.headers["location"]


def _receive(client: TestClient, csrf: str, form_url: str) -> str:
    page = client.get(form_url)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text)
    assert key
    response = client.post(
        form_url,
        data={"csrf_token": csrf, "idempotency_key": key[1], **TYPED},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return response.headers["location"]


def test_the_counter_receives_by_chip_qr_with_the_same_prefill(
    client: TestClient, db: Session, clerk_a, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(db)
    citizen = make_citizen(db, full_name="Nguyễn Thị Hằng", permanent_commune_code=COMMUNE_B)
    qr = render(
        ChipQr(
            citizen.personal_id,
            None,
            citizen.full_name,
            dt.date(citizen.birth_year, 5, 17),
            "F",
            "Tổ 3",
            dt.date(2022, 1, 1),
        )
    )
    csrf = login(client, clerk_a)
    form_url = _counter(client, csrf, qr)
    page = client.get(form_url)
    assert "Nguyễn Thị Hằng" in page.text and "readonly" in page.text
    assert "Cơ sở dữ liệu quốc gia về dân cư" in page.text or "dân cư" in page.text
    # A bad value comes back at its field, with the input kept.
    bad = client.post(
        form_url,
        data={"csrf_token": csrf, "idempotency_key": "k" * 20, **TYPED, "stay_until": "x"},
    )
    assert bad.status_code == 422 and 'value="Số 5, tổ 2' in bad.text
    location = _receive(client, csrf, form_url)
    dossier = db.scalar(select(Dossier))
    assert dossier is not None and location == f"/dossiers/{dossier.code}"
    # Received at the centre of commune A for a resident of commune B (Decree 118/2025).
    assert dossier.channel == "counter" and dossier.commune_code == COMMUNE_A
    assert dossier.submitted_by == "officer:motcua.a"
    assert dossier.form["full_name"]["value"] == "Nguyễn Thị Hằng"


def test_a_bad_qr_or_unknown_personal_id_is_refused_clearly(
    client: TestClient, db: Session, clerk_a
) -> None:
    load(db)
    csrf = login(client, clerk_a)
    bad = client.post(
        "/dossiers/counter",
        data={"csrf_token": csrf, "citizen": "1|2|3", "procedure": TEMPORARY_RESIDENCE},
    )
    assert bad.status_code == 422 and 'name="citizen"' in bad.text
    unknown = client.post(
        "/dossiers/counter",
        data={"csrf_token": csrf, "citizen": "004190999999", "procedure": TEMPORARY_RESIDENCE},
    )
    assert unknown.status_code == 404


def test_the_queue_and_the_moves(
    client: TestClient, db: Session, clerk_a, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(db)
    citizen = make_citizen(db)
    csrf = login(client, clerk_a)
    location = _receive(client, csrf, _counter(client, csrf, citizen.personal_id))
    code = location.rsplit("/", 1)[1]
    queue = client.get("/dossiers?view=new")
    assert code in queue.text
    # The row names the applicant as the form holds it (read without loading the form).
    assert html.escape(citizen.full_name) in queue.text
    page = client.get(location)
    assert 'data-move="accepted"' in page.text and 'data-move="refused_to_accept"' in page.text
    # Each step with its agency and share of the time; the receiving step is the current one.
    steps = re.findall(r'<tr data-step="(\w+)"( class="current")?>', page.text)
    assert steps == [("receive", ' class="current"'), ("verify", ""), ("notify", "")]
    no_reason = client.post(
        f"{location}/move", data={"csrf_token": csrf, "to": "refused_to_accept", "reason": ""}
    )
    assert no_reason.status_code == 422
    for state in ("accepted", "assigned", "processing"):
        moved = client.post(
            f"{location}/move", data={"csrf_token": csrf, "to": state}, follow_redirects=False
        )
        assert moved.status_code == 303, moved.text
    asked = client.post(
        f"{location}/move",
        data={"csrf_token": csrf, "to": "additions_requested", "reason": "Thiếu hợp đồng"},
        follow_redirects=False,
    )
    assert asked.status_code == 303
    assert code in client.get("/dossiers?view=waiting").text
    wrong = client.post(f"{location}/move", data={"csrf_token": csrf, "to": "approved"})
    assert wrong.status_code == 409
    dossier = db.scalar(select(Dossier).where(Dossier.code == code))
    assert dossier is not None and dossier.state == "additions_requested"
    events = db.scalars(select(DossierEvent).where(DossierEvent.dossier_id == dossier.id)).all()
    assert [e.to_state for e in events][-1] == "additions_requested"


def test_another_communes_officer_sees_nothing(
    client: TestClient, db: Session, clerk_a, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(db)
    citizen = make_citizen(db)
    csrf = login(client, clerk_a)
    location = _receive(client, csrf, _counter(client, csrf, citizen.personal_id))
    client.post("/logout", data={"csrf_token": csrf})
    other = make_officer(db, "motcua.b", ("service_centre_clerk", "commune", COMMUNE_B))
    login(client, other)
    assert client.get(location).status_code == 404
    assert location.rsplit("/", 1)[1] not in client.get("/dossiers").text


def test_a_provincial_approver_sees_the_provinces_dossiers(
    client: TestClient, db: Session, clerk_a
) -> None:
    load(db)
    citizen = make_citizen(db)
    csrf = login(client, clerk_a)
    location = _receive(client, csrf, _counter(client, csrf, citizen.personal_id))
    client.post("/logout", data={"csrf_token": csrf})
    head = make_officer(db, "giamdoc", ("dossier_approver", "province", CAO_BANG))
    login(client, head)
    page = client.get(location)
    assert page.status_code == 200 and "data-move" not in page.text  # not their step


def test_procedure_names_follow_the_page_language(client: TestClient, db: Session, clerk_a) -> None:
    load(db)
    login(client, clerk_a)
    assert "Temporary residence registration" in client.get("/dossiers/counter?lang=en").text
    assert "Đăng ký tạm trú" in client.get("/dossiers/counter?lang=vi").text


def _submitted_in(db: Session, commune: str, count: int, first: int = 0) -> list[str]:
    codes = []
    for number in range(first, first + count):
        citizen = make_citizen(db, permanent_commune_code=commune)
        actor = Actor(kind="citizen", id=citizen.personal_id, name=citizen.personal_id)
        draft = dossiers.start_draft(
            db, actor, citizen.personal_id, TEMPORARY_RESIDENCE, commune_code=commune
        )
        dossiers.save_draft(db, citizen.personal_id, draft.id, TYPED)
        key = f"key-{commune}-{number:04d}"
        codes.append(dossiers.submit(db, actor, citizen.personal_id, draft.id, key).code)
    return codes


@contextlib.contextmanager
def _statements(db: Session) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    connection = db.connection()
    event.listen(connection, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", count)


def test_the_queue_page_reads_names_once_per_page_whatever_its_rows(
    client: TestClient, db: Session
) -> None:
    load(db)
    first = _submitted_in(db, COMMUNE_A, 1)
    provincial = make_officer(db, "so", ("service_centre_clerk", "province", CAO_BANG))
    login(client, provincial)
    assert client.get("/dossiers").status_code == 200  # past first-use reads
    with _statements(db) as one_row:
        page = client.get("/dossiers")
    assert first[0] in page.text and "Phường Thục Phán (01273)" in page.text
    more = _submitted_in(db, COMMUNE_A, 2, 1) + _submitted_in(db, COMMUNE_B, 2)
    with _statements(db) as five_rows:
        page = client.get("/dossiers")
    assert all(code in page.text for code in first + more)
    assert "Phường Nùng Trí Cao (01279)" in page.text and "Đăng ký tạm trú" in page.text
    # Procedure names and commune labels: one query each for the page, not one per row.
    assert len(five_rows) == len(one_row), five_rows
    english = client.get("/dossiers?lang=en")
    assert "Temporary residence registration" in english.text
    assert "Đăng ký tạm trú" not in english.text


def test_a_provincial_queue_filters_by_the_steps_level_and_the_receiving_commune(
    client: TestClient, db: Session, clerk_a
) -> None:
    load(db)
    citizen = make_citizen(db)
    csrf = login(client, clerk_a)
    code = _receive(client, csrf, _counter(client, csrf, citizen.personal_id)).rsplit("/", 1)[1]
    assert 'id="commune"' not in client.get("/dossiers").text  # one commune: no choice
    client.post("/logout", data={"csrf_token": csrf})
    province = make_officer(db, "so.tuphap", ("service_centre_clerk", "province", CAO_BANG))
    login(client, province)
    page = client.get("/dossiers").text
    assert code in page
    assert f'<option value="{COMMUNE_A}">' in page and f'<option value="{COMMUNE_B}">' in page
    assert code in client.get("/dossiers?level=commune").text  # received: a commune step
    assert code not in client.get("/dossiers?level=province").text
    assert code in client.get(f"/dossiers?commune={COMMUNE_A}").text
    assert code not in client.get(f"/dossiers?commune={COMMUNE_B}").text
    # An unknown level or a commune outside the officer's scope is simply no filter.
    assert code in client.get("/dossiers?level=district").text
