"""End to end in headless Chromium: a linkage clerk signs in, opens the review queue, opens the
most likely record, accepts a candidate (and lands on the next record with a notice), then
opens another record from the queue and rejects all its candidates. The database then holds
the decisions, the sector link and the decided results.

Set ``ONCEGOV_SCREENSHOTS`` to a folder to keep a PNG of each page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from oncegov.linkage.models import LinkageDecision, LinkageResult, SectorLink
from tests.fixtures import CAO_BANG, OfficerLogin, make_citizen, make_officer
from tests.linkage.review_factories import SOURCE, make_review_item, make_run, sector_record
from tests.web.browser import screenshot, sign_in, watch
from tests.web.conftest import LiveApp


@dataclass(frozen=True)
class Queue:
    clerk: OfficerLogin
    first: int  # BHXH-001: candidates a (0.82) and b (0.61)
    second: int  # BHXH-002: candidate c (0.74)
    third: int  # BHXH-003: candidates b (0.45) and c (0.40)
    a: str
    b: str
    c: str


@pytest.fixture(scope="module")
def queue(live_app: LiveApp) -> Queue:
    with Session(live_app.engine, expire_on_commit=False) as session:
        clerk = make_officer(session, "doisoat.e2e", ("linkage_clerk", "province", CAO_BANG))
        a = make_citizen(session, full_name="Lường Văn Hùng", sex="M", birth_year=1979)
        b = make_citizen(session, full_name="Lường Văn Hưng", sex="M", birth_year=1979)
        c = make_citizen(session, full_name="Đàm Thị Hoa", sex="F", birth_year=1992)
        run = make_run(session)
        first = make_review_item(
            session,
            run,
            "BHXH-001",
            [(a.personal_id, 0.82), (b.personal_id, 0.61)],
            record=sector_record("BHXH-001", a, full_name="Luong Van Hung"),
        )
        second = make_review_item(session, run, "BHXH-002", [(c.personal_id, 0.74)])
        third = make_review_item(session, run, "BHXH-003", [(b.personal_id, 0.45),
                                                             (c.personal_id, 0.40)])  # fmt: skip
        session.commit()
        return Queue(
            clerk, first.id, second.id, third.id, a.personal_id, b.personal_id, c.personal_id
        )


@pytest.mark.browser
def test_clerk_accepts_one_candidate_then_rejects_all_of_another_record(
    page: Page, live_app: LiveApp, queue: Queue
) -> None:
    problems = watch(page)
    sign_in(page, live_app.base_url, queue.clerk)
    page.click("header.top nav a[href='/linkage/review']")
    expect(page.locator("h1")).to_have_text("Linkage review")
    expect(page.locator("#total")).to_have_text("3 records waiting")
    rows = page.locator("#review-queue tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("BHXH-001")
    screenshot(page, "linkage-queue.png")

    # The most likely record: two candidates side by side.
    rows.first.locator("a").click()
    expect(page).to_have_url(f"{live_app.base_url}/linkage/review/{queue.first}")
    expect(page.locator("h1")).to_contain_text("BHXH-001")
    expect(page.locator("#comparison thead th[id^='candidate-']")).to_have_count(2)
    name_row = page.locator("#comparison tr[data-field='full_name']")
    expect(name_row).to_contain_text("Lường Văn Hùng")
    expect(name_row).to_contain_text("Lường Văn Hưng")
    expect(name_row.locator(".weight-for").first).to_have_text("+7.1")
    expect(page.locator("#comparison tr[data-field='address'] .weight-against")).to_have_text(
        "\u22121.3"
    )
    expect(page.locator(f"#probabilities td[data-personal-id='{queue.a}']")).to_contain_text(
        "82.0%"
    )
    screenshot(page, "linkage-item.png")
    page.click(f"button.accept[data-personal-id='{queue.a}']")

    # Straight to the next open record, with a notice of the link.
    expect(page).to_have_url(re.compile(rf"/linkage/review/{queue.second}\?"))
    expect(page.locator("#notice")).to_have_text(
        f"Record BHXH-001 is now linked to personal ID {queue.a}."
    )
    expect(page.locator("h1")).to_contain_text("BHXH-002")

    # Another record, from the queue: reject all its candidates.
    page.click("text=Back to the queue")
    expect(page.locator("#total")).to_have_text("2 records waiting")
    page.click(f"#review-queue tr[data-result='{queue.third}'] a")
    expect(page.locator("h1")).to_contain_text("BHXH-003")
    page.click("#reject-all")
    expect(page).to_have_url(re.compile(rf"/linkage/review/{queue.second}\?"))
    expect(page.locator("#notice")).to_have_text("All candidates of record BHXH-003 were rejected.")
    assert problems == []

    with Session(live_app.engine) as session:
        decisions = {
            (d.record_key, d.personal_id): (d.decision, d.officer_id)
            for d in session.scalars(select(LinkageDecision))
        }
        assert decisions == {
            ("BHXH-001", queue.a): ("accept", "doisoat.e2e"),
            ("BHXH-001", queue.b): ("reject", "doisoat.e2e"),
            ("BHXH-003", queue.b): ("reject", "doisoat.e2e"),
            ("BHXH-003", queue.c): ("reject", "doisoat.e2e"),
        }
        link = session.get(SectorLink, (SOURCE, "BHXH-001"))
        assert link is not None and (link.personal_id, link.method) == (queue.a, "clerical")
        assert session.get(SectorLink, (SOURCE, "BHXH-003")) is None
        first = session.get(LinkageResult, queue.first)
        assert first is not None and first.decided_at is not None
        assert (first.method, first.personal_id) == ("clerical", queue.a)
        third = session.get(LinkageResult, queue.third)
        assert third is not None and third.decided_at is not None
        assert (third.personal_id, third.reason) == (None, "rejected_in_review")
        second = session.get(LinkageResult, queue.second)
        assert second is not None and second.decided_at is None
