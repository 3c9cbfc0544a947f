"""End to end in headless Chromium: a linkage clerk signs in, opens the sector data sync report
from the navigation and sees the headline rate, the chart of the rate over runs and the
communes, worst first.

Set ``ONCEGOV_SCREENSHOTS`` to a folder to keep a PNG of the page.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from tests.fixtures import CAO_BANG, COMMUNE_A, COMMUNE_B, OfficerLogin, make_officer
from tests.linkage.report_factories import Fixture, seed_two_runs
from tests.web.browser import screenshot, sign_in, watch
from tests.web.conftest import LiveApp


@pytest.fixture(scope="module")
def seeded(live_app: LiveApp) -> tuple[OfficerLogin, Fixture]:
    with Session(live_app.engine, expire_on_commit=False) as session:
        clerk = make_officer(session, "doisoat.e2e", ("linkage_clerk", "province", CAO_BANG))
        runs = seed_two_runs(session)
        session.commit()
    return clerk, runs


@pytest.mark.browser
def test_clerk_sees_the_sync_rate_chart_and_the_communes(
    page: Page, live_app: LiveApp, seeded: tuple[OfficerLogin, Fixture]
) -> None:
    clerk, runs = seeded
    problems = watch(page)
    sign_in(page, live_app.base_url, clerk)
    page.click("header.top nav a[href='/linkage/report']")
    expect(page).to_have_url(live_app.base_url + "/linkage/report")
    expect(page.locator("h1")).to_have_text("Sector data sync")
    expect(page.locator("#figure-rate .figure")).to_have_text("50.0%")
    expect(page.locator("#figure-total .figure")).to_have_text("12")

    chart = page.locator("#rate-chart")
    expect(chart).to_be_visible()
    bars = chart.locator("g.run rect")
    expect(bars).to_have_count(2)
    older, latest = (bars.nth(i).bounding_box() for i in range(2))
    assert older is not None and latest is not None
    assert latest["height"] > older["height"] > 0  # 50 % after 30 %
    assert latest["x"] > older["x"]  # oldest run on the left
    box = chart.bounding_box()
    assert box is not None and box["width"] > 600 and box["height"] > 150
    expect(chart.locator(f"g.run[data-run='{runs.latest.id}']")).to_have_attribute(
        "data-rate", "0.5"
    )

    rows = page.locator("#commune-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_have_attribute("data-commune", "unknown")
    commune_a = page.locator(f"#commune-table tr[data-commune='{COMMUNE_A}']")
    expect(commune_a).to_be_visible()
    expect(commune_a).to_contain_text("Phường Thục Phán")
    expect(commune_a).to_contain_text("66.7%")
    expect(page.locator(f"#commune-table tr[data-commune='{COMMUNE_B}']")).to_contain_text(
        "Phường Nùng Trí Cao"
    )
    expect(page.locator("#reason-table tr[data-reason='incomplete_record']")).to_contain_text(
        "Record without name or birth year"
    )
    screenshot(page, "linkage-report.png")
    assert problems == []
