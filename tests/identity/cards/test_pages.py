"""Officer console pages: look up, receive, list, detail with its step buttons, errors shown
next to their fields."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from oncegov.registry.models import Citizen
from tests.fixtures import COMMUNE_B, OfficerLogin, login, make_citizen


@pytest.fixture
def desk(client: TestClient, db: Session, id_card_officer: OfficerLogin) -> str:
    client.cookies.set("oncegov_lang", "en")
    return login(client, id_card_officer)


@pytest.fixture
def citizen(db: Session) -> Citizen:
    person = make_citizen(
        db,
        full_name="Lục Thị Hoa",
        sex="F",
        birth_year=1990,
        permanent_address="Tổ 7",
        current_address="Số 12 Hoàng Đình Giong",
        phone="0912000111",
    )
    db.commit()  # a refused request rolls back to here, not past the test's own data
    return person


def _form(page: str, citizen: Citizen, **fields: str) -> dict[str, str]:
    token = re.search(r'name="client_token" value="([^"]+)"', page)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token and csrf
    return {
        "csrf_token": csrf[1],
        "client_token": token[1],
        "personal_id": citizen.personal_id,
        "kind": "reissue_loss",
        "full_name": citizen.full_name,
        "date_of_birth": f"17/05/{citizen.birth_year}",
        "sex": citizen.sex,
        "station": "01273",
        "portrait_captured": "1",
        "fingerprints_captured": "1",
        "delivery": "station",
        **fields,
    }


def test_nav_link_and_empty_list(client: TestClient, desk: str) -> None:
    home = client.get("/")
    assert 'href="/identity/cards"' in home.text
    page = client.get("/identity/cards")
    assert page.status_code == 200
    assert "No application in your area matches." in page.text


def test_lookup_shows_the_registry_record_and_its_addresses(
    client: TestClient, desk: str, citizen: Citizen
) -> None:
    page = client.get("/identity/cards/new", params={"personal_id": citizen.personal_id})
    assert page.status_code == 200
    assert "Lục Thị Hoa" in page.text
    assert "Tổ 7" in page.text and "Số 12 Hoàng Đình Giong" in page.text
    assert 'value="0912000111"' in page.text  # the registry's phone, offered for the eID
    assert 'name="delivery_address"' not in page.text  # the address is never typed


def test_lookup_of_someone_elsewhere_is_not_found(
    client: TestClient, db: Session, desk: str
) -> None:
    theirs = make_citizen(db, permanent_commune_code=COMMUNE_B, current_commune_code=COMMUNE_B)
    db.commit()
    page = client.get("/identity/cards/new", params={"personal_id": theirs.personal_id})
    assert page.status_code == 404
    assert "No citizen with this personal ID in your area" in page.text


def test_receive_then_move_through_the_pipeline(
    client: TestClient, desk: str, citizen: Citizen
) -> None:
    page = client.get("/identity/cards/new", params={"personal_id": citizen.personal_id})
    form = _form(page.text, citizen, delivery="post", delivery_address_source="current")
    answer = client.post("/identity/cards/new", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    detail_url = answer.headers["location"].split("?")[0]
    again = client.post("/identity/cards/new", data=form, follow_redirects=False)
    assert again.headers["location"].split("?")[0] == detail_url  # same form, same application

    detail = client.get(answer.headers["location"])
    assert "The application was received." in detail.text
    assert "Số 12 Hoàng Đình Giong" in detail.text
    assert "35,000 VND" in detail.text
    for button in (
        "Mark as checked",
        "Send for production",
        "Mark as produced",
        "Card delivered by post",
    ):
        assert button in detail.text
        to = re.search(r'name="to" value="(\w+)">\s*<label for="note"', detail.text)
        assert to
        moved = client.post(
            f"{detail_url}/steps", data={"csrf_token": desk, "to": to[1]}, follow_redirects=False
        )
        assert moved.status_code == 303
        detail = client.get(detail_url)
    assert "Delivered by post" in detail.text
    assert 'id="next-step"' not in detail.text and 'id="reject"' not in detail.text
    assert detail.text.count("<tr><td>") == 5  # five steps in the history

    listed = client.get("/identity/cards", params={"status": "delivered"})
    assert "Lục Thị Hoa" in listed.text


def test_a_refused_step_is_shown_on_the_detail_page(
    client: TestClient, desk: str, citizen: Citizen
) -> None:
    page = client.get("/identity/cards/new", params={"personal_id": citizen.personal_id})
    answer = client.post(
        "/identity/cards/new", data=_form(page.text, citizen), follow_redirects=False
    )
    detail_url = answer.headers["location"].split("?")[0]
    skipped = client.post(f"{detail_url}/steps", data={"csrf_token": desk, "to": "produced"})
    assert skipped.status_code == 409
    assert "Steps cannot be skipped" in skipped.text
    no_reason = client.post(f"{detail_url}/steps", data={"csrf_token": desk, "to": "rejected"})
    assert no_reason.status_code == 422
    rejected = client.post(
        f"{detail_url}/steps",
        data={"csrf_token": desk, "to": "rejected", "reason": "Papers missing"},
    )
    assert rejected.status_code == 200
    assert "Papers missing" in rejected.text


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"full_name": "Luc Thi Hoa"},
            "full_name",
            "The declared full name differs from the registry",
        ),
        ({"portrait_captured": ""}, "portrait_captured", "portrait before receiving"),
        ({"delivery": "post"}, "delivery_address_source", "Choose which residence address"),
        ({"kind": "renewal_60"}, "kind", "This renewal is not due"),
    ],
)
def test_intake_errors_are_shown_next_to_their_field(
    client: TestClient,
    desk: str,
    citizen: Citizen,
    fields: dict[str, str],
    field: str,
    message: str,
) -> None:
    page = client.get("/identity/cards/new", params={"personal_id": citizen.personal_id})
    answer = client.post("/identity/cards/new", data=_form(page.text, citizen, **fields))
    assert answer.status_code == 422
    assert f'id="e-{field}"' in answer.text
    assert message in answer.text
    assert "Lục Thị Hoa" in answer.text  # the registry record is shown again


def test_pages_need_the_id_card_permission(
    client: TestClient, commune_officer: OfficerLogin
) -> None:
    login(client, commune_officer)
    assert client.get("/identity/cards").status_code == 403
    assert 'href="/identity/cards"' not in client.get("/").text
