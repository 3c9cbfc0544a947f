"""End to end in headless Chromium: sign in, find a citizen without diacritics, correct a field."""

from __future__ import annotations

import re
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from oncegov.audit.models import AuditEntry
from oncegov.registry.models import Citizen, RegistryChange
from tests.web.conftest import LiveApp

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _sign_in(page: Page, live_app: LiveApp) -> None:
    officer = live_app.seeded.officer
    page.goto(live_app.base_url + "/login")
    page.fill("#username", officer.username)
    page.fill("#password", officer.password)
    page.fill("#otp", pyotp.TOTP(officer.totp_secret).now())
    page.click("form[action='/login'] button[type=submit]")
    expect(page).to_have_url(live_app.base_url + "/officer")
    expect(page.locator("header.top")).to_contain_text("Cán bộ Thục Phán")


@pytest.mark.browser
def test_officer_finds_and_corrects_a_citizen(
    page: Page, live_app: LiveApp, tmp_path: Path
) -> None:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda message: (
            problems.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    citizen_id = live_app.seeded.citizen_id

    _sign_in(page, live_app)

    # Search by name typed without diacritics; the namesake in another commune stays hidden.
    page.click("header.top nav a[href='/registry/search']")
    expect(page.locator("#purpose")).to_have_value("Record verification")
    page.fill("#q", "nong van dung")
    page.click("form[role=search] button[type=submit]")
    results = page.locator("table.results tbody tr")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("Nông Văn Dũng")
    expect(results.first).to_contain_text("Phường Thục Phán")
    assert live_app.seeded.namesake_elsewhere_id not in page.content()

    # Open the record: fields with labels, history with the creating version.
    results.first.get_by_role("link", name=citizen_id).click()
    expect(page.locator("h1")).to_contain_text("Nông Văn Dũng")
    record = page.locator("#record")
    expect(record).to_contain_text("0912000111")
    expect(record).to_contain_text("Tày")
    expect(page.locator("#history tr.version")).to_have_count(1)

    # Correct the phone number with a reason and a legal document.
    page.click("#edit-link")
    expect(page.locator("#f-phone")).to_have_value("0912000111")
    page.fill("#f-phone", "0987654321")
    page.fill("#f-reason", "Citizen reported a new number")
    page.fill("#f-legal_reference", "Đơn đề nghị 15/2026")
    page.click("form.edit-form button[type=submit]")

    # Back on the record: the new value, a confirmation and the new history entry.
    expect(page).to_have_url(re.compile(r"saved=2"))
    expect(page.locator("#saved")).to_be_visible()
    expect(record).to_contain_text("0987654321")
    newest = page.locator("#history tr.version[data-version='2']")
    expect(newest).to_contain_text("Citizen reported a new number")
    expect(newest).to_contain_text("Đơn đề nghị 15/2026")
    expect(newest).to_contain_text("xa.e2e")
    expect(newest.locator("del")).to_have_text("0912000111")
    expect(newest.locator("ins")).to_have_text("0987654321")
    expect(page.locator("#history tr.version")).to_have_count(2)

    shot = tmp_path / "record.png"
    page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 10_000
    assert problems == []

    # The change was committed by the real request cycle, with who and why, and audited.
    with Session(live_app.engine) as session:
        stored = session.scalar(select(Citizen).where(Citizen.personal_id == citizen_id))
        assert stored is not None and (stored.phone, stored.version) == ("0987654321", 2)
        change = session.scalar(
            select(RegistryChange).where(
                RegistryChange.entity_key == citizen_id, RegistryChange.version == 2
            )
        )
        assert change is not None
        assert change.changes == {"phone": ["0912000111", "0987654321"]}
        actions = set(
            session.scalars(select(AuditEntry.action).where(AuditEntry.actor_id == "xa.e2e")).all()
        )
        assert {"auth.login", "registry.search", "registry.read", "registry.change"} <= actions
