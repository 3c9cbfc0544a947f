"""Input a client can send that must never cause a 500 nor be stored: broken and invisible
characters, markup in names, values longer than their column, LIKE wildcards, huge and
malformed bodies, and bad bodies from callers who are not even signed in."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from oncegov.config import settings
from oncegov.errors import ValidationFailed
from oncegov.kit.actor import Actor
from oncegov.registry import service as registry
from oncegov.registry.models import Household
from oncegov.web import i18n
from tests.fixtures import OfficerLogin, login, make_citizen

API = "/api/v1/registry"
MATCH = API + "/match"


def _error(response: Any) -> dict[str, Any]:
    body = response.json()
    assert "error" in body, body
    return dict(body["error"])


def _vi(message: str) -> str:
    return i18n.translations("vi").gettext(message)


@pytest.fixture
def officer_csrf(client: TestClient, db: Session, provincial_officer: OfficerLogin) -> str:
    csrf = login(client, provincial_officer)
    db.commit()  # refused requests roll back: the session must outlive them
    return csrf


def _raw_json(client: TestClient, url: str, body: bytes, csrf: str | None = None) -> Any:
    headers = {"content-type": "application/json"}
    if csrf:
        headers["X-CSRF-Token"] = csrf
    return client.post(url, content=body, headers=headers)


# --- malformed bodies, and authentication first --------------------------------------------


def test_malformed_json_is_422_naming_the_body_with_a_translated_message(
    client: TestClient, officer_csrf: str
) -> None:
    response = _raw_json(client, MATCH, b'{"full_name": "Nong", "purpose": "x",', officer_csrf)
    assert response.status_code == 422
    error = _error(response)
    assert error["field"] == "body"
    assert error["message"] == _vi("The request body is not valid JSON")
    assert error["message"] != "The request body is not valid JSON"  # Vietnamese by default


def test_invalid_utf8_is_422_for_a_signed_in_caller(client: TestClient, officer_csrf: str) -> None:
    response = _raw_json(client, MATCH, b'{"full_name": "N\xff\xfeng"}', officer_csrf)
    assert response.status_code == 422
    assert _error(response)["field"] == "body"


@pytest.mark.parametrize(
    "body", [b'{"full_name": "N\xff\xfeng"}', b'{"full_name": ', b"[" * 100_000, b"\x00"]
)
def test_a_bad_body_from_an_anonymous_caller_is_401_not_400(
    client: TestClient, body: bytes
) -> None:
    response = _raw_json(client, MATCH, body)
    assert response.status_code == 401
    assert _error(response)["code"] == "not_authenticated"


def test_a_bad_form_on_a_page_from_an_anonymous_caller_goes_to_sign_in(
    client: TestClient,
) -> None:
    response = client.post(
        "/identity/eid/lock",
        content=b"personal_id=%00&reason=x",
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?")


# --- text that cannot be stored ------------------------------------------------------------


def test_a_lone_surrogate_in_json_is_422_naming_the_field(
    client: TestClient, officer_csrf: str
) -> None:
    body = b'{"full_name": "N\\ud800ng", "date_of_birth": "1985", "purpose": "x"}'
    response = _raw_json(client, MATCH, body, officer_csrf)
    assert response.status_code == 422
    error = _error(response)
    assert error["field"] == "full_name"
    assert error["message"] == _vi("must be valid text: it holds a broken character")


def test_a_lone_surrogate_deep_in_a_patch_is_refused(
    client: TestClient, db: Session, officer_csrf: str
) -> None:
    citizen = make_citizen(db)
    db.commit()
    response = client.patch(
        f"{API}/citizens/{citizen.personal_id}",
        content=b'{"changes": {"hometown": "\\udc00"}, "reason": "r"}',
        headers={"content-type": "application/json", "X-CSRF-Token": officer_csrf},
    )
    assert response.status_code == 422
    assert _error(response)["field"] == "changes.hometown"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Nông\x00 Văn", "must not contain control characters"),
        ("Nông\u200b Văn", "must not contain invisible formatting characters"),
        ("Nông \u202eDũng", "must not contain invisible formatting characters"),
        ("<b>Nông</b> Văn", "must not contain markup"),
        ("Nông Văn 2", "must not contain digits"),
        ("Nông_Văn", "may contain only letters, spaces, apostrophes, hyphens and dots"),
    ],
)
def test_names_refuse_control_invisible_markup_and_symbols(
    client: TestClient, db: Session, officer_csrf: str, name: str, message: str
) -> None:
    citizen = make_citizen(db)
    db.commit()
    response = client.patch(
        f"{API}/citizens/{citizen.personal_id}",
        json={"changes": {"full_name": name}, "reason": "Đơn của công dân"},
        headers={"X-CSRF-Token": officer_csrf},
    )
    assert response.status_code == 422, response.text
    error = _error(response)
    # Characters no text may hold are refused by the request check, which names the JSON path.
    assert error["field"] in ("full_name", "changes.full_name")
    assert _vi(message) in error["message"] or message in error["message"]
    db.refresh(citizen)
    assert citizen.full_name == "Nông Văn Dũng"


@pytest.mark.parametrize("name", ["H'Hen Niê", "Nguyễn-Trần Thị Ánh", "Lò Văn Páo", "Ksor H. Bi"])
def test_real_names_with_apostrophes_hyphens_and_dots_are_stored_in_nfc(
    client: TestClient, db: Session, officer_csrf: str, name: str
) -> None:
    import unicodedata

    citizen = make_citizen(db)
    db.commit()
    response = client.patch(
        f"{API}/citizens/{citizen.personal_id}",
        json={"changes": {"full_name": unicodedata.normalize("NFD", name)}, "reason": "Đơn"},
        headers={"X-CSRF-Token": officer_csrf},
    )
    assert response.status_code == 200, response.text
    db.refresh(citizen)
    assert citizen.full_name == unicodedata.normalize("NFC", name)


def test_control_characters_in_a_query_are_refused_naming_the_parameter(
    client: TestClient, officer_csrf: str
) -> None:
    response = client.get(API + "/citizens", params={"q": "Nông\x00", "purpose": "x"})
    assert response.status_code == 422
    assert _error(response)["field"] == "q"


def test_control_characters_in_a_form_are_refused_naming_the_field(
    client: TestClient, db: Session, officer_csrf: str
) -> None:
    citizen = make_citizen(db)
    db.commit()
    response = client.post(
        f"/registry/citizens/{citizen.personal_id}/edit",
        data={"csrf_token": officer_csrf, "full_name": "Nông\x00Văn", "reason": "r"},
    )
    assert response.status_code == 422
    assert "full_name" in response.text
    db.refresh(citizen)
    assert citizen.full_name == "Nông Văn Dũng"


# --- lengths -------------------------------------------------------------------------------


def test_a_reason_longer_than_its_column_is_refused(
    client: TestClient, db: Session, officer_csrf: str
) -> None:
    citizen = make_citizen(db, phone=None)
    db.commit()
    response = client.patch(
        f"{API}/citizens/{citizen.personal_id}",
        json={"changes": {"phone": "0912345678"}, "reason": "x" * 501},
        headers={"X-CSRF-Token": officer_csrf},
    )
    assert response.status_code == 422
    assert _error(response)["field"] == "reason"
    db.refresh(citizen)
    assert citizen.phone is None


def test_every_flush_refuses_a_value_longer_than_its_column(db: Session) -> None:
    db.add(Household(code="H" * 21, commune_code="01273", address="Tổ 3"))
    with pytest.raises(ValidationFailed) as refused:
        db.flush()
    assert (refused.value.field, refused.value.params) == ("code", {"max_length": 20})
    db.rollback()


def test_a_name_that_folds_longer_than_its_column_is_refused(db: Session) -> None:
    # Hangul syllables decompose into two or three letters each when accents are folded.
    _clean, errors = registry._validator(db).validate(
        {"full_name": "한" * 100, "date_of_birth": "1985", "sex": "M", "ethnicity_code": "01"}
    )
    assert "full_name" in {e.field for e in errors if e.code == "too_long"}


# --- LIKE wildcards ------------------------------------------------------------------------

ACTOR = Actor("officer", "test", "Test officer")


@pytest.mark.parametrize("query", ["%%", "__", "%_", "%.", " % "])
def test_wildcards_do_not_count_as_letters(db: Session, query: str) -> None:
    make_citizen(db)
    with pytest.raises(ValidationFailed) as refused:
        registry.search_citizens(db, ACTOR, query, purpose="kiểm tra")
    assert refused.value.field == "q"


def test_wildcards_in_a_name_match_only_themselves(db: Session) -> None:
    make_citizen(db, full_name="Nông Văn Dũng")
    assert registry.search_citizens(db, ACTOR, "nong", purpose="kiểm tra")
    assert registry.search_citizens(db, ACTOR, "n_ng", purpose="kiểm tra") == []
    assert registry.search_citizens(db, ACTOR, "no%", purpose="kiểm tra") == []


def test_wildcards_in_the_search_api_list_nobody(
    client: TestClient, db: Session, officer_csrf: str
) -> None:
    for _ in range(3):
        make_citizen(db)
    db.commit()
    response = client.get(API + "/citizens", params={"q": "%%", "purpose": "x"})
    assert response.status_code == 422
    assert _error(response)["field"] == "q"
    escaped = client.get(API + "/citizens", params={"q": "%%ng", "purpose": "x"})
    assert escaped.status_code == 200
    assert escaped.json() == []


# --- body size -----------------------------------------------------------------------------


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(settings, "max_body_bytes", 1000)
    monkeypatch.setattr(settings, "max_upload_bytes", 5000)
    yield


def test_a_body_past_the_limit_is_413_before_it_is_read(
    client: TestClient, officer_csrf: str, small_limits: None
) -> None:
    body = b'{"full_name": "' + b"a" * 2000 + b'", "date_of_birth": "1985", "purpose": "x"}'
    response = _raw_json(client, MATCH, body, officer_csrf)
    assert response.status_code == 413
    error = _error(response)
    assert (error["code"], error["field"]) == ("payload_too_large", "body")
    assert error["params"] == {"limit": 1000}


def test_a_chunked_body_without_length_is_counted_while_it_streams(
    client: TestClient, officer_csrf: str, small_limits: None
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"full_name": "'
        for _ in range(20):
            yield b"a" * 100
        yield b'", "date_of_birth": "1985", "purpose": "x"}'

    response = client.post(
        MATCH,
        content=chunks(),
        headers={"content-type": "application/json", "X-CSRF-Token": officer_csrf},
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert _error(response)["code"] == "payload_too_large"


def test_a_20_mb_json_body_is_refused(client: TestClient, officer_csrf: str) -> None:
    body = b'{"full_name": "' + b"a" * (20 * 1024 * 1024) + b'"}'
    response = _raw_json(client, MATCH, body, officer_csrf)
    assert response.status_code == 413


def test_uploads_have_their_own_larger_limit(client: TestClient, small_limits: None) -> None:
    # 3,000 bytes: past the JSON limit, within the upload limit; the page answers (no 413).
    within = client.post(
        "/eid/register", files={"portrait": ("p.jpg", b"\xff\xd8" + b"0" * 3000, "image/jpeg")}
    )
    assert within.status_code != 413
    past = client.post(
        "/eid/register", files={"portrait": ("p.jpg", b"\xff\xd8" + b"0" * 6000, "image/jpeg")}
    )
    assert past.status_code == 413
    assert "text/html" in past.headers["content-type"]


def test_every_route_checks_its_input() -> None:
    from fastapi.routing import APIRoute, iter_route_contexts

    from oncegov.app import create_app
    from oncegov.web.routing import CheckedRoute

    routes = [
        c.original_route
        for c in iter_route_contexts(create_app().routes)
        if isinstance(c.original_route, APIRoute)
    ]
    unchecked = {r.path for r in routes if not isinstance(r, CheckedRoute)}
    # No input: the liveness and readiness probes and the API document's page.
    assert unchecked == {"/healthz", "/readyz", "/api/v1/docs"}


# --- free text that services take from pages and the API alike ------------------------------


def test_a_rejection_reason_past_its_column_or_with_markup_is_refused(db: Session) -> None:
    from oncegov.identity.cards import service as cards
    from tests.identity.cards.conftest import DESK_A, NOW, SCOPE_A, intake_for

    application = cards.submit_application(
        db, DESK_A, intake_for(make_citizen(db)), scope=SCOPE_A, now=NOW
    )
    for reason in ("x" * 301, "<img src=x onerror=alert(1)>", "Thiếu\u202egiấy tờ"):
        with pytest.raises(ValidationFailed) as refused:
            cards.advance(db, DESK_A, application.id, "rejected", scope=SCOPE_A, reason=reason)
        assert refused.value.field == "reason"
    rejected = cards.advance(
        db, DESK_A, application.id, "rejected", scope=SCOPE_A, reason="Thiếu giấy tờ"
    )
    assert rejected.status == "rejected"


def test_a_citizen_s_report_with_markup_or_invisible_characters_is_refused(db: Session) -> None:
    from oncegov.registry.corrections import service as corrections
    from oncegov.registry.corrections.schemas import CorrectionFiling

    citizen = make_citizen(db)
    me = Actor("citizen", citizen.personal_id, citizen.full_name)
    for description, proposed in (
        ("<script>alert(1)</script>", None),
        ("Tên sai", "Nông\u200bVăn"),
        ("Tên\x00 sai", None),
    ):
        filing = CorrectionFiling(
            fields=["full_name"], description=description, proposed_value=proposed
        )
        with pytest.raises(ValidationFailed) as refused:
            corrections.file_request(db, me, citizen.personal_id, filing)
        assert refused.value.field == ("proposed_value" if proposed else "description")
    filed = corrections.file_request(
        db,
        me,
        citizen.personal_id,
        CorrectionFiling(fields=["full_name"], description="Tên sai dấu\nxin sửa lại"),
    )
    assert filed.description == "Tên sai dấu\nxin sửa lại"
