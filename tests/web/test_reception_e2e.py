"""End to end in headless Chromium: a hospital receptionist signs in, scans a chip ID card's QR
as the desk's scanner does (the text, then Enter) and sees the patient, the benefit level and a
warning without a page reload (htmx); a second scan of an unknown personal ID says so next to
the input. Then a statistician sees the check-in on the statistics page's chart.

Set ``ONCEGOV_SCREENSHOTS`` to a folder to keep a PNG of each page.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from oncegov.health import service as health
from oncegov.health.service import FacilityDesk
from oncegov.kit import clock
from oncegov.kit.actor import Actor
from oncegov.kit.chip_qr import ChipQr, render
from tests.fixtures import CAO_BANG, OfficerLogin, make_citizen, make_officer
from tests.health.factories import HOSPITAL, STATION, make_card, make_facility, receptionist
from tests.web.browser import screenshot, sign_in, watch
from tests.web.conftest import LiveApp

UNKNOWN_ID = "004190000000"


@dataclass(frozen=True)
class Reception:
    desk: OfficerLogin
    statistician: OfficerLogin
    qr: str  # the chip ID card QR of Ma Thị Lan, whose insurance card has expired


@pytest.fixture(scope="module")
def reception(live_app: LiveApp) -> Reception:
    """Facilities, a receptionist, a statistician and a patient in the live app's database."""
    today = clock.today()
    with Session(live_app.engine, expire_on_commit=False) as session:
        make_facility(session, HOSPITAL, name="Bệnh viện Đa khoa tỉnh Cao Bằng")
        make_facility(session, STATION, level="commune_health_station", name="Trạm Y tế")
        desk = receptionist(session, HOSPITAL, "letan.e2e")
        statistician = make_officer(
            session, "thongke.e2e", ("health_statistician", "province", CAO_BANG)
        )
        patient = make_citizen(session, full_name="Ma Thị Lan", sex="F", birth_year=1978)
        make_card(
            session,
            patient,
            benefit_level=95,
            valid_from=today - dt.timedelta(days=400),
            valid_to=today - dt.timedelta(days=3),
        )
        qr = render(
            ChipQr(
                personal_id=patient.personal_id,
                old_id_number=None,
                full_name="Ma Thị Lan",
                date_of_birth=dt.date(1978, 5, 17),
                sex="F",
                address="Tổ 3, Phường Thục Phán, Cao Bằng",
                date_of_issue=dt.date(2021, 6, 1),
            )
        )
        _earlier_visits(session, now=clock.now())
        session.commit()
    return Reception(desk, statistician, qr)


EARLIER_VISITS = 12  # on the 6 days before today, at both facilities, typed and scanned


def _earlier_visits(session: Session, now: dt.datetime) -> None:
    """Check-ins of earlier days, for the statistics page (none today: the reception test
    counts today's)."""
    desks = [
        FacilityDesk(code, code, Actor(kind="officer", id=f"seed.{code}", name="Seed", agency=code))
        for code in (HOSPITAL, STATION)
    ]
    for n in range(EARLIER_VISITS):
        person = make_citizen(session, sex="M", birth_year=1960 + n)
        ident = (
            health.by_personal_id(person.personal_id)
            if n % 3
            else health.by_chip_qr(
                render(
                    ChipQr(
                        person.personal_id,
                        None,
                        person.full_name,
                        dt.date(person.birth_year, 5, 17),
                        "M",
                        "Tổ 3",
                        dt.date(2022, 1, 1),
                    )
                )
            )
        )
        health.check_in_one(session, desks[n % 2], ident, now=now - dt.timedelta(days=1 + n // 2))


@pytest.mark.browser
def test_receptionist_scans_a_chip_card_then_an_unknown_id(
    page: Page, live_app: LiveApp, reception: Reception
) -> None:
    problems = watch(page)
    sign_in(page, live_app.base_url, reception.desk)
    page.click("header.top nav a[href='/health/reception']")
    expect(page.locator("h1")).to_contain_text("Bệnh viện Đa khoa tỉnh Cao Bằng")
    scan = page.locator("#scan")
    expect(scan).to_be_focused()
    expect(page.locator("#method")).to_have_value("auto")
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    # The scanner types the QR text and presses Enter.
    scan.fill(reception.qr)
    scan.press("Enter")
    result = page.locator("#checkin-result")
    expect(result.locator("#patient-name")).to_have_text("Ma Thị Lan")
    expect(result.locator("#benefit-level")).to_have_text("95%")
    expect(result.locator("#patient-birth")).to_have_text("17/05/1978")
    expect(result.locator("#checkin-warnings li[data-code='card_expired']")).to_have_text(
        re.compile("The health-insurance card has expired")
    )
    expect(result.locator("#card-validity")).to_contain_text("not valid today")
    expect(page.locator("#today-count strong")).to_have_text("1")
    expect(page.locator("#scan")).to_have_value("")
    expect(page.locator("#scan")).to_be_focused()
    assert page.evaluate("window.__sameDocument") is True
    screenshot(page, "reception.png")

    # The next scan: a personal ID nobody has.
    page.locator("#scan").fill(UNKNOWN_ID)
    page.locator("#scan").press("Enter")
    error = page.locator("#scan-error")
    expect(error).to_contain_text("No citizen with this personal ID")
    expect(error).to_contain_text("Personal ID number")
    expect(page.locator("#checkin-result")).to_have_count(0)
    expect(page.locator("#scan")).to_have_value(UNKNOWN_ID)  # kept, and selected for the next
    expect(page.locator("#scan")).to_be_focused()
    assert page.evaluate("document.getElementById('scan').selectionEnd") == len(UNKNOWN_ID)
    assert page.evaluate("window.__sameDocument") is True
    screenshot(page, "reception-not-found.png")
    assert problems == []


@pytest.mark.browser
def test_statistician_sees_the_check_in_on_the_chart(
    page: Page, live_app: LiveApp, reception: Reception
) -> None:
    problems = watch(page)
    sign_in(page, live_app.base_url, reception.statistician)
    page.click("header.top nav a[href='/health/statistics']")
    expect(page.locator("h1")).to_have_text("Check-in statistics")
    expect(page.locator("#daily-chart g.day")).to_have_count(30)
    # The earlier days' visits, and today's scan if the reception test ran first.
    today = int(page.locator("#total-all .figure").inner_text()) - EARLIER_VISITS
    assert today in (0, 1)
    days = page.locator("#daily-chart g.day[data-total='2']")
    expect(days).to_have_count(6)
    yesterday = clock.local_day(clock.now()) - dt.timedelta(days=1)
    stacked = page.locator(
        f"#daily-chart g.day[data-day='{yesterday.month}/{yesterday.day}/{yesterday.year}'] rect"
    )
    expect(stacked).to_have_count(2)  # one typed in, one scanned
    expect(page.locator("#facility-table tbody tr")).to_have_count(2)
    expect(page.locator("#chip-share")).to_contain_text("100%")
    expect(page.locator("#chip-share-detail")).to_contain_text("2 of 2 active facilities")
    box = page.locator("#daily-chart").bounding_box()
    assert box is not None and box["width"] > 600 and box["height"] > 150
    screenshot(page, "statistics.png")
    assert problems == []
