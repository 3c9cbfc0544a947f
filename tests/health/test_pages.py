"""The reception desk page and the check-in statistics page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from oncegov.config import settings
from oncegov.health import service
from oncegov.health.models import CheckIn
from oncegov.health.pages import detect_method, nice_step
from oncegov.health.service import FacilityDesk
from oncegov.kit import clock
from oncegov.kit.actor import Actor
from oncegov.kit.chip_qr import ChipQr, render
from oncegov.registry.models import Citizen
from tests.fixtures import CAO_BANG, OfficerLogin, login, make_citizen, make_officer
from tests.health.factories import HOSPITAL, STATION, make_card, make_facility, receptionist

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def english(client: TestClient) -> None:
    client.cookies.set("oncegov_lang", "en")  # the assertions read the English message ids


@pytest.fixture
def facilities(db: Session) -> None:
    make_facility(db, HOSPITAL, name="Bệnh viện Đa khoa tỉnh Cao Bằng")
    make_facility(db, STATION, level="commune_health_station", name="Trạm Y tế Thục Phán")


@pytest.fixture
def desk(client: TestClient, db: Session, facilities: None) -> str:
    """A receptionist of the hospital signed in on ``client``; returns the CSRF token."""
    return login(client, receptionist(db, HOSPITAL, "letan.benhvien"))


def _scan(
    client: TestClient, csrf: str, value: str, method: str = "auto", *, htmx: bool = True
) -> Response:
    response: Response = client.post(
        "/health/reception",
        data={"scan": value, "method": method, "csrf_token": csrf},
        headers=HTMX if htmx else {},
    )
    return response


def _qr_of(citizen: Citizen, **overrides: object) -> str:
    values: dict[str, object] = {
        "personal_id": citizen.personal_id,
        "old_id_number": None,
        "full_name": citizen.full_name,
        "date_of_birth": dt.date(citizen.birth_year, 5, 17),
        "sex": citizen.sex,
        "address": "Tổ 3, Phường Thục Phán, Cao Bằng",
        "date_of_issue": dt.date(2021, 4, 1),
    }
    values.update(overrides)
    return render(ChipQr(**values))  # type: ignore[arg-type]


def _warning_codes(html: str) -> set[str]:
    block = html[html.index('id="checkin-warnings"') :] if 'id="checkin-warnings"' in html else ""
    block = block[: block.find("</ul>")]
    return set(re.findall(r'data-code="([a-z_]+)"', block))


# --- reception ----------------------------------------------------------------------------------


def test_detect_method_from_what_the_scanner_typed() -> None:
    assert detect_method(" 004190000123 ") == "personal_id"
    assert detect_method("0041 9000 0123") == "personal_id"
    assert detect_method("004190000123||Nông Văn Dũng|17051990|Nam|Tổ 3|01042021") == "chip_qr"
    assert detect_method("eyJhbGciOiJFZERTQSJ9.e30.sig") == "eid_qr"
    for value in ("", "   ", "hello"):
        with pytest.raises(service.NotValidIdentifier) as caught:
            detect_method(value)
        assert caught.value.field == "scan"


def test_reception_page_renders_for_a_receptionist(client: TestClient, desk: str) -> None:
    response = client.get("/health/reception")
    assert response.status_code == 200
    html = response.text
    assert "Bệnh viện Đa khoa tỉnh Cao Bằng" in html
    assert re.search(r'<input[^>]*id="scan"[^>]*autofocus', html, re.S)
    assert 'hx-post="/health/reception"' in html
    assert 'name="csrf_token"' in html
    assert '<option value="auto" selected>' in html
    assert '<script src="/static/health-reception.js"' in html
    nav = html[html.index("<nav>") : html.index("</nav>")]
    assert 'href="/health/reception"' in nav
    assert 'href="/health/statistics"' not in nav
    # No search, no list of patients: one input and one method selector.
    assert len(re.findall(r"<input(?![^>]*type=\"hidden\")", html)) == 1


def test_check_in_by_personal_id_shows_the_patient_card_and_warnings(
    client: TestClient, db: Session, desk: str
) -> None:
    citizen = make_citizen(db, full_name="Hoàng Thị Mai", sex="F", birth_year=1990)
    today = clock.today()
    make_card(
        db,
        citizen,
        benefit_level=95,
        beneficiary_group="HN",
        valid_from=today - dt.timedelta(days=400),
        valid_to=today - dt.timedelta(days=2),
        initial_care_facility_code=STATION,
    )
    response = _scan(client, desk, citizen.personal_id)
    assert response.status_code == 200, response.text
    html = response.text
    assert "<html" not in html  # the htmx fragment only
    assert html.lstrip().startswith('<div id="reception"')
    assert '<h2 id="patient-name">Hoàng Thị Mai</h2>' in html
    assert '<dd id="patient-birth">17/05/1990</dd>' in html
    assert '<dd id="patient-sex">Female</dd>' in html
    assert '<dd id="benefit-level" class="benefit-level">95%</dd>' in html
    assert '<dd id="beneficiary-group">Poor household (HN)</dd>' in html  # a name, not a code
    assert "not valid today" in html
    assert '<dd id="initial-care">no</dd>' in html
    assert _warning_codes(html) == {"card_expired"}
    assert "The health-insurance card has expired" in html
    # The input is empty again and focused for the next scan; today's count went up.
    assert re.search(r'id="scan" name="scan" value=""[^>]*autofocus', html)
    assert re.search(r'id="today-count">[^<]*<strong>1</strong>', html)
    visit = db.scalar(select(CheckIn).where(CheckIn.personal_id == citizen.personal_id))
    assert visit is not None and visit.method == "personal_id"


def test_without_htmx_the_whole_page_comes_back_and_a_second_scan_is_a_repeat(
    client: TestClient, db: Session, desk: str
) -> None:
    citizen = make_citizen(db, full_name="Nông Văn Dũng", sex="M")
    make_card(db, citizen)
    first = _scan(client, desk, citizen.personal_id, htmx=False)
    assert first.status_code == 200
    assert "<html" in first.text and "Nông Văn Dũng" in first.text
    assert '<dd id="initial-care">yes</dd>' in first.text
    assert 'id="checkin-warnings"' not in first.text
    assert 'id="repeat-visit"' not in first.text
    second = _scan(client, desk, citizen.personal_id)
    assert 'id="repeat-visit"' in second.text
    assert "Repeat visit today" in second.text


def test_chip_qr_with_a_different_name_shows_the_mismatch_warning(
    client: TestClient, db: Session, desk: str
) -> None:
    citizen = make_citizen(db, full_name="Nông Văn Dũng", sex="M", birth_year=1985)
    make_card(db, citizen)
    response = _scan(client, desk, _qr_of(citizen, full_name="Nông Văn Dung"))
    assert response.status_code == 200
    assert "Nông Văn Dũng" in response.text  # the registry's name is what is shown
    assert _warning_codes(response.text) == {"qr_full_name"}
    assert "The name in the card's QR differs from the registry" in response.text
    visit = db.scalar(select(CheckIn).where(CheckIn.personal_id == citizen.personal_id))
    assert visit is not None and visit.method == "chip_qr"


def test_a_matching_chip_qr_has_no_warning(client: TestClient, db: Session, desk: str) -> None:
    citizen = make_citizen(db, full_name="Lương Thị Hoa", sex="F", birth_year=2001)
    make_card(db, citizen)
    response = _scan(client, desk, _qr_of(citizen))
    assert "Lương Thị Hoa" in response.text
    assert 'id="checkin-warnings"' not in response.text


def test_an_invalid_qr_names_its_field_and_keeps_the_input(
    client: TestClient, db: Session, desk: str
) -> None:
    citizen = make_citizen(db, sex="M", birth_year=1985)
    scanned = _qr_of(citizen).replace("|17051985|", "|32131985|")
    response = _scan(client, desk, scanned, htmx=False)
    assert response.status_code == 422
    html = response.text
    assert 'id="scan-error"' in html and 'data-code="chip_qr_invalid"' in html
    assert "<strong>Chip ID card QR (date of birth):</strong>" in html
    assert "The QR holds an impossible date" in html
    assert 'aria-invalid="true"' in html
    assert f'value="{scanned}"' in html
    assert 'id="checkin-result"' not in html
    # Through htmx the same error comes back in the fragment with a 200 (htmx swaps only 2xx).
    fragment = _scan(client, desk, scanned)
    assert fragment.status_code == 200
    assert "The QR holds an impossible date" in fragment.text
    assert db.scalar(select(CheckIn).where(CheckIn.personal_id == citizen.personal_id)) is None


def test_a_method_chosen_by_hand_is_kept_and_checked(
    client: TestClient, db: Session, desk: str
) -> None:
    response = _scan(client, desk, "12345", method="personal_id")
    assert "<strong>Personal ID number:</strong>" in response.text
    assert "A personal ID number has 12 digits" in response.text
    assert '<option value="personal_id" selected>' in response.text
    unrecognised = _scan(client, desk, "hello")
    assert "<strong>Scan or personal ID:</strong>" in unrecognised.text
    assert 'data-code="scan_unrecognised"' in unrecognised.text


def test_unknown_personal_id_is_not_found(client: TestClient, db: Session, desk: str) -> None:
    response = _scan(client, desk, "004190000000", htmx=False)
    assert response.status_code == 404
    assert "No citizen with this personal ID" in response.text
    assert "<strong>Personal ID number:</strong>" in response.text
    assert 'value="004190000000"' in response.text
    assert db.scalar(select(CheckIn).where(CheckIn.personal_id == "004190000000")) is None


def test_rate_limited_check_in_is_shown_inline(
    client: TestClient, db: Session, desk: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    citizen = make_citizen(db)
    make_card(db, citizen)
    monkeypatch.setattr(settings, "health_checkin_limit_per_minute", 1)
    assert "patient-name" in _scan(client, desk, citizen.personal_id).text
    response = _scan(client, desk, citizen.personal_id, htmx=False)
    assert response.status_code == 429
    assert "Too many check-ins from this facility" in response.text
    assert 'data-code="too_many_requests"' in response.text
    assert f'value="{citizen.personal_id}"' in response.text


# --- statistics ---------------------------------------------------------------------------------


def _desk(code: str) -> FacilityDesk:
    actor = Actor(kind="officer", id=f"letan.{code}", name="Lễ tân", agency=code)
    return FacilityDesk(facility_code=code, facility_name=code, actor=actor)


@pytest.fixture
def statistician(db: Session) -> OfficerLogin:
    return make_officer(db, "soyte.thongke", ("health_statistician", "province", CAO_BANG))


def test_statistics_show_counts_per_method_and_the_chip_card_share(
    client: TestClient, db: Session, facilities: None, statistician: OfficerLogin
) -> None:
    make_facility(db, "04102", level="commune_health_station", name="Trạm Y tế Nùng Trí Cao")
    make_facility(db, "04103", level="commune_health_station", name="Trạm cũ", is_active=False)
    people = [make_citizen(db) for _ in range(3)]
    for person in people:
        make_card(db, person)
    hospital, station = _desk(HOSPITAL), _desk(STATION)
    service.check_in_one(db, hospital, service.by_personal_id(people[0].personal_id))
    service.check_in_one(db, hospital, service.by_chip_qr(_qr_of(people[1])))
    service.check_in_one(db, station, service.by_personal_id(people[2].personal_id))
    service.check_in_one(db, station, service.by_personal_id(people[0].personal_id))
    login(client, statistician)

    response = client.get("/health/statistics")
    assert response.status_code == 200
    html = response.text
    today = clock.local_day(clock.now())
    assert f'value="{today.isoformat()}"' in html
    assert f'value="{(today - dt.timedelta(days=29)).isoformat()}"' in html
    assert re.search(r'id="total-all">.*?class="figure">4<', html, re.S)
    for method, count in (("personal_id", 3), ("chip_qr", 1), ("eid_qr", 0)):
        assert re.search(rf'data-method="{method}">.*?class="figure">{count}<', html, re.S), method
    # Two of the three active facilities used the chip ID card (the inactive one is not counted).
    assert re.search(r'class="figure big">67\s?%<', html)
    assert "2 of 3 active facilities checked in at least one patient" in html
    # One bar per day of the period; today's carries the four check-ins.
    assert html.count('<g class="day"') == 30
    # Days as the reader's language writes them (this page is in English: month first).
    assert f'data-day="{today.month}/{today.day}/{today.year}" data-total="4"' in html
    assert re.search(r'<svg id="daily-chart"[^>]*role="img"\s+aria-labelledby="chart-title', html)
    assert "style=" not in html  # the CSP refuses inline styles
    # The facility table: names, counts per method, busiest first, zero rows kept.
    table = html[html.index('id="facility-table"') :]
    rows = re.findall(r'<tr data-facility="(\d+)">', table)
    assert rows == [HOSPITAL, STATION, "04102"]
    hospital_row = table[table.index(f'data-facility="{HOSPITAL}"') :].split("</tr>")[0]
    assert "Bệnh viện Đa khoa tỉnh Cao Bằng" in hospital_row
    assert re.findall(r'class="number">(\d+)<', hospital_row) == ["1", "1", "0", "2"]
    assert "Nùng Trí Cao" in table and "Trạm cũ" not in table
    nav = html[html.index("<nav>") : html.index("</nav>")]
    assert 'href="/health/statistics"' in nav and 'href="/health/reception"' not in nav


def test_statistics_for_a_chosen_period_and_a_wrong_one(
    client: TestClient, db: Session, facilities: None, statistician: OfficerLogin
) -> None:
    login(client, statistician)
    response = client.get("/health/statistics?since=2026-01-01&until=2026-01-07")
    assert response.status_code == 200
    assert response.text.count('<g class="day"') == 7
    assert "0 of 2 active facilities" in response.text
    wrong = client.get("/health/statistics?since=2026-02-01&until=2026-01-01")
    assert wrong.status_code == 422
    assert "<strong>To:</strong> The period ends before it starts" in wrong.text
    assert 'id="daily-chart"' not in wrong.text
    garbled = client.get("/health/statistics?since=yesterday")
    assert garbled.status_code == 422
    assert "<strong>From:</strong> Enter a date" in garbled.text


def test_nice_axis_steps() -> None:
    assert [nice_step(v) for v in (0, 0.3, 1, 1.5, 3, 7, 12, 40, 250)] == [
        1,
        1,
        1,
        2,
        5,
        10,
        20,
        50,
        500,
    ]


# --- permissions --------------------------------------------------------------------------------


def test_an_officer_without_the_permissions_is_refused_everywhere(
    client: TestClient, db: Session, facilities: None
) -> None:
    csrf = login(client, make_officer(db, "quantri.yte", ("admin", "province", CAO_BANG)))
    assert client.get("/health/reception").status_code == 403
    assert _scan(client, csrf, "004190000000", htmx=False).status_code == 403
    assert client.get("/health/statistics").status_code == 403
    nav = client.get("/").text
    assert "/health/reception" not in nav and "/health/statistics" not in nav


def test_a_receptionist_cannot_open_the_statistics(client: TestClient, desk: str) -> None:
    response = client.get("/health/statistics")
    assert response.status_code == 403
    assert "You do not have permission for this" in response.text


def test_a_receptionist_of_an_unknown_facility_is_refused(
    client: TestClient, db: Session, facilities: None
) -> None:
    login(client, receptionist(db, "04999", "letan.khongco"))
    response = client.get("/health/reception")
    assert response.status_code == 403
    assert "not bound to one active medical facility" in response.text


def test_anonymous_visitors_are_sent_to_sign_in(client: TestClient) -> None:
    for path in ("/health/reception", "/health/statistics"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?")
